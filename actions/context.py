"""What every action needs: settings, a ledger connection, the policy base, and who is talking."""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from rasa_sdk import Tracker

from huiqi.errors import NotFound
from huiqi.settings import Settings, get_settings
from huiqi.text import normalize
from huiqi.token_digest import DIGEST_KEY
from huiqi.vocabulary import ticket_in
from ledger import chat_sessions, db as ledger_db
from ledger.actors import Actor

_base_lock = threading.Lock()
_bases: dict[str, Any] = {}


def settings() -> Settings:
    return get_settings()


@contextmanager
def ledger() -> Iterator[Any]:
    """A ledger connection for one action run."""
    db = ledger_db.connect(settings=settings())
    try:
        yield db
    finally:
        db.conn.close()


def policy_base():
    """The policy base of the configured data dir, opened once per process."""
    from policies_kb.base import PolicyBase

    s = settings()
    key = str(s.data_dir)
    with _base_lock:
        if key not in _bases:
            _bases[key] = PolicyBase.open(s)
        return _bases[key]


@dataclass(frozen=True)
class Identity:
    credit_code: str
    name: str
    contact_name: str | None = None
    contact_phone: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor.enterprise(self.credit_code, self.name)


def latest_digest(tracker: Tracker) -> str | None:
    """The log-in token digest of the most recent user message that carried one (the channel turns the chat
    page's token into its digest: ``huiqi.token_digest``)."""
    for event in reversed(tracker.events or []):
        if event.get("event") != "user":
            continue
        digest = (event.get("metadata") or {}).get(DIGEST_KEY)
        if digest:
            return str(digest)
    meta = (tracker.latest_message or {}).get("metadata") or {}
    return meta.get(DIGEST_KEY)


def identify(tracker: Tracker, db=None) -> Identity | None:
    """The enterprise bound to this conversation by a live log-in, or None (anonymous user)."""
    digest = latest_digest(tracker)
    if not digest:
        return None
    try:  # logged out, password reset or deactivated: the conversation no longer acts as the business
        if db is None:
            with ledger() as conn:
                row = chat_sessions.speak_for_digest(conn, tracker.sender_id, digest)
        else:
            row = chat_sessions.speak_for_digest(db, tracker.sender_id, digest)
    except NotFound:
        return None
    if row is None:
        return None
    return Identity(row["credit_code"], row["name"], row.get("contact_name"), row.get("contact_phone"))


def login_expired(tracker: Tracker) -> bool:
    """The conversation carries a log-in whose time is up, or a token we never issued."""
    digest = latest_digest(tracker)
    if not digest:
        return False
    with ledger() as conn:
        return chat_sessions.login_lapsed(conn, digest)


def identity_slots(ident: Identity | None) -> list[dict]:
    from rasa_sdk.events import SlotSet

    return [SlotSet("enterprise_code", ident.credit_code if ident else None),
            SlotSet("enterprise_name", ident.name if ident else None)]


def text_of(tracker: Tracker) -> str:
    return normalize((tracker.latest_message or {}).get("text") or "")


def intent_of(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


def entity(tracker: Tracker, name: str) -> str | None:
    """The (synonym-mapped) value of the first entity of that type in the latest message, normalised
    (simplified, half-width) as the actions compare it."""
    for e in (tracker.latest_message or {}).get("entities") or []:
        if e.get("entity") == name and e.get("value") not in (None, ""):
            return normalize(str(e["value"]))
    return None


def month_day(iso_date: str) -> str:
    """'2024-03-28' → '3月28日'."""
    y, m, d = (int(p) for p in iso_date[:10].split("-"))
    return f"{m}月{d}日"


def find_ticket(text: str) -> str | None:
    """A ticket number in the text, written as the ledger writes it (HQ-YYYYMMDD-NNNN)."""
    return ticket_in(normalize(text or "").replace(" ", ""))


_PHONE_IN_TEXT = re.compile(r"[+\d][\d\- ()（）]{5,}\d")


def parse_phone(text: str) -> tuple[str | None, dict | None]:
    """(normalised phone, None) from free text such as '我的电话 139 1234 5678', or (None, the re-ask as a
    response for ``dispatcher.utter_message(**problem)``)."""
    from huiqi.errors import Invalid
    from ledger.contacts import normalize_phone

    raw = normalize(text or "")
    found = _PHONE_IN_TEXT.search(raw)
    try:
        return normalize_phone(found.group(0) if found else raw, "phone"), None
    except Invalid:
        return None, {"response": "utter_invalid_phone"}
