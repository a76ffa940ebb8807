"""ASGI middleware of the API: a request-body size limit enforced before anything reads the body
(so before authentication), and security headers on every response."""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024                 # JSON and form bodies
MAX_UPLOAD_BYTES = 21 * 1024 * 1024          # document uploads (20 MB file + multipart overhead)
UPLOAD_PATHS = ("/api/v1/policies/import", "/api/v1/workbench/enterprises/import")  # path prefixes that take uploads
TOO_LARGE = {"code": "BODY_TOO_LARGE", "message": "提交的内容过大（普通请求不超过 1 MB，上传文件不超过 20 MB），请精简或拆分后重试。"}


async def _refuse(send: Send) -> None:
    body = json.dumps(TOO_LARGE, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """413 ``BODY_TOO_LARGE`` for a declared Content-Length over the limit (nothing is read), and for a
    chunked body as soon as the bytes read pass it."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES, upload_bytes: int = MAX_UPLOAD_BYTES,
                 upload_paths: tuple[str, ...] = UPLOAD_PATHS):
        self.app, self.max_bytes, self.upload_bytes, self.upload_paths = app, max_bytes, upload_bytes, upload_paths

    def limit_for(self, path: str) -> int:
        return self.upload_bytes if path.startswith(self.upload_paths) else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = limit + 1
                if declared > limit:
                    await _refuse(send)
                    return
        seen = 0
        started = refused = False

        async def counting_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    if not started:
                        await _refuse(send)
                    refused = True
                    return {"type": "http.disconnect"}  # the app stops reading; whatever it answers is dropped
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, guarded_send)


def content_security_policy(connect_sources: list[str]) -> str:
    return _policy(tuple(connect_sources))


@lru_cache(maxsize=64)
def _policy(connect_sources: tuple[str, ...]) -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",   # Swagger UI sets style attributes
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src " + " ".join(["'self'", *connect_sources]),
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


class SecurityHeaders:
    """CSP (scripts only from this site; the chat may connect to Rasa over http(s) and ws(s)),
    X-Content-Type-Options, X-Frame-Options, Referrer-Policy on every response."""

    def __init__(self, app: ASGIApp, connect_sources: Callable[[Scope], list[str]]):
        self.app, self.connect_sources = app, connect_sources

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [
            (b"content-security-policy", content_security_policy(self.connect_sources(scope)).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *[h for h in extra if h[0] not in present]]
            await send(message)

        await self.app(scope, receive, with_headers)
