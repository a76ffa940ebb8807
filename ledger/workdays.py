"""Working days on the Chinese calendar, for deadlines (限时办结).

Order of authority for a date:
1. the admin-maintained list ``<data_dir>/holidays.yaml`` (``holidays: [YYYY-MM-DD, ...]`` and
   ``workdays: [...]`` for 调休 make-up days) — lets the department enter next year's official
   schedule as soon as the State Council publishes it;
2. chinese-calendar (covers the official schedules it ships with: 2004–2026 in 1.11.0);
3. for years it does not cover: Monday–Friday minus the fixed-date statutory holidays
   (元旦 1/1, 劳动节 5/1–5/2, 国庆 10/1–10/3). Lunar holidays (春节, 端午, 中秋) and 清明 are
   not known then, so a warning is logged once per year: add them to holidays.yaml.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import chinese_calendar
import yaml

from huiqi.errors import Invalid

log = logging.getLogger(__name__)

FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}
_warned_years: set[int] = set()


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def is_workday(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return _builtin_is_workday(day)

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself is not counted)."""
        day, counted = start, 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        return _between(self, start, end)

    def _count(self, start: date, end: date) -> int:
        if end == start:
            return 0
        sign, lo, hi = (1, start, end) if end > start else (-1, end, start)
        count, day = 0, lo
        while day < hi:
            day += timedelta(days=1)
            count += self.is_workday(day)
        return sign * count


@lru_cache(maxsize=65536)
def _between(cal: Calendar, start: date, end: date) -> int:
    return cal._count(start, end)


@lru_cache(maxsize=8192)
def _builtin_is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(
                "chinese-calendar has no official schedule for %s; using Monday–Friday minus fixed-date "
                "holidays. Add that year's holidays and make-up days to holidays.yaml in the data dir.",
                day.year,
            )
        return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def _dates(values, path: Path, key: str) -> frozenset[date]:
    out = set()
    for v in values or []:
        try:
            out.add(v if isinstance(v, date) else date.fromisoformat(str(v)))
        except ValueError as exc:
            raise Invalid("BAD_HOLIDAY_FILE", f"{path} 中 {key} 的日期“{v}”格式不对，应为 YYYY-MM-DD。") from exc
    return frozenset(out)


def load_calendar(path: Path | None) -> Calendar:
    """The calendar with the admin list at ``path`` applied (a missing file means no overrides)."""
    if path is None or not path.exists():
        return Calendar()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, ValueError) as exc:
        raise Invalid("BAD_HOLIDAY_FILE", f"{path} 格式有误（{exc}），日期请写成 YYYY-MM-DD。") from exc
    return Calendar(_dates(data.get("holidays"), path, "holidays"), _dates(data.get("workdays"), path, "workdays"))


def calendar_for(settings) -> Calendar:
    """The calendar for this data dir; re-read when holidays.yaml changes."""
    path = settings.data_dir / "holidays.yaml"
    return _cached_calendar(str(path), path.stat().st_mtime_ns if path.exists() else None)


@lru_cache(maxsize=16)
def _cached_calendar(path: str, mtime: int | None) -> Calendar:
    return load_calendar(Path(path))
