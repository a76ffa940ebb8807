"""Chinese text normalisation shared by the policy base, the ledger and the bot actions."""
from __future__ import annotations

import unicodedata
from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (characters and common phrases)."""
    return _t2s().convert(text) if text else text


def normalize(text: str) -> str:
    """Fold full-width ASCII to half-width (NFKC keeps CJK punctuation such as 、。), then simplify."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text)
    return to_simplified(folded).strip()
