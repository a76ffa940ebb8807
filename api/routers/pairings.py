"""包抓联 pairings (admin): pair, end, history, coverage report (全覆盖)."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.deps import admin_user, get_db
from ledger import pairings as pa
from ledger.enterprises import get_enterprise
from ledger.actors import Actor

router = APIRouter(prefix="/pairings", tags=["pairings"])


class PairingIn(BaseModel):
    credit_code: str
    login: str
    note: str | None = None


class EndIn(BaseModel):
    note: str | None = None


@router.get("/coverage", summary="包抓联覆盖情况（含未配对企业）")
def coverage(actor: Actor = Depends(admin_user), db=Depends(get_db)):
    return pa.coverage(db)


@router.get("/unpaired", summary="未配对企业")
def unpaired(actor: Actor = Depends(admin_user), db=Depends(get_db)):
    return pa.unpaired(db)


@router.post("", status_code=201, summary="配对（大型企业→领导干部，中小微企业→干部）")
def pair(body: PairingIn, actor: Actor = Depends(admin_user), db=Depends(get_db)):
    return pa.pair(db, actor, body.credit_code, body.login, body.note)


@router.get("/{credit_code}", summary="配对历史")
def history(credit_code: str, actor: Actor = Depends(admin_user), db=Depends(get_db)):
    return pa.history(db, get_enterprise(db, credit_code)["credit_code"])


@router.post("/{credit_code}/end", summary="解除配对")
def end(credit_code: str, body: EndIn, actor: Actor = Depends(admin_user), db=Depends(get_db)):
    pa.unpair(db, actor, credit_code, body.note)
    return pa.history(db, credit_code)
