"""Staff accounts (admin only)."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import admin_user, get_db
from api.validators import one_of
from ledger import staff as st
from ledger.actors import STAFF_ROLES
from ledger.actors import Actor

router = APIRouter(prefix="/staff", tags=["staff"])


Role = one_of("角色", STAFF_ROLES, "角色应为 leader（领导干部）、cadre（干部）或 admin（管理员）")


class StaffIn(BaseModel):
    login: str = Field(description="登录名：小写字母开头，3-32位")
    name: str = Field(min_length=1, max_length=40)
    role: Role
    office: str = Field(min_length=1, max_length=40)
    password: str = Field(description="至少8位")
    phone: str | None = None


class StaffPatch(BaseModel):
    name: str | None = None
    role: Role | None = None
    office: str | None = None
    password: str | None = None
    phone: str | None = None
    active: bool | None = None


@router.get("", summary="工作人员列表")
def list_staff(role: str | None = None, office: str | None = None, actor: Actor = Depends(admin_user),
               db=Depends(get_db)):
    return st.list_staff(db, role=role, office=office)


@router.post("", status_code=201, summary="新增工作人员")
def create_staff(body: StaffIn, actor: Actor = Depends(admin_user), db=Depends(get_db)):
    return st.create_staff(db, actor, **body.model_dump())


@router.put("/{login}", summary="修改工作人员（含停用、重置密码）")
def update_staff(login: str, body: StaffPatch, actor: Actor = Depends(admin_user), db=Depends(get_db)):
    return st.update_staff(db, actor, login, **body.model_dump(exclude_none=True))
