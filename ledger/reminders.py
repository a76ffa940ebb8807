"""Automatic 催办 and escalation: an overdue problem gets one reminder event per working day;
after ``settings.escalate_after_days`` working days overdue it is escalated to a leader of the
assignee's office (of the responsible office when unassigned; any leader when that office has none)."""
from __future__ import annotations

from datetime import date

import sqlite_utils

from huiqi.settings import Settings, get_settings
from ledger import clock
from ledger.actors import SYSTEM
from ledger.db import one, transaction
from ledger.problems import OPEN_STATUSES, apply_change
from ledger.staff import get_staff_by_id, leaders_of
from ledger.workdays import calendar_for


def _escalation_target(db: sqlite_utils.Database, row: dict) -> dict | None:
    assignee = get_staff_by_id(db, row["assignee_id"])
    for office in ([assignee["office"]] if assignee else []) + [row["office"]]:
        leaders = [l for l in leaders_of(db, office) if l["id"] != row["assignee_id"]]
        if leaders:
            return leaders[0]
    return one(db, "SELECT id, login, name, office FROM staff WHERE role = 'leader' AND active = 1 ORDER BY id")


def run_reminders(db: sqlite_utils.Database, today: date | None = None, settings: Settings | None = None) -> dict:
    """Remind and escalate what is overdue today; safe to run any number of times a day."""
    s = settings or get_settings()
    cal = calendar_for(s)
    today = today or clock.day_of(clock.now())
    result = {"reminded": [], "escalated": []}
    if not cal.is_workday(today):
        return result
    marks = ",".join("?" * len(OPEN_STATUSES))
    ids = [r["id"] for r in db.query(f"SELECT id FROM problems WHERE status IN ({marks}) AND due_on < ?",
                                     [*OPEN_STATUSES, today.isoformat()])]
    for pid in ids:
        with transaction(db):
            row = one(db, "SELECT * FROM problems WHERE id = ?", [pid])
            if row["status"] not in OPEN_STATUSES:
                continue
            late = cal.workdays_between(date.fromisoformat(row["due_on"]), today)
            if row["last_reminded_on"] != today.isoformat():
                row = apply_change(db, row, SYSTEM, "reminder", {"last_reminded_on": today.isoformat()},
                                   to_value=f"超期{late}个工作日", note=f"已超过办理时限（{row['due_on']}），请抓紧办理")
                result["reminded"].append(row["ticket_no"])
            if late >= s.escalate_after_days and row["escalated_to"] is None:
                leader = _escalation_target(db, row)
                if leader:
                    apply_change(db, row, SYSTEM, "escalation", {"escalated_to": leader["id"]},
                                 to_value=leader["login"],
                                 note=f"超期{late}个工作日，升级至{leader['name']}（{leader['office']}）督办")
                    result["escalated"].append(row["ticket_no"])
    return result
