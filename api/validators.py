"""Request-body field types whose value must come from a fixed list, refused with a Chinese message."""
from __future__ import annotations

from typing import Annotated, Iterable

from pydantic import AfterValidator


def one_of(label: str, choices: Iterable[str], message: str | None = None):
    """``str`` restricted to ``choices``; otherwise a 422 saying which values are allowed."""
    allowed = tuple(choices)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(message or f"{label}应为以下之一：{'、'.join(allowed)}")
        return value

    return Annotated[str, AfterValidator(check)]
