"""The model's prose reduced to plain text plus our own citation markers, before it is stored, shown or
passed on through /v1.

Our page escapes everything, but /v1 hands the text to any chat front-end, and many render Markdown with
HTML. A misbehaving (or prompt-injected) model could otherwise send `<script>`, `<img onerror=...>`, a
`javascript:` link or an image URL that leaks the conversation to a foreign server. So: no HTML tags, no
Markdown links or images (their text stays, the target goes), no `javascript:`/`data:`/`vbscript:` schemes.
Citation markers `[1]` are kept as they are.
"""
from __future__ import annotations

import re

# What a browser reads as a tag starts `<` + letter, `/`, `!` or `?` ("a < b" is text).
_TAG = re.compile(r"</?[a-zA-Z!?][^<>]*>")
_UNCLOSED_TAG = re.compile(r"</?[a-zA-Z!?][^<>]*$")
_TARGET = r"\((?:[^()]|\([^()]*\))*\)"  # `(url)`, with one level of parentheses inside
_IMAGE = re.compile(r"!\[([^\[\]]*)\]" + _TARGET)
_LINK = re.compile(r"\[([^\[\]]*)\]" + _TARGET)
_REFERENCE_LINK = re.compile(r"^\s*\[[^\[\]]+\]:\s*\S+.*$", re.M)
_SCHEME = re.compile(r"\b(javascript|vbscript|data|file)\s*:", re.I)


def plain_prose(text: str) -> str:
    """`text` without HTML, links, images or script schemes; words and `[n]` markers unchanged."""
    text = _TAG.sub("", text)
    text = _UNCLOSED_TAG.sub("", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REFERENCE_LINK.sub("", text)
    return _SCHEME.sub(r"\1 ", text)


def settled_prose(text: str) -> str:
    """For streaming: the part of `text` no later chunk can turn into a tag or link, made plain.
    An open `<`, `[` or `](` waits until it is closed (or the final, verified answer replaces it)."""
    cut = len(text)
    for opener, closer in (("<", ">"), ("](", ")")):
        at = text.rfind(opener)
        if at != -1 and text.find(closer, at) == -1:
            cut = min(cut, at)
    at = text.rfind("[")
    if at != -1 and "]" not in text[at:]:
        cut = min(cut, at)
    elif at != -1 and text.endswith("]"):
        # `[text]` may still become `[text](url)`; a marker `[3]` cannot, so it shows at once.
        if not re.fullmatch(r"\[\d+(?:\s*,\s*\d+)*\]", text[at:]):
            cut = min(cut, at)
    return plain_prose(text[:cut])
