"""Ledger connections reused across requests (the API's per-request connection).

Opening a connection costs far more than most of the API's queries (migration check, pragmas), so
the API borrows one from a pool per request and returns it afterwards. A connection is only ever
used by one request at a time; one returned inside an open transaction is rolled back first, and
the pool keeps at most ``max_idle`` idle connections per ledger file.
"""
from __future__ import annotations

import threading
from pathlib import Path

import sqlite_utils

from huiqi.settings import Settings, get_settings
from ledger.db import connect

DEFAULT_MAX_IDLE = 16


class ConnectionPool:
    def __init__(self, path: Path, max_idle: int = DEFAULT_MAX_IDLE):
        self.path = Path(path)
        self.max_idle = max_idle
        self._idle: list[sqlite_utils.Database] = []
        self._lock = threading.Lock()

    def take_idle(self) -> sqlite_utils.Database | None:
        """An idle connection, or None when there is none (never opens one, never waits)."""
        with self._lock:
            return self._idle.pop() if self._idle else None

    def acquire(self, settings: Settings | None = None) -> sqlite_utils.Database:
        db = self.take_idle()
        if db is not None:
            return db
        if not self.path.exists() and settings is not None:
            return connect(settings=settings)  # creates the data dir and the ledger
        return connect(self.path)

    def release(self, db: sqlite_utils.Database) -> None:
        try:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
        except Exception:  # a broken connection is not reused
            db.close()
            return
        with self._lock:
            if len(self._idle) < self.max_idle:
                self._idle.append(db)
                return
        db.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()


_pools: dict[str, ConnectionPool] = {}
_pools_lock = threading.Lock()


def pool_for(settings: Settings | None = None) -> ConnectionPool:
    s = settings or get_settings()
    key = str(s.ledger_path)
    with _pools_lock:
        if key not in _pools:
            _pools[key] = ConnectionPool(s.ledger_path)
        return _pools[key]
