"""The API application: ``uvicorn api.app:app`` (see ``make run``)."""
from __future__ import annotations

from fastapi import FastAPI

from api import errors
from api.routers import chat
from api.routers import policies
from api.routers import auth, enterprises, pairings, problems, review, staff, stats
from api.routers import pushes
from huiqi.settings import get_settings

API_PREFIX = "/api/v1"


def create_app() -> FastAPI:
    settings = get_settings()
    settings.ensure_data_dir()
    app = FastAPI(
        title="惠企通 Huiqitong API",
        description="交通运输局惠企服务：政策检索与匹配、企业诉求台账、包抓联干部工作台。",
        version="0.1.0",
    )
    errors.install(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict:
        return {"status": "ok", "service": "api"}

    chat.install(app)
    app.include_router(policies.router)
    for ledger_router in (auth, enterprises, problems, staff, pairings, stats, review):
        app.include_router(ledger_router.router, prefix=API_PREFIX)
    pushes.install(app, API_PREFIX)

    return app


app = create_app()
