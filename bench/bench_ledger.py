"""Ledger speed: staff API p50/p95 and requests/s for "my open problems" and "dossier" over 1,000
enterprises and 50,000 synthetic problems, beside the raw SQLite time of the same queries.

    .venv/bin/python bench/bench_ledger.py [--enterprises 1000] [--problems 50000] [--requests 200]
"""
from __future__ import annotations

import argparse
import sys
import json
import os
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def build(db, n_ent: int, n_prob: int, rng: random.Random) -> dict:
    """Synthetic ledger written with executemany inside one transaction."""
    from ledger import credit_code as cc
    from ledger.passwords import hash_password
    from ledger.problems import CATEGORIES, STATUS_LABELS
    stamp = "2026-11-01T09:00:00+08:00"
    pw = hash_password("Bench@2026")
    offices = ["运输服务科", "行政审批科", "综合执法科", "财务审计科", "建设管理科"]
    staff = [("admin", "管理员", "admin", "政策法规科")]
    staff += [(f"leader{i}", f"领导{i}", "leader", offices[i % 5]) for i in range(10)]
    staff += [(f"cadre{i}", f"干部{i}", "cadre", offices[i % 5]) for i in range(50)]
    codes = [cc.generate(f"6201{rng.randint(2, 23):02d}", rng) for _ in range(n_ent)]
    codes = list(dict.fromkeys(codes))
    sizes = [rng.choice("大中中小小小微微") for _ in codes]
    statuses = list(STATUS_LABELS)
    db.execute("BEGIN IMMEDIATE")
    db.conn.executemany("INSERT INTO staff (login, name, role, office, password_hash, active, created_at)"
                        " VALUES (?, ?, ?, ?, ?, 1, ?)", [(*s, pw, stamp) for s in staff])
    ids = {r["login"]: r["id"] for r in db.query("SELECT id, login FROM staff")}
    db.conn.executemany("INSERT INTO enterprises (credit_code, name, industry, size, province, city, county, tags,"
                        " created_at, updated_at) VALUES (?, ?, '道路货运', ?, '甘肃省', '兰州市', '城关区', '[]', ?, ?)",
                        [(c, f"合成企业{i}", s, stamp, stamp) for i, (c, s) in enumerate(zip(codes, sizes))])
    pairs = [(c, ids[f"leader{i % 10}"] if s == "大" else ids[f"cadre{i % 50}"], stamp, "bench")
             for i, (c, s) in enumerate(zip(codes, sizes))]
    db.conn.executemany("INSERT INTO pairings (credit_code, staff_id, started_at, started_by) VALUES (?, ?, ?, ?)", pairs)
    owner = {c: sid for c, sid, *_ in pairs}
    rows, evs = [], []
    base = date(2026, 6, 1)
    for i in range(n_prob):
        c = codes[rng.randrange(len(codes))]
        filed = base + timedelta(days=rng.randrange(170))
        st = rng.choices(statuses, weights=[2, 10, 10, 8, 30, 35, 5])[0]
        due = (filed + timedelta(days=rng.choice([5, 9, 19]))).isoformat()
        t = f"HQ-{filed:%Y%m%d}-{i:05d}"
        rows.append((t, c, rng.choice(CATEGORIES), rng.choice(["consultation", "help", "complaint"]),
                     f"合成诉求描述第{i}号，关于道路运输证办理", "chat", st, owner[c], offices[i % 5],
                     f"{filed.isoformat()}T10:00:00+08:00", due, stamp))
    db.conn.executemany("INSERT INTO problems (ticket_no, credit_code, category, kind, description, channel, status,"
                        " assignee_id, office, filed_at, due_on, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    for pid, t, c, st, filed in db.execute("SELECT id, ticket_no, credit_code, status, filed_at FROM problems"):
        evs.append((filed, "filed", c, "enterprise", c, c, pid, None, "received", "受理", "{}"))
        evs.append((filed, "assign", "system", "system", "系统", c, pid, None, "cadre", "交办", "{}"))
        if st not in ("received", "assigned"):
            evs.append((filed, "status", "cadre", "cadre", "干部", c, pid, "assigned", st, "办理", "{}"))
    db.conn.executemany("INSERT INTO events (at, type, actor, actor_role, actor_name, credit_code, problem_id,"
                        " from_value, to_value, note, changes) VALUES (?,?,?,?,?,?,?,?,?,?,?)", evs)
    db.execute("COMMIT")
    db.execute("ANALYZE")
    busiest = max(set(owner.values()) - {ids[f"leader{i}"] for i in range(10)},
                  key=lambda sid: sum(1 for v in owner.values() if v == sid))
    login = next(k for k, v in ids.items() if v == busiest)
    mine = [c for c, sid in owner.items() if sid == busiest]
    return {"login": login, "staff_id": busiest, "codes": mine, "events": len(evs)}


def timed(fn, n):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def line(name, ms):
    total = sum(ms) / 1000
    print(f"{name:<44} p50 {pct(ms, 50):8.2f} ms   p95 {pct(ms, 95):8.2f} ms   {len(ms) / total:8.1f} req/s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=1000)
    ap.add_argument("--problems", type=int, default=50000)
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="huiqi-bench-")
    os.environ["HUIQI_DATA_DIR"] = data
    from huiqi.settings import get_settings
    get_settings.cache_clear()
    from fastapi.testclient import TestClient

    from api.app import create_app
    from ledger.actors import Actor
    from ledger.db import connect
    from ledger.dossier import dossier
    from ledger.problems import list_problems
    from ledger.staff import get_staff

    rng = random.Random(2026)
    db = connect()
    t0 = time.perf_counter()
    info = build(db, args.enterprises, args.problems, rng)
    print(f"synthetic ledger: {args.enterprises} enterprises, {args.problems} problems, {info['events']} events "
          f"built in {time.perf_counter() - t0:.1f} s; official {info['login']} has {len(info['codes'])} enterprises")
    client = TestClient(create_app())
    tok = client.post("/api/v1/auth/token", data={"username": info["login"], "password": "Bench@2026"}).json()
    h = {"Authorization": f"Bearer {tok['access_token']}"}
    code = info["codes"][0]
    open_n = len(client.get("/api/v1/problems", params={"open": True}, headers=h).json())
    doc_n = len(client.get(f"/api/v1/enterprises/{code}/dossier", headers=h).json()["problems"])
    print(f"my open problems: {open_n} rows; dossier of {code}: {doc_n} problems\n")

    n = args.requests
    sid = info["staff_id"]
    marks = "'received','assigned','in_progress','reopened'"
    raw_open = (f"SELECT p.*, e.name FROM problems p LEFT JOIN enterprises e ON e.credit_code = p.credit_code"
                f" WHERE (p.assignee_id = ? OR p.credit_code IN (SELECT credit_code FROM pairings WHERE staff_id = ?"
                f" AND ended_at IS NULL)) AND p.status IN ({marks}) ORDER BY p.due_on LIMIT 200")
    raw = {
        "raw SQLite: my open problems": lambda: db.execute(raw_open, [sid, sid]).fetchall(),
        "raw SQLite: dossier (problems + events)": lambda: (
            db.execute("SELECT * FROM enterprises WHERE credit_code = ?", [code]).fetchall(),
            db.execute("SELECT * FROM problems WHERE credit_code = ? ORDER BY filed_at", [code]).fetchall(),
            db.execute("SELECT * FROM events WHERE credit_code = ? ORDER BY id", [code]).fetchall()),
    }
    actor = Actor.from_staff({**get_staff(db, info["login"])})
    lib = {
        "ledger functions: my open problems": lambda: list_problems(db, actor, open_only=True),
        "ledger functions: dossier": lambda: dossier(db, code),
    }
    api = {
        "API GET /problems?open=true": lambda: client.get("/api/v1/problems", params={"open": True}, headers=h),
        "API GET /enterprises/{code}/dossier": lambda: client.get(f"/api/v1/enterprises/{code}/dossier", headers=h),
    }
    results = {}
    for group in (raw, lib, api):
        for name, fn in group.items():
            fn()
            ms = timed(fn, n)
            results[name] = {"p50_ms": round(pct(ms, 50), 3), "p95_ms": round(pct(ms, 95), 3),
                             "req_per_s": round(n / (sum(ms) / 1000), 1)}
            line(name, ms)
        print()
    plan = db.execute("EXPLAIN QUERY PLAN " + raw_open, [sid, sid]).fetchall()
    print("query plan (my open problems):", "; ".join(r[3] for r in plan))
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
