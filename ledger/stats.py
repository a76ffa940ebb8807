"""Statistics for admins: counts by status / category / office, overdue rate, mean handling days,
satisfaction rate."""
from __future__ import annotations

from datetime import date, datetime

import sqlite_utils

from ledger import clock
from ledger.problems import OPEN_STATUSES, STATUS_LABELS


def _counts(db, column: str) -> dict[str, int]:
    return {r["k"]: r["n"] for r in db.query(f"SELECT {column} AS k, count(*) AS n FROM problems GROUP BY {column}")}


def statistics(db: sqlite_utils.Database, today: date | None = None) -> dict:
    today = today or clock.day_of(clock.now())
    marks = ",".join("?" * len(OPEN_STATUSES))
    total = db.execute("SELECT count(*) FROM problems").fetchone()[0]
    open_n = db.execute(f"SELECT count(*) FROM problems WHERE status IN ({marks})", OPEN_STATUSES).fetchone()[0]
    overdue_n = db.execute(f"SELECT count(*) FROM problems WHERE status IN ({marks}) AND due_on < ?",
                           [*OPEN_STATUSES, today.isoformat()]).fetchone()[0]
    # Replied late: answered after the due date (counts towards the overdue rate of all problems).
    late_replied = db.execute("SELECT count(*) FROM problems WHERE replied_at IS NOT NULL AND substr(replied_at, 1, 10)"
                              " > due_on").fetchone()[0]
    spans = [(datetime.fromisoformat(r["replied_at"]) - datetime.fromisoformat(r["filed_at"])).total_seconds() / 86400
             for r in db.query("SELECT filed_at, replied_at FROM problems WHERE replied_at IS NOT NULL")]
    rated = _counts(db, "rating")
    rated.pop(None, None)
    rated_total = sum(rated.values())
    by_status = {k: 0 for k in STATUS_LABELS}
    by_status.update(_counts(db, "status"))
    return {
        "date": today.isoformat(),
        "total": total,
        "open": open_n,
        "overdue_open": overdue_n,
        "by_status": by_status,
        "by_category": _counts(db, "category"),
        "by_office": _counts(db, "office"),
        "overdue_rate": round((overdue_n + late_replied) / total, 4) if total else 0.0,
        "mean_handling_days": round(sum(spans) / len(spans), 2) if spans else None,
        "ratings": rated,
        "satisfaction_rate": round((rated.get("满意", 0) + rated.get("基本满意", 0)) / rated_total, 4)
        if rated_total else None,
    }
