"""包抓联 pairings (admin): pair, end, history, coverage report (全覆盖)."""
from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from api.deps import AdminUser, DbDep
from api.schemas import AUTH_ERRORS, CoverageOut, EnterpriseBrief, PairingOut, errors
from api.validators import CODE_MAX, LINE_MAX, LOGIN_MAX, Body, CreditCodePath
from ledger import pairings as pa
from ledger.enterprises import get_enterprise

router = APIRouter(prefix="/pairings", tags=["pairings"], responses=AUTH_ERRORS)


class PairingIn(Body):
    credit_code: str = Field(max_length=CODE_MAX)
    login: str = Field(max_length=LOGIN_MAX)
    note: str | None = Field(None, max_length=LINE_MAX)


class EndIn(Body):
    note: str | None = Field(None, max_length=LINE_MAX)


@router.get("/coverage", summary="包抓联覆盖情况（含未配对企业）", response_model=CoverageOut)
def coverage(actor: AdminUser, db: DbDep):
    return pa.coverage(db)


@router.get("/unpaired", summary="未配对企业", response_model=list[EnterpriseBrief])
def unpaired(actor: AdminUser, db: DbDep):
    return pa.unpaired(db)


@router.post("", status_code=201, summary="配对（大型企业→领导干部，中小微企业→干部）", response_model=PairingOut,
             responses=errors(404, 409))
def pair(body: PairingIn, actor: AdminUser, db: DbDep):
    return pa.pair(db, actor, body.credit_code, body.login, body.note)


@router.get("/{credit_code}", summary="配对历史", response_model=list[PairingOut], responses=errors(404))
def history(credit_code: CreditCodePath, actor: AdminUser, db: DbDep):
    return pa.history(db, get_enterprise(db, credit_code)["credit_code"])


@router.post("/{credit_code}/end", summary="解除配对", response_model=list[PairingOut], responses=errors(404, 409))
def end(credit_code: CreditCodePath, body: EndIn, actor: AdminUser, db: DbDep):
    pa.unpair(db, actor, credit_code, body.note)
    return pa.history(db, credit_code)
