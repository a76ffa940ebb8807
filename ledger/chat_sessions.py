"""Which enterprise has an open chat conversation: Rasa sender id ↔ credit code, last seen.

The chat actions call ``touch`` whenever a message comes from a logged-in enterprise (its token
verified), so the push engine can deliver a new push at once into that conversation. A session is
open while it was seen within ``idle_minutes`` and not closed (log-out, hand-over to a person).

The table is created here when missing (``CREATE TABLE IF NOT EXISTS``), so this module works on
any ledger; the same statement can be appended to ``ledger.schema.MIGRATIONS`` as its own
migration without conflict. Rows are working state, not records: ``touch`` updates them.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlite_utils

from huiqi.errors import Invalid, NotFound
from ledger import auth_sessions, clock
from ledger.db import transaction
from ledger.enterprises import get_enterprise

DEFAULT_IDLE_MINUTES = 60

DDL = (
    """CREATE TABLE IF NOT EXISTS chat_sessions (
        sender_id TEXT PRIMARY KEY,
        credit_code TEXT NOT NULL REFERENCES enterprises(credit_code),
        opened_at TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        closed_at TEXT)""",
    "CREATE INDEX IF NOT EXISTS chat_sessions_enterprise ON chat_sessions(credit_code, last_seen)",
)
_ready: set[int] = set()


def ensure_table(db: sqlite_utils.Database) -> None:
    key = id(db.conn)
    if key in _ready and "chat_sessions" in db.table_names():
        return
    with transaction(db):
        for sql in DDL:
            db.execute(sql)
    _ready.add(key)


def touch(db: sqlite_utils.Database, sender_id: str, credit_code: str, now: datetime | None = None) -> None:
    """Record that ``credit_code`` is talking in conversation ``sender_id`` now (opens or re-opens it)."""
    if not (sender_id or "").strip():
        raise Invalid("SENDER_REQUIRED", "缺少会话编号，无法登记对话。", field="sender_id")
    ensure_table(db)
    stamp = clock.iso(now or clock.now())
    with transaction(db):
        db.execute(
            "INSERT INTO chat_sessions (sender_id, credit_code, opened_at, last_seen) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(sender_id) DO UPDATE SET credit_code = excluded.credit_code, last_seen = excluded.last_seen, "
            "closed_at = NULL, opened_at = CASE WHEN chat_sessions.closed_at IS NOT NULL "
            "OR chat_sessions.credit_code != excluded.credit_code THEN excluded.opened_at ELSE chat_sessions.opened_at END",
            [sender_id, credit_code, stamp, stamp])


def speak_for(db: sqlite_utils.Database, sender_id: str, claims: dict) -> dict | None:
    """The enterprise a verified token speaks for in conversation ``sender_id``, with the conversation
    marked open; None when the token's session has ended or the enterprise is inactive.

    The check and the mark are one write transaction, and so is ``log_out``: a turn still in flight when
    the business logs out cannot re-open the conversation after the log-out closed it."""
    with transaction(db):
        if not auth_sessions.token_is_live(db, claims):
            return None
        row = get_enterprise(db, claims["sub"])  # NotFound: no such enterprise (any more)
        if not row.get("active", True):
            return None
        if (sender_id or "").strip():
            touch(db, sender_id, row["credit_code"])
    return row


def speak_for_digest(db: sqlite_utils.Database, sender_id: str, digest: str) -> dict | None:
    """``speak_for`` the enterprise whose log-in token has this digest (the chat keeps digests, not tokens);
    None for an unknown digest, an expired session or a staff log-in."""
    session = auth_sessions.by_digest(db, digest)
    if session is None or session["expired"] or session["kind"] != auth_sessions.ENTERPRISE:
        return None
    return speak_for(db, sender_id, auth_sessions.claims_of(session))


def login_lapsed(db: sqlite_utils.Database, digest: str) -> bool:
    """The conversation's log-in has run out of time, or its token was never issued by us."""
    session = auth_sessions.by_digest(db, digest)
    return session is None or session["expired"]


def log_out(db: sqlite_utils.Database, sender_id: str, claims: dict) -> bool:
    """The business logs out of conversation ``sender_id``: its token's session ends, and the conversation
    closes (no more pushes, no more acting as the business). False when it was already closed."""
    with transaction(db):
        auth_sessions.end(db, claims.get("sid"), "logout")
        owned = enterprise_of(db, sender_id) == claims.get("sub")
        closed = close(db, sender_id) if owned else False
    if not owned:
        raise NotFound("CHAT_SESSION_NOT_FOUND", "未找到该对话，可能已经结束。")
    return closed


def close(db: sqlite_utils.Database, sender_id: str, now: datetime | None = None) -> bool:
    """End the session (log-out); False when there was no open one."""
    ensure_table(db)
    with transaction(db):
        cur = db.execute("UPDATE chat_sessions SET closed_at = ? WHERE sender_id = ? AND closed_at IS NULL",
                         [clock.iso(now or clock.now()), sender_id])
    return cur.rowcount > 0


def open_sessions(db: sqlite_utils.Database, credit_codes: list[str] | None = None, *,
                  idle_minutes: int = DEFAULT_IDLE_MINUTES, now: datetime | None = None) -> dict[str, str]:
    """credit code → sender id of its most recently seen open conversation."""
    ensure_table(db)
    since = clock.iso((now or clock.now()) - timedelta(minutes=idle_minutes))
    sql = "SELECT credit_code, sender_id, last_seen FROM chat_sessions WHERE closed_at IS NULL AND last_seen >= ?"
    args: list = [since]
    out: dict[str, tuple[str, str]] = {}
    codes = None if credit_codes is None else list(dict.fromkeys(credit_codes))
    chunks = [None] if codes is None else [codes[i:i + 500] for i in range(0, len(codes), 500)]
    for chunk in chunks:
        q, a = sql, list(args)
        if chunk is not None:
            q += f" AND credit_code IN ({','.join('?' * len(chunk))})"
            a += chunk
        for code, sender, seen in db.execute(q, a).fetchall():
            if code not in out or seen > out[code][1]:
                out[code] = (sender, seen)
    return {code: sender for code, (sender, _) in out.items()}


def enterprise_of(db: sqlite_utils.Database, sender_id: str) -> str | None:
    """The enterprise bound to a conversation (open or not), or None."""
    ensure_table(db)
    row = db.execute("SELECT credit_code FROM chat_sessions WHERE sender_id = ?", [sender_id]).fetchone()
    return row[0] if row else None
