"""The three services as `make run` starts them (run by `make test` after `huiqi.services up`)."""
from __future__ import annotations

import os
import re
import signal
import time
import uuid
from pathlib import Path

import httpx
import pytest


pytestmark = [
    pytest.mark.services,
]

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_service_answers_healthz(settings):
    for port in (settings.rasa_port, settings.action_port, settings.api_port):
        r = httpx.get(f"http://{settings.host}:{port}/healthz", timeout=10)
        assert r.status_code == 200 and r.json()["status"] == "ok"
    assert httpx.get(f"{settings.api_url}/docs", timeout=10).status_code == 200


def test_greeting_is_chinese_and_comes_from_the_action_server(settings):
    sender = f"smoke-{uuid.uuid4().hex[:8]}"
    r = httpx.post(f"{settings.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": "你好"}, timeout=60)
    r.raise_for_status()
    texts = [m.get("text", "") for m in r.json()]
    assert texts and CJK.search(" ".join(texts)), texts
    url = f"{settings.rasa_url}/conversations/{sender}/tracker"
    assert httpx.get(url, timeout=30).status_code == 401, "Rasa's HTTP API must not be open without the token"
    tracker = httpx.get(url, params={"token": settings.rasa_api_token()}, timeout=30).json()
    actions = [e.get("name") for e in tracker["events"] if e.get("event") == "action"]
    custom = [a for a in actions if a and a.startswith("action_") and a not in {"action_listen", "action_session_start"}]
    assert custom, f"no custom action ran for the greeting: {actions}"


def test_a_service_that_dies_is_restarted_and_logged(settings):
    supervisor = int((settings.data_dir / "services.pid").read_text())
    api_pid = _child_listening(supervisor, "uvicorn")
    os.kill(api_pid, signal.SIGKILL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        # The API's worker processes may still answer for a moment after their parent was killed, until
        # the supervisor ends the group and starts a new API: only a new uvicorn child counts.
        try:
            if httpx.get(f"{settings.api_url}/healthz", timeout=2).status_code == 200 and _child_listening(supervisor, "uvicorn") != api_pid:
                break
        except (httpx.HTTPError, AssertionError):
            pass
        time.sleep(1)
    else:
        pytest.fail("API was not restarted within 90 s")
    log = (settings.log_dir / "supervisor.log").read_text(encoding="utf-8")
    assert "意外退出" in log and "正在重启" in log


def _child_listening(parent: int, needle: str) -> int:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if int(fields[1]) == parent and needle in cmdline:
            return int(stat.parent.name)
    raise AssertionError(f"no child of {parent} running {needle}")
