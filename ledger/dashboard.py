"""驾驶舱: what the leaders' dashboard shows of the ledger. The headline numbers are
``ledger.stats.statistics`` itself (so they equal ``GET /api/v1/stats``); this adds problems over time
by status, pairing coverage and which measures have pushes (their funnels come from the policy side)."""
from __future__ import annotations

import sqlite_utils

from ledger.pairings import coverage
from ledger.problems import STATUS_LABELS
from ledger.stats import statistics


def problems_by_week(db: sqlite_utils.Database) -> dict:
    """Problems filed per week (Monday of the filing week), split by their current status."""
    rows = list(db.query("SELECT date(substr(filed_at, 1, 10), '-6 days', 'weekday 1') AS week, status, count(*) AS n"
                         " FROM problems GROUP BY week, status ORDER BY week"))
    weeks = sorted({r["week"] for r in rows})
    series = {s: [0] * len(weeks) for s in STATUS_LABELS}
    for r in rows:
        series[r["status"]][weeks.index(r["week"])] = r["n"]
    return {"weeks": weeks, "series": series, "labels": STATUS_LABELS}


def pushed_measures(db: sqlite_utils.Database) -> list[str]:
    """Measures that have at least one push, most pushed first."""
    return [r["measure_id"] for r in db.query(
        "SELECT measure_id, count(*) AS n FROM pushes GROUP BY measure_id ORDER BY n DESC, measure_id")]


def dashboard(db: sqlite_utils.Database) -> dict:
    cover = coverage(db)
    return {"stats": statistics(db), "timeline": problems_by_week(db),
            "coverage": {"enterprises": cover["enterprises"], "paired": cover["paired"],
                         "unpaired": len(cover["unpaired"]), "coverage_rate": cover["coverage_rate"]}}
