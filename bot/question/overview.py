"""Questions about the report as a whole ("Hvad handler rapporten om?", "What is the report about?").

They name no subject of their own, so retrieval on their words finds sentences that merely mention "the
analysis". We search with the report's own title added: the passages that state its purpose and method
answer them, quoted verbatim like any other answer.
"""
from __future__ import annotations

import re
from typing import Any

_DOC = r"(?:rapporten|analysen|undersøgelsen|publikationen|den|det)"
_DOC_EN = r"(?:the|this)\s+(?:report|analysis|study|publication|document)"
_ABOUT_REPORT = re.compile(
    rf"\bhvad\s+(?:handler|går)\s+{_DOC}\s+(?:om|ud\s+på)\b"
    rf"|\bformål(?:et)?\s+(?:med|for)\s+{_DOC}\b|\b(?:rapportens|analysens|undersøgelsens)\s+formål\b"
    rf"|\b(?:opsummer|sammenfat|resumér|resumer)\w*\s+{_DOC}\b"
    rf"|\bhvad\s+er\s+(?:rapporten|analysen|undersøgelsen)\s*\??\s*$"
    rf"|\bwhat(?:'s|\s+is)\s+{_DOC_EN}\s+(?:about|for)\b|\bpurpose\s+of\s+{_DOC_EN}\b"
    rf"|\bsummar(?:ise|ize|y)\s+(?:of\s+)?{_DOC_EN}\b|\bwhat\s+(?:does|did)\s+{_DOC_EN}\s+(?:cover|examine|investigate)\b",
    re.IGNORECASE)


def is_about_the_report(question: str) -> bool:
    """Does the question ask what the report as a whole is about (its subject, purpose or a summary)?"""
    return bool(_ABOUT_REPORT.search(question))


def report_titles(store: Any) -> str:
    """The stored documents' titles, as search words for a question about the report as a whole."""
    return " ".join(doc.title for doc in store.documents.values() if getattr(doc, "title", ""))
