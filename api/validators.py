"""Request field types: bounded text (length limit, no lone surrogates), bounded integers, and values
that must come from a fixed list, each refused with a Chinese message (422, stable code)."""
from __future__ import annotations

import re
from typing import Annotated, Any, Iterable

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, Field, model_validator

# Length limits of user-written text (characters). One place, used by every request field.
LOGIN_MAX = 32
PASSWORD_MAX = 128
CODE_MAX = 32          # credit codes, phone numbers, ticket numbers, short identifiers
NAME_MAX = 100         # person, company, office names, categories, statuses
LINE_MAX = 500         # one line: address, region, reason, pairing note
TEXT_MAX = 4000        # free text: notes, replies, visit notes, descriptions
MAX_INT = 2**31 - 1    # ids, counts, offsets: anything above cannot exist in the ledger

_SURROGATE = re.compile("[\ud800-\udfff]")
INVALID_UNICODE = "包含无效字符（不成对的代理字符），请删除后重新提交"


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_surrogate(v) for v in value)
    return False


class Body(BaseModel):
    """Base of every JSON request body: text with lone surrogates (valid JSON, invalid Unicode, and
    not storable as UTF-8) is refused with 422 before any field is read."""

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        if _has_surrogate(data):
            raise ValueError(INVALID_UNICODE)
        return data


def text(max_length: int, min_length: int = 0, **kw):
    """A string field of at most ``max_length`` characters."""
    return Field(max_length=max_length, min_length=min_length, **kw)


def one_of(label: str, choices: Iterable[str], message: str | None = None):
    """``str`` restricted to ``choices``; otherwise a 422 saying which values are allowed."""
    allowed = tuple(choices)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(message or f"{label}应为以下之一：{'、'.join(allowed)}")
        return value

    return Annotated[str, Field(max_length=max(len(a) for a in allowed), json_schema_extra={"enum": list(allowed)}),
                     AfterValidator(check)]


def choice_query(choices: Iterable[str], description: str | None = None):
    """An optional query parameter whose documented values are ``choices`` (checked by the ledger)."""
    return Annotated[str | None, Query(max_length=NAME_MAX, description=description,
                                       json_schema_extra={"enum": list(choices)})]


# Bounded text types for fields and list items
Short = Annotated[str, Field(max_length=NAME_MAX)]
Line = Annotated[str, Field(max_length=LINE_MAX)]
LongText = Annotated[str, Field(max_length=TEXT_MAX)]

# Path and query parameters
CreditCodePath = Annotated[str, Path(max_length=CODE_MAX, description="统一社会信用代码")]
TicketPath = Annotated[str, Path(max_length=CODE_MAX, description="诉求编号")]
LoginPath = Annotated[str, Path(max_length=LOGIN_MAX, description="登录名")]
IdPath = Annotated[int, Path(ge=1, le=MAX_INT)]
ShortQuery = Annotated[str | None, Query(max_length=NAME_MAX)]
CodeQuery = Annotated[str | None, Query(max_length=CODE_MAX)]
