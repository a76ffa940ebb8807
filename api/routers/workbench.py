"""What the console (工作台, ``/console/``) needs beyond the resource endpoints: navigation counts,
the actions a problem's state allows, 我的企业 with visits due, the leaders' dashboard (驾驶舱),
replying into a hand-off's live chat, closing a hand-off with the chat handed back to the bot, and bulk
enterprise import.
A thin adapter: the rules live in ``ledger`` (the funnels in ``ledger.pushes``)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.deps import AdminUser, DbDep, SettingsDep, StaffUser, require_roles
from api.validators import Body, IdPath, one_of
from api.schemas import (AUTH_ERRORS, AssigneeOut, CountsOut, DashboardOut, EnterpriseImportOut, HandoffOut,
                         HandoffReplyOut, PortfolioOut, ProblemActionsOut, VocabularyOut, errors)
from api.errors import ApiError
from api.routers.policies import get_base
from api.routers.pushes import STAFF_MAY_SET
from huiqi.errors import NotFound
from huiqi.rasa_events import HANDBACK_INTENT, STAFF_REPLY_INTENT, say_into_chat, trigger_intent
from huiqi.text import NOT_BLANK_PATTERN
from huiqi.vocabulary import RATINGS, REDEMPTION_MODES
from ledger import dashboard as dash, enterprise_import, enterprises as ent, handoffs, problems as pr, visits
from ledger import pushes as ledger_pushes, staff as staff_mod, workflow as wf
from ledger.actors import ROLE_LABELS, STAFF_ROLES, Actor
from ledger.offices import category_offices
from ledger.pairings import tier_problem
from ledger.portfolio import VISIT_EVERY_DAYS, my_enterprises
from policies_kb.kinds import KIND_LABELS

router = APIRouter(prefix="/workbench", tags=["workbench"], responses=AUTH_ERRORS)
LeaderUser = Annotated[Actor, Depends(require_roles("leader", "admin"))]
BaseDep = Annotated[object, Depends(get_base)]
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_FUNNELS = 30  # the dashboard shows the funnels of the most pushed measures


@router.get("/vocabulary", summary="工作台用到的固定取值：状态、类别、科室、行业、规模、走访事由等",
            response_model=VocabularyOut)
def vocabulary(actor: StaffUser, settings: SettingsDep) -> dict:
    return {"statuses": pr.STATUS_LABELS, "open_statuses": list(pr.OPEN_STATUSES), "categories": list(pr.CATEGORIES),
            "kinds": pr.KINDS, "channels": pr.CHANNELS, "offices": sorted(set(category_offices(settings).values())),
            "industries": list(ent.INDUSTRIES), "sizes": list(ent.SIZES), "occasions": list(visits.OCCASIONS),
            "ratings": list(RATINGS), "max_extension_days": wf.MAX_EXTENSION_DAYS,
            "max_reply_chars": handoffs.MAX_REPLY_CHARS,
            "push_statuses": ledger_pushes.STATUS_LABELS,
            "push_next": {cur: [new for new in ("applied", "redeemed", "declined", "not_eligible")
                                if new in STAFF_MAY_SET and ledger_pushes.push_refusal(cur, new) is None]
                          for cur in ledger_pushes.STATUS_LABELS},
            "roles": {r: ROLE_LABELS[r] for r in STAFF_ROLES},
            "pairing_roles": {size: [r for r in STAFF_ROLES if tier_problem(size, r) is None] for size in ent.SIZES}, "import_columns": list(enterprise_import.COLUMNS),
            "import_required": list(enterprise_import.REQUIRED), "measure_kinds": KIND_LABELS,
            "redemption_modes": list(REDEMPTION_MODES)}


@router.get("/assignees", summary="可承办诉求的在岗人员（交办、转办时选择）", response_model=list[AssigneeOut])
def assignees(actor: StaffUser, db: DbDep) -> list[dict]:
    return [{k: s[k] for k in ("login", "name", "role", "office")} for s in staff_mod.list_staff(db)
            if s["active"] and s["role"] in ("leader", "cadre")]


@router.get("/counts", summary="工作台导航计数：待办诉求、超期、转人工、待审批延期、督办", response_model=CountsOut,
            response_model_exclude_unset=True)
def counts(actor: StaffUser, db: DbDep, settings: SettingsDep) -> dict:
    mine = pr.list_problems(db, actor, open_only=True, limit=1000, settings=settings)
    out = {"open": len(mine), "overdue": sum(p["overdue"] for p in mine),
           "handoffs": len(handoffs.list_handoffs(db, actor))}
    if actor.role in ("leader", "admin"):
        out["pending_extensions"] = len(pr.list_problems(db, actor, pending_extension=True, limit=1000,
                                                         settings=settings))
        out["escalated"] = len(pr.list_problems(db, actor, escalated=True, open_only=True, limit=1000,
                                                settings=settings))
    return out


@router.get("/problems/{ticket_no}/actions", summary="当前状态下可执行的办理操作", response_model=ProblemActionsOut,
            responses=errors(404))
def problem_actions(ticket_no: str, actor: StaffUser, db: DbDep) -> dict:
    keys = wf.allowed_actions(db, actor, ticket_no)
    return {"ticket_no": ticket_no.strip().upper(), "actions": [{"key": k, "label": wf.ACTION_LABELS[k]} for k in keys]}


@router.get("/enterprises", summary="我的企业：概况、在办诉求、最近走访、必访到期", response_model=PortfolioOut)
def enterprises(actor: StaffUser, db: DbDep) -> dict:
    return {"visit_every_days": VISIT_EVERY_DAYS, "items": my_enterprises(db, actor)}


@router.get("/dashboard", summary="驾驶舱：诉求统计（同 /api/v1/stats）、趋势、包抓联覆盖、政策兑现漏斗",
            response_model=DashboardOut)
def dashboard(actor: LeaderUser, db: DbDep, base: BaseDep) -> dict:
    out = dash.dashboard(db)
    funnels = []
    for measure_id in dash.pushed_measures(db)[:MAX_FUNNELS]:
        try:
            title = base.get(measure_id)["title"]
        except NotFound:
            title = measure_id
        funnels.append({**ledger_pushes.redemption_funnel(db, measure_id), "title": title})
    out["funnels"] = funnels
    out["stage_labels"] = {s: ledger_pushes.STATUS_LABELS[s] for s in ledger_pushes.STAGES}
    return out


@router.get("/handoffs", summary="待接待的转人工请求（含对话记录与回电号码）", response_model=list[HandoffOut])
def handoff_queue(actor: StaffUser, db: DbDep) -> list[dict]:
    return handoffs.queue(db, actor)


@router.post("/handoffs/{handoff_id:int}/take", summary="接待这条转人工请求（由我回电）", response_model=HandoffOut,
             responses=errors(404, 409))
def take_handoff(handoff_id: IdPath, actor: StaffUser, db: DbDep) -> dict:
    return handoffs.take_handoff(db, handoff_id, actor)


class CloseIn(BaseModel):
    outcome: one_of("结束方式", handoffs.CLOSE_OUTCOMES) = Field(
        "closed", description="called_back：已回电处理；closed：直接结束")
    note: str | None = Field(None, max_length=1000)


@router.post("/handoffs/{handoff_id:int}/close", summary="结束人工接待（已回电或直接结束）并把对话交还智能客服",
             response_model=HandoffOut, responses=errors(404, 409))
def close_handoff(handoff_id: IdPath, actor: StaffUser, db: DbDep, settings: SettingsDep,
                  body: CloseIn | None = None) -> dict:
    body = body or CloseIn()
    closed = handoffs.close_handoff(db, handoff_id, actor, note=body.note, outcome=body.outcome)
    closed["handed_back"] = trigger_intent(closed["conversation_id"], HANDBACK_INTENT, settings=settings)
    return closed


class ReplyIn(Body):
    text: str = Field(description="发给企业的消息（在企业打开的对话页面中显示为「工作人员（姓名）：…」）",
                      json_schema_extra={"minLength": 1, "maxLength": handoffs.MAX_REPLY_CHARS,
                                         "pattern": NOT_BLANK_PATTERN})  # blank, longer → 422 from the ledger


@router.post("/handoffs/{handoff_id:int}/reply", summary="在企业打开的对话中回复（人工服务继续，消息记入对话记录）",
             response_model=HandoffReplyOut, responses=errors(404, 409))
def reply_in_chat(handoff_id: IdPath, body: ReplyIn, actor: StaffUser, db: DbDep, settings: SettingsDep) -> dict:
    sent = handoffs.reply(db, handoff_id, actor, body.text)  # on record first: a failed delivery loses nothing
    delivered = say_into_chat(sent["conversation_id"], STAFF_REPLY_INTENT,
                              {"staff_reply": sent["text"], "staff_name": actor.name}, settings=settings)
    handoff = handoffs.get_handoff(db, handoff_id) if delivered else handoffs.reply_not_delivered(db, handoff_id)
    return {**sent, "delivered": delivered, "transcript": handoff["transcript"]}


@router.get("/enterprises/import-template.csv", summary="企业批量导入模板（CSV）", response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
def import_template(actor: AdminUser) -> Response:
    return Response(enterprise_import.template_csv(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="enterprise-import-template.csv"'})


@router.post("/enterprises/import", summary="企业批量建档（.xlsx/.csv；有错误的行则全部不导入，并逐行说明）",
             response_model=EnterpriseImportOut, responses=errors(413))
def import_enterprises(file: Annotated[UploadFile, File()], actor: AdminUser, db: DbDep):
    data = file.file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise ApiError(413, "IMPORT_TOO_LARGE", "文件超过 5 MB，请拆分后分批导入。", field="file")
    report = enterprise_import.import_enterprises(db, actor, enterprise_import.read_rows(file.filename or "", data))
    if report["errors"]:
        return JSONResponse(status_code=422, content={
            "code": "IMPORT_ROWS_INVALID", "errors": report["errors"], "rows": report["rows"], "created": 0,
            "message": f"有{len(report['errors'])}行有误，本次未导入任何企业。请按逐行说明修改后重新上传。"})
    return report
