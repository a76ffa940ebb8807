"""统一社会信用代码 (GB 32100-2015): normalisation, check-digit validation, and a generator for
demo and synthetic data.

Layout (18 characters): registration authority (1), organisation type (1), administrative
division (6), organisation code (9, GB 11714), check character (1). The check character is
C18 = 31 - (sum(Ci * Wi) mod 31), with 31 written as 0, over the 31-character alphabet below.
"""
from __future__ import annotations

import random
import unicodedata

from huiqi.errors import Invalid

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation-code check


def normalize(code: str) -> str:
    """Fold full-width characters, drop spaces and dashes, upper-case."""
    text = unicodedata.normalize("NFKC", code or "")
    return "".join(ch for ch in text if not ch.isspace() and ch != "-").upper()


def check_char(first17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """None when the code is valid, otherwise a Chinese explanation of what is wrong."""
    if len(code) != 18:
        return f"统一社会信用代码应为18位，您输入的是{len(code)}位，请核对营业执照。"
    bad = [ch for ch in code if ch not in _VALUE]
    if bad:
        return f"统一社会信用代码中不能出现“{bad[0]}”（不使用I、O、S、V、Z），请核对营业执照。"
    if check_char(code[:17]) != code[17]:
        return "统一社会信用代码校验位不正确，可能有字符输错，请对照营业执照重新输入。"
    return None


def is_valid(code: str) -> bool:
    return problem(normalize(code)) is None


def validate(code: str, field: str = "credit_code") -> str:
    """The normalised code, or Invalid with a Chinese message naming the field."""
    normal = normalize(code)
    reason = problem(normal)
    if reason:
        raise Invalid("INVALID_CREDIT_CODE", reason, field=field)
    return normal


def _org_code(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(8))
    c9 = 11 - sum(int(ch) * w for ch, w in zip(body, _ORG_WEIGHTS)) % 11
    return body + {10: "X", 11: "0"}.get(c9, str(c9))


def generate(division: str = "620102", rng: random.Random | None = None, kind: str = "91") -> str:
    """A well-formed code: kind 91 = enterprise registered by market regulation; division = 行政区划代码."""
    rng = rng or random.Random()
    first17 = kind + division + _org_code(rng)
    return first17 + check_char(first17)
