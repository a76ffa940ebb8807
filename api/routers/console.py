"""The console (工作台) for officials, leaders and admins at ``/console/``: one page and its static
files (``api/static/console/``, vendored assets under ``vendor/``). Everything it shows comes from the
API (``/api/v1/...``); the page holds no data of its own and runs no inline script (CSP ``script-src 'self'``)."""
from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.routers.chat import STATIC_DIR

CONSOLE_DIR = STATIC_DIR / "console"

router = APIRouter(tags=["console"], include_in_schema=False)


@router.get("/console")
def console_redirect() -> RedirectResponse:
    return RedirectResponse("/console/", status_code=308)


@router.get("/console/")
def console_page() -> FileResponse:
    return FileResponse(CONSOLE_DIR / "index.html", media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})


def install(app: FastAPI) -> None:
    """Mount the console's static files (its router is registered with the others in api.routers)."""
    app.mount("/console/assets", StaticFiles(directory=CONSOLE_DIR), name="console-assets")
