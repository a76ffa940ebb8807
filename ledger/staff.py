"""Department staff: leaders (领导干部), cadres (干部) and admins, each in an office (科室)."""
from __future__ import annotations

import re

import sqlite_utils

from huiqi.errors import Conflict, Invalid, NotFound
from huiqi.text import normalize
from ledger import auth_sessions, clock, events
from ledger.actors import STAFF_ROLES, Actor
from ledger.contacts import normalize_phone
from ledger.db import insert, one, transaction, update
from ledger.passwords import hash_password, verify_password

_LOGIN = re.compile(r"[a-z][a-z0-9_.-]{2,31}")
_PUBLIC = "id, login, name, role, office, phone, active, created_at"


def _check(role: str | None = None, office: str | None = None, name: str | None = None) -> None:
    if role is not None and role not in STAFF_ROLES:
        raise Invalid("INVALID_ROLE", "角色应为 leader（领导干部）、cadre（干部）或 admin（管理员）。", field="role")
    if office is not None and not normalize(office):
        raise Invalid("OFFICE_REQUIRED", "请填写所在科室。", field="office")
    if name is not None and not normalize(name):
        raise Invalid("NAME_REQUIRED", "请填写姓名。", field="name")


def _public(row: dict) -> dict:
    row = {k: row[k] for k in ("id", "login", "name", "role", "office", "phone", "active", "created_at")}
    row["active"] = bool(row["active"])
    return row


def create_staff(db: sqlite_utils.Database, actor: Actor, *, login: str, name: str, role: str, office: str,
                 password: str, phone: str | None = None) -> dict:
    login = (login or "").strip().lower()
    if not _LOGIN.fullmatch(login):
        raise Invalid("INVALID_LOGIN", "登录名应为3-32位小写字母、数字或 _ . -，以字母开头。", field="login")
    _check(role, office, name)
    row = {"login": login, "name": normalize(name), "role": role, "office": normalize(office),
           "phone": normalize_phone(phone) if phone else None, "password_hash": hash_password(password),
           "active": 1, "created_at": clock.iso(clock.now())}
    with transaction(db):
        if one(db, "SELECT 1 AS x FROM staff WHERE login = ?", [login]):
            raise Conflict("LOGIN_TAKEN", f"登录名 {login} 已被使用，请换一个。")
        row["id"] = insert(db, "staff", row)
        events.record(db, actor, "staff", to_value=login, note=f"新增{row['name']}（{role}，{row['office']}）")
    return _public(row)


def update_staff(db: sqlite_utils.Database, actor: Actor, login: str, **fields) -> dict:
    current = get_staff(db, login)
    values: dict = {}
    for key, value in fields.items():
        if value is None:
            continue
        if key == "password":
            values["password_hash"] = hash_password(value)
        elif key == "phone":
            values["phone"] = normalize_phone(value)
        elif key == "active":
            values["active"] = 1 if value else 0
        elif key in ("name", "role", "office"):
            _check(**{key: value})
            values[key] = normalize(value) if key != "role" else value
        else:
            raise Invalid("UNKNOWN_FIELD", f"不能修改字段 {key}。", field=key)
    ends_sessions = ("password_hash" in values or values.get("active") == 0
                     or ("role" in values and values["role"] != current["role"]))
    with transaction(db):
        update(db, "staff", "id", current["id"], values)
        shown = {k: [current.get(k), v] for k, v in values.items() if k != "password_hash"}
        note = "修改人员信息" + ("（重置密码）" if "password_hash" in values else "")
        if ends_sessions:
            ended = auth_sessions.end_all(db, current["login"], auth_sessions.STAFF, "account_changed")
            note += f"；已结束其 {ended} 个登录会话" if ended else ""
        events.record(db, actor, "staff", to_value=current["login"], note=note, changes=shown)
    return get_staff(db, login)


def get_staff(db: sqlite_utils.Database, login: str) -> dict:
    row = one(db, f"SELECT {_PUBLIC} FROM staff WHERE login = ?", [(login or "").strip().lower()])
    if row is None:
        raise NotFound("STAFF_NOT_FOUND", f"未找到登录名为 {login} 的工作人员。")
    return _public(row)


def get_staff_by_id(db: sqlite_utils.Database, staff_id: int | None) -> dict | None:
    if staff_id is None:
        return None
    row = one(db, f"SELECT {_PUBLIC} FROM staff WHERE id = ?", [staff_id])
    return _public(row) if row else None


def list_staff(db: sqlite_utils.Database, role: str | None = None, office: str | None = None) -> list[dict]:
    sql, args = f"SELECT {_PUBLIC} FROM staff WHERE 1=1", []
    if role:
        sql, args = sql + " AND role = ?", args + [role]
    if office:
        sql, args = sql + " AND office = ?", args + [office]
    return [_public(r) for r in db.query(sql + " ORDER BY office, role, login", args)]


def leaders_of(db: sqlite_utils.Database, office: str) -> list[dict]:
    return [s for s in list_staff(db, role="leader", office=office) if s["active"]]


def active_staff(db: sqlite_utils.Database, login: str) -> dict | None:
    """The full row of an active staff account (for the bearer-token check), or None."""
    return one(db, "SELECT * FROM staff WHERE login = ? AND active = 1", [(login or "").strip().lower()])


def authenticate_staff(db: sqlite_utils.Database, login: str, password: str) -> dict | None:
    """The staff member when the login and password match an active account, else None (an unknown
    login costs the same password check as a wrong password)."""
    row = active_staff(db, login)
    if not verify_password(row["password_hash"] if row else None, password):
        return None
    from ledger.demo import refuse_outside_demo  # demo imports this module

    refuse_outside_demo(password)
    return _public(row)
