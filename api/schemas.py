"""Response schemas, so that /docs and /openapi.json describe what each route returns.

Each model names the fields a client can rely on; records may carry further fields (``extra`` is
allowed and passed through unchanged), so a schema never drops what the ledger returns.
"""
from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


# ---- errors ---------------------------------------------------------------------------------
class FieldError(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    """Every error: a stable machine code and a Chinese message saying what to do."""
    code: str
    message: str
    fields: Optional[list[FieldError]] = None


_ERROR_TEXT = {
    400: "请求有误", 401: "未登录或登录已失效", 403: "无权执行此操作", 404: "未找到（或不在您的权限范围内）",
    409: "当前状态下不能执行此操作", 413: "请求体过大", 422: "提交的内容有误", 429: "登录失败次数过多，暂时锁定",
    500: "系统内部错误",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for the given error statuses, all in the error schema."""
    return {s: {"model": ErrorOut, "description": _ERROR_TEXT[s]} for s in statuses}


COMMON_ERRORS = errors(413, 422, 500)   # any route: body too large, invalid input, internal error
AUTH_ERRORS = errors(401, 403)          # routes behind a log-in


# ---- auth -----------------------------------------------------------------------------------
class TokenOut(Out):
    access_token: str
    token_type: str
    role: str
    name: str
    expires_in: int


class MeOut(Out):
    login: str
    role: str
    name: str
    office: Optional[str] = None


class LogoutOut(Out):
    logged_out: bool


# ---- people, enterprises --------------------------------------------------------------------
class StaffOut(Out):
    id: int
    login: str
    name: str
    role: str
    office: str
    phone: Optional[str] = None
    active: bool


class OfficialOut(Out):
    login: str
    name: str
    office: Optional[str] = None


class EnterpriseOut(Out):
    credit_code: str
    name: str
    industry: str
    size: str
    region: str
    ownership: Optional[str] = None
    tags: list[str]
    registered_on: Optional[str] = None
    contact_name: Optional[str] = None
    contact_phone: Optional[str] = None
    address: Optional[str] = None
    active: bool


class EnterpriseListItem(EnterpriseOut):
    official: Optional[OfficialOut] = None
    open_problems: int


class PairingOut(Out):
    credit_code: str
    login: str
    name: str
    started_at: str
    ended_at: Optional[str] = None
    note: Optional[str] = None


class EnterpriseBrief(Out):
    credit_code: str
    name: str


class CoverageOut(Out):
    enterprises: int
    paired: int
    unpaired: list[EnterpriseBrief]
    coverage_rate: float


class VisitOut(Out):
    visited_on: str
    occasion: str
    notes: Optional[str] = None


# ---- problems -------------------------------------------------------------------------------
class EventOut(Out):
    id: int
    at: str
    type: str
    actor_name: str
    note: Optional[str] = None


class ProblemOut(Out):
    ticket_no: str
    category: str
    kind: str
    description: str
    status: str
    status_label: str
    office: Optional[str] = None
    filed_at: str
    due_on: Optional[str] = None
    overdue: Optional[bool] = None
    days_left: Optional[int] = None
    reply: Optional[str] = None


class ProblemDetail(ProblemOut):
    events: list[EventOut] = []


class HandoffOut(Out):
    id: int
    status: str


class HandoffReplyOut(Out):
    """An official's message into the business's chat: on record (the event), and whether an open page got it."""
    id: int = Field(description="事件编号（handoff_reply）")
    handoff_id: int
    conversation_id: str
    at: str
    actor: str
    actor_name: str
    text: str
    delivered: bool = Field(description="false：企业的对话页面不在线（或智能客服暂不可用），消息已记录，请电话联系")
    transcript: str = Field(description="加上这条消息后的对话记录")


# ---- pushes ---------------------------------------------------------------------------------
class PushOut(Out):
    id: int
    credit_code: str
    measure_id: str
    status: str
    status_label: str


class PushDetail(PushOut):
    events: list[EventOut]


class PushEnterpriseCount(Out):
    credit_code: str
    name: str
    count: int
    outstanding: int


class PushListOut(Out):
    total: int
    items: list[PushOut]
    enterprises: list[PushEnterpriseCount]


class OptOutsOut(Out):
    credit_code: str
    categories: list[str]


class OptOutChange(OptOutsOut):
    category: str
    changed: bool


class CategoriesOut(Out):
    categories: list[str]
    all: str


class SyncOut(Out):
    measures: int
    created: int
    withdrawn: int


# ---- dossier, statistics, chat ----------------------------------------------------------------
class DossierOut(Out):
    generated_at: str
    profile: EnterpriseOut
    official: Optional[Out] = None
    pairings: list[Out]
    problems: list[ProblemDetail]
    visits: list[Out]
    pushes: list[Out]
    opt_outs: list[str]
    events: list[Out]


class StatsOut(Out):
    total: int
    open: int
    overdue_open: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_office: dict[str, int]
    overdue_rate: Optional[float] = None
    mean_handling_days: Optional[float] = None
    satisfaction_rate: Optional[float] = None


class HealthOut(Out):
    status: str
    service: str


class ChatConfigOut(Out):
    rasa_url: str
    socketio_path: str
    enterprise_token_url: str
    close_session_url: str


class ChatSessionClosed(Out):
    sender_id: str
    closed: bool


# ---- the console's workbench ----------------------------------------------------------------
class VocabularyOut(Out):
    statuses: dict[str, str]
    open_statuses: list[str]
    categories: list[str]
    kinds: dict[str, str]
    offices: list[str]
    industries: list[str]
    sizes: list[str]
    roles: dict[str, str]
    measure_kinds: dict[str, str]
    redemption_modes: list[str]


class AssigneeOut(Out):
    login: str
    name: str
    role: str
    office: Optional[str] = None


class CountsOut(Out):
    open: int
    overdue: int
    handoffs: int
    pending_extensions: Optional[int] = None
    escalated: Optional[int] = None


class ActionOut(Out):
    key: str
    label: str


class ProblemActionsOut(Out):
    ticket_no: str
    actions: list[ActionOut]


class PortfolioItem(Out):
    credit_code: str
    name: str
    open_problems: int
    overdue_problems: int
    last_visit: Optional[str] = None
    visit_due_on: Optional[str] = None


class PortfolioOut(Out):
    visit_every_days: int
    items: list[PortfolioItem]


class FunnelOut(Out):
    """One measure's redemption funnel (``ledger.pushes.redemption_funnel``) with its title."""
    measure_id: str
    title: str
    stages: dict[str, int]   # how many pushes reached each stage (cumulative)
    current: dict[str, int]  # how many pushes are in each status now
    outstanding: int  # outstanding pushes, by ledger.pushes.OUTSTANDING (as the list with outstanding=true)


class MeasureFunnelOut(FunnelOut):
    """The funnel of one measure as its own page shows it, with the stage names in Chinese."""
    stage_labels: dict[str, str]


class DashboardOut(Out):
    funnels: list[FunnelOut]
    stage_labels: dict[str, str]


class ImportRowError(Out):
    row: int
    message: str


class EnterpriseImportOut(Out):
    created: int
    rows: int
    errors: list[ImportRowError]


# ---- the review queue (chat turns to check) -------------------------------------------------
class IntentScore(Out):
    intent: str
    confidence: float


class ContextLine(Out):
    who: str
    text: str
    this_turn: bool


class ReviewDecisionOut(Out):
    event_id: int
    decision: str
    predicted: Optional[str] = None
    intent: Optional[str] = None
    text: str
    by_login: str
    at: str


class ReviewItemOut(Out):
    id: int
    conversation: str
    at: Optional[str] = None
    reason: str
    reason_label: str
    text: str
    predicted: Optional[str] = None
    confidence: float
    alternatives: list[IntentScore]
    context: list[ContextLine]
    decision: Optional[ReviewDecisionOut] = None
