"""Console speed: the API time each console (工作台) page spends on its data before it can be used,
over the ledger bench's synthetic 1,000 enterprises and 50,000 problems, against the 1 s budget, beside
the raw SQLite time of the page's main query in the same run.

A page's load is its API calls in the order the page makes them (vocabulary and counts are made once
per session; they are counted on every page here, so the numbers are an upper bound). Browser render
time is not included.

    .venv/bin/python bench/bench_console.py [--enterprises 1000] [--problems 50000] [--requests 30]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ledger import build, line, pct, timed  # noqa: E402

BUDGET_MS = 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=1000)
    ap.add_argument("--problems", type=int, default=50000)
    ap.add_argument("--requests", type=int, default=30)
    args = ap.parse_args()
    os.environ["HUIQI_DATA_DIR"] = tempfile.mkdtemp(prefix="huiqi-bench-console-")
    from huiqi.settings import get_settings
    get_settings.cache_clear()
    from fastapi.testclient import TestClient

    from api.app import create_app
    from ledger.db import connect

    db = connect()
    t0 = time.perf_counter()
    info = build(db, args.enterprises, args.problems, random.Random(2026))
    print(f"synthetic ledger: {args.enterprises} enterprises, {args.problems} problems, built in "
          f"{time.perf_counter() - t0:.1f} s; official {info['login']} has {len(info['codes'])} enterprises")
    client = TestClient(create_app())

    def session(login):
        tok = client.post("/api/v1/auth/token", data={"username": login, "password": "Bench@2026"}).json()
        return {"Authorization": f"Bearer {tok['access_token']}"}

    cadre, leader = session(info["login"]), session("leader0")
    code = info["codes"][0]
    ticket = client.get("/api/v1/problems", params={"open": True}, headers=cadre).json()[0]["ticket_no"]

    def page(headers, *paths):
        def load():
            for path, params in paths:
                r = client.get(path, params=params, headers=headers)
                assert r.status_code == 200, (path, r.status_code, r.text[:200])
        return load

    common = [("/api/v1/workbench/vocabulary", None), ("/api/v1/workbench/counts", None)]
    pages = {
        "page 我的诉求 (cadre)": page(cadre, *common, ("/api/v1/problems", {"open": True, "limit": 1000})),
        "page 诉求详情 (cadre)": page(cadre, *common, (f"/api/v1/problems/{ticket}", None),
                                  (f"/api/v1/workbench/problems/{ticket}/actions", None)),
        "page 我的企业 (cadre)": page(cadre, *common, ("/api/v1/workbench/enterprises", None)),
        "page 企业档案 (cadre)": page(cadre, *common, (f"/api/v1/enterprises/{code}/dossier", None)),
        "page 我的诉求 (leader, office-wide)": page(leader, *common, ("/api/v1/problems", {"open": True, "limit": 1000})),
        "page 驾驶舱 (leader)": page(leader, *common, ("/api/v1/workbench/dashboard", None)),
    }
    sid = info["staff_id"]
    raw_open = ("SELECT p.*, e.name FROM problems p LEFT JOIN enterprises e ON e.credit_code = p.credit_code"
                " WHERE (p.assignee_id = ? OR p.credit_code IN (SELECT credit_code FROM pairings WHERE staff_id = ?"
                " AND ended_at IS NULL)) AND p.status IN ('received','assigned','in_progress','reopened')"
                " ORDER BY p.due_on LIMIT 1000")
    baseline = {"raw SQLite: my open problems (baseline)": lambda: db.execute(raw_open, [sid, sid]).fetchall(),
                "raw SQLite: stats group-bys (baseline)": lambda: [
                    db.execute(f"SELECT {c}, count(*) FROM problems GROUP BY {c}").fetchall()
                    for c in ("status", "category", "office", "rating")]}
    print()
    worst = 0.0
    for name, fn in {**baseline, **pages}.items():
        fn()
        ms = timed(fn, args.requests)
        line(name, ms)
        if name.startswith("page"):
            worst = max(worst, pct(ms, 95))
    print(f"\nslowest page p95: {worst:.0f} ms against the {BUDGET_MS} ms budget: "
          f"{'within' if worst <= BUDGET_MS else 'OVER'}")


if __name__ == "__main__":
    main()
