"""Log-in (staff: OAuth2 password form; enterprises: credit code + password) and log-out.

Each token belongs to a session (``sid``) that log-out, a password reset, deactivation or a role
change ends. Failed log-ins are throttled per account and per address (``ledger.login_guard``).
"""
from __future__ import annotations

from typing import Annotated, Callable

from fastapi import APIRouter, Form, HTTPException, Request

from api.deps import ClaimsDep, CurrentUser, DbDep, LoginGuardDep, SettingsDep
from api.schemas import AUTH_ERRORS, LogoutOut, MeOut, TokenOut, errors
from api.validators import CODE_MAX, LOGIN_MAX, PASSWORD_MAX
from ledger import auth_sessions, credit_code as cc
from ledger.enterprises import authenticate_enterprise
from ledger.login_guard import LoginGuard
from ledger.staff import authenticate_staff

router = APIRouter(prefix="/auth", tags=["auth"])
LOGIN_ERRORS = errors(401, 429)


def _refused(message: str) -> HTTPException:
    return HTTPException(401, detail={"code": "BAD_CREDENTIALS", "message": message},
                         headers={"WWW-Authenticate": "Bearer"})


def _locked(lock) -> HTTPException:
    return HTTPException(429, detail={"code": "LOGIN_LOCKED", "message": lock.message()},
                         headers={"Retry-After": str(lock.retry_after)})


def _throttled_login(guard: LoginGuard, db, request: Request, account: str, kind: str,
                     attempt: Callable[[], dict | None], refusal: str) -> dict:
    address = request.client.host if request.client else "unknown"
    lock = guard.check(db, account, address)
    if lock is not None:
        raise _locked(lock)
    who = attempt()
    if who is None:
        lock = guard.failed(db, account, address, kind)
        raise _locked(lock) if lock is not None else _refused(refusal)
    guard.succeeded(db, account)
    return who


@router.post("/token", summary="工作人员登录（OAuth2 密码模式）", response_model=TokenOut, responses=LOGIN_ERRORS)
def staff_token(username: Annotated[str, Form(min_length=1, max_length=LOGIN_MAX)],
                password: Annotated[str, Form(min_length=1, max_length=PASSWORD_MAX)],
                request: Request, db: DbDep, settings: SettingsDep, guard: LoginGuardDep,
                grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
                scope: Annotated[str, Form(max_length=200)] = ""):
    account = username.strip().lower()
    staff = _throttled_login(guard, db, request, f"staff:{account}", "工作人员",
                             lambda: authenticate_staff(db, username, password),
                             "用户名或密码错误，请重新输入；忘记密码请联系管理员。")
    token = auth_sessions.issue_token(db, staff["login"], staff["role"], settings, name=staff["name"],
                                      office=staff["office"])
    return {"access_token": token, "token_type": "bearer", "role": staff["role"], "login": staff["login"],
            "name": staff["name"], "office": staff["office"], "expires_in": settings.token_minutes * 60}


@router.post("/enterprise-token", summary="企业登录（统一社会信用代码 + 密码）", response_model=TokenOut,
             responses=LOGIN_ERRORS)
def enterprise_token(credit_code: Annotated[str, Form(min_length=1, max_length=CODE_MAX, description="统一社会信用代码")],
                     password: Annotated[str, Form(min_length=1, max_length=PASSWORD_MAX)],
                     request: Request, db: DbDep, settings: SettingsDep, guard: LoginGuardDep):
    profile = _throttled_login(guard, db, request, f"enterprise:{cc.normalize(credit_code)}", "企业",
                               lambda: authenticate_enterprise(db, credit_code, password),
                               "统一社会信用代码或密码不正确，请核对；如未开通账号请联系交通运输局。")
    token = auth_sessions.issue_token(db, profile["credit_code"], "enterprise", settings, name=profile["name"])
    return {"access_token": token, "token_type": "bearer", "role": "enterprise",
            "credit_code": profile["credit_code"], "name": profile["name"],
            "expires_in": settings.token_minutes * 60}


@router.get("/me", summary="当前登录用户", response_model=MeOut, responses=AUTH_ERRORS)
def me(actor: CurrentUser):
    return {"login": actor.ident, "role": actor.role, "name": actor.name, "office": actor.office}


@router.post("/logout", summary="退出登录（该令牌立即失效）", response_model=LogoutOut, responses=AUTH_ERRORS)
def logout(actor: CurrentUser, claims: ClaimsDep, db: DbDep):
    return {"logged_out": auth_sessions.end(db, claims.get("sid"), "logout")}
