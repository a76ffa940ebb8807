"""Policy HTTP API: open search/match, admin endpoints need a token, clear errors."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from huiqi.settings import get_settings
from test_kb_helpers import new_base


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.setenv("HUIQI_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    new_base(tmp_path)
    from api.app import create_app

    yield TestClient(create_app())
    get_settings.cache_clear()


def test_search_is_open_and_explains(client):
    r = client.post("/api/v1/policies/search", json={"query": "电子证照到外省认吗", "top_k": 2})
    assert r.status_code == 200
    body = r.json()
    assert len(body["results"]) == 2 and body["truncated"] is False
    assert body["results"][0]["title"] == "电子证照互认"
    assert "keyword_rank" in body["results"][0]["explanation"]


def test_empty_query_is_422_in_chinese_and_long_query_is_truncated(client):
    r = client.post("/api/v1/policies/search", json={"query": "  "})
    assert r.status_code == 422 and r.json()["code"] == "QUERY_EMPTY" and "请输入" in r.json()["message"]
    r = client.post("/api/v1/policies/search", json={"query": "移动执法" * 2500})
    assert r.status_code == 200 and r.json()["truncated"] is True


def test_the_documented_query_pattern_refuses_exactly_the_queries_the_base_calls_blank(client):
    """The OpenAPI pattern is what clients (and the contract test) read: a query it allows must not be refused as
    blank, and one it refuses must be. Python and JSON Schema disagree on some whitespace (U+001C, U+0085, U+FEFF)."""
    import re

    pattern = client.get("/openapi.json").json()["components"]["schemas"]["SearchIn"]["properties"]["query"]["pattern"]
    assert "\\s" not in pattern.lower(), "\\s means other characters in JSON Schema than in Python: spell them out"
    for text in ["\x1c", "\x1f", "\x85", "\ufeff", "\u3000", "\xa0 \t", "\u2028", "a", "\x1c网约车", "\x00"]:
        documented_ok = re.search(pattern, text) is not None
        r = client.post("/api/v1/policies/search", json={"query": text})
        assert (r.status_code == 200) == documented_ok, (repr(text), r.status_code)
        if not documented_ok:
            assert r.json()["code"] == "QUERY_EMPTY"


def test_match_with_profile_is_open(client):
    profile = {"industry": "网约车/出租", "size": "小", "region": "甘肃省/兰州市", "tags": []}
    r = client.post("/api/v1/policies/match", json={"profile": profile, "needs": "网约车许可"})
    assert r.status_code == 200
    assert r.json()["results"][0]["title"] == "网约车许可"
    r = client.post("/api/v1/policies/match", json={})
    assert r.status_code == 422 and r.json()["code"] == "PROFILE_REQUIRED"


def test_match_by_credit_code_needs_a_log_in(client):
    # finding 12 of issue #17: a registered company's profile is not handed to anyone who asks
    r = client.post("/api/v1/policies/match", json={"credit_code": "91620100MA7XXXXX0X"})
    assert r.status_code == 401 and r.json()["code"] == "UNAUTHENTICATED" and "登录" in r.json()["message"]


@pytest.mark.parametrize("method,path", [
    ("get", "/api/v1/policies"), ("post", "/api/v1/policies"), ("get", "/api/v1/policies/m-1"),
    ("put", "/api/v1/policies/m-1"), ("delete", "/api/v1/policies/m-1"), ("post", "/api/v1/policies/m-1/restore"),
    ("get", "/api/v1/policies/m-1/versions"), ("post", "/api/v1/policies/m-1/rollback"),
    ("post", "/api/v1/policies/m-1/enabled"), ("post", "/api/v1/policies/import"),
    ("post", "/api/v1/policies/hit-test"),
])
def test_admin_endpoints_need_a_token(client, method, path):
    r = getattr(client, method)(path)
    assert r.status_code == 401


def test_search_of_a_long_item_answers_with_its_passage_and_keeps_the_whole_item(client, tmp_path):
    from policies_kb.base import PolicyBase
    from policies_kb.passages import PASSAGE_CHARS
    from huiqi.settings import Settings

    filler = "为进一步降低物流成本，现就做好道路货运行业稳定运行有关事项通知如下。"
    answer = "对受疫情影响还款困难的货车司机，其个人住房按揭、信用卡等信贷还款可以合理延后，不影响征信记录。"
    text = filler * (PASSAGE_CHARS // len(filler)) + answer + "鼓励银行机构对运输企业降低实际贷款利率，优化审批流程，提高放款效率。" * 6
    base = PolicyBase.open(Settings(data_dir=tmp_path))
    created = base.create({"title": "货运行业金融支持措施", "text": text}, "tester")
    r = client.post("/api/v1/policies/search", json={"query": "货车司机信用卡还不上能延期吗", "top_k": 3})
    assert r.status_code == 200
    hit = next(x for x in r.json()["results"] if x["measure_id"] == created["id"])
    assert answer in hit["text"] and len(hit["text"]) <= PASSAGE_CHARS and text.index(hit["text"]) > 0  # not its first lines
    assert hit["item_text"] == text and hit["passage_window"] >= 2 and hit["title"] == "货运行业金融支持措施"
