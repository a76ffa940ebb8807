"""必访: visits by the paired official on the six occasions of the 2023 plan (plus routine visits)."""
from __future__ import annotations

from datetime import date

import sqlite_utils

from huiqi.errors import Forbidden, Invalid
from huiqi.text import normalize
from ledger import clock, events
from ledger.access import require_enterprise
from ledger.actors import Actor
from ledger.db import insert, transaction

OCCASIONS = ("创新孵化", "经营困难", "登记纳统", "战略调整", "增资扩产", "筹备上市", "日常走访")


def log_visit(db: sqlite_utils.Database, actor: Actor, credit_code: str, *, occasion: str, visited_on: str,
              notes: str) -> dict:
    if not actor.is_staff:
        raise Forbidden("STAFF_ONLY", "走访记录只能由工作人员填写。")
    require_enterprise(db, actor, credit_code)
    if occasion not in OCCASIONS:
        raise Invalid("INVALID_OCCASION", f"走访事由应为以下之一：{'、'.join(OCCASIONS)}。", field="occasion")
    try:
        day = date.fromisoformat(str(visited_on))
    except ValueError as exc:
        raise Invalid("INVALID_DATE", "走访日期格式应为 YYYY-MM-DD。", field="visited_on") from exc
    if day > clock.day_of(clock.now()):
        raise Invalid("FUTURE_DATE", "走访日期不能晚于今天。", field="visited_on")
    text = normalize(notes or "")
    if len(text) < 5:
        raise Invalid("NOTES_REQUIRED", "请填写走访情况（至少5个字）。", field="notes")
    stamp = clock.iso(clock.now())
    row = {"credit_code": credit_code, "staff_id": actor.staff_id, "occasion": occasion,
           "visited_on": day.isoformat(), "notes": text, "created_at": stamp}
    with transaction(db):
        row["id"] = insert(db, "visits", row)
        events.record(db, actor, "visit", credit_code=credit_code, to_value=occasion,
                      note=f"{day.isoformat()} {text}", at=stamp)
    return {**row, "official": actor.name}


def list_visits(db: sqlite_utils.Database, credit_code: str) -> list[dict]:
    return list(db.query(
        "SELECT v.id, v.credit_code, v.occasion, v.visited_on, v.notes, v.created_at, s.login, s.name AS official"
        " FROM visits v JOIN staff s ON s.id = v.staff_id WHERE v.credit_code = ? ORDER BY v.visited_on, v.id",
        [credit_code]))
