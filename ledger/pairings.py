"""包抓联: each enterprise paired with one official at a time, with full history.

Tier rule: large enterprises (大) are paired with leaders (领导干部), the others with cadres (干部).
"""
from __future__ import annotations

import sqlite_utils

from huiqi.errors import Conflict, NotFound
from ledger import clock, events
from ledger.actors import Actor
from ledger.db import insert, one, transaction
from ledger.enterprises import get_enterprise
from ledger.staff import get_staff, get_staff_by_id


def tier_problem(size: str, role: str) -> str | None:
    """None when an official of ``role`` may be paired with an enterprise of ``size``."""
    if role not in ("leader", "cadre"):
        return "包抓联干部应为领导干部或干部，管理员不能包抓企业。"
    if size == "大" and role != "leader":
        return "大型企业应由领导干部包抓，请选择一位领导干部。"
    if size != "大" and role != "cadre":
        return "中小微企业应由干部包抓，请选择一位干部。"
    return None


def current_official(db: sqlite_utils.Database, credit_code: str) -> dict | None:
    row = one(db, "SELECT staff_id FROM pairings WHERE credit_code = ? AND ended_at IS NULL", [credit_code])
    return get_staff_by_id(db, row["staff_id"]) if row else None


def pair(db: sqlite_utils.Database, actor: Actor, credit_code: str, login: str, note: str | None = None) -> dict:
    """Pair the enterprise with the official (ending any current pairing)."""
    enterprise = get_enterprise(db, credit_code)
    official = get_staff(db, login)
    if not official["active"]:
        raise Conflict("STAFF_INACTIVE", f"{official['name']} 的账号已停用，不能包抓企业。")
    reason = tier_problem(enterprise["size"], official["role"])
    if reason:
        raise Conflict("PAIRING_TIER", reason)
    stamp = clock.iso(clock.now())
    code = enterprise["credit_code"]
    with transaction(db):
        current = one(db, "SELECT id, staff_id FROM pairings WHERE credit_code = ? AND ended_at IS NULL", [code])
        if current and current["staff_id"] == official["id"]:
            return history(db, code)[-1]
        previous = get_staff_by_id(db, current["staff_id"]) if current else None
        if current:
            db.execute("UPDATE pairings SET ended_at = ?, ended_by = ? WHERE id = ?", [stamp, actor.ident, current["id"]])
        insert(db, "pairings", {"credit_code": code, "staff_id": official["id"], "started_at": stamp,
                                "started_by": actor.ident, "note": note})
        events.record(db, actor, "pairing", credit_code=code, from_value=previous["login"] if previous else None,
                      to_value=official["login"], note=note or f"由{official['name']}包抓", at=stamp)
    return history(db, code)[-1]


def unpair(db: sqlite_utils.Database, actor: Actor, credit_code: str, note: str | None = None) -> None:
    code = get_enterprise(db, credit_code)["credit_code"]
    stamp = clock.iso(clock.now())
    with transaction(db):
        current = one(db, "SELECT id, staff_id FROM pairings WHERE credit_code = ? AND ended_at IS NULL", [code])
        if current is None:
            raise NotFound("PAIRING_NOT_FOUND", "该企业当前没有包抓联干部。")
        db.execute("UPDATE pairings SET ended_at = ?, ended_by = ? WHERE id = ?", [stamp, actor.ident, current["id"]])
        login = get_staff_by_id(db, current["staff_id"])["login"]
        events.record(db, actor, "pairing", credit_code=code, from_value=login, to_value=None,
                      note=note or "解除包抓联", at=stamp)


def history(db: sqlite_utils.Database, credit_code: str) -> list[dict]:
    return list(db.query(
        "SELECT p.id, p.credit_code, s.login, s.name, s.role, s.office, p.started_at, p.started_by, p.ended_at,"
        " p.ended_by, p.note FROM pairings p JOIN staff s ON s.id = p.staff_id WHERE p.credit_code = ?"
        " ORDER BY p.started_at, p.id", [credit_code]))


def enterprise_codes_of(db: sqlite_utils.Database, staff_id: int) -> list[str]:
    return [r["credit_code"] for r in db.query(
        "SELECT credit_code FROM pairings WHERE staff_id = ? AND ended_at IS NULL", [staff_id])]


def unpaired(db: sqlite_utils.Database) -> list[dict]:
    """Active enterprises without a current pairing (全覆盖 report)."""
    return list(db.query(
        "SELECT credit_code, name, industry, size FROM enterprises e WHERE active = 1 AND NOT EXISTS"
        " (SELECT 1 FROM pairings p WHERE p.credit_code = e.credit_code AND p.ended_at IS NULL) ORDER BY name"))


def coverage(db: sqlite_utils.Database) -> dict:
    total = db.execute("SELECT count(*) FROM enterprises WHERE active = 1").fetchone()[0]
    missing = unpaired(db)
    return {"enterprises": total, "paired": total - len(missing), "unpaired": missing,
            "coverage_rate": round((total - len(missing)) / total, 4) if total else 1.0}


