"""What each user may see: an official their own enterprises (a leader also those of the office),
an enterprise only itself, an admin everything. Anything else is reported as not found."""
from __future__ import annotations

import sqlite_utils

from huiqi.errors import NotFound
from ledger.actors import Actor

_MY_PAIRED = "SELECT credit_code FROM pairings WHERE staff_id = ? AND ended_at IS NULL"
_OFFICE_PAIRED = ("SELECT p.credit_code FROM pairings p JOIN staff s ON s.id = p.staff_id"
                  " WHERE p.ended_at IS NULL AND s.office = ?")

ENTERPRISE_NOT_FOUND = ("ENTERPRISE_NOT_FOUND", "未找到该企业，或该企业不在您的包抓范围内。")
PROBLEM_NOT_FOUND = ("PROBLEM_NOT_FOUND", "未找到该诉求，请核对编号。")


def enterprise_scope(actor: Actor, column: str = "credit_code") -> tuple[str, list]:
    """A SQL condition on ``column`` that holds for the enterprises the actor may see."""
    if actor.role == "admin":
        return "1 = 1", []
    if actor.role == "cadre":
        return f"{column} IN ({_MY_PAIRED})", [actor.staff_id]
    if actor.role == "leader":
        return f"({column} IN ({_MY_PAIRED}) OR {column} IN ({_OFFICE_PAIRED}))", [actor.staff_id, actor.office]
    if actor.role == "enterprise":
        return f"{column} = ?", [actor.ident]
    return "0 = 1", []


def problem_scope(actor: Actor, alias: str = "p") -> tuple[str, list]:
    """A SQL condition on problems (table alias ``alias``) the actor may see."""
    a = alias
    if actor.role == "admin":
        return "1 = 1", []
    if actor.role == "cadre":
        return f"({a}.assignee_id = ? OR {a}.credit_code IN ({_MY_PAIRED}))", [actor.staff_id, actor.staff_id]
    if actor.role == "leader":
        return (f"({a}.assignee_id IN (SELECT id FROM staff WHERE office = ?) OR {a}.office = ?"
                f" OR {a}.escalated_to = ? OR {a}.credit_code IN ({_MY_PAIRED})"
                f" OR {a}.credit_code IN ({_OFFICE_PAIRED}))",
                [actor.office, actor.office, actor.staff_id, actor.staff_id, actor.office])
    if actor.role == "enterprise":
        return f"{a}.credit_code = ?", [actor.ident]
    if actor.role == "claimant":
        return f"({a}.credit_code IS NULL AND {a}.claimant_phone = ?)", [actor.ident]
    return "0 = 1", []


def can_see_enterprise(db: sqlite_utils.Database, actor: Actor, credit_code: str) -> bool:
    cond, args = enterprise_scope(actor)
    sql = f"SELECT 1 FROM enterprises WHERE credit_code = ? AND {cond}"
    return db.execute(sql, [credit_code, *args]).fetchone() is not None


def require_enterprise(db: sqlite_utils.Database, actor: Actor, credit_code: str) -> None:
    if not can_see_enterprise(db, actor, credit_code):
        raise NotFound(*ENTERPRISE_NOT_FOUND)
