"""Enterprises and their dossiers (一企一档), pushes and visits."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import Field, field_validator
from starlette.concurrency import run_in_threadpool

from api.deps import AdminUser, CurrentUser, DbDep, SettingsDep, StaffUser
from api.errors import ApiError
from api.responses import LedgerJSON
from api.schemas import (AUTH_ERRORS, DossierOut, EnterpriseListItem, EnterpriseOut, PushOut, VisitOut, errors)
from api.validators import (CODE_MAX, LINE_MAX, NAME_MAX, PASSWORD_MAX, TEXT_MAX, Body, CreditCodePath, choice_query,
                            one_of)
from ledger import credit_code as cc, enterprises as ent, pushes, visits, workbook
from ledger.access import require_enterprise
from ledger.actors import Actor
from ledger.dossier import dossier, enterprise_overview

router = APIRouter(prefix="/enterprises", tags=["enterprises"], responses=AUTH_ERRORS)

Industry = one_of("行业", ent.INDUSTRIES)
Size = one_of("企业规模", ent.SIZES, f"企业规模应为 {'、'.join(ent.SIZES)} 之一")
Occasion = one_of("走访事由", visits.OCCASIONS)
Tags = Annotated[list[Annotated[str, Field(max_length=NAME_MAX)]], Field(max_length=50)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_RESPONSE = {200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
                       "description": "一企一档 Excel 表格"}}


def _code(value: str) -> str:
    reason = cc.problem(cc.normalize(value))
    if reason:
        raise ValueError(reason)
    return cc.normalize(value)


class EnterpriseIn(Body):
    credit_code: str = Field(max_length=CODE_MAX, description="统一社会信用代码")
    name: str = Field(min_length=2, max_length=NAME_MAX)
    industry: Industry
    size: Size
    region: str = Field(max_length=LINE_MAX, description="省/市/县，如 甘肃省/兰州市/城关区")
    ownership: str = Field("", max_length=NAME_MAX)
    tags: Tags = []
    registered_on: str | None = Field(None, max_length=CODE_MAX, json_schema_extra={"format": "date"})
    contact_name: str | None = Field(None, max_length=NAME_MAX)
    contact_phone: str | None = Field(None, max_length=CODE_MAX)
    address: str | None = Field(None, max_length=LINE_MAX)

    @field_validator("credit_code")
    @classmethod
    def _check_code(cls, v: str) -> str:
        return _code(v)


class EnterprisePatch(Body):
    name: str | None = Field(None, max_length=NAME_MAX)
    industry: Industry | None = None
    size: Size | None = None
    region: str | None = Field(None, max_length=LINE_MAX)
    ownership: str | None = Field(None, max_length=NAME_MAX)
    tags: Tags | None = None
    registered_on: str | None = Field(None, max_length=CODE_MAX, json_schema_extra={"format": "date"})
    contact_name: str | None = Field(None, max_length=NAME_MAX)
    contact_phone: str | None = Field(None, max_length=CODE_MAX)
    address: str | None = Field(None, max_length=LINE_MAX)
    active: bool | None = None


class AccountIn(Body):
    password: str = Field(max_length=PASSWORD_MAX, description="企业登录密码（至少8位）")

    @field_validator("password")
    @classmethod
    def _len(cls, v: str) -> str:
        if len(v) < 8:
            raise ValueError("密码至少需要8位")
        return v


class VisitIn(Body):
    occasion: Occasion = Field(description="走访事由：" + "、".join(visits.OCCASIONS))
    visited_on: str = Field(max_length=CODE_MAX, description="YYYY-MM-DD", json_schema_extra={"format": "date"})
    notes: str = Field(max_length=TEXT_MAX, json_schema_extra={"minLength": 5})  # shorter → 422 NOTES_REQUIRED


def _visible(db, actor: Actor, credit_code: str) -> str:
    code = cc.normalize(credit_code)
    require_enterprise(db, actor, code)
    return code


@router.get("", summary="我的包抓企业（管理员：全部）", response_model=list[EnterpriseListItem])
def list_enterprises(actor: CurrentUser, db: DbDep):
    return LedgerJSON(enterprise_overview(db, actor))


@router.post("", status_code=201, summary="企业建档（管理员）", response_model=EnterpriseOut, responses=errors(409))
def create_enterprise(body: EnterpriseIn, actor: AdminUser, db: DbDep):
    return ent.create_enterprise(db, actor, **body.model_dump())


@router.get("/{credit_code}", summary="企业概况", response_model=EnterpriseOut, responses=errors(404))
def get_enterprise(credit_code: CreditCodePath, actor: CurrentUser, db: DbDep):
    return ent.get_enterprise(db, _visible(db, actor, credit_code))


@router.put("/{credit_code}", summary="修改企业信息（管理员）", response_model=EnterpriseOut, responses=errors(404))
def update_enterprise(credit_code: CreditCodePath, body: EnterprisePatch, actor: AdminUser, db: DbDep):
    return ent.update_enterprise(db, actor, credit_code, **body.model_dump(exclude_none=True))


@router.post("/{credit_code}/account", status_code=204, summary="开通或重置企业登录密码（管理员）",
             response_class=Response, responses=errors(404))
def set_account(credit_code: CreditCodePath, body: AccountIn, actor: AdminUser, db: DbDep):
    ent.set_account(db, actor, credit_code, body.password)
    return Response(status_code=204)


def _xlsx(doc: dict) -> Response:
    name = f"dossier-{doc['profile']['credit_code']}.xlsx"
    return Response(workbook.to_bytes(doc), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/{credit_code}/dossier", summary="一企一档（JSON；format=xlsx 下载表格）", response_model=DossierOut,
            responses={**errors(404), 200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
async def get_dossier(credit_code: CreditCodePath, actor: CurrentUser, db: DbDep, settings: SettingsDep,
                      format: Annotated[str, Query(pattern="^(json|xlsx)$")] = "json"):
    # On the event loop (a hot read, see api/deps.py); the spreadsheet is built in the thread pool.
    doc = dossier(db, _visible(db, actor, credit_code), settings=settings, for_business=not actor.is_staff,
                  viewer=actor)
    return await run_in_threadpool(_xlsx, doc) if format == "xlsx" else LedgerJSON(doc)


@router.get("/{credit_code}/dossier.xlsx", summary="一企一档（Excel 表格）", response_class=Response,
            responses={**XLSX_RESPONSE, **errors(404)})
def get_dossier_xlsx(credit_code: CreditCodePath, actor: CurrentUser, db: DbDep, settings: SettingsDep):
    return _xlsx(dossier(db, _visible(db, actor, credit_code), settings=settings, for_business=not actor.is_staff,
                         viewer=actor))


@router.get("/{credit_code}/pushes", summary="政策推送记录", response_model=list[PushOut], responses=errors(404))
def get_pushes(credit_code: CreditCodePath, actor: CurrentUser, db: DbDep,
               status: choice_query(pushes.STATUS_LABELS, "按状态筛选") = None):
    if status is not None and status not in pushes.STATUS_LABELS:  # an empty ?status= too
        raise ApiError(422, "INVALID_PUSH_STATUS", f"推送状态应为以下之一：{'、'.join(pushes.STATUS_LABELS)}。",
                       field="status")
    return pushes.list_pushes(db, _visible(db, actor, credit_code), status)


@router.get("/{credit_code}/visits", summary="走访记录", response_model=list[VisitOut], responses=errors(404))
def get_visits(credit_code: CreditCodePath, actor: StaffUser, db: DbDep):
    return visits.list_visits(db, _visible(db, actor, credit_code))


@router.post("/{credit_code}/visits", status_code=201, summary="登记走访（必访）", response_model=VisitOut,
             responses=errors(404))
def add_visit(credit_code: CreditCodePath, body: VisitIn, actor: StaffUser, db: DbDep):
    return visits.log_visit(db, actor, cc.normalize(credit_code), **body.model_dump())
