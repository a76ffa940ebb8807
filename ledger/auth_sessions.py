"""Log-in sessions behind bearer tokens, so that a token can be ended before it expires.

Every token carries a session id (``sid``). A session ends on log-out, and every session of an
account ends when its password is reset, it is deactivated or (staff) its role changes. A token
whose session has ended is refused by the API and no longer identifies a business in the chat.

The table is created here when missing (``CREATE TABLE IF NOT EXISTS``, as ``ledger.chat_sessions``
does), so no schema migration number is taken; rows are working state, ended sessions are kept.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlite_utils

from huiqi import tokens
from huiqi.settings import Settings
from huiqi.token_digest import token_digest
from ledger import clock
from ledger.db import ensure_tables, transaction

STAFF, ENTERPRISE = "staff", "enterprise"
DDL = (
    """CREATE TABLE IF NOT EXISTS auth_sessions (
        sid TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('staff', 'enterprise')),
        subject TEXT NOT NULL,
        role TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        ended_at TEXT,
        ended_reason TEXT,
        token_digest TEXT)""",
    "CREATE INDEX IF NOT EXISTS auth_sessions_subject ON auth_sessions(kind, subject) WHERE ended_at IS NULL",
)
# Added after the table first shipped: older tables get the column on first use.
DIGEST_DDL = (
    "ALTER TABLE auth_sessions ADD COLUMN token_digest TEXT",
    "CREATE UNIQUE INDEX IF NOT EXISTS auth_sessions_digest ON auth_sessions(token_digest)",
)


def kind_of(role: str) -> str:
    return ENTERPRISE if role == "enterprise" else STAFF


def ensure_table(db: sqlite_utils.Database) -> None:
    ensure_tables(db, "auth_sessions", DDL, _add_token_digest)


def _add_token_digest(db: sqlite_utils.Database) -> None:
    columns = {row[1] for row in db.execute("PRAGMA table_info(auth_sessions)").fetchall()}
    for sql in DIGEST_DDL[0 if "token_digest" not in columns else 1:]:
        db.execute(sql)


def open_session(db: sqlite_utils.Database, subject: str, role: str, minutes: int,
                 now: datetime | None = None, *, sid: str | None = None, digest: str | None = None) -> str:
    """A new session for ``subject`` (staff login or credit code); returns its id for the token."""
    ensure_table(db)
    start = now or clock.now()
    sid = sid or secrets.token_urlsafe(18)
    with transaction(db):
        db.execute("INSERT INTO auth_sessions (sid, kind, subject, role, issued_at, expires_at, token_digest) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [sid, kind_of(role), subject, role, clock.iso(start), clock.iso(start + timedelta(minutes=minutes)),
                    digest])
    return sid


def issue_token(db: sqlite_utils.Database, subject: str, role: str, settings: Settings, **claims) -> str:
    """A bearer token for a new session of ``subject`` (log-in); the session keeps the token's digest, by which
    the chat finds it (``by_digest``)."""
    sid = secrets.token_urlsafe(18)
    token = tokens.issue(subject, role, settings, sid=sid, **claims)
    open_session(db, subject, role, settings.token_minutes, sid=sid, digest=token_digest(token))
    return token


def by_digest(db: sqlite_utils.Database, digest: str | None) -> dict | None:
    """The session of the token with this digest (``huiqi.token_digest``), ended or not, with ``expired``
    telling whether its time is up; None for a digest of no token we issued."""
    if not digest:
        return None
    ensure_table(db)
    row = db.execute("SELECT sid, kind, subject, role, expires_at, ended_at FROM auth_sessions WHERE token_digest = ?",
                     [digest]).fetchone()
    if row is None:
        return None
    session = dict(zip(("sid", "kind", "subject", "role", "expires_at", "ended_at"), row))
    session["expired"] = session["expires_at"] <= clock.iso(clock.now())
    return session


def claims_of(session: dict) -> dict:
    """The claims of this session's token that the session checks read (``token_is_live``)."""
    return {"sub": session["subject"], "role": session["role"], "sid": session["sid"]}


def token_is_live(db: sqlite_utils.Database, claims: dict) -> bool:
    """The verified token's session has not ended (log-out, password reset, deactivation, role change)."""
    return is_live(db, claims.get("sid"), claims.get("sub", ""), claims.get("role", ""))


def is_live(db: sqlite_utils.Database, sid: str | None, subject: str, role: str) -> bool:
    """The session exists for this subject and has not ended (the token checks its own expiry)."""
    if not sid:
        return False
    ensure_table(db)
    row = db.execute("SELECT 1 FROM auth_sessions WHERE sid = ? AND kind = ? AND subject = ? AND ended_at IS NULL",
                     [sid, kind_of(role), subject]).fetchone()
    return row is not None


def end(db: sqlite_utils.Database, sid: str | None, reason: str = "logout") -> bool:
    """End one session (log-out); False when it had already ended or never existed."""
    if not sid:
        return False
    ensure_table(db)
    with transaction(db):
        cur = db.execute("UPDATE auth_sessions SET ended_at = ?, ended_reason = ? WHERE sid = ? AND ended_at IS NULL",
                         [clock.iso(clock.now()), reason, sid])
    return cur.rowcount > 0


def end_all(db: sqlite_utils.Database, subject: str, kind: str, reason: str) -> int:
    """End every open session of an account (password reset, deactivation, role change)."""
    ensure_table(db)
    with transaction(db):
        cur = db.execute("UPDATE auth_sessions SET ended_at = ?, ended_reason = ? "
                         "WHERE kind = ? AND subject = ? AND ended_at IS NULL",
                         [clock.iso(clock.now()), reason, kind, subject])
    return cur.rowcount
