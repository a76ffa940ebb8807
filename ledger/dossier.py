"""一企一档: everything on record for one enterprise, as one JSON-ready document."""
from __future__ import annotations

from datetime import date

import sqlite_utils

from huiqi.settings import Settings
from ledger import clock, events
from ledger.enterprises import get_enterprise
from ledger.pairings import current_official, history
from ledger.problems import describe, for_business as problem_for_business
from ledger.pushes import list_pushes, opted_out
from ledger.visits import list_visits


def dossier(db: sqlite_utils.Database, credit_code: str, *, today: date | None = None,
            settings: Settings | None = None, for_business: bool = False) -> dict:
    """Profile, pairing history, problems with their events, visits, pushes and other records.
    Visibility is the caller's job (ledger.access.require_enterprise); ``for_business`` leaves out
    internal working records when the enterprise itself reads its dossier."""
    enterprise = get_enterprise(db, credit_code)
    code = enterprise["credit_code"]
    today = today or clock.day_of(clock.now())
    official = current_official(db, code)
    by_problem: dict[int, list] = {}
    for ev in events.for_enterprise(db, code):
        by_problem.setdefault(ev["problem_id"], []).append(ev)
    cache: dict = {}
    problems = []
    for row in db.query("SELECT * FROM problems WHERE credit_code = ? ORDER BY filed_at, id", [code]):
        item = describe(db, row, today=today, settings=settings, staff_cache=cache)
        item["events"] = by_problem.get(row["id"], [])
        problems.append(item)
    if for_business:
        problems = [problem_for_business(p) for p in problems]
        by_problem[None] = events.for_enterprise_eyes(by_problem.get(None, []))
    return {
        "generated_at": clock.iso(clock.now()),
        "profile": enterprise,
        "official": official,
        "pairings": history(db, code),
        "problems": problems,
        "visits": list_visits(db, code),
        "pushes": list_pushes(db, code),
        "opt_outs": sorted(opted_out(db, code)),
        "events": by_problem.get(None, []),
    }
