"""Request dependencies: one ledger connection per request, the current user from the bearer token,
role checks."""
from __future__ import annotations

from typing import Iterator

import sqlite_utils
from fastapi import Depends, HTTPException
from fastapi.security import OAuth2PasswordBearer

from huiqi import tokens
from huiqi.settings import Settings, get_settings
from ledger.actors import STAFF_ROLES, Actor
from ledger.db import connect, one

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def _unauthenticated(message: str = "请先登录后再操作。") -> HTTPException:
    return HTTPException(401, detail={"code": "UNAUTHENTICATED", "message": message},
                         headers={"WWW-Authenticate": "Bearer"})


def settings_dep() -> Settings:
    return get_settings()


def get_db(settings: Settings = Depends(settings_dep)) -> Iterator[sqlite_utils.Database]:
    db = connect(settings=settings)
    try:
        yield db
    finally:
        db.close()


def current_user(token: str | None = Depends(oauth2_scheme), db: sqlite_utils.Database = Depends(get_db),
                 settings: Settings = Depends(settings_dep)) -> Actor:
    """The staff member or enterprise the token belongs to (re-checked against the ledger)."""
    if not token:
        raise _unauthenticated()
    try:
        claims = tokens.verify(token, settings)
    except tokens.TokenError as exc:
        raise _unauthenticated(str(exc)) from exc
    if claims["role"] in STAFF_ROLES:
        row = one(db, "SELECT * FROM staff WHERE login = ? AND active = 1", [claims["sub"]])
        if row is None:
            raise _unauthenticated("账号已停用或不存在，请联系管理员。")
        return Actor.from_staff(row)
    if claims["role"] == "enterprise":
        row = one(db, "SELECT e.name FROM enterprise_accounts a JOIN enterprises e USING (credit_code)"
                      " WHERE a.credit_code = ? AND a.active = 1 AND e.active = 1", [claims["sub"]])
        if row is None:
            raise _unauthenticated("企业账号已停用或不存在，请联系交通运输局。")
        return Actor.enterprise(claims["sub"], row["name"])
    raise _unauthenticated()


def require_roles(*roles: str):
    """A dependency admitting only the given roles (others get 403)."""
    def check(actor: Actor = Depends(current_user)) -> Actor:
        if actor.role not in roles:
            raise HTTPException(403, detail={"code": "FORBIDDEN", "message": "您没有执行此操作的权限。"})
        return actor
    return check


staff_user = require_roles("leader", "cadre", "admin")
admin_user = require_roles("admin")
