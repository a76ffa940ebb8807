"""Enterprises (一企一档 profile) and their chat log-ins."""
from __future__ import annotations

import json
from datetime import date

import sqlite_utils

from huiqi.errors import Conflict, Invalid, NotFound
from huiqi.text import normalize
from huiqi.vocabulary import INDUSTRIES, SIZES
from ledger import auth_sessions, clock, credit_code as cc, events
from ledger.actors import Actor
from ledger.contacts import normalize_phone
from ledger.db import insert, one, transaction, update
from ledger.passwords import hash_password, verify_password

EDITABLE = ("name", "industry", "size", "region", "ownership", "tags", "registered_on", "contact_name",
            "contact_phone", "address", "active")


def _split_region(region: str) -> tuple[str, str, str]:
    parts = [p.strip() for p in normalize(region or "").split("/") if p.strip()]
    if not 1 <= len(parts) <= 3:
        raise Invalid("INVALID_REGION", "所在地区请按“省/市/县”填写，如“甘肃省/兰州市/城关区”。", field="region")
    return tuple(parts + [""] * (3 - len(parts)))  # type: ignore[return-value]


def _clean(fields: dict) -> dict:
    """Validated column values for the given editable fields."""
    out: dict = {}
    for key, value in fields.items():
        if key == "name":
            value = normalize(value or "")
            if not value:
                raise Invalid("NAME_REQUIRED", "请填写企业名称。", field="name")
            out["name"] = value
        elif key == "industry":
            if value not in INDUSTRIES:
                raise Invalid("INVALID_INDUSTRY", f"行业应为以下之一：{'、'.join(INDUSTRIES)}。", field="industry")
            out["industry"] = value
        elif key == "size":
            if value not in SIZES:
                raise Invalid("INVALID_SIZE", f"企业规模应为 {'、'.join(SIZES)} 之一。", field="size")
            out["size"] = value
        elif key == "region":
            out["province"], out["city"], out["county"] = _split_region(value)
        elif key == "tags":
            out["tags"] = json.dumps(sorted({normalize(t) for t in value or [] if normalize(t)}), ensure_ascii=False)
        elif key == "registered_on":
            if value:
                try:
                    value = date.fromisoformat(str(value)).isoformat()
                except ValueError as exc:
                    raise Invalid("INVALID_DATE", "成立日期格式应为 YYYY-MM-DD。", field="registered_on") from exc
            out["registered_on"] = value or None
        elif key == "contact_phone":
            out["contact_phone"] = normalize_phone(value, "contact_phone") if value else None
        elif key == "active":
            out["active"] = 1 if value else 0
        elif key in EDITABLE:
            out[key] = normalize(value) if isinstance(value, str) else value
        else:
            raise Invalid("UNKNOWN_FIELD", f"不能修改字段 {key}。", field=key)
    return out


def _row(db: sqlite_utils.Database, code: str) -> dict | None:
    return one(db, "SELECT * FROM enterprises WHERE credit_code = ?", [code])


def _public(row: dict) -> dict:
    row = dict(row)
    row["tags"] = json.loads(row["tags"])
    row["region"] = "/".join(p for p in (row.pop("province"), row.pop("city"), row.pop("county")) if p)
    row["active"] = bool(row["active"])
    return row


def create_enterprise(db: sqlite_utils.Database, actor: Actor, *, credit_code: str, name: str, industry: str,
                      size: str, region: str, ownership: str = "", tags=(), registered_on: str | None = None,
                      contact_name: str | None = None, contact_phone: str | None = None,
                      address: str | None = None) -> dict:
    code = cc.validate(credit_code)
    values = _clean({"name": name, "industry": industry, "size": size, "region": region, "ownership": ownership,
                     "tags": list(tags), "registered_on": registered_on, "contact_name": contact_name,
                     "contact_phone": contact_phone, "address": address})
    stamp = clock.iso(clock.now())
    with transaction(db):
        if _row(db, code):
            raise Conflict("ENTERPRISE_EXISTS", f"统一社会信用代码 {code} 的企业已建档，请直接修改该企业信息。")
        insert(db, "enterprises", {"credit_code": code, **values, "created_at": stamp, "updated_at": stamp})
        events.record(db, actor, "enterprise", credit_code=code, to_value=values["name"], note="建档",
                      changes={k: [None, v] for k, v in values.items()}, at=stamp)
    return get_enterprise(db, code)


def update_enterprise(db: sqlite_utils.Database, actor: Actor, credit_code: str, **fields) -> dict:
    code = cc.normalize(credit_code)
    values = _clean(fields)
    with transaction(db):
        row = _row(db, code)
        if row is None:
            raise NotFound("ENTERPRISE_NOT_FOUND", "未找到该企业，请核对统一社会信用代码。")
        changes = {k: [row[k], v] for k, v in values.items() if row[k] != v}
        if changes:
            stamp = clock.iso(clock.now())
            update(db, "enterprises", "credit_code", code, {**{k: v[1] for k, v in changes.items()},
                                                            "updated_at": stamp})
            note = "修改企业信息"
            if values.get("active") == 0:
                ended = auth_sessions.end_all(db, code, auth_sessions.ENTERPRISE, "enterprise_deactivated")
                note += f"（停用；已结束其 {ended} 个登录会话）" if ended else "（停用）"
            events.record(db, actor, "enterprise", credit_code=code, note=note, changes=changes, at=stamp)
    return get_enterprise(db, code)


def get_enterprise(db: sqlite_utils.Database, credit_code: str) -> dict:
    row = _row(db, cc.normalize(credit_code))
    if row is None:
        raise NotFound("ENTERPRISE_NOT_FOUND", "未找到该企业，请核对统一社会信用代码。")
    return _public(row)


def list_enterprises(db: sqlite_utils.Database, codes: list[str] | None = None) -> list[dict]:
    if codes is None:
        rows = db.query("SELECT * FROM enterprises ORDER BY name")
    else:
        rows = db.query(f"SELECT * FROM enterprises WHERE credit_code IN ({','.join('?' * len(codes))}) "
                        "ORDER BY name", codes)
    return [_public(r) for r in rows]


def profile(db: sqlite_utils.Database, credit_code: str) -> dict:
    """The shared-vocabulary profile the policy matcher consumes."""
    e = get_enterprise(db, credit_code)
    return {"credit_code": e["credit_code"], "name": e["name"], "industry": e["industry"], "size": e["size"],
            "region": e["region"], "ownership": e["ownership"], "tags": e["tags"],
            "registered_on": e["registered_on"]}


def set_account(db: sqlite_utils.Database, actor: Actor, credit_code: str, password: str) -> None:
    """Issue (or reset) the enterprise's chat log-in password."""
    code = cc.normalize(credit_code)
    get_enterprise(db, code)
    digest = hash_password(password)
    stamp = clock.iso(clock.now())
    with transaction(db):
        existed = one(db, "SELECT 1 AS x FROM enterprise_accounts WHERE credit_code = ?", [code]) is not None
        db.execute("INSERT INTO enterprise_accounts (credit_code, password_hash, active, issued_by, issued_at) "
                   "VALUES (?, ?, 1, ?, ?) ON CONFLICT(credit_code) DO UPDATE SET password_hash = excluded.password_hash,"
                   " active = 1, issued_by = excluded.issued_by, issued_at = excluded.issued_at",
                   [code, digest, actor.ident, stamp])
        ended = auth_sessions.end_all(db, code, auth_sessions.ENTERPRISE, "password_reset") if existed else 0
        note = "重置登录密码" if existed else "开通登录账号"
        events.record(db, actor, "account", credit_code=code, at=stamp,
                      note=note + (f"；已结束其 {ended} 个登录会话" if ended else ""))


def active_account(db: sqlite_utils.Database, credit_code: str) -> dict | None:
    """``{name, password_hash}`` of an active enterprise with an active log-in, or None."""
    return one(db, "SELECT e.name, a.password_hash FROM enterprise_accounts a JOIN enterprises e USING (credit_code) "
                   "WHERE a.credit_code = ? AND a.active = 1 AND e.active = 1", [cc.normalize(credit_code)])


def authenticate_enterprise(db: sqlite_utils.Database, credit_code: str, password: str) -> dict | None:
    """The enterprise's profile when the credit code and password match an active account, else None (an
    unknown code costs the same password check as a wrong password)."""
    code = cc.normalize(credit_code)
    row = active_account(db, code)
    if not verify_password(row["password_hash"] if row else None, password):
        return None
    from ledger.demo import refuse_outside_demo  # demo imports this module

    refuse_outside_demo(password)
    return profile(db, code)
