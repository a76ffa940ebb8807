"""Chinese text normalisation shared by the policy base, the ledger and the bot actions."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


# Text of nothing but these is blank: Python's whitespace (str.split) and JSON Schema's (ECMA-262 ``\s``, which
# adds U+FEFF and lacks U+001C-U+001F and U+0085), so the pattern the API documents and the checks agree exactly.
BLANK_CHARS = r"\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"  # regex escapes
NOT_BLANK_PATTERN = f"[^{BLANK_CHARS}]"  # what the API documents a query or a message must contain


def is_blank(text: str | None) -> bool:
    """Nothing but blank characters (or nothing at all)."""
    return not text or re.search(NOT_BLANK_PATTERN, text) is None


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
