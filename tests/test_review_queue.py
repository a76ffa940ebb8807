"""The review queue (issue #16, item 5): turns from Rasa's tracker store where the fallback fired, the
intent was unsure, or the user said the bot got it wrong; shown masked with the conversation around them;
admins confirm or correct the intent, and the turn goes (masked) into the reviewed NLU file."""
from __future__ import annotations

import json
import sqlite3

import pytest
import yaml
from fastapi.testclient import TestClient

from huiqi.errors import Conflict, Invalid
from huiqi.settings import get_settings
from ledger import review
from ledger.actors import Actor
from ledger.db import connect
from ledger.demo import seed_demo

ADMIN = Actor("admin", "admin", "刘芳", 1, "政策法规科")
PHONE, CODE, NAME = "13912345678", "91620102444491904B", "李红梅"


def parse(text, intent, confidence, *ranking):
    ranked = [{"name": intent, "confidence": confidence}] + [{"name": n, "confidence": c} for n, c in ranking]
    return {"text": text, "intent": {"name": intent, "confidence": confidence}, "intent_ranking": ranked, "entities": []}


def write_tracker_store(path, conversations):
    """A tracker store as Rasa's SQL tracker store writes it (table events), with these conversations."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE events (id INTEGER NOT NULL, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) "
                 "NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT, PRIMARY KEY (id))")
    n = 0
    for sender, events in conversations.items():
        for kind, data in events:
            n += 1
            conn.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [n, sender, kind, 1_764_000_000 + n, None, None, json.dumps({"event": kind, **data})])
    conn.commit()
    conn.close()


def user(text, intent, confidence, *ranking):
    return "user", {"text": text, "parse_data": parse(text, intent, confidence, *ranking)}


def bot(text):
    return "bot", {"text": text}


CONVERSATIONS = {
    "web-abc": [
        user("我要投诉", "file_complaint", 0.95), bot("请问是哪一类问题？"),
        ("slot", {"name": "contact_name", "value": NAME}),
        user("车的事", "nlu_fallback", 0.45, ("file_complaint", 0.31), ("check_status", 0.2)), bot("抱歉，我没太听懂。"),
        user(f"联系人{NAME} 电话{PHONE} 代码{CODE}", "inform", 0.52, ("file_complaint", 0.3)), bot("好的"),
    ],
    "web-def": [
        user("修理厂开业要审批吗", "ask_policy", 0.91, ("faq", 0.05)), bot("为您找到这些相关政策"),
        user("不是这个意思，我是问备案", "inform", 0.8), bot("好的"),
        user("你好", "greet", 0.99), bot("您好！"),
    ],
}


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("HUIQI_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HUIQI_REVIEWED_NLU_FILE", raising=False)  # the test services set it; these tests set their own
    get_settings.cache_clear()
    s = get_settings()
    write_tracker_store(s.tracker_store_path, CONVERSATIONS)
    monkeypatch.setattr(review, "REVIEWED_NLU", tmp_path / "reviewed.yml")
    yield s
    get_settings.cache_clear()


def test_the_queue_holds_fallbacks_unsure_turns_and_turns_the_user_corrected(store):
    items = {it["text"]: it for it in review.queue(store)}
    reasons = sorted(it["reason"] for it in items.values())
    assert reasons == ["fallback", "low_confidence", "user_corrected"]
    fallback = items["车的事"]
    assert fallback["predicted"] == "file_complaint" and [a["intent"] for a in fallback["alternatives"]][:2] == [
        "file_complaint", "check_status"]
    corrected = next(it for it in items.values() if it["reason"] == "user_corrected")
    assert corrected["text"] == "修理厂开业要审批吗" and corrected["predicted"] == "ask_policy"
    # the conversation around the turn, with the turn marked
    assert [c["text"] for c in corrected["context"] if c["this_turn"]] == ["修理厂开业要审批吗"]
    assert any("不是这个意思" in c["text"] for c in corrected["context"])
    assert "你好" not in items  # a confident turn nobody corrected is not queued


def test_nothing_personal_is_shown(store):
    dump = json.dumps(review.queue(store), ensure_ascii=False)
    for secret in (PHONE, CODE, NAME, "web-abc"):
        assert secret not in dump


@pytest.mark.parametrize("text, secret", [("我姓王，电话0931-8123456", "0931-8123456"), ("我叫赵大海", "赵大海"),
                                          ("王经理让我问的", "王经理"), ("工单HQ-20240315-0012", "HQ-20240315-0012"),
                                          ("手机 139 1234 5678", "139 1234 5678")])
def test_masking(text, secret):
    assert secret not in review.mask(text)


def test_a_correction_goes_masked_into_the_reviewed_nlu_file_once(store):
    item = next(it for it in review.queue(store) if it["reason"] == "low_confidence")
    record = review.decide(ADMIN, item["id"], "correct", "inform", settings=store)
    assert record["by_login"] == "admin" and record["at"] and record["intent"] == "inform"
    data = yaml.safe_load(review.REVIEWED_NLU.read_text("utf-8"))
    [block] = data["nlu"]
    assert block["intent"] == "inform"
    assert PHONE not in block["examples"] and NAME not in block["examples"] and CODE not in block["examples"]
    assert item["id"] not in {it["id"] for it in review.queue(store)}  # decided turns leave the queue
    with pytest.raises(Conflict):
        review.decide(ADMIN, item["id"], "confirm", settings=store)


def test_confirm_dismiss_and_bad_decisions(store):
    items = review.queue(store)
    fallback = next(it for it in items if it["reason"] == "fallback")
    with pytest.raises(Invalid):
        review.decide(ADMIN, fallback["id"], "correct", "no_such_intent", settings=store)
    with pytest.raises(Invalid):
        review.decide(ADMIN, fallback["id"], "correct", None, settings=store)
    review.decide(ADMIN, fallback["id"], "dismiss", settings=store)
    assert not review.REVIEWED_NLU.exists()  # a dismissed turn trains nothing
    corrected = next(it for it in items if it["reason"] == "user_corrected")
    review.decide(ADMIN, corrected["id"], "confirm", settings=store)
    assert "修理厂开业要审批吗" in review.REVIEWED_NLU.read_text("utf-8")


def test_the_reviewed_nlu_file_can_be_set_in_the_settings(store, tmp_path, monkeypatch):
    """The test services point it into their data dir: a decision made there leaves bot/data alone."""
    monkeypatch.setenv("HUIQI_REVIEWED_NLU_FILE", str(tmp_path / "elsewhere" / "reviewed.yml"))
    get_settings.cache_clear()
    s = get_settings()
    (tmp_path / "elsewhere").mkdir()
    item = next(it for it in review.queue(s) if it["reason"] == "fallback")
    review.decide(ADMIN, item["id"], "correct", "file_complaint", settings=s)
    assert "车的事" in (tmp_path / "elsewhere" / "reviewed.yml").read_text("utf-8")
    assert not review.REVIEWED_NLU.exists()


def test_an_example_already_in_the_training_data_is_not_written_again(tmp_path):
    """Rasa's validation (--fail-on-warnings) fails when one example stands under two intents."""
    target = tmp_path / "reviewed.yml"
    assert review.add_training_example("你好", "inform", target) is False and not target.exists()
    assert review.add_training_example("车的事儿咋整", "file_complaint", target) is True
    assert review.add_training_example("车的事儿咋整", "check_status", target) is True  # moved, not doubled
    data = yaml.safe_load(target.read_text("utf-8"))
    assert [(b["intent"], b["examples"].strip()) for b in data["nlu"]] == [("check_status", "- 车的事儿咋整")]


def test_the_api_is_for_admins_only(store):
    seed_demo(connect(settings=store), store)
    from api.app import create_app

    with TestClient(create_app()) as client:
        def login(user, pw):
            r = client.post("/api/v1/auth/token", data={"username": user, "password": pw})
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        admin = login("admin", "Admin@2026")
        cadre = login("zhangwei", "Cadre@2026")
        assert client.get("/api/v1/review").status_code == 401
        assert client.get("/api/v1/review", headers=cadre).status_code == 403
        items = client.get("/api/v1/review", headers=admin).json()
        assert len(items) == 3
        item = items[0]
        bad = client.post(f"/api/v1/review/{item['id']}", json={"decision": "correct", "intent": "nope"}, headers=admin)
        assert bad.status_code == 422 and bad.json()["code"] == "UNKNOWN_INTENT"
        ok = client.post(f"/api/v1/review/{item['id']}", json={"decision": "dismiss"}, headers=admin)
        assert ok.status_code == 200 and ok.json()["by_login"] == "admin"
        again = client.post(f"/api/v1/review/{item['id']}", json={"decision": "dismiss"}, headers=admin)
        assert again.status_code == 409
        assert item["id"] not in {i["id"] for i in client.get("/api/v1/review", headers=admin).json()}
        # ?decided=true lists decided turns too, each with its decision: who decided and how.
        listed = {i["id"]: i for i in client.get("/api/v1/review", params={"decided": "true"}, headers=admin).json()}
        assert listed[item["id"]]["decision"]["decision"] == "dismiss"
        assert listed[item["id"]]["decision"]["by_login"] == "admin"
        assert all(i["decision"] is None for i in listed.values() if i["id"] != item["id"])
        assert client.post("/api/v1/review/999999", json={"decision": "dismiss"}, headers=admin).status_code == 404


def test_the_cli_lists_masked_items_and_records_who_decided(store):
    from typer.testing import CliRunner

    from ledger.cli import app

    seed_demo(connect(settings=store), store)
    runner = CliRunner()
    listed = runner.invoke(app, ["review", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    items = json.loads(listed.output)
    assert len(items) == 3 and PHONE not in listed.output and NAME not in listed.output
    refused = runner.invoke(app, ["review", "decide", str(items[0]["id"]), "dismiss", "--login", "zhangwei"])
    assert refused.exit_code == 1  # a cadre may not review
    done = runner.invoke(app, ["review", "decide", str(items[0]["id"]), "dismiss", "--login", "admin"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["by_login"] == "admin"
    assert len(json.loads(runner.invoke(app, ["review", "list", "--json"]).output)) == 2
