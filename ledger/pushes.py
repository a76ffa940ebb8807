"""Storage and status transitions for policy pushes (不来即享 / 精准兑现) and push opt-outs.

Matching (which enterprises a measure fits) lives in policies_kb; this module records one push
per enterprise and measure version and its path pushed → delivered → viewed → applied → redeemed
(or declined / not_eligible; 免申即享 measures go to to_confirm; retired measures are withdrawn).
Every change is an event in the enterprise's dossier.
"""
from __future__ import annotations

import json
from typing import Iterable, Iterator

import sqlite_utils

from huiqi.errors import Conflict, Invalid, NotFound
from huiqi.text import normalize
from ledger import clock, events
from ledger.access import can_see_enterprise, enterprise_scope
from ledger.actors import SYSTEM, Actor
from ledger.db import insert, one, transaction

STATUS_LABELS = {"pushed": "已推送", "delivered": "已送达", "viewed": "已查看", "applied": "已申请",
                 "redeemed": "已兑现", "declined": "已放弃", "not_eligible": "不符合条件", "to_confirm": "待确认",
                 "withdrawn": "已撤回"}
FINAL = ("redeemed", "declined", "not_eligible", "withdrawn")
_ORDER = ("pushed", "delivered", "viewed", "applied")
# Forward moves only; any non-final push may also be declined, found not eligible, or withdrawn.
NEXT = {
    "pushed": {"delivered", "viewed", "applied", "to_confirm"},
    "delivered": {"viewed", "applied", "to_confirm"},
    "viewed": {"applied", "to_confirm"},
    "applied": {"redeemed"},
    "to_confirm": {"redeemed"},
}
ALL_CATEGORIES = "全部"
# The one definition of an outstanding push: not in a final status, so the business or the department
# still has something to do. The chat (list, greeting count), the console (?outstanding=true) and the
# funnel's ``outstanding`` count all use it.
OUTSTANDING = tuple(s for s in STATUS_LABELS if s not in FINAL)
# What the push engine withdraws when a measure is retired, expires, changes its benefit or no longer
# fits the enterprise: every outstanding push except one already applied for (the business is mid-way
# through its application, so the department settles it by hand).
WITHDRAWABLE = tuple(s for s in OUTSTANDING if s != "applied")
# Outstanding and not yet opened by the business: the greeting counts them; opening one in the chat marks it viewed.
UNSEEN = ("pushed", "delivered")
# What a push sent into an open conversation may be shown in: unseen, or waiting for the department (免申即享).
DELIVERABLE = (*UNSEEN, "to_confirm")
# Funnel stages, in order; a status implies every earlier stage was passed (pushed → applied may skip).
STAGES = ("pushed", "delivered", "viewed", "applied", "redeemed")
_IMPLIES = {"pushed": 0, "to_confirm": 0, "delivered": 1, "viewed": 2, "applied": 3, "redeemed": 4}
VISIBLE_PUSH_NOT_FOUND = ("PUSH_NOT_FOUND", "未找到该政策推送记录，或该企业不在您的包抓范围内。")


def is_outstanding(status: str) -> bool:
    """Whether a push in ``status`` is outstanding (see ``OUTSTANDING``)."""
    return status in OUTSTANDING


def push_refusal(current: str, new: str) -> str | None:
    if new not in STATUS_LABELS:
        return f"推送状态应为以下之一：{'、'.join(STATUS_LABELS)}。"
    if current in FINAL:
        return f"该推送已“{STATUS_LABELS[current]}”，不能再改为“{STATUS_LABELS[new]}”。"
    if new in ("declined", "not_eligible", "withdrawn") or new in NEXT.get(current, ()):
        return None
    return f"推送状态不能从“{STATUS_LABELS[current]}”改为“{STATUS_LABELS[new]}”。"


def _get(db, push_id: int) -> dict:
    row = one(db, "SELECT * FROM pushes WHERE id = ?", [push_id])
    if row is None:
        raise NotFound("PUSH_NOT_FOUND", "未找到该政策推送记录。")
    row["status_label"] = STATUS_LABELS[row["status"]]
    return row


def get_push(db: sqlite_utils.Database, push_id: int) -> dict:
    return _get(db, push_id)


def get_visible_push(db: sqlite_utils.Database, actor: Actor, push_id: int) -> dict:
    """The push if the actor may see its enterprise; NotFound (same message) otherwise."""
    try:
        push = _get(db, push_id)
    except NotFound:
        raise NotFound(*VISIBLE_PUSH_NOT_FOUND) from None
    if not can_see_enterprise(db, actor, push["credit_code"]):
        raise NotFound(*VISIBLE_PUSH_NOT_FOUND)
    return push


def list_visible(db: sqlite_utils.Database, actor: Actor, *, credit_code: str | None = None,
                 outstanding: bool = False, status: str | None = None, measure_id: str | None = None,
                 limit: int = 500) -> dict:
    """Pushes of the enterprises the actor may see, with a count per enterprise (``credit_code`` already
    checked as visible by the caller)."""
    cond, args = enterprise_scope(actor, "p.credit_code")
    where, params = [cond], list(args)
    if credit_code:
        where.append("p.credit_code = ?"); params.append(credit_code)
    if outstanding:
        where.append(f"p.status IN ({','.join('?' * len(OUTSTANDING))})"); params += OUTSTANDING
    if status:
        where.append("p.status = ?"); params.append(status)
    if measure_id:
        where.append("p.measure_id = ?"); params.append(measure_id)
    rows = list(db.query(
        f"SELECT p.*, e.name AS enterprise_name FROM pushes p JOIN enterprises e USING (credit_code) "
        f"WHERE {' AND '.join(where)} ORDER BY p.credit_code, p.created_at DESC, p.id DESC LIMIT ?", [*params, limit]))
    per: dict[str, dict] = {}
    for r in rows:
        r["status_label"] = STATUS_LABELS[r["status"]]
        e = per.setdefault(r["credit_code"], {"credit_code": r["credit_code"], "name": r["enterprise_name"],
                                              "count": 0, "outstanding": 0})
        e["count"] += 1
        e["outstanding"] += is_outstanding(r["status"])
    return {"total": len(rows), "items": rows, "enterprises": list(per.values())}


def new_push_status(redemption_mode: str | None) -> str:
    """A new push is ``to_confirm`` for a 免申即享 measure (the department confirms the benefit), ``pushed`` otherwise."""
    return "to_confirm" if redemption_mode == "免申即享" else "pushed"


def record_push(db: sqlite_utils.Database, credit_code: str, measure_id: str, measure_version: int,
                measure_title: str, *, status: str = "pushed", reason: str | None = None,
                actor: Actor = SYSTEM) -> tuple[dict, bool]:
    """Create the push for (enterprise, measure, version) unless it exists; returns (push, created)."""
    if status not in ("pushed", "to_confirm"):
        raise Invalid("INVALID_PUSH_STATUS", "新推送的状态应为 pushed 或 to_confirm。", field="status")
    stamp = clock.iso(clock.now())
    with transaction(db):
        existing = one(db, "SELECT id FROM pushes WHERE credit_code = ? AND measure_id = ? AND measure_version = ?",
                       [credit_code, measure_id, int(measure_version)])
        if existing:
            return _get(db, existing["id"]), False
        if one(db, "SELECT 1 AS x FROM enterprises WHERE credit_code = ?", [credit_code]) is None:
            raise NotFound("ENTERPRISE_NOT_FOUND", "未找到该企业，请核对统一社会信用代码。")
        pid = insert(db, "pushes", {"credit_code": credit_code, "measure_id": measure_id,
                                    "measure_version": int(measure_version), "measure_title": measure_title,
                                    "status": status, "reason": reason, "created_at": stamp, "updated_at": stamp})
        events.record(db, actor, "push", credit_code=credit_code, push_id=pid, to_value=status,
                      note=f"推送政策《{measure_title}》（{measure_id} 第{measure_version}版）" + (f"：{reason}" if reason else ""),
                      changes={"status": [None, status]}, at=stamp)
    return _get(db, pid), True


def set_push_status(db: sqlite_utils.Database, push_id: int, status: str, *, actor: Actor = SYSTEM,
                    reason: str | None = None) -> dict:
    """Move a push along its path; setting the current status again changes nothing."""
    stamp = clock.iso(clock.now())
    with transaction(db):
        row = _get(db, push_id)
        if row["status"] == status:
            return row
        why = push_refusal(row["status"], status)
        if why:
            raise Conflict("PUSH_TRANSITION_REFUSED", why)
        db.execute("UPDATE pushes SET status = ?, reason = COALESCE(?, reason), updated_at = ? WHERE id = ?",
                   [status, reason, stamp, push_id])
        events.record(db, actor, "push_status", credit_code=row["credit_code"], push_id=push_id,
                      from_value=row["status"], to_value=status,
                      note=f"《{row['measure_title']}》{STATUS_LABELS[status]}" + (f"：{reason}" if reason else ""),
                      changes={"status": [row["status"], status]}, at=stamp)
    return _get(db, push_id)


def outstanding_pushes(db: sqlite_utils.Database, credit_code: str) -> list[dict]:
    """The enterprise's outstanding pushes, newest first (what the chat lists and delivers)."""
    return [p for p in list_pushes(db, credit_code) if is_outstanding(p["status"])]


def unseen_pushes(db: sqlite_utils.Database, credit_code: str) -> list[dict]:
    """The enterprise's pushes it has not opened yet, newest first."""
    return [p for p in list_pushes(db, credit_code) if p["status"] in UNSEEN]


def list_pushes(db: sqlite_utils.Database, credit_code: str, status: str | None = None) -> list[dict]:
    sql, args = "SELECT * FROM pushes WHERE credit_code = ?", [credit_code]
    if status:
        sql, args = sql + " AND status = ?", args + [status]
    rows = list(db.query(sql + " ORDER BY created_at DESC, id DESC", args))
    for r in rows:
        r["status_label"] = STATUS_LABELS[r["status"]]
    return rows


def pushes_for_measure(db: sqlite_utils.Database, measure_id: str, status: str | None = None) -> list[dict]:
    sql, args = "SELECT * FROM pushes WHERE measure_id = ?", [measure_id]
    if status:
        sql, args = sql + " AND status = ?", args + [status]
    return list(db.query(sql + " ORDER BY id", args))


def funnel(db: sqlite_utils.Database, measure_id: str) -> dict[str, int]:
    """Counts per status for one measure (all versions)."""
    counts = {k: 0 for k in STATUS_LABELS}
    for r in db.query("SELECT status, count(*) AS n FROM pushes WHERE measure_id = ? GROUP BY status", [measure_id]):
        counts[r["status"]] = r["n"]
    return counts


def opt_out(db: sqlite_utils.Database, credit_code: str, category: str, by: Actor) -> bool:
    """Stop pushes of ``category`` (``全部`` = all) to the enterprise; False when already opted out."""
    category = normalize(category or "")
    if not category:
        raise Invalid("CATEGORY_REQUIRED", "请说明不再接收哪一类政策推送。", field="category")
    stamp = clock.iso(clock.now())
    with transaction(db):
        if category in opted_out(db, credit_code):
            return False
        insert(db, "push_opt_outs", {"credit_code": credit_code, "category": category, "at": stamp, "by": by.ident})
        events.record(db, by, "opt_out", credit_code=credit_code, to_value=category, note=f"不再接收“{category}”类政策推送",
                      at=stamp)
    return True


def opt_in(db: sqlite_utils.Database, credit_code: str, category: str, by: Actor) -> bool:
    """Resume pushes of ``category``; False when it was not opted out."""
    category = normalize(category or "")
    stamp = clock.iso(clock.now())
    with transaction(db):
        cur = db.execute("UPDATE push_opt_outs SET ended_at = ?, ended_by = ? WHERE credit_code = ? AND category = ?"
                         " AND ended_at IS NULL", [stamp, by.ident, credit_code, category])
        if cur.rowcount == 0:
            return False
        events.record(db, by, "opt_in", credit_code=credit_code, to_value=category, note=f"恢复接收“{category}”类政策推送",
                      at=stamp)
    return True


def opted_out(db: sqlite_utils.Database, credit_code: str) -> set[str]:
    """The categories the enterprise currently does not want pushed."""
    return {r["category"] for r in db.query(
        "SELECT category FROM push_opt_outs WHERE credit_code = ? AND ended_at IS NULL", [credit_code])}


def stops(opted: set[str], names: Iterable[str]) -> bool:
    """The opt-out rule: an enterprise that opted out of ``全部`` or of any of ``names`` (a measure's
    category or one of its tags, normalised) gets no push of it."""
    return bool(opted) and (ALL_CATEGORIES in opted or not opted.isdisjoint(names))


def is_opted_out(db: sqlite_utils.Database, credit_code: str, category: str) -> bool:
    return stops(opted_out(db, credit_code), (category,))


def current_opt_outs(db: sqlite_utils.Database) -> dict[str, set[str]]:
    """Every enterprise's current opt-outs (credit code → categories), for planning many pushes at once."""
    out: dict[str, set[str]] = {}
    for code, category in db.execute("SELECT credit_code, category FROM push_opt_outs WHERE ended_at IS NULL"):
        out.setdefault(code, set()).add(category)
    return out


# ---- what the push engine reads and writes ------------------------------------------------------
def profiles_stamp(db: sqlite_utils.Database) -> tuple:
    """Changes when an active enterprise is added, removed or edited (the engine's profile cache key)."""
    return tuple(db.execute("SELECT count(*), max(updated_at) FROM enterprises WHERE active = 1").fetchone())


def enterprise_profiles(db: sqlite_utils.Database) -> Iterator[dict]:
    """Active enterprises as targeting profiles (credit_code, industry, size, tags, region "省/市/县"),
    by credit code; one query, tag lists shared between equal rows."""
    rows = db.execute("SELECT credit_code, industry, size, province, city, county, tags FROM enterprises "
                      "WHERE active = 1 ORDER BY credit_code").fetchall()
    tag_cache: dict[str, list[str]] = {}
    for code, industry, size, prov, city, county, tags in rows:
        t = tag_cache.get(tags)
        if t is None:
            t = tag_cache[tags] = json.loads(tags or "[]")
        yield {"credit_code": code, "industry": industry, "size": size, "tags": t,
               "region": "/".join(x for x in (prov, city, county) if x)}


def latest_pushes(db: sqlite_utils.Database, measure_id: str) -> dict[str, dict]:
    """Credit code → the latest push of the measure to that enterprise (id, measure_version, status)."""
    out: dict[str, dict] = {}
    for p in db.query("SELECT id, credit_code, measure_version, status FROM pushes WHERE measure_id = ? "
                      "ORDER BY id", [measure_id]):
        out[p["credit_code"]] = p
    return out


def apply_plan(db: sqlite_utils.Database, measure_id: str, version: int, title: str, status: str,
               withdraw: Iterable[tuple[int, str]], create: Iterable[tuple[str, str]]) -> list[dict]:
    """Write one measure's plan in one transaction: withdraw ``(push id, reason)``, then create
    ``(credit code, reason)`` pushes in ``status``; returns the pushes created."""
    created = []
    with transaction(db):
        for push_id, why in withdraw:
            set_push_status(db, push_id, "withdrawn", reason=why)
        for code, why in create:
            push, new = record_push(db, code, measure_id, version, title, status=status, reason=why)
            if new:
                created.append(push)
    return created


def redemption_funnel(db: sqlite_utils.Database, measure_id: str) -> dict:
    """Per measure: how many pushes reached each stage (cumulative, from the event log), the current
    status counts and how many are outstanding."""
    reached = {s: 0 for s in STAGES}
    current = {}
    per_push: dict[int, int] = {}
    rows = db.execute("SELECT e.push_id, e.to_value FROM events e JOIN pushes p ON p.id = e.push_id "
                      "WHERE p.measure_id = ? AND e.type IN ('push', 'push_status')", [measure_id]).fetchall()
    for push_id, value in rows:
        if value in _IMPLIES:
            per_push[push_id] = max(per_push.get(push_id, 0), _IMPLIES[value])
    for top in per_push.values():
        for i in range(top + 1):
            reached[STAGES[i]] += 1
    for status, n in db.execute("SELECT status, count(*) FROM pushes WHERE measure_id = ? GROUP BY status",
                                [measure_id]).fetchall():
        current[status] = n
    return {"measure_id": measure_id, "stages": reached, "current": current,
            "outstanding": sum(n for status, n in current.items() if is_outstanding(status))}
