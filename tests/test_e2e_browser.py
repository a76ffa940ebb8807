"""End to end in headless Chromium: the chat page, a business log-in, a policy answer and a complaint.

Runs against the three live services (``make test`` starts them with the demo data and sets
HUIQI_SERVICES_UP). The browser is Debian's Chromium; Playwright never downloads one.
Screenshots go to ``$HUIQI_DATA_DIR/screenshots/``.
"""
from __future__ import annotations

import os
import re
import shutil

import httpx
import pytest

from huiqi.settings import get_settings

pytestmark = [
    pytest.mark.services,
    pytest.mark.browser,
    pytest.mark.skipif(not os.environ.get("HUIQI_SERVICES_UP"),
                       reason="needs the three running services: run `make test` (it starts them and sets HUIQI_SERVICES_UP)"),
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
BOT_TIMEOUT_MS = 60_000
TICKET = re.compile(r"HQ-\d{8}-\d{4}")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture(scope="module")
def settings():
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture(scope="module")
def api(settings):
    with httpx.Client(base_url=settings.api_url, timeout=30) as client:
        try:
            client.get("/healthz").raise_for_status()
            httpx.get(f"{settings.rasa_url}/healthz", timeout=10).raise_for_status()
        except httpx.HTTPError as exc:
            pytest.fail(f"HUIQI_SERVICES_UP is set but a service does not answer: {exc!r}")
        yield client


@pytest.fixture(scope="module")
def shots_dir(settings):
    path = settings.data_dir / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def launch(tmp_path_factory):
    """Open a fresh Chromium profile with the given viewport; all are closed at the end."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (make browser)")
    contexts = []
    with playwright_api.sync_playwright() as p:
        def _launch(viewport: dict):
            ctx = p.chromium.launch_persistent_context(
                str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
                args=CHROMIUM_ARGS, viewport=viewport, locale="zh-CN")
            contexts.append(ctx)
            return ctx.pages[0] if ctx.pages else ctx.new_page()

        yield _launch
        for ctx in contexts:
            ctx.close()
