"""Uniform JSON errors: ``{"code": STABLE_CODE, "message": 中文说明, "fields": [...]}``."""
from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from huiqi.errors import HuiqiError

_HTTP_CODES = {
    400: ("BAD_REQUEST", "请求有误，请检查后重试。"),
    401: ("UNAUTHENTICATED", "请先登录后再操作。"),
    403: ("FORBIDDEN", "您没有执行此操作的权限。"),
    404: ("NOT_FOUND", "未找到该记录，请核对后重试。"),
    405: ("METHOD_NOT_ALLOWED", "不支持该请求方式。"),
    409: ("CONFLICT", "当前状态下不能执行此操作。"),
    413: ("TOO_LARGE", "上传内容过大，请拆分后重试。"),
    422: ("VALIDATION_ERROR", "提交的内容有误，请按提示修改。"),
    500: ("INTERNAL_ERROR", "系统内部错误，请稍后重试；如持续出现请联系管理员。"),
}

_VALIDATION_MESSAGES = {
    "missing": "此项必填",
    "string_too_short": "内容太短",
    "string_too_long": "内容太长",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为是/否",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "greater_than": "数值太小",
    "less_than": "数值太大",
    "literal_error": "不是允许的取值",
    "enum": "不是允许的取值",
    "string_pattern_mismatch": "格式不正确",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "格式不正确",
    "dict_type": "应为对象",
    "list_type": "应为列表",
    "string_type": "应为文本",
    "value_error": "取值无效",
}


def allowed_methods(request: Request) -> list[str]:
    """The methods the API documents at this path (Starlette's 405 names only the first route's).
    A literal path (``/policies/search``) wins over a template that also matches (``/policies/{measure_id}``)."""
    path, paths = request.url.path, request.app.openapi()["paths"]
    if path in paths:
        return sorted(m.upper() for m in paths[path])
    methods: set[str] = set()
    for template, operations in paths.items():
        if re.fullmatch(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)), path):
            methods |= {m.upper() for m in operations}
    return sorted(methods)


class ApiError(HuiqiError):
    """An error raised directly by an endpoint, with an explicit HTTP status."""

    def __init__(self, status: int, code: str, message: str, *, field: str | None = None):
        super().__init__(code, message, field=field)
        self.http_status = status


def error_response(status: int, code: str, message: str, fields: list[dict] | None = None, headers=None):
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return JSONResponse(status_code=status, content=body, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(HuiqiError)
    async def _domain(request: Request, exc: HuiqiError):
        fields = [{"field": exc.field, "message": exc.message}] if exc.field else None
        return error_response(exc.http_status, exc.code, exc.message, fields)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        fields = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
            text = _VALIDATION_MESSAGES.get(err.get("type", ""), "取值无效")
            if err.get("type") == "value_error" and err.get("ctx", {}).get("error"):
                text = str(err["ctx"]["error"])  # our validators raise Chinese messages
            fields.append({"field": ".".join(loc) or "body", "message": text})
        summary = "；".join(f"{f['field']}：{f['message']}" for f in fields)
        return error_response(422, "VALIDATION_ERROR", f"提交的内容有误：{summary}", fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and not isinstance(exc.detail, dict):  # the framework could not parse the body
            return error_response(422, "INVALID_BODY", "请求体无法解析（应为 UTF-8 编码的 JSON 或表单），请检查后重试。")
        code, message = _HTTP_CODES.get(exc.status_code, ("HTTP_ERROR", "请求失败，请稍后重试。"))
        if isinstance(exc.detail, dict):
            code, message = exc.detail.get("code", code), exc.detail.get("message", message)
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return error_response(exc.status_code, code, message, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        code, message = _HTTP_CODES[500]
        return error_response(500, code, message)
