"""Log-in throttling: too many failed log-ins lock the account, and the address they come from,
for a while; each lock-out is recorded in the event log (who, from where, until when).

Counting is done by the ``limits`` library (moving window, in memory): a guard belongs to one API
process, and the API runs as one process. Only failures count; a successful log-in clears the
account's count. A locked account is refused before its password is checked, so guessing on stops.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlite_utils
from limits import RateLimitItemPerMinute, storage, strategies

from ledger import events
from ledger.actors import SYSTEM

ACCOUNT_FAILURES = 5     # per account and window
ADDRESS_FAILURES = 20    # per client address and window
WINDOW_MINUTES = 15
LOCKOUT_EVENT = "login_lockout"


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


class LoginGuard:
    def __init__(self, account_failures: int = ACCOUNT_FAILURES, address_failures: int = ADDRESS_FAILURES,
                 window_minutes: int = WINDOW_MINUTES):
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self._account = RateLimitItemPerMinute(account_failures, window_minutes)
        self._address = RateLimitItemPerMinute(address_failures, window_minutes)

    def _locked(self, item, scope: str, key: str) -> Lockout | None:
        if self._limiter.test(item, scope, key):
            return None
        return Lockout(self._limiter.get_window_stats(item, scope, key).reset_time, scope)

    def check(self, account: str, address: str) -> Lockout | None:
        """The lock-out in force for this account or address, or None when a log-in may be tried."""
        return self._locked(self._account, "account", account) or self._locked(self._address, "address", address)

    def failed(self, db: sqlite_utils.Database, account: str, address: str, kind: str) -> Lockout | None:
        """Count a failed log-in; when it locks the account or address, record the lock-out and return it."""
        self._limiter.hit(self._account, "account", account)
        self._limiter.hit(self._address, "address", address)
        lock = self.check(account, address)
        if lock is not None:
            until = datetime.fromtimestamp(lock.retry_at, tz=timezone.utc).astimezone().isoformat(timespec="seconds")
            events.record(db, SYSTEM, LOCKOUT_EVENT, to_value=account,
                          note=f"{kind}登录连续失败，{'账号' if lock.scope == 'account' else '来源地址'}锁定至 {until}"
                               f"（账号 {account}，来源地址 {address}）")
        return lock

    def succeeded(self, account: str) -> None:
        self._limiter.clear(self._account, "account", account)
