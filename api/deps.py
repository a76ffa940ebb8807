"""Request dependencies as typed ``Annotated`` aliases: a pooled ledger connection per request,
the settings, the current user from the bearer token (its session still live), role checks.

    def handler(db: DbDep, actor: StaffUser) -> ...
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, AsyncIterator

import sqlite_utils
from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import OAuth2PasswordBearer
from starlette.concurrency import run_in_threadpool

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


async def settings_dep() -> Settings:
    return get_settings()


SettingsDep = Annotated[Settings, Depends(settings_dep)]


async def get_db(settings: SettingsDep) -> AsyncIterator[sqlite_utils.Database]:
    """A pooled connection: an idle one is taken on the event loop (no wait); opening a new one (file
    I/O, migration check) runs in the thread pool. Returning it only rolls back an open transaction."""
    connections = pool.pool_for(settings)
    db = connections.take_idle()
    if db is None:
        db = await run_in_threadpool(connections.acquire, settings)
    try:
        yield db
    finally:
        connections.release(db)


DbDep = Annotated[sqlite_utils.Database, Depends(get_db)]
TokenDep = Annotated[str | None, Depends(oauth2_scheme)]


@dataclass(frozen=True)
class Login:
    """Who the bearer token speaks for: its verified claims and the account, both None without a token."""
    claims: dict | None = None
    actor: Actor | None = None


def _actor_for(db: sqlite_utils.Database, claims: dict) -> Actor:
    """The staff member or enterprise the claims name, re-checked against the ledger (still active)."""
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


async def login(token: TokenDep, db: DbDep, settings: SettingsDep) -> Login:
    """The token verified, its session still live and its account still active; 401 otherwise.

    Runs on the event loop, as do the hot read routes (the problem queue, a problem, the dossier as JSON):
    their work is bounded and small (indexed reads of one actor's rows, a few milliseconds; in WAL mode a
    read never waits for a writer), and a hop to the thread pool and back cost more CPU than the check
    itself (py-spy, README "API speed"). Everything that can take long (writes, which may wait for the
    write lock, imports, spreadsheets, search with the encoder) is a plain ``def`` route, run in the
    thread pool."""
    if not token:
        return Login()
    try:
        claims = tokens.verify(token, settings)
    except tokens.TokenError as exc:
        raise _unauthenticated(str(exc)) from exc
    if not auth_sessions.token_is_live(db, claims):
        raise _unauthenticated("登录已退出或失效，请重新登录。")
    return Login(claims, _actor_for(db, claims))


LoginDep = Annotated[Login, Depends(login)]


async def token_claims(found: LoginDep) -> dict | None:
    """The verified claims of the bearer token, None without one."""
    return found.claims


ClaimsDep = Annotated[dict | None, Depends(token_claims)]


async def optional_user(found: LoginDep) -> Actor | None:
    """The staff member or enterprise the token belongs to, or None without a token."""
    return found.actor


OptionalUser = Annotated[Actor | None, Depends(optional_user)]


async def current_user(actor: OptionalUser) -> Actor:
    if actor is None:
        raise _unauthenticated()
    return actor


CurrentUser = Annotated[Actor, Depends(current_user)]


def require_roles(*roles: str):
    """A dependency admitting only the given roles (others get 403)."""
    async def check(actor: CurrentUser) -> Actor:
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


async def single_valued_query(request: Request) -> None:
    """Every query parameter at most once: ``?status=a&status=b`` is refused rather than half-read."""
    keys = [k for k, _ in request.query_params.multi_items()]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise RequestValidationError([{"type": "value_error", "loc": ("query", k), "msg": "repeated",
                                       "ctx": {"error": "该参数只能给出一次"}} for k in repeated])


async def login_guard(request: Request) -> LoginGuard:
    """The application's log-in throttle (one per app, see api.app)."""
    return request.app.state.login_guard


LoginGuardDep = Annotated[LoginGuard, Depends(login_guard)]
