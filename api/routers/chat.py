"""The businesses' chat page at ``/``: static page and widget, plus the config the widget needs.

The page talks to the Rasa server directly over socket.io; where that server is comes from the
settings (``host`` + ``rasa_port``) through ``GET /chat-config.json``, never from the JavaScript.
"""
from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse

from api.deps import ClaimsDep, DbDep, EnterpriseUser
from api.schemas import AUTH_ERRORS, ChatConfigOut, ChatSessionClosed, errors
from api.validators import NAME_MAX
from huiqi.settings import get_settings
from ledger import chat_sessions

STATIC_DIR = FilePath(__file__).resolve().parent.parent / "static"
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


@router.get("/chat-config.json", summary="聊天页面配置（Rasa 地址、登录接口）", response_model=ChatConfigOut)
def chat_config(request: Request) -> dict:
    return {
        "rasa_url": rasa_public_url(request),
        "socketio_path": "/socket.io",
        "enterprise_token_url": ENTERPRISE_TOKEN_PATH,
        "close_session_url": CLOSE_SESSION_PATH,
    }


@router.post(CLOSE_SESSION_PATH, summary="企业退出登录：结束该对话（不再向其推送）与该登录令牌",
             response_model=ChatSessionClosed, responses={**AUTH_ERRORS, **errors(404)})
def close_chat_session(sender_id: Annotated[str, Path(max_length=NAME_MAX)], actor: EnterpriseUser,
                       claims: ClaimsDep, db: DbDep) -> dict:
    """The page calls this on log-out: pushes stop going into a conversation nobody reads, and the token
    ends, so the conversation no longer acts as the business (not even for messages without a token)."""
    return {"sender_id": sender_id, "closed": chat_sessions.log_out(db, sender_id, claims)}
