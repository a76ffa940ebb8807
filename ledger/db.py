"""Connection to the ledger: WAL, foreign keys, busy timeout, versioned migrations in code."""
from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Callable, Iterable, Iterator

import sqlite_utils

from huiqi.settings import Settings, get_settings
from ledger.schema import MIGRATIONS

BUSY_TIMEOUT_MS = 30_000
# FULL, not NORMAL: under WAL, NORMAL may lose the last commits on a power cut or an OS crash, and a
# ticket number told to a business must survive both. The cost is one fsync of the WAL per commit
# (bench/bench_ledger.py prints filing throughput).
SYNCHRONOUS = "FULL"
FILE_MODE = 0o600  # the ledger holds personal data: owner only (SQLite gives -wal/-shm the same mode)


def connect(path: str | Path | None = None, settings: Settings | None = None) -> sqlite_utils.Database:
    """Open the ledger (creating and migrating it when needed). One connection per thread/request."""
    if path is None:
        s = settings or get_settings()
        path = s.ledger_path
        if not path.exists():
            s.ensure_data_dir()
    new = not Path(path).exists()
    if new and str(path) != ":memory:":
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
    conn.execute("PRAGMA foreign_keys = ON")
    db = sqlite_utils.Database(conn)
    migrate(db)
    return db


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> int:
    """Apply the migrations not yet applied, each in its own write transaction."""
    if schema_version(db) >= len(MIGRATIONS):
        return schema_version(db)
    for number, statements in enumerate(MIGRATIONS, start=1):
        with transaction(db):
            if schema_version(db) >= number:  # another process got there first
                continue
            for step in statements:
                if callable(step):  # a data step that SQL alone cannot express
                    step(db)
                else:
                    db.execute(step)
            db.execute(f"PRAGMA user_version = {number}")
    return schema_version(db)


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A write transaction taken up front (BEGIN IMMEDIATE); nested calls join the outer one."""
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def ensure_tables(db: sqlite_utils.Database, name: str, ddl: Iterable[str],
                  migrate: Callable[[sqlite_utils.Database], None] | None = None) -> None:
    """Create working-state tables that are not in the numbered schema (``CREATE ... IF NOT EXISTS`` statements in
    ``ddl``, then ``migrate`` for columns added later), once per connection object: pooled ones live long."""
    flag = f"_{name}_ready"
    if getattr(db, flag, False):
        return
    with transaction(db):
        for sql in ddl:
            db.execute(sql)
        if migrate is not None:
            migrate(db)
    setattr(db, flag, True)


def insert(db: sqlite_utils.Database, table: str, row: dict) -> int:
    """Insert one row inside the current transaction; returns its rowid."""
    cols = ", ".join(f"[{c}]" for c in row)
    marks = ", ".join("?" for _ in row)
    return db.execute(f"INSERT INTO [{table}] ({cols}) VALUES ({marks})", list(row.values())).lastrowid


def update(db: sqlite_utils.Database, table: str, key: str, value, changes: dict) -> None:
    if not changes:
        return
    sets = ", ".join(f"[{c}] = ?" for c in changes)
    db.execute(f"UPDATE [{table}] SET {sets} WHERE [{key}] = ?", [*changes.values(), value])


def rows(db: sqlite_utils.Database, sql: str, params=()) -> list[dict]:
    """All rows of a query as new dicts, built in one pass over ``fetchall`` (sqlite-utils' ``query`` yields them
    one by one through a generator: a third of the time of a 200-row list)."""
    cursor = db.execute(sql, params)
    keys = [d[0] for d in cursor.description]
    return [dict(zip(keys, row)) for row in cursor.fetchall()]


def one(db: sqlite_utils.Database, sql: str, params=()) -> dict | None:
    rows = list(db.query(sql, params))
    return rows[0] if rows else None
