"""The businesses' chat page at ``/``: static page and widget, plus the config the widget needs.

The page talks to the Rasa server directly over socket.io; where that server is comes from the
settings (``host`` + ``rasa_port``) through ``GET /chat-config.json``, never from the JavaScript.
"""
from __future__ import annotations

from pathlib import Path

import sqlite_utils
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from api.deps import get_db, require_roles
from huiqi.errors import NotFound
from huiqi.settings import get_settings
from ledger import chat_sessions
from ledger.actors import Actor

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
ENTERPRISE_TOKEN_PATH = "/api/v1/auth/enterprise-token"
CLOSE_SESSION_PATH = "/api/v1/chat/sessions/{sender_id}/close"
WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}

router = APIRouter(tags=["chat"])


def rasa_public_url(request: Request) -> str:
    """The Rasa URL as the browser must reach it.

    When the services listen on every interface, the browser reaches Rasa on the same host name
    it used for this page; otherwise on the configured host.
    """
    settings = get_settings()
    if settings.host in WILDCARD_HOSTS:
        host = request.url.hostname or "localhost"
        if ":" in host:  # a bare IPv6 address
            host = f"[{host}]"
        return f"{request.url.scheme}://{host}:{settings.rasa_port}"
    return settings.rasa_url


@router.get("/", include_in_schema=False)
def chat_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")


@router.get("/chat-config.json", summary="聊天页面配置（Rasa 地址、登录接口）")
def chat_config(request: Request) -> dict:
    return {
        "rasa_url": rasa_public_url(request),
        "socketio_path": "/socket.io",
        "enterprise_token_url": ENTERPRISE_TOKEN_PATH,
        "close_session_url": CLOSE_SESSION_PATH,
    }


@router.post(CLOSE_SESSION_PATH, summary="企业退出登录：结束该对话（不再向其推送）")
def close_chat_session(sender_id: str, actor: Actor = Depends(require_roles("enterprise")),
                       db: sqlite_utils.Database = Depends(get_db)) -> dict:
    """The page calls this on log-out, so that pushes stop going into a conversation nobody reads."""
    if chat_sessions.enterprise_of(db, sender_id) != actor.ident:
        raise NotFound("CHAT_SESSION_NOT_FOUND", "未找到该对话，可能已经结束。")
    return {"sender_id": sender_id, "closed": chat_sessions.close(db, sender_id)}


def install(app: FastAPI) -> None:
    """Add the page, its config endpoint and its static files to ``app``."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
