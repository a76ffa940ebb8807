"""200 threads, each with its own connection, file at once: 200 distinct tickets, nothing lost."""
import random
import threading
from datetime import datetime

from huiqi.settings import Settings
from ledger import credit_code as cc, enterprises, problems
from ledger.actors import SYSTEM
from ledger.clock import TZ
from ledger.db import connect

N = int(__import__("os").environ.get("N_FILERS", 200))


def test_200_concurrent_filings(tmp_path):
    s = Settings(data_dir=tmp_path)
    db = connect(settings=s)
    code = enterprises.create_enterprise(db, SYSTEM, credit_code=cc.generate("620102", random.Random(3)),
                                         name="并发测试运输有限公司", industry="道路货运", size="小",
                                         region="甘肃省/兰州市")["credit_code"]
    db.close()
    when = datetime(2026, 11, 23, 10, tzinfo=TZ)
    start = threading.Barrier(N, timeout=60)
    tickets, errors = [], []
    lock = threading.Lock()

    def worker(i):
        conn = connect(settings=s)
        try:
            start.wait()
            got = problems.file_problem(conn, credit_code=code, category="其他", description=f"并发提交的诉求第{i}号",
                                        now=when, settings=s)
            with lock:
                tickets.append((i, got["ticket_no"]))
        except Exception as exc:  # pragma: no cover - reported below
            with lock:
                errors.append(repr(exc))
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(t for _, t in tickets)
    assert len(set(numbers)) == N
    assert numbers == [f"HQ-20261123-{n:04d}" for n in range(1, N + 1)]
    db = connect(settings=s)
    rows = {r["description"]: r["ticket_no"] for r in db.query("SELECT description, ticket_no FROM problems")}
    assert len(rows) == N and all(rows[f"并发提交的诉求第{i}号"] == t for i, t in tickets)
    assert db.execute("SELECT count(*) FROM events WHERE type = 'filed'").fetchone()[0] == N
