"""The event log (全程留痕): every change is one row — actor, time, from → to, note, and the field
changes it made — and nothing is edited or deleted; corrections are new events."""
from __future__ import annotations

import json

import sqlite_utils

from huiqi.errors import Invalid, NotFound
from ledger import clock
from ledger.actors import Actor
from ledger.db import insert, one, transaction

EVENT_LABELS = {
    "filed": "受理", "status": "状态变更", "assign": "交办", "transfer": "按责转办", "note": "备注",
    "reply": "答复", "extension_request": "申请延期", "extension_decision": "延期审批", "reminder": "催办",
    "escalation": "督办升级", "rating": "评价", "handoff": "转人工", "handoff_message": "转人工期间留言", "handoff_reply": "工作人员在对话中回复",
    "handoff_closed": "人工接待结束",
    "visit": "走访", "pairing": "包抓联调整", "push": "政策推送", "push_status": "推送状态",
    "opt_out": "退订推送", "opt_in": "恢复推送", "correction": "更正", "enterprise": "企业信息",
    "account": "企业账号", "staff": "人员账号", "login_lockout": "登录锁定",
}


def record(db: sqlite_utils.Database, actor: Actor, type_: str, *, credit_code: str | None = None,
           problem_id: int | None = None, push_id: int | None = None, from_value=None, to_value=None,
           note: str | None = None, changes: dict | None = None, corrects: int | None = None,
           at: str | None = None) -> int:
    """Append one event; ``changes`` maps field → [old, new] for the row the event changed."""
    return insert(db, "events", {
        "at": at or clock.iso(clock.now()), "type": type_, "actor": actor.ident, "actor_role": actor.role,
        "actor_name": actor.name, "credit_code": credit_code, "problem_id": problem_id, "push_id": push_id,
        "from_value": None if from_value is None else str(from_value),
        "to_value": None if to_value is None else str(to_value),
        "note": note, "changes": json.dumps(changes or {}, ensure_ascii=False), "corrects": corrects,
    })


# Internal working records an enterprise does not see in its own dossier or problem history.
INTERNAL_TYPES = frozenset({"note", "reminder", "escalation", "extension_request", "extension_decision",
                            "correction", "pairing", "account", "enterprise", "staff", "login_lockout"})


def for_enterprise_eyes(evs: list[dict]) -> list[dict]:
    """The events an enterprise may read about itself (no internal notes, reminders or escalations)."""
    return [{k: v for k, v in e.items() if k != "changes"} for e in evs if e["type"] not in INTERNAL_TYPES]


def _public(row: dict) -> dict:
    row = dict(row)
    row["changes"] = json.loads(row["changes"] or "{}")
    row["label"] = EVENT_LABELS.get(row["type"], row["type"])
    return row


def for_problem(db: sqlite_utils.Database, problem_id: int) -> list[dict]:
    return [_public(r) for r in db.query("SELECT * FROM events WHERE problem_id = ? ORDER BY id", [problem_id])]


def for_enterprise(db: sqlite_utils.Database, credit_code: str, *, without_problems: bool = False) -> list[dict]:
    extra = " AND problem_id IS NULL" if without_problems else ""
    return [_public(r) for r in db.query(
        f"SELECT * FROM events WHERE credit_code = ?{extra} ORDER BY id", [credit_code])]


def belongs_to_problem(db: sqlite_utils.Database, event_id: int, problem_id: int) -> bool:
    return db.execute("SELECT 1 FROM events WHERE id = ? AND problem_id = ?", [event_id, problem_id]).fetchone() is not None


def for_push(db: sqlite_utils.Database, push_id: int) -> list[dict]:
    return [_public(r) for r in db.query("SELECT * FROM events WHERE push_id = ? ORDER BY id", [push_id])]


def replay(events: list[dict]) -> dict:
    """The state a row reaches by applying each event's changes in order (for audits and tests)."""
    state: dict = {}
    for ev in sorted(events, key=lambda e: e["id"]):
        for fieldname, (_old, new) in ev["changes"].items():
            state[fieldname] = new
    return state


def correct(db: sqlite_utils.Database, actor: Actor, event_id: int, note: str) -> int:
    """Record a correction of an earlier event (the original stays as it was)."""
    if not (note or "").strip():
        raise Invalid("NOTE_REQUIRED", "请写明更正的内容。", field="note")
    with transaction(db):
        original = one(db, "SELECT * FROM events WHERE id = ?", [event_id])
        if original is None:
            raise NotFound("EVENT_NOT_FOUND", "要更正的记录不存在，请核对编号。")
        return record(db, actor, "correction", credit_code=original["credit_code"],
                      problem_id=original["problem_id"], push_id=original["push_id"], note=note.strip(),
                      corrects=event_id)
