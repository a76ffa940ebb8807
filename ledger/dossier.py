"""一企一档: everything on record for one enterprise, as one JSON-ready document."""
from __future__ import annotations

from datetime import date

import sqlite_utils

from huiqi.settings import Settings
from ledger import clock, events
from ledger.access import enterprise_scope, problem_scope
from ledger.actors import Actor
from ledger.enterprises import get_enterprise, list_enterprises
from ledger.pairings import current_official, history
from ledger.problems import OPEN_STATUSES, describe_rows, for_business as problem_for_business
from ledger.pushes import list_pushes, opted_out
from ledger.visits import list_visits


def dossier(db: sqlite_utils.Database, credit_code: str, *, today: date | None = None,
            settings: Settings | None = None, for_business: bool = False, viewer: Actor | None = None) -> dict:
    """Profile, pairing history, problems with their events, visits, pushes and other records.
    Visibility is the caller's job (ledger.access.require_enterprise); ``for_business`` leaves out
    internal working records when the enterprise itself reads its dossier.

    Staff also get ``claimed_problems``: problems of anonymous claimants who said this is their
    company's credit code. They are unverified, so they are listed apart (not in ``problems``, not
    counted as the enterprise's), and only those the ``viewer`` may see anyway (all without one)."""
    enterprise = get_enterprise(db, credit_code)
    code = enterprise["credit_code"]
    today = today or clock.day_of(clock.now())
    official = current_official(db, code)
    by_problem: dict[int, list] = {}
    for ev in events.for_enterprise(db, code):
        by_problem.setdefault(ev["problem_id"], []).append(ev)
    cache: dict = {}
    problems = describe_rows(db, "SELECT * FROM problems WHERE credit_code = ? ORDER BY filed_at, id", [code],
                             today=today, settings=settings, staff_cache=cache)
    for item in problems:
        item["events"] = by_problem.get(item["id"], [])
    if for_business:
        problems = [problem_for_business(p) for p in problems]
        by_problem[None] = events.for_enterprise_eyes(by_problem.get(None, []))
    extra = {} if for_business else {"claimed_problems": claimed_problems(db, code, viewer, today, settings, cache)}
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
        **extra,
    }


def claimed_problems(db: sqlite_utils.Database, code: str, viewer: Actor | None, today: date,
                     settings: Settings | None, cache: dict) -> list[dict]:
    """Problems filed without a log-in whose claimant gave ``code`` as their company's (未核验)."""
    cond, args = problem_scope(viewer) if viewer is not None else ("1 = 1", [])
    return describe_rows(db, f"SELECT p.* FROM problems p WHERE p.credit_code IS NULL AND p.claimed_credit_code = ?"
                             f" AND {cond} ORDER BY p.filed_at, p.id", [code, *args],
                         today=today, settings=settings, staff_cache=cache)


def enterprise_overview(db: sqlite_utils.Database, actor: Actor) -> list[dict]:
    """The enterprises the actor may see, each with its current official and its number of open problems."""
    cond, args = enterprise_scope(actor)
    codes = [r[0] for r in db.execute(f"SELECT credit_code FROM enterprises WHERE {cond}", args).fetchall()]
    marks = ",".join("?" * len(OPEN_STATUSES))
    open_counts = dict(db.execute(
        f"SELECT credit_code, count(*) FROM problems WHERE status IN ({marks}) AND credit_code IS NOT NULL"
        " GROUP BY credit_code", list(OPEN_STATUSES)).fetchall())
    out = []
    for e in list_enterprises(db, codes):
        official = current_official(db, e["credit_code"])
        e["official"] = {k: official[k] for k in ("login", "name", "office")} if official else None
        e["open_problems"] = open_counts.get(e["credit_code"], 0)
        out.append(e)
    return out
