"""我的企业: the enterprises an official may see, each with what the console lists beside it —
the paired official, open and overdue problems, the last visit and when the next visit (必访) is due."""
from __future__ import annotations

from datetime import date, timedelta

import sqlite_utils

from ledger import clock
from ledger.access import enterprise_scope
from ledger.actors import Actor
from ledger.enterprises import list_enterprises
from ledger.problems import OPEN_STATUSES

# Every paired enterprise is visited at least once a quarter (日常走访); the six occasions of the plan
# come on top. The next visit is due this many days after the last one (or after the pairing began).
VISIT_EVERY_DAYS = 90


def visit_due(last_visit: str | None, paired_since: str | None) -> str | None:
    """The day the next routine visit is due (ISO date), or None for an unpaired enterprise never visited."""
    start = last_visit or (paired_since[:10] if paired_since else None)
    if start is None:
        return None
    return (date.fromisoformat(start) + timedelta(days=VISIT_EVERY_DAYS)).isoformat()


def my_enterprises(db: sqlite_utils.Database, actor: Actor, today: date | None = None) -> list[dict]:
    """The actor's enterprises (admin: all) with official, open/overdue problems, last visit and 必访 due."""
    today = today or clock.day_of(clock.now())
    cond, args = enterprise_scope(actor)
    codes = [r["credit_code"] for r in db.query(f"SELECT credit_code FROM enterprises WHERE {cond}", args)]
    if not codes:
        return []
    marks, open_marks = ",".join("?" * len(codes)), ",".join("?" * len(OPEN_STATUSES))
    counts = {r["credit_code"]: r for r in db.query(
        f"SELECT credit_code, count(*) AS open_problems, sum(due_on < ?) AS overdue_problems FROM problems"
        f" WHERE credit_code IN ({marks}) AND status IN ({open_marks}) GROUP BY credit_code",
        [today.isoformat(), *codes, *OPEN_STATUSES])}
    last = {r["credit_code"]: r["last"] for r in db.query(
        f"SELECT credit_code, max(visited_on) AS last FROM visits WHERE credit_code IN ({marks}) GROUP BY credit_code",
        codes)}
    officials = {r["credit_code"]: r for r in db.query(
        f"SELECT p.credit_code, p.started_at, s.login, s.name, s.office FROM pairings p JOIN staff s ON s.id = p.staff_id"
        f" WHERE p.ended_at IS NULL AND p.credit_code IN ({marks})", codes)}
    out = []
    for e in list_enterprises(db, codes):
        code = e["credit_code"]
        pairing = officials.get(code)
        e["official"] = {k: pairing[k] for k in ("login", "name", "office")} if pairing else None
        e["open_problems"] = counts[code]["open_problems"] if code in counts else 0
        e["overdue_problems"] = (counts[code]["overdue_problems"] or 0) if code in counts else 0
        e["last_visit"] = last.get(code)
        e["visit_due_on"] = visit_due(e["last_visit"], pairing["started_at"] if pairing else None)
        e["visit_overdue"] = bool(e["visit_due_on"] and e["visit_due_on"] < today.isoformat())
        out.append(e)
    return out
