"""Policy base over HTTP (prefix ``/api/v1/policies``): a thin adapter onto ``policies_kb.base``.

Open to the chat side (no log-in): ``POST /search`` and ``POST /match`` with a profile; ``POST /match``
with a registered company's ``credit_code`` needs staff who may see it or that company's own log-in.
Admin only (bearer token of an admin): list (filter by ``kind``), read, create, edit (the item kind
too), retire (``DELETE`` never deletes), restore, versions, rollback, enable/disable, import by
upload, the import preview (``POST /import/preview``: the items an upload would create, writes
nothing) and the hit test.

Queries: an empty or blank query is refused with 422 ``QUERY_EMPTY``; a query longer than 512
characters is cut to its first 512 characters (the encoder reads at most 512 tokens anyway) and
the response says ``"truncated": true``; bodies over 20,000 characters are refused with 422.
"""
from __future__ import annotations

import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

from fastapi import APIRouter, Depends, File, Path as PathParam, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from api.errors import ApiError
from huiqi.errors import Invalid
from ledger import credit_code as cc
from huiqi.settings import get_settings
from huiqi.text import NOT_BLANK_PATTERN
from huiqi.vocabulary import REDEMPTION_MODES
from policies_kb.base import PolicyBase
from policies_kb.kinds import KINDS

from api.deps import DbDep, OptionalUser, require_roles
from api.schemas import AUTH_ERRORS, errors
from api.validators import CODE_MAX, LINE_MAX, MAX_INT, NAME_MAX, TEXT_MAX, Body, Line, Short
from ledger.access import require_enterprise
from ledger.enterprises import profile as ledger_profile

_admin = require_roles("admin")  # returns the staff Actor; no token → 401, other roles → 403
MeasureId = Annotated[str, PathParam(max_length=NAME_MAX, description="措施编号")]

router = APIRouter(prefix="/api/v1/policies", tags=["policies"], responses={**AUTH_ERRORS, **errors(404)})
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ALLOWED_SUFFIXES = {".txt", ".md", ".docx", ".pdf"}


@lru_cache(maxsize=4)
def _base_for(data_dir: str) -> PolicyBase:
    return PolicyBase.open(get_settings())


# Called with the base before each use (idempotent): api.routers.pushes subscribes the push engine, so
# every publish / edit / retire / restore through the API computes its pushes. (A hook, not a FastAPI
# dependency override: with any override FastAPI rebuilds every route's dependencies on every request.)
BASE_HOOKS: list = []


def get_base() -> PolicyBase:
    """One open policy base per data directory and process."""
    base = _base_for(str(get_settings().data_dir))
    for hook in BASE_HOOKS:
        hook(base)
    return base


def _actor(staff: Any) -> str:
    """Who is recorded on the version: the admin's login (``ledger.actors.Actor.ident``)."""
    return str(getattr(staff, "ident", None) or "admin")


# ---- request bodies ----------------------------------------------------------------------
class SearchIn(Body):
    query: str = Field(..., max_length=20000, description="问题（超过 512 字只取前 512 字）",
                       json_schema_extra={"pattern": NOT_BLANK_PATTERN})  # blank → 422 QUERY_EMPTY from the base
    top_k: int = Field(5, ge=1, le=50)


class HitTestIn(SearchIn):
    mode: Literal["hybrid", "bm25", "dense"] = "hybrid"
    audience: Literal["all", "business"] = Field("all", description="all：全部条目；business：按企业端规则（不含问题整改）")
    top_k: int = Field(10, ge=1, le=50)


class ProfileIn(Body):
    """An enterprise profile in the shared vocabulary (``ledger.enterprises.profile``)."""
    region: str = Field(max_length=LINE_MAX, description="省/市/县，如 甘肃省/兰州市/城关区",
                        json_schema_extra={"minLength": 1, "pattern": r"\S"})  # blank → 422 PROFILE_REGION_REQUIRED
    industry: Optional[str] = Field(None, max_length=NAME_MAX)
    size: Optional[str] = Field(None, max_length=NAME_MAX)
    tags: list[Annotated[str, Field(max_length=NAME_MAX)]] = Field([], max_length=50)
    ownership: Optional[str] = Field(None, max_length=NAME_MAX)
    registered_on: Optional[str] = Field(None, max_length=CODE_MAX)
    name: Optional[str] = Field(None, max_length=NAME_MAX)


class MatchIn(Body):
    model_config = {"json_schema_extra": {"anyOf": [
        {"required": ["credit_code"], "properties": {"credit_code": {"type": "string", "minLength": 1}}},
        {"required": ["profile"], "properties": {"profile": {"type": "object"}}}]}}

    credit_code: Optional[str] = Field(None, max_length=CODE_MAX,
                                       description="统一社会信用代码（从台账取企业画像；需该企业本人或可查看它的工作人员登录）")
    profile: Optional[ProfileIn] = Field(None, description="企业画像（无信用代码时）")
    needs: Optional[str] = Field(None, max_length=2000, description="企业的需求，自由文本")
    top_k: int = Field(10, ge=1, le=50)


class Conditions(Body):
    industries: list[Short] = Field([], max_length=50)
    sizes: list[Short] = Field([], max_length=10)
    regions: list[Line] = Field([], max_length=50)
    tags: list[Short] = Field([], max_length=50)
    valid_from: Optional[str] = Field(None, max_length=CODE_MAX)
    valid_to: Optional[str] = Field(None, max_length=CODE_MAX)


class MeasureIn(Body):
    title: Optional[str] = Field(None, max_length=500)
    text: Optional[str] = Field(None, max_length=20000)
    summary: Optional[str] = Field(None, max_length=TEXT_MAX)
    heading_path: Optional[list[Line]] = Field(None, max_length=20)
    lead_department: Optional[str] = Field(None, max_length=NAME_MAX)
    responsible_units: Optional[list[Short]] = Field(None, max_length=50)
    deadline: Optional[str] = Field(None, max_length=LINE_MAX)
    conditions: Optional[Conditions] = None
    redemption_mode: Optional[Literal[REDEMPTION_MODES]] = None
    how_to_apply: Optional[str] = Field(None, max_length=TEXT_MAX)
    contact: Optional[str] = Field(None, max_length=LINE_MAX)
    tags: Optional[list[Short]] = Field(None, max_length=50)
    source: Optional[str] = Field(None, max_length=LINE_MAX)
    kind: Optional[Literal[KINDS]] = Field(None, description="measure 惠企措施 | commitment 本局承诺 | problem 问题整改 | context 背景说明")
    kind_reason: Optional[str] = Field(None, max_length=500, description="类型依据（不填则记为管理员修改）")
    beneficiaries: Optional[str] = Field(None, max_length=2000, description="享受主体")
    basis: Optional[str] = Field(None, max_length=2000, description="政策依据")
    status: Optional[Literal["draft", "published"]] = None
    reason: Optional[str] = Field(None, max_length=500, description="修改原因（记入版本历史）")

    def fields(self) -> dict:
        data = self.model_dump(exclude_unset=True, exclude={"reason"})
        if self.conditions is not None:
            data["conditions"] = self.conditions.model_dump()
        return data


class RollbackIn(Body):
    version: int = Field(..., ge=1)
    reason: Optional[str] = Field(None, max_length=LINE_MAX)


class EnabledIn(Body):
    enabled: bool
    reason: Optional[str] = Field(None, max_length=LINE_MAX)


class ReasonIn(Body):
    reason: Optional[str] = Field(None, max_length=LINE_MAX)


# ---- open to the chat side ---------------------------------------------------------------
@router.post("/search", summary="检索政策措施（对话端可用，无需登录）")
def search(body: SearchIn, base: PolicyBase = Depends(get_base)) -> dict:
    return base.search_detail(body.query, body.top_k, record_hits=True)


@router.post("/match", summary="为企业匹配适用的政策措施（附理由）", responses=AUTH_ERRORS)
def match(body: MatchIn, actor: OptionalUser, db: DbDep, base: PolicyBase = Depends(get_base)) -> dict:
    if body.credit_code:
        if actor is None:
            raise ApiError(401, "UNAUTHENTICATED", "按统一社会信用代码匹配需先登录（该企业本人或其包抓联干部）。")
        require_enterprise(db, actor, cc.normalize(body.credit_code))  # not visible → 404 as if unknown
        profile = ledger_profile(db, body.credit_code)
    elif body.profile:
        profile = body.profile.model_dump(exclude_none=True)
    else:
        raise Invalid("PROFILE_REQUIRED", "请提供统一社会信用代码 credit_code，或企业画像 profile。", field="credit_code")
    return {"profile": profile, "results": base.match(profile, body.needs, body.top_k)}


# ---- admin -------------------------------------------------------------------------------
@router.get("", summary="政策措施列表（管理员）")
def list_measures(status: Optional[Literal["draft", "published", "retired"]] = None,
                  doc_key: Optional[str] = Query(None, max_length=NAME_MAX), q: Optional[str] = Query(None, max_length=100),
                  enabled: Optional[bool] = None, kind: Optional[Literal[KINDS]] = None,
                  limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=MAX_INT),
                  base: PolicyBase = Depends(get_base), staff=Depends(_admin)) -> dict:
    items = base.list(status=status, doc_key=doc_key, q=q, enabled=enabled, kind=kind, limit=limit, offset=offset)
    return {"items": items, "count": len(items), "offset": offset}


@router.post("", status_code=201, summary="新建政策措施（管理员）")
def create_measure(body: MeasureIn, base: PolicyBase = Depends(get_base), staff=Depends(_admin)) -> dict:
    return base.create(body.fields(), _actor(staff), body.reason)


async def _with_upload(file: UploadFile, work):
    """Check the upload, write it under its own (sanitised) name in a temporary folder, run ``work(path)``."""
    name = Path(file.filename or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise Invalid("DOC_UNSUPPORTED_TYPE", "只支持 .txt、.md、.docx、.pdf 文件，请转换格式后再上传。", field="file")
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise Invalid("DOC_TOO_LARGE", "文件超过 20 MB，请拆分后再上传。", field="file")
    # Keep the original file name: the document key (re-import = update) comes from the document itself.
    safe = re.sub(r"[^\w.\-\u4e00-\u9fff]", "_", name) or f"upload{suffix}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / safe
        path.write_bytes(data)
        return await run_in_threadpool(work, path)


@router.post("/import", status_code=201, summary="上传并导入政策文件（管理员）")
async def import_document(file: UploadFile = File(...), base: PolicyBase = Depends(get_base),
                          staff=Depends(_admin)) -> dict:
    """A document from which no item can be read is refused with 422 ``DOC_NO_ITEMS``."""
    return await _with_upload(file, lambda path: base.import_one(path, _actor(staff)))


@router.post("/import/preview", summary="导入预览：列出将生成的条目、类型、字段和提示，不写入（管理员）")
async def preview_import(file: UploadFile = File(...), base: PolicyBase = Depends(get_base),
                         staff=Depends(_admin)) -> dict:
    """Same form as ``POST /import``. Returns ``{"document", "items", "count", "kinds", "would_retire",
    "warnings"}``; each item has title, text, kind, kind_label, kind_reason, heading_path, the fields the
    document states (lead_department, responsible_units, deadline, beneficiaries, basis, how_to_apply,
    contact) and ``change`` (new / changed / unchanged against the base). Nothing is written."""
    return await _with_upload(file, base.preview)


@router.post("/hit-test", summary="命中测试：检索结果及其解释、两路名次（管理员）")
def hit_test(body: HitTestIn, base: PolicyBase = Depends(get_base), staff=Depends(_admin)) -> dict:
    return base.search_detail(body.query, body.top_k, mode=body.mode, audience=body.audience)


@router.get("/{measure_id}", summary="查看政策措施（管理员）")
def get_measure(measure_id: MeasureId, base: PolicyBase = Depends(get_base), staff=Depends(_admin)) -> dict:
    return base.get(measure_id)


@router.put("/{measure_id}", summary="修改政策措施，生成新版本（管理员）")
def update_measure(measure_id: MeasureId, body: MeasureIn, base: PolicyBase = Depends(get_base),
                   staff=Depends(_admin)) -> dict:
    return base.update(measure_id, body.fields(), _actor(staff), body.reason)


@router.delete("/{measure_id}", summary="废止政策措施（保留历史，不物理删除）（管理员）")
def retire_measure(measure_id: MeasureId, reason: Optional[str] = Query(None, max_length=500),
                   base: PolicyBase = Depends(get_base), staff=Depends(_admin)) -> dict:
    return base.retire(measure_id, _actor(staff), reason)


@router.post("/{measure_id}/restore", summary="恢复已废止的措施（管理员）")
def restore_measure(measure_id: MeasureId, body: ReasonIn | None = None, base: PolicyBase = Depends(get_base),
                    staff=Depends(_admin)) -> dict:
    return base.restore(measure_id, _actor(staff), body.reason if body else None)


@router.get("/{measure_id}/versions", summary="版本历史（管理员）")
def measure_versions(measure_id: MeasureId, base: PolicyBase = Depends(get_base), staff=Depends(_admin)) -> dict:
    return {"measure_id": measure_id, "versions": base.versions(measure_id)}


@router.post("/{measure_id}/rollback", summary="回滚到指定版本（管理员）")
def rollback_measure(measure_id: MeasureId, body: RollbackIn, base: PolicyBase = Depends(get_base),
                     staff=Depends(_admin)) -> dict:
    return base.rollback(measure_id, body.version, _actor(staff), body.reason)


@router.post("/{measure_id}/enabled", summary="启用/停用（管理员）")
def set_enabled(measure_id: MeasureId, body: EnabledIn, base: PolicyBase = Depends(get_base),
                staff=Depends(_admin)) -> dict:
    return base.set_enabled(measure_id, body.enabled, _actor(staff), body.reason)
