"""Request dependencies as typed ``Annotated`` aliases: a pooled ledger connection per request,
the settings, the current user from the bearer token (its session still live), role checks.

    def handler(db: DbDep, actor: StaffUser) -> ...
"""
from __future__ import annotations

from typing import Annotated, Iterator

import sqlite_utils
from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import OAuth2PasswordBearer

from huiqi import tokens
from huiqi.settings import Settings, get_settings
from ledger import auth_sessions, pool
from ledger.actors import STAFF_ROLES, Actor
from ledger.enterprises import active_account
from ledger.login_guard import LoginGuard
from ledger.staff import active_staff

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def _unauthenticated(message: str = "请先登录后再操作。") -> HTTPException:
    return HTTPException(401, detail={"code": "UNAUTHENTICATED", "message": message},
                         headers={"WWW-Authenticate": "Bearer"})


def settings_dep() -> Settings:
    return get_settings()


SettingsDep = Annotated[Settings, Depends(settings_dep)]


def get_db(settings: SettingsDep) -> Iterator[sqlite_utils.Database]:
    with pool.borrowed(settings) as db:
        yield db


DbDep = Annotated[sqlite_utils.Database, Depends(get_db)]
TokenDep = Annotated[str | None, Depends(oauth2_scheme)]


def token_claims(token: TokenDep, db: DbDep, settings: SettingsDep) -> dict | None:
    """The verified claims of the bearer token, None without one; 401 when invalid or its session ended."""
    if not token:
        return None
    try:
        claims = tokens.verify(token, settings)
    except tokens.TokenError as exc:
        raise _unauthenticated(str(exc)) from exc
    if not auth_sessions.token_is_live(db, claims):
        raise _unauthenticated("登录已退出或失效，请重新登录。")
    return claims


ClaimsDep = Annotated[dict | None, Depends(token_claims)]


def optional_user(claims: ClaimsDep, db: DbDep) -> Actor | None:
    """The staff member or enterprise the token belongs to (re-checked against the ledger), or None."""
    if claims is None:
        return None
    if claims["role"] in STAFF_ROLES:
        row = active_staff(db, claims["sub"])
        if row is None:
            raise _unauthenticated("账号已停用或不存在，请联系管理员。")
        return Actor.from_staff(row)
    if claims["role"] == "enterprise":
        row = active_account(db, claims["sub"])
        if row is None:
            raise _unauthenticated("企业账号已停用或不存在，请联系交通运输局。")
        return Actor.enterprise(claims["sub"], row["name"])
    raise _unauthenticated()


OptionalUser = Annotated[Actor | None, Depends(optional_user)]


def current_user(actor: OptionalUser) -> Actor:
    if actor is None:
        raise _unauthenticated()
    return actor


CurrentUser = Annotated[Actor, Depends(current_user)]


def require_roles(*roles: str):
    """A dependency admitting only the given roles (others get 403)."""
    def check(actor: CurrentUser) -> Actor:
        if actor.role not in roles:
            raise HTTPException(403, detail={"code": "FORBIDDEN", "message": "您没有执行此操作的权限。"})
        return actor
    return check


staff_user = require_roles(*STAFF_ROLES)
admin_user = require_roles("admin")
enterprise_user = require_roles("enterprise")
StaffUser = Annotated[Actor, Depends(staff_user)]
AdminUser = Annotated[Actor, Depends(admin_user)]
EnterpriseUser = Annotated[Actor, Depends(enterprise_user)]


def single_valued_query(request: Request) -> None:
    """Every query parameter at most once: ``?status=a&status=b`` is refused rather than half-read."""
    keys = [k for k, _ in request.query_params.multi_items()]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise RequestValidationError([{"type": "value_error", "loc": ("query", k), "msg": "repeated",
                                       "ctx": {"error": "该参数只能给出一次"}} for k in repeated])


def login_guard(request: Request) -> LoginGuard:
    """The application's log-in throttle (one per app, see api.app)."""
    return request.app.state.login_guard


LoginGuardDep = Annotated[LoginGuard, Depends(login_guard)]
