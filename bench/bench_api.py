"""API throughput over HTTP: "my open problems" and the dossier at N concurrent clients (default 4),
through the API started exactly as the supervisor starts it (``huiqi.services.api_command``: uvicorn with
``HUIQI_API_WORKERS`` worker processes) on the configured API port (``HUIQI_API_PORT``), beside the same
queries in raw SQLite at the same concurrency, in the same run, on the synthetic ledger of bench_ledger.py
(1,000 enterprises, 50,000 problems). Target (#18): ≥ 300 requests/s for each API line.

Each API line also prints the server's CPU time per request (all its processes, from /proc): on a shared
machine requests/s follow the load of others, CPU per request much less; and this client's own CPU per request.

The clients are the standard library's ``http.client`` on one keep-alive connection each (as a browser keeps
one), reading the whole body. The clients run on the same two cores as the server, so their cost is taken
from the server's: httpx cost 0.76 ms of CPU per 185 KB answer, ``http.client`` 0.15 ms (measured on this
machine), for the same bytes read.

    .venv/bin/python bench/bench_api.py [--clients 4] [--requests 150] [--enterprises 1000] [--problems 50000]
"""
from __future__ import annotations

import argparse
import http.client
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_ledger import build, pct  # noqa: E402

TARGET = 300.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its children (the uvicorn workers), from /proc."""
    total = 0
    for p in [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def concurrent(make_call, clients: int, per_client: int) -> tuple[list[float], float]:
    """Run ``per_client`` calls in each of ``clients`` threads (each with its own state from
    ``make_call()``); returns every latency (ms) and the total requests/s."""
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def worker():
        call = make_call()
        call()  # warm this client's connection
        mine = []
        barrier.wait()
        for _ in range(per_client):
            t0 = time.perf_counter()
            call()
            mine.append((time.perf_counter() - t0) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    return latencies, len(latencies) / (time.perf_counter() - start)


def line(name: str, ms: list[float], rps: float, target: float | None = None, cpu_ms: float | None = None,
         client_ms: float | None = None) -> None:
    mark = "" if target is None else ("  (target ≥ %.0f: %s)" % (target, "met" if rps >= target else "NOT met"))
    cpu = "" if cpu_ms is None else f"   server CPU {cpu_ms:5.2f} ms/req, client {client_ms:4.2f}"
    print(f"{name:<46} p50 {pct(ms, 50):8.2f} ms   p95 {pct(ms, 95):8.2f} ms   {rps:8.1f} req/s{cpu}{mark}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--requests", type=int, default=150, help="requests per client and line")
    ap.add_argument("--enterprises", type=int, default=1000)
    ap.add_argument("--problems", type=int, default=50000)
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="huiqi-bench-api-")
    os.environ["HUIQI_DATA_DIR"] = data
    from huiqi.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    import httpx

    from huiqi.services import api_command
    from ledger.db import connect

    db = connect()
    info = build(db, args.enterprises, args.problems, random.Random(2026))
    db.close()
    sid, code = info["staff_id"], info["codes"][0]
    command = api_command(settings, sys.executable)
    print(f"synthetic ledger: {args.enterprises} enterprises, {args.problems} problems; official {info['login']} "
          f"({len(info['codes'])} enterprises); {args.clients} concurrent clients × {args.requests} requests per line")
    print("API started as the supervisor starts it:", " ".join(command[1:]))
    server_log = open(Path(data) / "api.log", "wb")  # uvicorn's access log, as in the service's log file
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                              stdout=server_log, stderr=subprocess.STDOUT)
    base = f"http://{settings.host}:{settings.api_port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise SystemExit(f"the API did not start on {base}")
        for _ in range(300):  # every worker process up, not only the first
            if (Path(data) / "api.log").read_bytes().count(b"Application startup complete") >= settings.api_workers:
                break
            time.sleep(0.2)
        tok = httpx.post(base + "/api/v1/auth/token", data={"username": info["login"], "password": "Bench@2026"}).json()
        headers = {"Authorization": f"Bearer {tok['access_token']}"}

        def api(path, params=None):
            target = path + (f"?{urlencode(params)}" if params else "")

            def make():
                conn = http.client.HTTPConnection(settings.host, settings.api_port, timeout=60)  # keep-alive

                def call():
                    conn.request("GET", target, headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    if response.status != 200 or not body:
                        raise SystemExit(f"GET {target}: HTTP {response.status}")
                return call
            return make

        marks = "'received','assigned','in_progress','reopened'"
        raw_open = (f"SELECT p.*, e.name FROM problems p LEFT JOIN enterprises e ON e.credit_code = p.credit_code"
                    f" WHERE (p.assignee_id = ? OR p.credit_code IN (SELECT credit_code FROM pairings"
                    f" WHERE staff_id = ? AND ended_at IS NULL)) AND p.status IN ({marks}) ORDER BY p.due_on LIMIT 200")

        def raw(fn):
            def make():
                conn = sqlite3.connect(str(settings.ledger_path), check_same_thread=False)
                return lambda: fn(conn)
            return make

        lines = [
            ("raw SQLite: my open problems", raw(lambda c: c.execute(raw_open, [sid, sid]).fetchall()), None),
            ("API GET /problems?open=true (HTTP)", api("/api/v1/problems", {"open": "true"}), TARGET),
            ("raw SQLite: dossier (profile, problems, events)", raw(lambda c: (
                c.execute("SELECT * FROM enterprises WHERE credit_code = ?", [code]).fetchall(),
                c.execute("SELECT * FROM problems WHERE credit_code = ? ORDER BY filed_at", [code]).fetchall(),
                c.execute("SELECT * FROM events WHERE credit_code = ? ORDER BY id", [code]).fetchall())), None),
            ("API GET /enterprises/{code}/dossier (HTTP)", api(f"/api/v1/enterprises/{code}/dossier"), TARGET),
            ("API GET /healthz (HTTP floor: no ledger work)", api("/healthz"), None),
        ]
        for name, make, target in lines:
            over_http = name.startswith("API")
            before, own = (cpu_seconds(server.pid) if over_http else 0.0), time.process_time()
            ms, rps = concurrent(make, args.clients, args.requests)
            calls = len(ms) + args.clients  # + warm-ups
            cpu_ms = (cpu_seconds(server.pid) - before) * 1000 / calls if over_http else None
            line(name, ms, rps, target, cpu_ms, (time.process_time() - own) * 1000 / calls if over_http else None)
    finally:
        server.terminate()
        server.wait(timeout=20)
        server_log.close()


if __name__ == "__main__":
    main()
