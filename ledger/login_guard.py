"""Log-in throttling: too many failed log-ins lock the account, and the address they come from,
for a while; each lock-out is recorded in the event log (who, from where, until when).

Failures are counted in the ledger (table ``login_failures``, a moving window), so every API worker
process sees the same counts and a restart does not reset them. Only failures count; a successful
log-in clears the account's count. A locked account is refused before its password is checked, so
guessing on stops. The table is created on first use (``CREATE TABLE IF NOT EXISTS``, as
``ledger.auth_sessions`` does); rows older than the window are deleted as new ones come in.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlite_utils

from ledger import events
from ledger.actors import SYSTEM
from ledger.db import ensure_tables, transaction

ACCOUNT_FAILURES = 5     # per account and window
ADDRESS_FAILURES = 20    # per client address and window
WINDOW_MINUTES = 15
LOCKOUT_EVENT = "login_lockout"
DDL = (
    "CREATE TABLE IF NOT EXISTS login_failures (scope TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures(scope, key, at)",
)


@dataclass(frozen=True)
class Lockout:
    retry_at: float  # epoch seconds
    scope: str       # "account" or "address"

    @property
    def retry_after(self) -> int:
        return max(1, int(self.retry_at - time.time()) + 1)

    def message(self) -> str:
        local = datetime.fromtimestamp(self.retry_at, tz=timezone.utc).astimezone()
        minutes = max(1, round(self.retry_after / 60))
        who = "该账号" if self.scope == "account" else "您所在的网络地址"
        return (f"登录失败次数过多，{who}已暂时锁定。请在 {local:%H:%M} 之后（约 {minutes} 分钟后）再试；"
                "如忘记密码，请联系管理员重置。")


def _ensure_table(db: sqlite_utils.Database) -> None:
    ensure_tables(db, "login_failures", DDL)


class LoginGuard:
    def __init__(self, account_failures: int = ACCOUNT_FAILURES, address_failures: int = ADDRESS_FAILURES,
                 window_minutes: int = WINDOW_MINUTES):
        self.limits = {"account": account_failures, "address": address_failures}
        self.window_s = window_minutes * 60

    def _locked(self, db: sqlite_utils.Database, scope: str, key: str, now: float) -> Lockout | None:
        """Locked while the window holds ``limit`` failures; until the oldest of the latest ``limit`` ages out."""
        limit = self.limits[scope]
        rows = db.execute("SELECT at FROM login_failures WHERE scope = ? AND key = ? AND at > ? ORDER BY at DESC"
                          " LIMIT ?", [scope, key, now - self.window_s, limit]).fetchall()
        return Lockout(rows[-1][0] + self.window_s, scope) if len(rows) >= limit else None

    def check(self, db: sqlite_utils.Database, account: str, address: str) -> Lockout | None:
        """The lock-out in force for this account or address, or None when a log-in may be tried."""
        _ensure_table(db)
        now = time.time()
        return self._locked(db, "account", account, now) or self._locked(db, "address", address, now)

    def failed(self, db: sqlite_utils.Database, account: str, address: str, kind: str) -> Lockout | None:
        """Count a failed log-in; when it locks the account or address, record the lock-out and return it."""
        _ensure_table(db)
        now = time.time()
        with transaction(db):
            db.execute("DELETE FROM login_failures WHERE at <= ?", [now - self.window_s])
            db.conn.executemany("INSERT INTO login_failures (scope, key, at) VALUES (?, ?, ?)",
                                [("account", account, now), ("address", address, now)])
            lock = self._locked(db, "account", account, now) or self._locked(db, "address", address, now)
            if lock is not None:
                until = datetime.fromtimestamp(lock.retry_at, tz=timezone.utc).astimezone().isoformat(timespec="seconds")
                events.record(db, SYSTEM, LOCKOUT_EVENT, to_value=account,
                              note=f"{kind}登录连续失败，{'账号' if lock.scope == 'account' else '来源地址'}锁定至 {until}"
                                   f"（账号 {account}，来源地址 {address}）")
        return lock

    def succeeded(self, db: sqlite_utils.Database, account: str) -> None:
        _ensure_table(db)
        with transaction(db):
            db.execute("DELETE FROM login_failures WHERE scope = 'account' AND key = ?", [account])
