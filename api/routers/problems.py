"""Problems (企业诉求): listing with filters, one problem with its history, filing, and the single
events endpoint through which every change is made. (The hand-off queue, 转人工, is in the workbench router.)"""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import Field, model_validator

from api.deps import CurrentUser, DbDep, SettingsDep
from api.errors import ApiError
from api.responses import LedgerJSON
from api.schemas import AUTH_ERRORS, ProblemDetail, ProblemOut, errors
from api.validators import (CODE_MAX, MAX_INT, NAME_MAX, TEXT_MAX, Body, CodeQuery, TicketPath, choice_query,
                            one_of)
from huiqi.vocabulary import RATINGS
from ledger import events as ev, problems as pr, workflow as wf
from ledger.access import require_enterprise

router = APIRouter(tags=["problems"], responses=AUTH_ERRORS)

EVENT_TYPES = {"status": "状态变更", "reply": "答复", "note": "备注", "assign": "交办", "transfer": "按责转办",
               "extension_request": "申请延期", "extension_decision": "延期审批", "reminder": "催办",
               "rating": "评价", "correction": "更正"}
EventType = one_of("操作类型", EVENT_TYPES)
Status = one_of("目标状态", pr.STATUS_LABELS)
Rating = one_of("评价", RATINGS, "评价应为 满意、基本满意 或 不满意")
Category = one_of("诉求类别", pr.CATEGORIES)
Channel = one_of("受理渠道", pr.CHANNELS)
StatusQuery = choice_query(pr.STATUS_LABELS, "按状态筛选")
CategoryQuery = choice_query(pr.CATEGORIES, "按诉求类别筛选")
MAX_EXTENSION_DAYS = 365


class EventIn(Body):
    type: EventType = Field(description="、".join(f"{k}（{v}）" for k, v in EVENT_TYPES.items()))
    to_status: Status | None = Field(None, description="type=status 时的目标状态")
    note: str | None = Field(None, max_length=TEXT_MAX)
    reply: str | None = Field(None, max_length=TEXT_MAX, description="type=reply 时答复企业的内容")
    office: str | None = Field(None, max_length=NAME_MAX, description="type=transfer 时的责任科室")
    assignee: str | None = Field(None, max_length=NAME_MAX, description="承办人登录名（assign 必填，transfer 可选）")
    days: int | None = Field(None, ge=1, le=MAX_EXTENSION_DAYS, description="type=extension_request 时延期的工作日数")
    approve: bool | None = Field(None, description="type=extension_decision 时是否同意")
    rating: Rating | None = Field(None, description="type=rating：满意/基本满意/不满意")
    corrects: int | None = Field(None, ge=1, le=MAX_INT, description="type=correction 时被更正的事件编号")

    @model_validator(mode="after")
    def _required(self):
        need = {"status": "to_status", "reply": "reply", "note": "note", "assign": "assignee", "transfer": "office",
                "extension_request": "days", "extension_decision": "approve", "rating": "rating",
                "correction": "corrects"}.get(self.type)  # a reminder needs nothing more
        if need is not None and getattr(self, need) is None:
            raise ValueError(f"{EVENT_TYPES[self.type]}需要填写 {need}")
        return self


class ProblemIn(Body):
    category: Category = Field(description="、".join(pr.CATEGORIES))
    kind: Literal["consultation", "help", "complaint"] = "help"
    description: str = Field(min_length=5, max_length=pr.MAX_DESCRIPTION)
    credit_code: str | None = Field(None, max_length=CODE_MAX)
    claimant_name: str | None = Field(None, max_length=NAME_MAX)
    claimant_phone: str | None = Field(None, max_length=CODE_MAX)
    contact_name: str | None = Field(None, max_length=NAME_MAX)
    contact_phone: str | None = Field(None, max_length=CODE_MAX)
    claimed_credit_code: str | None = Field(
        None, max_length=CODE_MAX,
        description="反映人自报的统一社会信用代码（未核验；仅在不填 credit_code、以个人身份登记时记录，不归入该企业档案）")
    channel: Channel = "phone"


CLAIMED_FIELDS_DOC = ("未登录反映人自报的统一社会信用代码在 claimed_credit_code（未核验，无则为 null），"
                     "claimed_credit_code_label 为其中文标注；claimed_enterprise 为台账中持有该代码的企业"
                     "（仅供工作人员比对，不代表已核验；该诉求不归入该企业档案）。")


@router.get("/problems", summary="我的企业诉求（超期在前，含剩余工作日）", description=CLAIMED_FIELDS_DOC,
            response_model=list[ProblemOut])
async def list_problems(actor: CurrentUser, db: DbDep, settings: SettingsDep, status: StatusQuery = None,
                        overdue: bool | None = None, category: CategoryQuery = None, credit_code: CodeQuery = None,
                        open: bool = False, escalated: bool = False, pending_extension: bool = False,
                        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                        offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0):
    # On the event loop: a hot read (api/deps.py).
    items = pr.list_problems(db, actor, status=status, overdue=overdue, category=category, credit_code=credit_code,
                             open_only=open, escalated=escalated, pending_extension=pending_extension, limit=limit,
                             offset=offset, settings=settings)
    return LedgerJSON(items if actor.is_staff else [pr.for_business(p) for p in items])


@router.post("/problems", status_code=201, summary="登记诉求（工作人员代为登记，或企业自行提交）",
             response_model=ProblemDetail, responses=errors(404))
def file_problem(body: ProblemIn, actor: CurrentUser, db: DbDep, settings: SettingsDep):
    data = body.model_dump()
    if actor.role == "enterprise":
        data.update(credit_code=actor.ident, claimant_name=None, claimant_phone=None, claimed_credit_code=None,
                    channel="web")
    elif data["credit_code"]:
        require_enterprise(db, actor, data["credit_code"])
    problem = pr.file_problem(db, actor=actor, settings=settings, **data)
    return problem if actor.is_staff else pr.for_business(problem)


@router.get("/problems/{ticket_no}", summary="诉求详情与办理过程", description=CLAIMED_FIELDS_DOC,
            response_model=ProblemDetail, responses=errors(404))
async def get_problem(ticket_no: TicketPath, actor: CurrentUser, db: DbDep, settings: SettingsDep):
    # On the event loop: a hot read (api/deps.py).
    return LedgerJSON(pr.get_problem(db, actor, ticket_no, settings=settings))


@router.post("/problems/{ticket_no}/events", response_model=ProblemDetail, responses=errors(404, 409),
             summary="办理操作（状态、答复、备注、交办、转办、延期、催办、评价、更正）")
def add_event(ticket_no: TicketPath, body: EventIn, actor: CurrentUser, db: DbDep, settings: SettingsDep):
    t, kw = body.type, {"settings": settings}
    if not actor.is_staff and t != "rating":
        pr.load_visible(db, actor, ticket_no)  # not theirs → 404 before 403
        raise ApiError(403, "STAFF_ONLY", "企业只能对已答复的诉求进行评价；其他办理操作由工作人员完成。")
    if t == "status":
        wf.transition(db, actor, ticket_no, body.to_status, note=body.note, reply=body.reply, **kw)
    elif t == "reply":
        wf.reply(db, actor, ticket_no, body.reply, note=body.note, **kw)
    elif t == "note":
        wf.add_note(db, actor, ticket_no, body.note, **kw)
    elif t == "assign":
        wf.assign(db, actor, ticket_no, body.assignee, note=body.note, **kw)
    elif t == "transfer":
        wf.transfer(db, actor, ticket_no, body.office, login=body.assignee, note=body.note, **kw)
    elif t == "extension_request":
        wf.request_extension(db, actor, ticket_no, body.days, body.note or "", **kw)
    elif t == "extension_decision":
        wf.decide_extension(db, actor, ticket_no, body.approve, note=body.note, **kw)
    elif t == "reminder":
        wf.remind(db, actor, ticket_no, body.note, **kw)
    elif t == "rating":
        wf.rate(db, actor, ticket_no, body.rating, body.note, **kw)
    elif t == "correction":
        row = pr.load_visible(db, actor, ticket_no)
        if not ev.belongs_to_problem(db, body.corrects, row["id"]):
            raise ApiError(404, "EVENT_NOT_FOUND", "该诉求下没有这条记录，请核对编号。", field="corrects")
        ev.correct(db, actor, body.corrects, body.note or "")
    return pr.get_problem(db, actor, ticket_no, settings=settings)
