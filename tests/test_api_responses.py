"""The console's hot read routes answer with ``api.responses.LedgerJSON`` (orjson, no per-request
validation) instead of FastAPI's validate-then-serialise. That is only right if validating against the
route's ``response_model`` would change nothing: each body here must validate against its model, and
validating and serialising it the way FastAPI does must give back the same JSON. The ledger is first
given the records that vary most (replies, notes, an extension request, a visit, an unverified claimant
problem naming the enterprise), and each route is read by staff and, where allowed, by the business."""
from __future__ import annotations

import json

import pytest
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from api.routers import API_ROUTERS
from ledger.demo import credit_code_of
from tests.fixtures.demo_env import bearer, demo_client

P = "/api/v1"
SHUNDA = credit_code_of("shunda")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with demo_client(tmp_path_factory.mktemp("responses")) as c:
        yield c


@pytest.fixture(scope="module")
def who(client):
    r = client.post(f"{P}/auth/enterprise-token", data={"credit_code": SHUNDA, "password": "Qiye@2026"})
    assert r.status_code == 200, r.text
    return {"admin": bearer(client, "admin", "Admin@2026"), "cadre": bearer(client, "zhangwei", "Cadre@2026"),
            "leader": bearer(client, "wangjianguo", "Leader@2026"),
            "business": {"Authorization": f"Bearer {r.json()['access_token']}"}}


@pytest.fixture(scope="module")
def ticket(client, who):
    """A shunda problem with a reply, a note and a pending extension request; plus a visit and an
    unverified claimant problem that names shunda's credit code."""
    cadre = who["cadre"]
    t = client.get(f"{P}/problems", params={"credit_code": SHUNDA, "open": True}, headers=cadre).json()[0]["ticket_no"]
    for body in ({"type": "note", "note": "已电话联系企业，核实情况"},
                 {"type": "extension_request", "days": 3, "note": "需要外单位配合"},
                 {"type": "reply", "reply": "已协调运输服务科办理，请留意短信通知。"}):
        r = client.post(f"{P}/problems/{t}/events", json=body, headers=cadre)
        assert r.status_code == 200, r.text
    r = client.post(f"{P}/enterprises/{SHUNDA}/visits", headers=cadre,
                    json={"occasion": "日常走访", "visited_on": "2026-11-20", "notes": "了解冷链车辆年审情况"})
    assert r.status_code == 201, r.text
    r = client.post(f"{P}/problems", headers=who["admin"],
                    json={"category": "收费", "kind": "complaint", "description": "反映收费站重复收费的问题",
                          "claimant_name": "王先生", "claimant_phone": "13900001111", "claimed_credit_code": SHUNDA})
    assert r.status_code == 201, r.text
    return t


def response_model(route_path: str):
    """The ``response_model`` of the GET route at ``route_path`` (below /api/v1)."""
    for router in API_ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.path == route_path and "GET" in route.methods:
                return route.response_model
    raise AssertionError(f"no GET route {route_path}")


def assert_model_changes_nothing(client, route_path: str, url: str, headers: dict, params=None) -> object:
    r = client.get(url, headers=headers, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    adapter = TypeAdapter(response_model(route_path))
    validated = adapter.validate_python(body)  # raises when the body breaks the documented schema
    # compared as text: in Python 1 == True, in JSON 1 is not true
    assert json.dumps(adapter.dump_python(validated, mode="json"), sort_keys=True) == json.dumps(body, sort_keys=True)
    return body


@pytest.mark.parametrize("role", ["admin", "leader", "cadre", "business"])
def test_problem_queue_is_what_validation_would_give(client, who, ticket, role):
    for params in ({"open": True}, {"credit_code": SHUNDA}, {}):
        body = assert_model_changes_nothing(client, "/problems", f"{P}/problems", who[role], params)
    assert any(p["reply"] for p in body) and any(p["status"] == "received" or p["assignee"] for p in body)
    if role == "business":  # the business's view still leaves out internal records
        assert all("escalated_to" not in p and "claimed_enterprise" not in p for p in body)


@pytest.mark.parametrize("role", ["admin", "cadre", "business"])
def test_problem_detail_is_what_validation_would_give(client, who, ticket, role):
    body = assert_model_changes_nothing(client, "/problems/{ticket_no}", f"{P}/problems/{ticket}", who[role])
    types = {e["type"] for e in body["events"]}
    assert body["reply"] and body["status"] == "replied"
    assert ("note" in types) == (role != "business")
    assert ("extensions" in body) == (role != "business")


@pytest.mark.parametrize("role", ["admin", "cadre", "business"])
def test_dossier_is_what_validation_would_give(client, who, ticket, role):
    body = assert_model_changes_nothing(client, "/enterprises/{credit_code}/dossier",
                                        f"{P}/enterprises/{SHUNDA}/dossier", who[role])
    assert body["profile"]["credit_code"] == SHUNDA and body["profile"]["active"] is True
    assert body["problems"] and body["visits"]
    assert ("claimed_problems" in body) == (role != "business")
    if role == "admin":
        assert body["claimed_problems"][0]["claimed_enterprise"]["verified"] is False


@pytest.mark.parametrize("role", ["admin", "cadre"])
def test_enterprise_list_is_what_validation_would_give(client, who, role):
    body = assert_model_changes_nothing(client, "/enterprises", f"{P}/enterprises", who[role])
    assert SHUNDA in {e["credit_code"] for e in body}
