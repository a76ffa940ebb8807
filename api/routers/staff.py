"""Staff accounts (admin only). A password reset, deactivation or role change ends the account's sessions."""
from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from api.deps import AdminUser, DbDep
from api.schemas import AUTH_ERRORS, StaffOut, errors
from api.validators import CODE_MAX, LOGIN_MAX, PASSWORD_MAX, Body, LoginPath, ShortQuery, one_of
from ledger import staff as st
from ledger.actors import STAFF_ROLES

router = APIRouter(prefix="/staff", tags=["staff"], responses=AUTH_ERRORS)


Role = one_of("角色", STAFF_ROLES, "角色应为 leader（领导干部）、cadre（干部）或 admin（管理员）")


class StaffIn(Body):
    login: str = Field(max_length=LOGIN_MAX, description="登录名：小写字母开头，3-32位")
    name: str = Field(min_length=1, max_length=40)
    role: Role
    office: str = Field(min_length=1, max_length=40)
    password: str = Field(max_length=PASSWORD_MAX, description="至少8位")
    phone: str | None = Field(None, max_length=CODE_MAX)


class StaffPatch(Body):
    name: str | None = Field(None, max_length=40)
    role: Role | None = None
    office: str | None = Field(None, max_length=40)
    password: str | None = Field(None, max_length=PASSWORD_MAX)
    phone: str | None = Field(None, max_length=CODE_MAX)
    active: bool | None = None


@router.get("", summary="工作人员列表", response_model=list[StaffOut])
def list_staff(actor: AdminUser, db: DbDep, role: ShortQuery = None, office: ShortQuery = None):
    return st.list_staff(db, role=role, office=office)


@router.post("", status_code=201, summary="新增工作人员", response_model=StaffOut, responses=errors(409))
def create_staff(body: StaffIn, actor: AdminUser, db: DbDep):
    return st.create_staff(db, actor, **body.model_dump())


@router.put("/{login}", summary="修改工作人员（含停用、重置密码、改角色；其登录会话随之结束）", response_model=StaffOut,
            responses=errors(404))
def update_staff(login: LoginPath, body: StaffPatch, actor: AdminUser, db: DbDep):
    return st.update_staff(db, actor, login, **body.model_dump(exclude_none=True))
