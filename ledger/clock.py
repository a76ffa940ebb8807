"""Local time of the department (China Standard Time); all stored timestamps use it."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(TZ).replace(microsecond=0)


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TZ)
    return moment.astimezone(TZ).replace(microsecond=0).isoformat()


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def day_of(moment: datetime) -> date:
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(TZ).date()
