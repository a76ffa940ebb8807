"""The businesses' chat page at ``/``: static page and widget, plus the config the widget needs.

The page talks to the Rasa server directly over socket.io; where that server is comes from the
settings (``host`` + ``rasa_port``) through ``GET /chat-config.json``, never from the JavaScript.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from huiqi.settings import get_settings

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
ENTERPRISE_TOKEN_PATH = "/api/v1/auth/enterprise-token"
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
    }


def install(app: FastAPI) -> None:
    """Add the page, its config endpoint and its static files to ``app``."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
