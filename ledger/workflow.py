"""The problem lifecycle (受理→交办→办理→答复→办结→评价, 差评整改 reopens) and the actions on it:
status changes, assignment, transfer (按责转办), notes, extensions (延期), manual reminders (催办),
ratings. Every action goes through ``problems.apply_change`` and so leaves an event."""
from __future__ import annotations

from datetime import date

import sqlite_utils

from huiqi.errors import Conflict, Forbidden, Invalid
from huiqi.settings import Settings, get_settings
from huiqi.text import normalize
from huiqi.vocabulary import RATINGS
from ledger import clock, events
from ledger.actors import Actor
from ledger.db import insert, one, transaction
from ledger.problems import (OPEN_STATUSES, STATUS_LABELS, apply_change, deadline_days, describe, load,
                             load_visible)
from ledger.staff import get_staff, get_staff_by_id
from ledger.workdays import calendar_for

# Status changes staff make directly. ``rated`` is reached only by a rating (see RATINGS).
TRANSITIONS = {
    ("received", "assigned"), ("assigned", "in_progress"), ("in_progress", "replied"),
    ("replied", "closed"), ("replied", "reopened"), ("closed", "reopened"), ("rated", "reopened"),
    ("reopened", "assigned"), ("reopened", "in_progress"),
}
RATABLE = ("replied", "closed")
MAX_EXTENSION_DAYS = 30


def refusal(from_status: str, to_status: str) -> str | None:
    """None when the status change is allowed; otherwise the Chinese reason it is refused."""
    if to_status not in STATUS_LABELS:
        return f"目标状态应为以下之一：{'、'.join(STATUS_LABELS)}。"
    if (from_status, to_status) in TRANSITIONS:
        return None
    a, b = STATUS_LABELS[from_status], STATUS_LABELS[to_status]
    if from_status == to_status:
        return f"该诉求已是“{a}”状态。"
    if to_status == "rated":
        return "评价须由企业（或回访时由工作人员代为）通过“评价”提交，满意度为 满意/基本满意/不满意。"
    if from_status in ("replied", "closed", "rated") and to_status in ("assigned", "in_progress", "received"):
        return f"{a}的诉求不能直接改为{b}，请先重新打开"
    if to_status == "received":
        return "诉求不能退回“已受理”，如需改派请使用“按责转办”。"
    if to_status == "reopened":
        return f"{a}的诉求尚未答复，不需要重新打开。"
    if to_status == "closed":
        return f"{a}的诉求不能直接办结，请先答复企业。"
    if to_status == "replied":
        return f"{a}的诉求不能直接答复，请先开始办理。"
    if to_status == "in_progress":
        return f"{a}的诉求还没有承办人，请先交办。"
    return f"{a}的诉求不能直接改为{b}。"


def _today(now) -> tuple[str, date]:
    moment = now or clock.now()
    return clock.iso(moment), clock.day_of(moment)


def _require_staff(actor: Actor, what: str) -> None:
    if not actor.is_staff:
        raise Forbidden("STAFF_ONLY", f"{what}只能由工作人员办理。如对答复不满意，请提交评价。")


def _open(row: dict, what: str) -> None:
    if row["status"] not in OPEN_STATUSES:
        raise Conflict("PROBLEM_NOT_OPEN", f"“{STATUS_LABELS[row['status']]}”的诉求不能{what}，请先重新打开。")


def _note(note: str | None, required: str | None = None) -> str | None:
    text = normalize(note or "") or None
    if required and not text:
        raise Invalid("NOTE_REQUIRED", required, field="note")
    return text


def transition(db: sqlite_utils.Database, actor: Actor, ticket_no: str, to_status: str, *, note: str | None = None,
               reply: str | None = None, now=None, settings: Settings | None = None) -> dict:
    """Move the problem to ``to_status`` (reply text needed for ``replied``, a reason for ``reopened``)."""
    s = settings or get_settings()
    _require_staff(actor, "更改办理状态")
    stamp, day = _today(now)
    with transaction(db):
        row = load_visible(db, actor, ticket_no)
        reason = refusal(row["status"], to_status)
        if reason:
            raise Conflict("TRANSITION_REFUSED", reason)
        changes: dict = {"status": to_status}
        if to_status == "assigned" and row["assignee_id"] is None:
            raise Conflict("NO_ASSIGNEE", "该诉求还没有承办人，请先交办给具体人员。")
        if to_status == "replied":
            text = normalize(reply or note or "")
            if len(text) < 5:
                raise Invalid("REPLY_REQUIRED", "请填写答复企业的内容（至少5个字）。", field="reply")
            changes.update(reply=text, replied_at=stamp)
            note = None if reply is None else note
        if to_status == "closed":
            changes["closed_at"] = stamp
        if to_status == "reopened":
            note = _note(note, "请写明重新打开的原因。")
            changes.update(_reopen_changes(row, day, s))
        row = apply_change(db, row, actor, "status", changes, from_value=row["status"], to_value=to_status,
                           note=_note(note), at=stamp)
    return describe(db, row, today=day, settings=s)


def _reopen_changes(row: dict, day: date, s: Settings) -> dict:
    """A reopened problem gets a fresh deadline and its escalation and closure are cleared."""
    due = calendar_for(s).add_workdays(day, deadline_days(row["kind"], s)).isoformat()
    return {"due_on": due, "closed_at": None, "escalated_to": None, "last_reminded_on": None}


def reply(db, actor, ticket_no, text, *, note=None, now=None, settings=None) -> dict:
    """Answer the business (办理中 → 已答复)."""
    return transition(db, actor, ticket_no, "replied", reply=text, note=note, now=now, settings=settings)


def add_note(db, actor: Actor, ticket_no: str, note: str, *, now=None, settings=None) -> dict:
    _require_staff(actor, "添加办理备注")
    stamp, day = _today(now)
    with transaction(db):
        row = load_visible(db, actor, ticket_no)
        row = apply_change(db, row, actor, "note", {}, note=_note(note, "备注内容不能为空。"), at=stamp)
    return describe(db, row, today=day, settings=settings)


def _can_lead(db, actor: Actor, row: dict, *, responsible_office_too: bool = False) -> bool:
    """Admins, and leaders of the assignee's office (of the responsible office when unassigned, or
    when ``responsible_office_too``)."""
    if actor.role == "admin":
        return True
    if actor.role != "leader":
        return False
    assignee = get_staff_by_id(db, row["assignee_id"])
    offices = {assignee["office"]} if assignee else {row["office"]}
    if responsible_office_too:
        offices.add(row["office"])
    return actor.office in offices


def assign(db, actor: Actor, ticket_no: str, login: str, *, note=None, now=None, settings=None) -> dict:
    """交办 to a named official (leaders of the office and admins)."""
    stamp, day = _today(now)
    with transaction(db):
        row = load_visible(db, actor, ticket_no)
        if not _can_lead(db, actor, row, responsible_office_too=True):
            raise Forbidden("LEADER_ONLY", "交办须由本科室领导或管理员操作。")
        _open(row, "交办")
        target = get_staff(db, login)
        if target["role"] not in ("leader", "cadre") or not target["active"]:
            raise Invalid("INVALID_ASSIGNEE", "承办人应为在岗的领导干部或干部。", field="assignee")
        previous = get_staff_by_id(db, row["assignee_id"])
        changes = {"assignee_id": target["id"]}
        if row["status"] in ("received", "reopened"):
            changes["status"] = "assigned"
        row = apply_change(db, row, actor, "assign", changes, from_value=previous["login"] if previous else None,
                           to_value=target["login"], note=_note(note) or f"交办给{target['name']}", at=stamp)
    return describe(db, row, today=day, settings=settings)


def transfer(db, actor: Actor, ticket_no: str, office: str, *, login: str | None = None, note=None, now=None,
             settings=None) -> dict:
    """按责转办: hand the problem to the responsible office (and optionally a named official there)."""
    _require_staff(actor, "转办")
    stamp, day = _today(now)
    office = normalize(office or "")
    if not office:
        raise Invalid("OFFICE_REQUIRED", "请填写转办的责任科室。", field="office")
    with transaction(db):
        row = load_visible(db, actor, ticket_no)
        _open(row, "转办")
        text = _note(note, "请写明转办理由。")
        target = get_staff(db, login) if login else None
        if target and target["office"] != office:
            raise Invalid("ASSIGNEE_OFFICE", f"{target['name']}不在{office}，请重新选择承办人。", field="assignee")
        changes = {"office": office, "assignee_id": target["id"] if target else None,
                   "status": "assigned" if target else "received"}
        row = apply_change(db, row, actor, "transfer", changes, from_value=row["office"], to_value=office,
                           note=text, at=stamp)
    return describe(db, row, today=day, settings=settings)


def request_extension(db, actor: Actor, ticket_no: str, days: int, reason: str, *, now=None, settings=None) -> dict:
    """申请延期: a pending request for ``days`` more working days, for a leader to decide."""
    _require_staff(actor, "申请延期")
    stamp, day = _today(now)
    if not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION_DAYS:
        raise Invalid("INVALID_DAYS", f"延期天数应为1到{MAX_EXTENSION_DAYS}个工作日。", field="days")
    with transaction(db):
        row = load_visible(db, actor, ticket_no)
        _open(row, "申请延期")
        text = _note(reason, "请写明延期理由。")
        if one(db, "SELECT 1 AS x FROM extensions WHERE problem_id = ? AND status = 'pending'", [row["id"]]):
            raise Conflict("EXTENSION_PENDING", "该诉求已有待审批的延期申请，请等待领导审批。")
        ext_id = insert(db, "extensions", {"problem_id": row["id"], "days": days, "reason": text,
                                           "requested_by": actor.ident, "requested_at": stamp, "status": "pending"})
        row = apply_change(db, row, actor, "extension_request", {}, to_value=f"{days}个工作日",
                           note=f"[延期申请#{ext_id}] {text}", at=stamp)
    return describe(db, row, today=day, settings=settings)


def decide_extension(db, actor: Actor, ticket_no: str, approve: bool, *, note=None, now=None, settings=None) -> dict:
    """A leader of the office (or an admin) approves or rejects the pending extension request."""
    s = settings or get_settings()
    stamp, day = _today(now)
    with transaction(db):
        row = load_visible(db, actor, ticket_no)
        if not _can_lead(db, actor, row):
            raise Forbidden("LEADER_ONLY", "延期申请须由本科室领导审批。")
        ext = one(db, "SELECT * FROM extensions WHERE problem_id = ? AND status = 'pending'", [row["id"]])
        if ext is None:
            raise Conflict("NO_PENDING_EXTENSION", "该诉求没有待审批的延期申请。")
        status = "approved" if approve else "rejected"
        db.execute("UPDATE extensions SET status = ?, decided_by = ?, decided_at = ?, decision_note = ? WHERE id = ?",
                   [status, actor.ident, stamp, _note(note), ext["id"]])
        changes = {}
        if approve:
            base = date.fromisoformat(row["due_on"])
            changes = {"due_on": calendar_for(s).add_workdays(base, ext["days"]).isoformat(), "escalated_to": None}
        label = "同意" if approve else "不同意"
        row = apply_change(db, row, actor, "extension_decision", changes, from_value=row["due_on"],
                           to_value=changes.get("due_on", row["due_on"]),
                           note=f"[延期申请#{ext['id']}] {label}" + (f"：{_note(note)}" if _note(note) else ""), at=stamp)
    return describe(db, row, today=day, settings=s)


def remind(db, actor: Actor, ticket_no: str, note=None, *, now=None, settings=None) -> dict:
    """Manual 催办 by a leader or admin."""
    stamp, day = _today(now)
    if actor.role not in ("leader", "admin"):
        raise Forbidden("LEADER_ONLY", "催办须由领导干部或管理员发起。")
    with transaction(db):
        row = load_visible(db, actor, ticket_no)
        _open(row, "催办")
        row = apply_change(db, row, actor, "reminder", {"last_reminded_on": day.isoformat()},
                           note=_note(note) or "请抓紧办理", at=stamp)
    return describe(db, row, today=day, settings=settings)


def rate(db, actor: Actor, ticket_no: str, rating: str, comment: str | None = None, *, now=None,
         settings=None) -> dict:
    """评价 by the business (or by staff recording a call-back). 不满意 reopens the problem (差评整改)."""
    s = settings or get_settings()
    stamp, day = _today(now)
    if rating not in RATINGS:
        raise Invalid("INVALID_RATING", "评价请选择：满意、基本满意 或 不满意。", field="rating")
    with transaction(db):
        row = load_visible(db, actor, ticket_no)
        if row["status"] not in RATABLE:
            raise Conflict("NOT_RATABLE", f"“{STATUS_LABELS[row['status']]}”的诉求暂不能评价，答复后才能评价。")
        text = _note(comment)
        changes = {"rating": rating, "rating_comment": text, "rated_at": stamp}
        if rating != "不满意":
            changes["status"] = "rated"
            return describe(db, apply_change(db, row, actor, "rating", changes, from_value=row["status"],
                                             to_value=rating, note=text, at=stamp), today=day, settings=s)
        row = apply_change(db, row, actor, "rating", changes, to_value=rating, note=text, at=stamp)
        row = apply_change(db, row, actor, "status", {"status": "reopened", **_reopen_changes(row, day, s)},
                           from_value=row["status"], to_value="reopened", note="企业评价不满意，重新办理（差评整改）",
                           at=stamp)
    return describe(db, row, today=day, settings=s)


def history_consistent(db, problem_id: int) -> bool:
    """True when replaying the problem's events gives its current row (audit check)."""
    row = load(db, problem_id)
    state = events.replay(events.for_problem(db, problem_id))
    return all(row[k] == v for k, v in state.items())


ACTION_LABELS = {"start": "开始办理", "reply": "答复企业", "close": "办结", "reopen": "重新打开", "assign": "交办",
                 "transfer": "按责转办", "extension_request": "申请延期", "extension_decision": "审批延期",
                 "reminder": "催办", "rating": "登记回访评价", "note": "添加备注", "correction": "更正记录"}


def allowed_actions(db: sqlite_utils.Database, actor: Actor, ticket_no: str) -> list[str]:
    """The actions (keys of ``ACTION_LABELS``) the actor may take on the problem in its current state,
    by the same rules the actions themselves enforce; a console offers only these."""
    row = load_visible(db, actor, ticket_no)
    if not actor.is_staff:
        return []
    status, is_open = row["status"], row["status"] in OPEN_STATUSES
    pending = one(db, "SELECT 1 AS x FROM extensions WHERE problem_id = ? AND status = 'pending'", [row["id"]])
    checks = {
        "start": (status, "in_progress") in TRANSITIONS and row["assignee_id"] is not None,
        "reply": (status, "replied") in TRANSITIONS,
        "close": (status, "closed") in TRANSITIONS,
        "reopen": (status, "reopened") in TRANSITIONS,
        "assign": is_open and _can_lead(db, actor, row, responsible_office_too=True),
        "transfer": is_open,
        "extension_request": is_open and pending is None,
        "extension_decision": pending is not None and _can_lead(db, actor, row),
        "reminder": is_open and actor.role in ("leader", "admin"),
        "rating": status in RATABLE,
        "note": True,
        "correction": True,
    }
    return [key for key in ACTION_LABELS if checks[key]]
