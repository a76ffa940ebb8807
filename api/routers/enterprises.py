"""Enterprises and their dossiers (一企一档), pushes and visits."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field, field_validator

from api.deps import admin_user, current_user, get_db, settings_dep, staff_user
from api.errors import ApiError
from api.validators import one_of
from ledger import credit_code as cc, enterprises as ent, pushes, visits, workbook
from ledger.access import enterprise_scope, require_enterprise
from ledger.actors import Actor
from ledger.dossier import dossier
from ledger.pairings import current_official

router = APIRouter(prefix="/enterprises", tags=["enterprises"])

Industry = one_of("行业", ent.INDUSTRIES)
Size = one_of("企业规模", ent.SIZES, "企业规模应为 大、中、小、微 之一")
Occasion = one_of("走访事由", visits.OCCASIONS)


def _code(value: str) -> str:
    reason = cc.problem(cc.normalize(value))
    if reason:
        raise ValueError(reason)
    return cc.normalize(value)


class EnterpriseIn(BaseModel):
    credit_code: str = Field(description="统一社会信用代码")
    name: str = Field(min_length=2, max_length=100)
    industry: Industry
    size: Size
    region: str = Field(description="省/市/县，如 甘肃省/兰州市/城关区")
    ownership: str = ""
    tags: list[str] = []
    registered_on: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    address: str | None = None

    @field_validator("credit_code")
    @classmethod
    def _check_code(cls, v: str) -> str:
        return _code(v)



class EnterprisePatch(BaseModel):
    name: str | None = None
    industry: Industry | None = None
    size: Size | None = None
    region: str | None = None
    ownership: str | None = None
    tags: list[str] | None = None
    registered_on: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    address: str | None = None
    active: bool | None = None


class AccountIn(BaseModel):
    password: str = Field(description="企业登录密码（至少8位）")

    @field_validator("password")
    @classmethod
    def _len(cls, v: str) -> str:
        if len(v) < 8:
            raise ValueError("密码至少需要8位")
        return v


class VisitIn(BaseModel):
    occasion: Occasion = Field(description="走访事由：" + "、".join(visits.OCCASIONS))
    visited_on: str = Field(description="YYYY-MM-DD")
    notes: str


def _visible(db, actor: Actor, credit_code: str) -> str:
    code = cc.normalize(credit_code)
    require_enterprise(db, actor, code)
    return code


@router.get("", summary="我的包抓企业（管理员：全部）")
def list_enterprises(actor: Actor = Depends(current_user), db=Depends(get_db)):
    cond, args = enterprise_scope(actor)
    codes = [r["credit_code"] for r in db.query(f"SELECT credit_code FROM enterprises WHERE {cond}", args)]
    out = []
    for e in ent.list_enterprises(db, codes):
        official = current_official(db, e["credit_code"])
        e["official"] = {k: official[k] for k in ("login", "name", "office")} if official else None
        e["open_problems"] = db.execute(
            "SELECT count(*) FROM problems WHERE credit_code = ? AND status IN ('received','assigned','in_progress',"
            "'reopened')", [e["credit_code"]]).fetchone()[0]
        out.append(e)
    return out


@router.post("", status_code=201, summary="企业建档（管理员）")
def create_enterprise(body: EnterpriseIn, actor: Actor = Depends(admin_user), db=Depends(get_db)):
    return ent.create_enterprise(db, actor, **body.model_dump())


@router.get("/{credit_code}", summary="企业概况")
def get_enterprise(credit_code: str, actor: Actor = Depends(current_user), db=Depends(get_db)):
    return ent.get_enterprise(db, _visible(db, actor, credit_code))


@router.put("/{credit_code}", summary="修改企业信息（管理员）")
def update_enterprise(credit_code: str, body: EnterprisePatch, actor: Actor = Depends(admin_user), db=Depends(get_db)):
    return ent.update_enterprise(db, actor, credit_code, **body.model_dump(exclude_none=True))


@router.post("/{credit_code}/account", status_code=204, summary="开通或重置企业登录密码（管理员）")
def set_account(credit_code: str, body: AccountIn, actor: Actor = Depends(admin_user), db=Depends(get_db)):
    ent.set_account(db, actor, credit_code, body.password)
    return Response(status_code=204)


def _xlsx(doc: dict) -> Response:
    name = f"dossier-{doc['profile']['credit_code']}.xlsx"
    return Response(workbook.to_bytes(doc),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/{credit_code}/dossier", summary="一企一档（JSON；format=xlsx 下载表格）")
def get_dossier(credit_code: str, format: str = Query("json", pattern="^(json|xlsx)$"),
                actor: Actor = Depends(current_user), db=Depends(get_db), settings=Depends(settings_dep)):
    doc = dossier(db, _visible(db, actor, credit_code), settings=settings, for_business=not actor.is_staff,
                  viewer=actor)
    return _xlsx(doc) if format == "xlsx" else doc


@router.get("/{credit_code}/dossier.xlsx", summary="一企一档（Excel 表格）")
def get_dossier_xlsx(credit_code: str, actor: Actor = Depends(current_user), db=Depends(get_db),
                     settings=Depends(settings_dep)):
    return _xlsx(dossier(db, _visible(db, actor, credit_code), settings=settings, for_business=not actor.is_staff,
                         viewer=actor))


@router.get("/{credit_code}/pushes", summary="政策推送记录")
def get_pushes(credit_code: str, status: str | None = None, actor: Actor = Depends(current_user), db=Depends(get_db)):
    if status and status not in pushes.STATUS_LABELS:
        raise ApiError(422, "INVALID_PUSH_STATUS", f"推送状态应为以下之一：{'、'.join(pushes.STATUS_LABELS)}。",
                       field="status")
    return pushes.list_pushes(db, _visible(db, actor, credit_code), status)


@router.get("/{credit_code}/visits", summary="走访记录")
def get_visits(credit_code: str, actor: Actor = Depends(staff_user), db=Depends(get_db)):
    return visits.list_visits(db, _visible(db, actor, credit_code))


@router.post("/{credit_code}/visits", status_code=201, summary="登记走访（必访）")
def add_visit(credit_code: str, body: VisitIn, actor: Actor = Depends(staff_user), db=Depends(get_db)):
    return visits.log_visit(db, actor, cc.normalize(credit_code), **body.model_dump())
