"""转人工: a business in the chat asks for a person; the paired official (or the general office)
is told with the transcript, may write into the chat (``reply``), and the bot stays quiet until the
hand-off is closed."""
from __future__ import annotations

import sqlite_utils

from huiqi.errors import Conflict, Invalid, NotFound
from huiqi.settings import Settings, get_settings
from huiqi.text import is_blank
from ledger import clock, credit_code as cc, events
from ledger.access import enterprise_scope
from ledger.actors import SYSTEM, Actor
from ledger.contacts import normalize_phone
from ledger.db import insert, one, transaction
from ledger.offices import office_for
from ledger.pairings import current_official
from ledger.staff import get_staff_by_id


def request_handoff(db: sqlite_utils.Database, *, conversation_id: str, transcript: str,
                    credit_code: str | None = None, claimant_name: str | None = None,
                    claimant_phone: str | None = None, settings: Settings | None = None) -> dict:
    """Open (or return the already open) hand-off of this conversation; says who will get in touch."""
    s = settings or get_settings()
    if not (conversation_id or "").strip():
        raise Invalid("CONVERSATION_REQUIRED", "缺少会话编号。", field="conversation_id")
    code = cc.validate(credit_code) if credit_code else None
    if not code and not claimant_phone:
        raise Invalid("PHONE_REQUIRED", "请留下联系电话，工作人员会尽快与您联系。", field="claimant_phone")
    phone = normalize_phone(claimant_phone, "claimant_phone") if claimant_phone else None
    existing = open_handoff(db, conversation_id)
    if existing:
        return existing
    official = current_official(db, code) if code else None
    office = official["office"] if official else office_for("其他", s)
    stamp = clock.iso(clock.now())
    actor = Actor.enterprise(code) if code else Actor.claimant(phone, claimant_name or "")
    with transaction(db):
        hid = insert(db, "handoffs", {"credit_code": code, "claimant_name": claimant_name, "claimant_phone": phone,
                                      "conversation_id": conversation_id, "transcript": transcript or "",
                                      "staff_id": official["id"] if official else None, "office": office,
                                      "status": "open", "requested_at": stamp})
        events.record(db, actor, "handoff", credit_code=code, to_value=official["login"] if official else office,
                      note=f"会话 {conversation_id} 请求人工服务", at=stamp)
    return get_handoff(db, hid, settings=s)


def get_handoff(db: sqlite_utils.Database, handoff_id: int, settings: Settings | None = None) -> dict:
    s = settings or get_settings()
    row = one(db, "SELECT * FROM handoffs WHERE id = ?", [handoff_id])
    if row is None:
        raise NotFound("HANDOFF_NOT_FOUND", "未找到该人工服务请求。")
    staff = get_staff_by_id(db, row["staff_id"])
    row["official"] = {k: staff[k] for k in ("login", "name", "office", "phone")} if staff else None
    row["office_hours"] = s.office_hours
    return row


def open_handoff(db: sqlite_utils.Database, conversation_id: str) -> dict | None:
    row = one(db, "SELECT id FROM handoffs WHERE conversation_id = ? AND status = 'open'", [conversation_id])
    return get_handoff(db, row["id"]) if row else None


def _when(stamp: str) -> str:
    """How a transcript line shows its time: 'MM-DD HH:MM'."""
    return stamp[5:16].replace("T", " ")


def add_message(db: sqlite_utils.Database, handoff_id: int, text: str, actor: Actor = SYSTEM) -> dict:
    """A message the business leaves while waiting for a person: appended to the transcript the
    official reads (and recorded as an event), so nothing said during a hand-off is lost."""
    stamp = clock.iso(clock.now())
    with transaction(db):
        row = get_handoff(db, handoff_id)
        db.execute("UPDATE handoffs SET transcript = transcript || ? WHERE id = ?",
                   [f"\n企业（{_when(stamp)}）：{text}", handoff_id])
        events.record(db, actor, "handoff_message", credit_code=row["credit_code"], note=text, at=stamp)
    return get_handoff(db, handoff_id)


CLOSE_OUTCOMES = {"called_back": "已电话回复企业，人工服务结束", "closed": "工作人员在工作台结束人工服务"}
HANDOFF_NOT_FOUND = ("HANDOFF_NOT_FOUND", "未找到该人工服务请求，可能已被他人结束。")


def _scope(actor: Actor) -> tuple[str, list]:
    """The one rule for which hand-offs a staff member may see and act on (alias ``h``): those of their
    enterprises, those assigned to them, and (leaders, admins) those of their office."""
    cond, args = enterprise_scope(actor, "h.credit_code")
    extra, extra_args = "h.staff_id = ?", [actor.staff_id]
    if actor.role in ("leader", "admin"):
        extra, extra_args = "(h.staff_id = ? OR h.office = ?)", [actor.staff_id, actor.office]
    return f"({cond} OR {extra})", [*args, *extra_args]


def _require_visible_to(db: sqlite_utils.Database, actor: Actor, handoff_id: int) -> None:
    """NotFound unless the hand-off, open or ended, is one the staff member may see (``_scope``)."""
    cond, args = _scope(actor)
    if not actor.is_staff or one(db, f"SELECT 1 AS x FROM handoffs h WHERE h.id = ? AND {cond}",
                                 [handoff_id, *args]) is None:
        raise NotFound(*HANDOFF_NOT_FOUND)


def _require_open_for(db: sqlite_utils.Database, actor: Actor, handoff_id: int) -> None:
    """NotFound unless the hand-off is open and in the staff member's queue (another official's, or one
    already ended, is reported the same way)."""
    cond, args = _scope(actor)
    if one(db, f"SELECT 1 AS x FROM handoffs h WHERE h.id = ? AND h.status = 'open' AND {cond}",
           [handoff_id, *args]) is None:
        raise NotFound(*HANDOFF_NOT_FOUND)


def _still_open(db: sqlite_utils.Database, handoff_id: int, closed: str = "该人工服务已结束。") -> dict:
    """The hand-off, or Conflict ``HANDOFF_CLOSED`` (with the message ``closed``) once it has ended."""
    row = get_handoff(db, handoff_id)
    if row["status"] != "open":
        raise Conflict("HANDOFF_CLOSED", closed)
    return row


def close_handoff(db: sqlite_utils.Database, handoff_id: int, actor: Actor = SYSTEM, note: str | None = None,
                  outcome: str | None = None) -> dict:
    """End the hand-off (the conversation goes back to the bot); on record with who and when.

    A staff member may only end an open hand-off of their own queue (NotFound otherwise), says how
    (``outcome``: called back or closed) and may add a note. The bot (``SYSTEM``) ends a hand-off on its
    timeout or when the chat has been handed back. Handing the live chat back is the caller's part
    (``huiqi.rasa_events``)."""
    if outcome is not None and outcome not in CLOSE_OUTCOMES:
        raise Invalid("INVALID_OUTCOME", "结束方式应为 已回电（called_back）或 直接结束（closed）。", field="outcome")
    stamp = clock.iso(clock.now())
    with transaction(db):
        if actor.is_staff:
            _require_open_for(db, actor, handoff_id)
            extra = (note or "").strip()
            note = CLOSE_OUTCOMES[outcome or "closed"] + (f"：{extra}" if extra else "")
        row = _still_open(db, handoff_id)
        db.execute("UPDATE handoffs SET status = 'closed', closed_at = ?, closed_by = ? WHERE id = ?",
                   [stamp, actor.ident, handoff_id])
        events.record(db, actor, "handoff_closed", credit_code=row["credit_code"], note=note or "人工服务结束", at=stamp)
    return get_handoff(db, handoff_id)


def list_handoffs(db: sqlite_utils.Database, actor: Actor, status: str = "open") -> list[dict]:
    """Hand-offs for the actor: those of their enterprises or assigned to them or their office (leaders)."""
    cond, args = _scope(actor)
    rows = db.query(f"SELECT h.id FROM handoffs h WHERE h.status = ? AND {cond} ORDER BY h.id", [status, *args])
    return [get_handoff(db, r["id"]) for r in rows]


def queue(db: sqlite_utils.Database, actor: Actor) -> list[dict]:
    """The open hand-offs for the console: each with the enterprise's name and the phone to call back
    (the claimant's, else the enterprise's contact phone)."""
    items = list_handoffs(db, actor)
    for h in items:
        e = one(db, "SELECT name, contact_name, contact_phone FROM enterprises WHERE credit_code = ?",
                [h["credit_code"]]) if h["credit_code"] else None
        h["enterprise_name"] = e["name"] if e else None
        h["call_back_phone"] = h["claimant_phone"] or (e["contact_phone"] if e else None)
        h["call_back_name"] = h["claimant_name"] or (e["contact_name"] if e else None)
    return items


def take_handoff(db: sqlite_utils.Database, handoff_id: int, actor: Actor) -> dict:
    """A staff member takes an open hand-off of their queue (becomes the one who calls back); on record."""
    stamp = clock.iso(clock.now())
    with transaction(db):
        _require_open_for(db, actor, handoff_id)
        row = _still_open(db, handoff_id)
        db.execute("UPDATE handoffs SET staff_id = ? WHERE id = ?", [actor.staff_id, handoff_id])
        events.record(db, actor, "handoff", credit_code=row["credit_code"],
                      from_value=row["official"]["login"] if row["official"] else row["office"], to_value=actor.ident,
                      note=f"由{actor.name}接待", at=stamp)
    return get_handoff(db, handoff_id)


MAX_REPLY_CHARS = 1000  # one chat message from the console; longer answers go in several


def reply(db: sqlite_utils.Database, handoff_id: int, actor: Actor, text: str) -> dict:
    """An official's message to the business in the chat of an open hand-off, put on record before it is sent:
    an event (``handoff_reply``: who, when, the text, the conversation) and a line in the hand-off's transcript.

    Only a staff member who may see the hand-off may write (NotFound otherwise, as for any other official's);
    an ended hand-off is refused (Conflict), as is blank or overlong text (Invalid). Sending it into the chat
    is the caller's part (``huiqi.rasa_events``); the hand-off stays open."""
    if is_blank(text):
        raise Invalid("REPLY_EMPTY", "请输入要发给企业的消息。", field="text")
    if len(text) > MAX_REPLY_CHARS:  # as sent, as the API documents it
        raise Invalid("REPLY_TOO_LONG", f"一条消息请控制在{MAX_REPLY_CHARS}字以内（现有{len(text)}字），"
                                        "较长的内容请分几条发送。", field="text")
    body = text.strip()
    stamp = clock.iso(clock.now())
    with transaction(db):
        _require_visible_to(db, actor, handoff_id)
        row = _still_open(db, handoff_id, "该人工服务已结束，消息没有发出。如需联系企业，请按回电号码打电话。")
        db.execute("UPDATE handoffs SET transcript = transcript || ? WHERE id = ?",
                   [f"\n工作人员{actor.name}（{_when(stamp)}）：{body}", handoff_id])
        event_id = events.record(db, actor, "handoff_reply", credit_code=row["credit_code"],
                                 to_value=row["conversation_id"], note=body, at=stamp)
    return {"id": event_id, "handoff_id": handoff_id, "conversation_id": row["conversation_id"], "at": stamp,
            "actor": actor.ident, "actor_name": actor.name, "text": body}


def reply_not_delivered(db: sqlite_utils.Database, handoff_id: int) -> dict:
    """Note in the transcript that the last message did not reach the business (its chat page was closed), so
    whoever reads it later knows the business has not seen it."""
    stamp = clock.iso(clock.now())
    with transaction(db):
        db.execute("UPDATE handoffs SET transcript = transcript || ? WHERE id = ?",
                   [f"\n系统（{_when(stamp)}）：上一条消息未送达，企业的对话页面不在线，请电话联系。", handoff_id])
    return get_handoff(db, handoff_id)
