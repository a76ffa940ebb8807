"""Chinese text normalisation shared by the policy base, the ledger and the bot actions."""
from __future__ import annotations

import unicodedata
from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


# Encodings Chinese text files come in: UTF-8 (with or without BOM), else the GB family (GBK, GB2312).
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


def decode_text(data: bytes) -> str | None:
    """Uploaded bytes as text in the first of ``TEXT_ENCODINGS`` that reads them; None when none does."""
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (characters and common phrases)."""
    return _t2s().convert(text) if text else text


def normalize(text: str) -> str:
    """Fold full-width ASCII to half-width (NFKC keeps CJK punctuation such as 、。), then simplify."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text)
    return to_simplified(folded).strip()
