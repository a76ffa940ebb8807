"""Pushes over HTTP: publishing through the API pushes; who may see and move which push; the funnel."""
from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from ledger import auth_sessions
from ledger.db import connect
from huiqi.settings import Settings, get_settings
from ledger.demo import credit_code_of
from tests.test_pushes_engine import FREIGHT, FREIGHT_MEASURE, template  # noqa: F401 (session fixture)

SHUNDA, TONGDA, LONGYUN, REPAIR = (credit_code_of(k) for k in ("shunda", "tongda", "longyun", "anning_repair"))


@pytest.fixture
def api(template, tmp_path, monkeypatch):  # noqa: F811
    root, _embedder = template
    data = tmp_path / "data"
    shutil.copytree(root, data)
    monkeypatch.setenv("HUIQI_DATA_DIR", str(data))
    monkeypatch.setenv("HUIQI_DEMO_MODE", "1")
    get_settings.cache_clear()
    from api.app import create_app

    settings = get_settings()
    with TestClient(create_app()) as client:
        yield client, settings
    get_settings.cache_clear()


def _auth(settings: Settings, who: str, role: str) -> dict:
    db = connect(settings=settings)
    try:
        return {"Authorization": f"Bearer {auth_sessions.issue_token(db, who, role, settings)}"}
    finally:
        db.close()


def _publish(client, settings) -> dict:
    r = client.post("/api/v1/policies", json=FREIGHT_MEASURE, headers=_auth(settings, "admin", "admin"))
    assert r.status_code == 201, r.text
    return r.json()


def test_publishing_through_the_api_pushes_and_officials_see_only_their_enterprises(api):
    client, settings = api
    measure = _publish(client, settings)
    cadre = _auth(settings, "zhangwei", "cadre")  # paired with shunda, tongda, tianshui_freight, yinda_hazmat
    r = client.get("/api/v1/pushes", params={"outstanding": "true"}, headers=cadre)
    assert r.status_code == 200
    body = r.json()
    codes = {i["credit_code"] for i in body["items"]}
    assert SHUNDA in codes and TONGDA in codes
    assert LONGYUN not in codes and REPAIR not in codes  # not his, and not freight respectively
    assert all(i["measure_id"] == measure["id"] and i["status_label"] == "已推送" for i in body["items"])
    # another official's enterprise: not found, existence not revealed
    r = client.get("/api/v1/pushes", params={"credit_code": LONGYUN}, headers=cadre)
    assert r.status_code == 404 and r.json()["code"] == "ENTERPRISE_NOT_FOUND"
    admin = client.get("/api/v1/pushes", params={"measure_id": measure["id"]}, headers=_auth(settings, "admin", "admin"))
    assert {i["credit_code"] for i in admin.json()["items"]} == FREIGHT
    # the dossier endpoint shows them too
    r = client.get(f"/api/v1/enterprises/{SHUNDA}/pushes", headers=cadre)
    assert [p["measure_id"] for p in r.json()] == [measure["id"]]


def test_status_updates_authorization_and_funnel(api):
    client, settings = api
    measure = _publish(client, settings)
    admin = _auth(settings, "admin", "admin")
    items = client.get("/api/v1/pushes", params={"measure_id": measure["id"]}, headers=admin).json()["items"]
    shunda_push = next(i for i in items if i["credit_code"] == SHUNDA)
    longyun_push = next(i for i in items if i["credit_code"] == LONGYUN)

    business = _auth(settings, SHUNDA, "enterprise")
    r = client.post(f"/api/v1/pushes/{shunda_push['id']}/status", json={"status": "viewed"}, headers=business)
    assert r.status_code == 200 and r.json()["status"] == "viewed"
    r = client.post(f"/api/v1/pushes/{longyun_push['id']}/status", json={"status": "viewed"}, headers=business)
    assert r.status_code == 404 and r.json()["code"] == "PUSH_NOT_FOUND"
    r = client.post(f"/api/v1/pushes/{shunda_push['id']}/status", json={"status": "withdrawn"}, headers=business)
    assert r.status_code == 403 and r.json()["code"] == "PUSH_STATUS_FORBIDDEN"

    other_cadre = _auth(settings, "chenjing", "cadre")
    r = client.post(f"/api/v1/pushes/{shunda_push['id']}/status", json={"status": "applied"}, headers=other_cadre)
    assert r.status_code == 404

    cadre = _auth(settings, "zhangwei", "cadre")
    for status in ("applied", "redeemed"):
        r = client.post(f"/api/v1/pushes/{shunda_push['id']}/status", json={"status": status, "reason": "已到账"},
                        headers=cadre)
        assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/pushes/{shunda_push['id']}/status", json={"status": "applied"}, headers=cadre)
    assert r.status_code == 409 and r.json()["code"] == "PUSH_TRANSITION_REFUSED" and "已兑现" in r.json()["message"]
    r = client.post(f"/api/v1/pushes/{shunda_push['id']}/status", json={"status": "done"}, headers=cadre)
    assert r.status_code == 422 and r.json()["code"] == "INVALID_PUSH_STATUS"

    detail = client.get(f"/api/v1/pushes/{shunda_push['id']}", headers=cadre).json()
    assert [e["to_value"] for e in detail["events"]] == ["pushed", "viewed", "applied", "redeemed"]

    r = client.get(f"/api/v1/policies/{measure['id']}/funnel", headers=cadre)
    assert r.status_code == 403
    r = client.get(f"/api/v1/policies/{measure['id']}/funnel", headers=admin)
    assert r.status_code == 200
    stages = r.json()["stages"]
    assert stages == {"pushed": len(FREIGHT), "delivered": 1, "viewed": 1, "applied": 1, "redeemed": 1}
    r = client.get("/api/v1/policies/m-nothere/funnel", headers=admin)
    assert r.status_code == 404 and r.json()["code"] == "MEASURE_NOT_FOUND"


def test_opt_out_through_the_api_is_honoured_by_the_next_publish(api):
    client, settings = api
    business = _auth(settings, SHUNDA, "enterprise")
    r = client.post("/api/v1/pushes/opt-outs", json={"category": "天气预报"}, headers=business)
    assert r.status_code == 422 and r.json()["code"] == "INVALID_PUSH_CATEGORY" and "资金补贴" in r.json()["message"]
    r = client.post("/api/v1/pushes/opt-outs", json={"category": "補貼類的"}, headers=business)  # colloquial, traditional
    assert r.status_code == 201 and r.json()["categories"] == ["资金补贴"]
    r = client.post("/api/v1/pushes/opt-outs", json={"category": "资金补贴", "credit_code": LONGYUN}, headers=business)
    assert r.status_code == 404
    measure = _publish(client, settings)
    items = client.get("/api/v1/pushes", params={"measure_id": measure["id"]},
                       headers=_auth(settings, "admin", "admin")).json()["items"]
    assert {i["credit_code"] for i in items} == FREIGHT - {SHUNDA}


def test_no_token_is_401(api):
    client, _ = api
    r = client.get("/api/v1/pushes")
    assert r.status_code == 401 and r.json()["code"] == "UNAUTHENTICATED"
