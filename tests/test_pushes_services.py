"""A push reaches a live Rasa conversation over socket.io (needs the three running services)."""
from __future__ import annotations

import queue
import time
import uuid

import httpx
import pytest

from huiqi.settings import get_settings

pytestmark = [
    pytest.mark.services,
]


def test_publishing_delivers_into_the_open_chat_of_a_logged_in_freight_company():
    socketio = pytest.importorskip("socketio")
    from ledger.chat_sessions import enterprise_of
    from ledger.db import connect
    from ledger.demo import ENTERPRISE_PASSWORD, STAFF, credit_code_of

    get_settings.cache_clear()
    s = get_settings()
    api = httpx.Client(base_url=s.api_url, timeout=60)
    admin_pw = next(pw for login, _n, _r, _o, pw in STAFF if login == "admin")
    admin = {"Authorization": "Bearer " + api.post("/api/v1/auth/token", data={
        "username": "admin", "password": admin_pw}).json()["access_token"]}
    shunda = credit_code_of("shunda")
    r = api.post("/api/v1/auth/enterprise-token", data={"credit_code": shunda, "password": ENTERPRISE_PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]

    said: queue.Queue = queue.Queue()
    confirmed: queue.Queue = queue.Queue()
    sio = socketio.Client(reconnection=False)
    sio.on("bot_uttered", lambda data: said.put(data.get("text") or ""))
    sio.on("session_confirm", lambda data: confirmed.put(data))
    session_id = f"push-e2e-{uuid.uuid4().hex[:10]}"
    sio.connect(s.rasa_url, socketio_path="/socket.io", transports=["websocket"])
    measure_id = None
    try:
        sio.emit("session_request", {"session_id": session_id})
        confirmed.get(timeout=30)
        sio.emit("user_uttered", {"message": "你好", "session_id": session_id, "metadata": {"token": token}})
        said.get(timeout=60)  # the greeting
        time.sleep(1)
        db = connect(settings=s)
        try:
            assert enterprise_of(db, session_id) == shunda, \
                "the chat actions must bind a logged-in conversation (ledger.chat_sessions.touch)"
        finally:
            db.close()
        while not said.empty():
            said.get_nowait()

        title = f"货运企业冷链车辆购置补贴（测试 {uuid.uuid4().hex[:6]}）"
        r = api.post("/api/v1/policies", headers=admin, json={
            "title": title, "text": "道路货运企业购置冷链运输车辆的，按车辆购置价格给予补贴，向交通运输局申请。",
            "conditions": {"industries": ["道路货运"]}, "redemption_mode": "依申请", "tags": ["道路货运"],
            "how_to_apply": "向所在地交通运输局提交购车发票和行驶证申请。"})
        assert r.status_code == 201, r.text
        measure_id = r.json()["id"]

        deadline, texts = time.monotonic() + 60, []
        while time.monotonic() < deadline and not any(title in t for t in texts):
            try:
                texts.append(said.get(timeout=2))
            except queue.Empty:
                pass
        assert any(title in t for t in texts), texts
        pushes = api.get("/api/v1/pushes", headers=admin, params={"measure_id": measure_id, "credit_code": shunda}).json()
        assert [p["status"] for p in pushes["items"]] == ["delivered"]
    finally:
        sio.disconnect()
        if measure_id:
            api.delete(f"/api/v1/policies/{measure_id}", headers=admin, params={"reason": "测试结束"})
