"""Prompt files under prompts/: every prompt is a text file under version control, none lives in Python."""
from __future__ import annotations

from functools import lru_cache

from ingest.settings import PROMPTS_DIR


@lru_cache(maxsize=None)
def load_prompt(name: str) -> str:
    """Text of prompts/<name>.txt without its trailing newline."""
    return (PROMPTS_DIR / f"{name}.txt").read_text(encoding="utf-8").rstrip("\n")


def refusal_phrase(language: str) -> str:
    """The refusal sentinel shared by prompts, code and tests ("Rapporten svarer ikke på det.")."""
    return load_prompt(f"refusal_{'en' if language == 'en' else 'da'}")
