"""The API application: ``uvicorn api.app:app`` (see ``make run``)."""
from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request

from api import errors
from api.deps import single_valued_query
from api.middleware import BodySizeLimit, SecurityHeaders
from api.routers import API_PREFIX, API_ROUTERS, SITE_ROUTERS, chat, console
from api.schemas import COMMON_ERRORS, HealthOut
from huiqi.settings import get_settings
from ledger.login_guard import LoginGuard

STATIC_DIR = chat.STATIC_DIR


def _rasa_sources(scope) -> list[str]:
    """Where the chat page may connect: the Rasa server over http(s) and ws(s)."""
    url = chat.rasa_public_url(Request(scope))
    return [url, "ws" + url[len("http"):]]


def create_app() -> FastAPI:
    settings = get_settings()
    settings.ensure_data_dir()
    app = FastAPI(
        title="惠企通 Huiqitong API",
        description="交通运输局惠企服务：政策检索与匹配、企业诉求台账、包抓联干部工作台。",
        version="0.1.0",
        docs_url=None, redoc_url=None,  # /docs is served below from vendored Swagger UI assets
        responses=COMMON_ERRORS,
        dependencies=[Depends(single_valued_query)],
    )
    app.state.login_guard = LoginGuard()
    errors.install(app)

    @app.get("/healthz", tags=["health"], response_model=HealthOut)
    def healthz() -> dict:
        return {"status": "ok", "service": "api"}

    @app.get("/docs", include_in_schema=False)
    def docs() -> FileResponse:
        return FileResponse(STATIC_DIR / "docs.html", media_type="text/html; charset=utf-8")

    for router in SITE_ROUTERS:
        app.include_router(router)
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    console.install(app)

    app.add_middleware(SecurityHeaders, connect_sources=_rasa_sources)
    app.add_middleware(BodySizeLimit)  # added last = runs first: before routing and authentication
    return app


app = create_app()
