"""Admin API for item kinds and the import preview (real store, model and ledger log-ins)."""
from __future__ import annotations

import pytest

from test_kb_helpers import new_base
from tests.fixtures.demo_env import bearer, demo_client

P = "/api/v1/policies"
CARD = ("享受主体:交通运输企业、货运司机\n"
        "优惠内容:对因疫情影响偿还汽车贷款暂时困难的货运司机，商业银行合理给予延期、展期或续贷安排。\n"
        "执行期限:长期\n政策依据:《关于金融支持货运物流保通保畅工作的通知》\n")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with demo_client(tmp_path_factory.mktemp("api-kinds"), prepare=new_base) as c:
        yield c


@pytest.fixture(scope="module")
def admin(client):
    return bearer(client, "admin", "Admin@2026")


def test_preview_shows_items_kinds_fields_and_writes_nothing(client, admin):
    before = client.get(P, headers=admin, params={"limit": 1000}).json()["count"]
    r = client.post(f"{P}/import/preview", headers=admin, files={"file": ("card.txt", CARD.encode(), "text/plain")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 1 and body["kinds"]["measure"] == 1
    it = body["items"][0]
    assert it["kind"] == "measure" and it["kind_label"] == "惠企措施" and it["kind_reason"]
    assert "货运司机" in it["beneficiaries"] and it["deadline"] == "长期" and "保通保畅" in it["basis"]
    assert it["change"] == "new" and isinstance(it["heading_path"], list) and it["title"] and it["text"]
    assert isinstance(body["warnings"], list)
    assert client.get(P, headers=admin, params={"limit": 1000}).json()["count"] == before


def test_preview_needs_an_admin(client):
    r = client.post(f"{P}/import/preview", files={"file": ("card.txt", CARD.encode(), "text/plain")})
    assert r.status_code == 401


@pytest.mark.parametrize("endpoint", ["/import", "/import/preview"])
def test_a_document_without_items_is_422_in_chinese(client, admin, endpoint):
    r = client.post(P + endpoint, headers=admin, files={"file": ("cover.txt", "封面\n目录\n".encode(), "text/plain")})
    assert r.status_code == 422
    assert r.json()["code"] == "DOC_NO_ITEMS" and "没有识别出任何政策条目" in r.json()["message"]


def test_kind_filter_and_an_admin_changes_a_kind_on_record(client, admin):
    r = client.post(f"{P}/import", headers=admin, files={"file": ("card.txt", CARD.encode(), "text/plain")})
    assert r.status_code == 201, r.text
    measures = client.get(P, headers=admin, params={"kind": "measure"}).json()["items"]
    assert measures and all(m["kind"] == "measure" for m in measures)
    target = next(m for m in measures if "货运司机" in (m.get("beneficiaries") or ""))
    r = client.put(f"{P}/{target['id']}", headers=admin, json={"kind": "context", "reason": "只是背景介绍"})
    assert r.status_code == 200, r.text
    assert r.json()["kind"] == "context" and "admin" in r.json()["kind_reason"]
    assert target["id"] not in {m["id"] for m in client.get(P, headers=admin, params={"kind": "measure"}).json()["items"]}
    versions = client.get(f"{P}/{target['id']}/versions", headers=admin).json()["versions"]
    assert versions[-1]["actor"] == "admin" and versions[-1]["snapshot"]["kind"] == "context"
    r = client.put(f"{P}/{target['id']}", headers=admin, json={"kind": "benefit"})
    assert r.status_code == 422
    r = client.get(P, headers=admin, params={"kind": "nonsense"})
    assert r.status_code == 422
