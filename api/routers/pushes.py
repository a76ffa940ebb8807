"""Policy pushes over HTTP (不来即享 / 精准兑现): a thin adapter onto ``policies_kb.pushes`` and
``ledger.pushes``.

- ``GET /api/v1/pushes?outstanding=true&credit_code=`` — pushes of the enterprises the user may see
  (official: own enterprises; leader: also the office's; admin: all; enterprise: itself).
- ``GET /api/v1/pushes/{push_id}`` — one push with its events.
- ``POST /api/v1/pushes/{push_id}/status`` — move a push along pushed → delivered → viewed →
  applied → redeemed (or declined / not_eligible; 免申即享: to_confirm → redeemed).
- ``GET /api/v1/pushes/categories``; ``GET/POST/DELETE /api/v1/pushes/opt-outs`` — opt-outs by category.
- ``POST /api/v1/pushes/sync`` (admin) — bring every measure's pushes up to date.
- ``GET /api/v1/policies/{measure_id}/funnel`` (admin) — the redemption funnel of a measure.

Importing this module wires the push engine onto the policy base the policies router uses
(``policies.BASE_HOOKS``), so every publish / edit / retire / restore through the API computes its pushes.
"""
from __future__ import annotations

from typing import Annotated, Optional

from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from api.deps import AdminUser, CurrentUser, DbDep
from api.routers import policies
from api.schemas import (AUTH_ERRORS, CategoriesOut, MeasureFunnelOut, OptOutChange, OptOutsOut, PushDetail, PushListOut,
                         PushOut, SyncOut, errors)
from api.validators import CODE_MAX, LINE_MAX, NAME_MAX, Body, CodeQuery, IdPath, ShortQuery, choice_query
from huiqi.errors import Forbidden, Invalid
from ledger import credit_code as cc, events, pushes as ledger_pushes
from ledger.access import require_enterprise
from ledger.actors import Actor
from policies_kb import pushes as engine_mod

router = APIRouter(prefix="/pushes", tags=["pushes"], responses=AUTH_ERRORS)
funnel_router = APIRouter(prefix="/policies", tags=["pushes"], responses=AUTH_ERRORS)

ENTERPRISE_MAY_SET = {"viewed", "applied", "redeemed", "declined", "not_eligible"}
STAFF_MAY_SET = {"delivered", "viewed", "applied", "to_confirm", "redeemed", "declined", "not_eligible"}


policies.BASE_HOOKS.append(engine_mod.wire)  # every base the API uses has its push engine


class StatusIn(Body):
    status: str = Field(max_length=NAME_MAX, json_schema_extra={"enum": list(ledger_pushes.STATUS_LABELS)},
                        description="新状态：" + "、".join(f"{k}（{v}）" for k, v in ledger_pushes.STATUS_LABELS.items()))
    reason: Optional[str] = Field(None, max_length=LINE_MAX, description="说明（记入企业档案）")


class OptOutIn(Body):
    category: str = Field(max_length=NAME_MAX,
                          description="推送类别：" + "、".join((*engine_mod.CATEGORY_NAMES, ledger_pushes.ALL_CATEGORIES)))
    credit_code: Optional[str] = Field(None, max_length=CODE_MAX, description="统一社会信用代码（企业本人登录时可省略）")


def _target_code(db, actor: Actor, credit_code: str | None) -> str:
    if actor.role == "enterprise":
        code = actor.ident if not credit_code else cc.normalize(credit_code)
    elif not credit_code:
        raise Invalid("CREDIT_CODE_REQUIRED", "请提供企业的统一社会信用代码 credit_code。", field="credit_code")
    else:
        code = cc.normalize(credit_code)
    require_enterprise(db, actor, code)
    return code


@router.get("/categories", summary="政策推送类别（可按类别退订）", response_model=CategoriesOut)
def categories() -> dict:
    return {"categories": list(engine_mod.CATEGORY_NAMES), "all": ledger_pushes.ALL_CATEGORIES}


@router.get("", summary="政策推送列表（干部：包抓企业；outstanding=true 只看未办结的）", response_model=PushListOut,
            responses=errors(404))
def list_pushes(actor: CurrentUser, db: DbDep, outstanding: bool = False, credit_code: CodeQuery = None,
                status: choice_query(ledger_pushes.STATUS_LABELS, "按状态筛选") = None,
                measure_id: ShortQuery = None, limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> dict:
    if status and status not in ledger_pushes.STATUS_LABELS:
        raise Invalid("INVALID_PUSH_STATUS", f"推送状态应为以下之一：{'、'.join(ledger_pushes.STATUS_LABELS)}。",
                      field="status")
    code = None
    if credit_code:
        code = cc.normalize(credit_code)
        require_enterprise(db, actor, code)
    return ledger_pushes.list_visible(db, actor, credit_code=code, outstanding=outstanding, status=status,
                                      measure_id=measure_id, limit=limit)


@router.get("/opt-outs", summary="已退订的推送类别", response_model=OptOutsOut, responses=errors(404))
def list_opt_outs(actor: CurrentUser, db: DbDep, credit_code: CodeQuery = None) -> dict:
    code = _target_code(db, actor, credit_code)
    return {"credit_code": code, "categories": sorted(ledger_pushes.opted_out(db, code))}


def _category(value: str) -> str:
    name = (value or "").strip()
    if name in (*engine_mod.CATEGORY_NAMES, ledger_pushes.ALL_CATEGORIES):
        return name
    named = engine_mod.category_named(name)
    if named:
        return named
    raise Invalid("INVALID_PUSH_CATEGORY", "推送类别应为以下之一：" + "、".join(
        (*engine_mod.CATEGORY_NAMES, ledger_pushes.ALL_CATEGORIES)) + "。", field="category")


@router.post("/opt-outs", status_code=201, summary="退订某类政策推送（企业本人或其包抓干部）", response_model=OptOutChange,
             responses=errors(404))
def opt_out(body: OptOutIn, actor: CurrentUser, db: DbDep) -> dict:
    code = _target_code(db, actor, body.credit_code)
    category = _category(body.category)
    changed = ledger_pushes.opt_out(db, code, category, actor)
    return {"credit_code": code, "category": category, "changed": changed,
            "categories": sorted(ledger_pushes.opted_out(db, code))}


@router.delete("/opt-outs", summary="恢复接收某类政策推送", response_model=OptOutChange, responses=errors(404))
def opt_in(category: Annotated[str, Query(max_length=NAME_MAX)], actor: CurrentUser, db: DbDep,
           credit_code: CodeQuery = None) -> dict:
    code = _target_code(db, actor, credit_code)
    category = _category(category)
    changed = ledger_pushes.opt_in(db, code, category, actor)
    return {"credit_code": code, "category": category, "changed": changed,
            "categories": sorted(ledger_pushes.opted_out(db, code))}


@router.post("/sync", summary="重新计算全部措施的推送（管理员）", response_model=SyncOut)
async def sync_all(actor: AdminUser, base=Depends(policies.get_base)) -> dict:
    reports = await run_in_threadpool(base.push_engine.sync_all)
    return {"measures": len(reports), "created": sum(r["created"] for r in reports),
            "withdrawn": sum(r["withdrawn"] for r in reports)}


@router.get("/{push_id:int}", summary="查看一条推送及其全过程记录", response_model=PushDetail, responses=errors(404))
def get_push(push_id: IdPath, actor: CurrentUser, db: DbDep) -> dict:
    push = ledger_pushes.get_visible_push(db, actor, push_id)
    evs = events.for_push(db, push_id)
    push["events"] = evs if actor.is_staff else events.for_enterprise_eyes(evs)
    return push


@router.post("/{push_id:int}/status", summary="登记推送的兑现进度（已查看/已申请/已兑现/放弃/不符合条件）",
             response_model=PushOut, responses=errors(404, 409))
def set_status(push_id: IdPath, body: StatusIn, actor: CurrentUser, db: DbDep) -> dict:
    push = ledger_pushes.get_visible_push(db, actor, push_id)
    if body.status not in ledger_pushes.STATUS_LABELS:
        raise Invalid("INVALID_PUSH_STATUS", f"推送状态应为以下之一：{'、'.join(ledger_pushes.STATUS_LABELS)}。",
                      field="status")
    allowed = ENTERPRISE_MAY_SET if actor.role == "enterprise" else STAFF_MAY_SET if actor.is_staff else set()
    if body.status not in allowed:
        label = ledger_pushes.STATUS_LABELS[body.status]
        if body.status == "withdrawn":
            raise Forbidden("PUSH_STATUS_FORBIDDEN", "推送只在政策废止、过期或条件调整时由系统撤回，不能手工撤回。")
        raise Forbidden("PUSH_STATUS_FORBIDDEN", f"您不能把推送改为“{label}”，请联系包抓联干部办理。")
    return ledger_pushes.set_push_status(db, push["id"], body.status, actor=actor, reason=body.reason)


@funnel_router.get("/{measure_id}/funnel", summary="政策兑现漏斗：推送、送达、查看、申请、兑现（管理员）",
                   response_model=MeasureFunnelOut, responses=errors(404))
def funnel(measure_id: Annotated[str, Path(max_length=NAME_MAX)], actor: AdminUser, db: DbDep,
           base=Depends(policies.get_base)) -> dict:
    measure = base.get(measure_id)  # 404 MEASURE_NOT_FOUND when unknown
    out = ledger_pushes.redemption_funnel(db, measure_id)
    out.update({"title": measure["title"], "category": engine_mod.category_of(measure),
                "redemption_mode": measure.get("redemption_mode"),
                "stage_labels": {s: ledger_pushes.STATUS_LABELS[s] for s in ledger_pushes.STAGES}})
    return out
