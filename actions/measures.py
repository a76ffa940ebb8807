"""How a measure reads in the chat: title, one-line summary, who leads it, how to get it, source.

The policy base keeps each document's own script (a traditional-script source stays traditional, so that
its text is the document's); what the chat shows a business is always simplified Chinese."""
from __future__ import annotations

import re

from huiqi.text import to_simplified

CN_NUMBERS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_ORDINAL = re.compile(r"第\s*([一二两三四五六七八九十]|\d{1,2})\s*[条个项款]?")
PAGE = 3


def one_line(measure: dict, limit: int = 60) -> str:
    text = (measure.get("summary") or "").strip()
    if not text:
        body = (measure.get("text") or "").strip()
        text = re.split(r"(?<=[。；！？])", body, maxsplit=1)[0] if body else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def how_to_get(measure: dict) -> str:
    mode = measure.get("redemption_mode") or ""
    if mode == "免申即享":
        return "免申即享，符合条件自动享受，不用申请"
    how = (measure.get("how_to_apply") or "").strip()
    if mode == "告知类":
        return how or "了解即可，无需申请"
    return how or "向牵头单位咨询申请"


def promise(measure: dict) -> str:
    """How a department commitment is cited: as the bureau's promise, never as a benefit to claim."""
    lead = measure.get("lead_department")
    return f"本局承诺（{lead}负责）" if lead else "本局承诺"


def cited(number: int, passage: str) -> str:
    """A long item's answering passage, in place of its first sentence, with the way to its whole text."""
    return f"原文：{shorten(passage, 90)}（说“第{number}条”看全文）"


def brief(number: int, measure: dict, passage: str | None = None) -> str:
    """``passage``: the sentences of a long item that answer the question (shown instead of its first one)."""
    lines = [f"{number}. {measure['title']}", f"   {cited(number, passage) if passage else one_line(measure)}"]
    if measure.get("kind") == "commitment":
        lines.append(f"   {promise(measure)}")
        if measure.get("source"):
            lines.append(f"   依据：{shorten(measure['source'], 40)}")
        return to_simplified("\n".join(lines))
    if measure.get("lead_department"):
        lines.append(f"   牵头：{measure['lead_department']}")
    lines.append(f"   怎么享受：{shorten(how_to_get(measure), 50)}")
    if measure.get("source"):
        lines.append(f"   依据：{shorten(measure['source'], 40)}")
    return to_simplified("\n".join(lines))


def detail(number: int, measure: dict) -> str:
    lines = [f"第{number}条：{measure['title']}", (measure.get("text") or "").strip()]
    if measure.get("kind") == "commitment":
        lines.append(promise(measure))
        if measure.get("source"):
            lines.append(f"出处：{measure['source']}")
        return to_simplified("\n".join(l for l in lines if l))
    if measure.get("beneficiaries"):
        lines.append(f"享受主体：{measure['beneficiaries']}")
    if measure.get("lead_department"):
        lines.append(f"牵头单位：{measure['lead_department']}")
    lines.append(f"怎么享受：{how_to_get(measure)}")
    if measure.get("contact"):
        lines.append(f"咨询：{measure['contact']}")
    if measure.get("source"):
        lines.append(f"政策依据：{measure['source']}")
    return to_simplified("\n".join(l for l in lines if l))


def shorten(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ordinal(text: str) -> int | None:
    """'第二条怎么申请' → 2; None when the text names no position."""
    m = _ORDINAL.search(text or "")
    if not m:
        return None
    token = m.group(1)
    return int(token) if token.isdigit() else CN_NUMBERS.get(token)
