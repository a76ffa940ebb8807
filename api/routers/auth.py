"""Log-in: staff (OAuth2 password form) and enterprises (credit code + password) get bearer tokens."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import current_user, get_db, settings_dep
from huiqi import tokens
from ledger.actors import Actor
from ledger.enterprises import authenticate_enterprise
from ledger.staff import authenticate_staff

router = APIRouter(prefix="/auth", tags=["auth"])


def _refused(message: str) -> HTTPException:
    return HTTPException(401, detail={"code": "BAD_CREDENTIALS", "message": message},
                         headers={"WWW-Authenticate": "Bearer"})


@router.post("/token", summary="工作人员登录（OAuth2 密码模式）")
def staff_token(form: OAuth2PasswordRequestForm = Depends(), db=Depends(get_db), settings=Depends(settings_dep)):
    staff = authenticate_staff(db, form.username, form.password)
    if staff is None:
        raise _refused("用户名或密码错误，请重新输入；忘记密码请联系管理员。")
    token = tokens.issue(staff["login"], staff["role"], settings, name=staff["name"], office=staff["office"])
    return {"access_token": token, "token_type": "bearer", "role": staff["role"], "login": staff["login"],
            "name": staff["name"], "office": staff["office"], "expires_in": settings.token_minutes * 60}


@router.post("/enterprise-token", summary="企业登录（统一社会信用代码 + 密码）")
def enterprise_token(credit_code: str = Form(..., description="统一社会信用代码"), password: str = Form(...),
                     db=Depends(get_db), settings=Depends(settings_dep)):
    profile = authenticate_enterprise(db, credit_code, password)
    if profile is None:
        raise _refused("统一社会信用代码或密码不正确，请核对；如未开通账号请联系交通运输局。")
    token = tokens.issue(profile["credit_code"], "enterprise", settings, name=profile["name"])
    return {"access_token": token, "token_type": "bearer", "role": "enterprise",
            "credit_code": profile["credit_code"], "name": profile["name"],
            "expires_in": settings.token_minutes * 60}


@router.get("/me", summary="当前登录用户")
def me(actor: Actor = Depends(current_user)):
    return {"login": actor.ident, "role": actor.role, "name": actor.name, "office": actor.office}
