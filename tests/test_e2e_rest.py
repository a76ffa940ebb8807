"""End to end through Rasa's REST webhook: a logged-in business files a complaint in chat, and
its paired official finds it in the API listing. Also: a greeting gets a Chinese reply.

Runs against the three live services (``make test`` starts them with the demo data and sets
HUIQI_SERVICES_UP); a service that does not answer then is a failure, not a skip.
"""
from __future__ import annotations

import re
import uuid

import httpx
import pytest

from huiqi.settings import get_settings
from ledger import demo

pytestmark = [
    pytest.mark.services,
]

CJK = re.compile(r"[\u4e00-\u9fff]")
TICKET = re.compile(r"HQ-\d{8}-\d{4}")
MAX_FORM_TURNS = 10
DEMO_BUSINESS = "shunda"  # 兰州顺达货运有限公司, a demo log-in paired with cadre zhangwei


def say(rasa: httpx.Client, sender: str, text: str, token: str | None = None) -> list[dict]:
    body = {"sender": sender, "message": text}
    if token:
        body["metadata"] = {"token": token}
    resp = rasa.post("/webhooks/rest/webhook", json=body)
    resp.raise_for_status()
    return resp.json()


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def test_greeting_gets_a_chinese_reply(rasa):
    reply = say(rasa, f"e2e-greet-{uuid.uuid4().hex}", "你好")
    assert reply, "the bot did not answer 你好"
    assert CJK.search(texts(reply)), f"the reply to 你好 is not Chinese: {reply!r}"


def requested_slot(rasa: httpx.Client, sender: str) -> str | None:
    token = get_settings().rasa_api_token()
    tracker = rasa.get(f"/conversations/{sender}/tracker", params={"token": token}).raise_for_status().json()
    if not (tracker.get("active_loop") or {}).get("name"):
        return None
    return tracker["slots"].get("requested_slot")


def confirm_payload(messages: list[dict]) -> str:
    """The payload of the bot's confirm button (the one that files the complaint)."""
    for m in messages:
        for b in m.get("buttons") or []:
            if "确认" in b.get("title", "") or "提交" in b.get("title", ""):
                return b.get("payload") or b["title"]
    return "确认提交"


def file_complaint_in_chat(rasa: httpx.Client, sender: str, token: str, description: str) -> tuple[str, list[str]]:
    """Go through the complaint form as a user would; return the bot's last replies and the slots it asked for."""
    answers = {"complaint_category": "审批服务", "complaint_description": description,
               "contact_name": "王经理", "contact_phone": "13919191234"}
    reply = say(rasa, sender, f"我要投诉：{description}", token)
    asked: list[str] = []
    for _ in range(MAX_FORM_TURNS):
        if TICKET.search(texts(reply)):
            return texts(reply), asked
        slot = requested_slot(rasa, sender)
        if slot is None:
            break
        asked.append(slot)
        answer = confirm_payload(reply) if slot == "complaint_confirmed" else answers.get(slot)
        assert answer is not None, f"the complaint form asked for {slot!r}, which a logged-in business should not be asked"
        reply = say(rasa, sender, answer, token)
    pytest.fail(f"no ticket number after the complaint form (asked {asked}); last reply: {texts(reply)!r}")


def enterprise_token(api: httpx.Client, key: str) -> str:
    resp = api.post("/api/v1/auth/enterprise-token",
                    data={"credit_code": demo.credit_code_of(key), "password": demo.ENTERPRISE_PASSWORD})
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


def paired_official_token(api: httpx.Client, key: str) -> str:
    login = next(e[-1] for e in demo.ENTERPRISES if e[0] == key)
    password = next(s[-1] for s in demo.STAFF if s[0] == login)
    resp = api.post("/api/v1/auth/token", data={"username": login, "password": password})
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


def test_complaint_filed_in_chat_reaches_only_the_paired_officials_listing(api, rasa):
    marker = uuid.uuid4().hex[:8]
    description = f"道路运输证年审材料交了两个月还没批下来，车辆没法跑线路，请尽快处理（{marker}）"
    sender = f"e2e-complaint-{marker}"
    token = enterprise_token(api, DEMO_BUSINESS)

    reply, asked = file_complaint_in_chat(rasa, sender, token, description)
    assert "complaint_credit_code" not in asked, "a logged-in business was asked for its credit code"
    ticket = TICKET.search(reply).group(0)
    assert re.search(r"\d{1,2}月\d{1,2}日", reply), f"the reply gives no due date: {reply!r}"

    official = {"Authorization": f"Bearer {paired_official_token(api, DEMO_BUSINESS)}"}
    listing = api.get("/api/v1/problems", headers=official)
    assert listing.status_code == 200, listing.text
    filed = [p for p in listing.json() if p["ticket_no"] == ticket]
    assert filed, f"{ticket} is not in the paired official's listing"
    assert filed[0]["credit_code"] == demo.credit_code_of(DEMO_BUSINESS)
    assert marker in filed[0]["description"]
    assert filed[0]["category"] == "审批服务"

    # The conversation acted as the business, yet the tracker store (which admins read) keeps no bearer token.
    stored = rasa.get(f"/conversations/{sender}/tracker", params={"token": get_settings().rasa_api_token()}).text
    assert token not in stored and token.split(".")[-1] not in stored
    assert '"token_digest"' in stored

    # An official not paired with the business neither lists it nor learns that it exists.
    other = {"Authorization": f"Bearer {paired_official_token(api, 'anning_repair')}"}  # chenjing
    assert ticket not in {p["ticket_no"] for p in api.get("/api/v1/problems", headers=other).json()}
    assert api.get(f"/api/v1/problems/{ticket}", headers=other).status_code == 404


def test_complaint_in_the_middle_of_a_status_check_starts_the_complaint_form(rasa):
    """查进度 asks an anonymous user for the ticket number; 我要投诉 then leaves the check for the complaint
    form at once (the form's validation rejects the turn and a rule switches), without a re-ask."""
    sender = f"e2e-switch-{uuid.uuid4().hex[:8]}"
    say(rasa, sender, "查一下进度")
    assert requested_slot(rasa, sender) == "status_ticket"
    reply = texts(say(rasa, sender, "我要投诉"))
    assert requested_slot(rasa, sender) == "complaint_category", reply
    assert "工单号的格式" not in reply and "哪一类问题" in reply
    say(rasa, sender, "收费")
    assert requested_slot(rasa, sender) == "complaint_description"


def test_policy_question_in_the_middle_of_a_status_check_is_answered_then_the_check_goes_on(rasa):
    sender = f"e2e-interrupt-{uuid.uuid4().hex[:8]}"
    say(rasa, sender, "查进度")
    reply = texts(say(rasa, sender, "货车过路费有优惠吗"))
    assert "政策" in reply and "工单号的格式" not in reply, reply
    assert requested_slot(rasa, sender) == "status_ticket"
    say(rasa, sender, "HQ-20240315-0012")
    assert requested_slot(rasa, sender) == "status_phone"


def test_log_out_closes_only_the_businesss_own_conversation(api, settings):
    """The chat page's log-out call: pushes stop going into that conversation; others' are untouched."""
    from ledger import chat_sessions
    from ledger.db import connect

    sender = f"e2e-logout-{uuid.uuid4().hex[:8]}"
    code = demo.credit_code_of(DEMO_BUSINESS)
    db = connect(settings=settings)
    try:
        chat_sessions.touch(db, sender, code)  # what the actions record when the business talks
        url = f"/api/v1/chat/sessions/{sender}/close"
        stranger = {"Authorization": f"Bearer {enterprise_token(api, 'anning_repair')}"}
        refused = api.post(url, headers=stranger)
        assert refused.status_code == 404 and CJK.search(refused.json()["message"])
        assert is_open(db, sender)

        owner = {"Authorization": f"Bearer {enterprise_token(api, DEMO_BUSINESS)}"}
        assert api.post(url, headers=owner).json() == {"sender_id": sender, "closed": True}
        assert not is_open(db, sender)
        assert api.post(url).status_code == 401
    finally:
        db.close()


def is_open(db, sender: str) -> bool:
    """Whether pushes may still be delivered into this conversation (other demo conversations of the
    same business may be open at the same time, so look at this one only)."""
    row = db.execute("SELECT closed_at FROM chat_sessions WHERE sender_id = ?", [sender]).fetchone()
    return row is not None and row[0] is None


def test_a_webhook_body_that_is_no_conversation_message_is_refused_with_400_and_nothing_breaks(rasa):
    """A JSON array (a 500 before), a body without a sender (Rasa put those into one shared conversation named
    "default") and an over-long sender are refused; the next real message is answered."""
    for body in (["你好"], {"message": "你好"}, {"sender": "", "message": "你好"}, {"sender": 7, "message": "你好"},
                 {"sender": "x" * 129, "message": "你好"}):
        resp = rasa.post("/webhooks/rest/webhook", json=body)
        assert resp.status_code == 400, (body, resp.status_code, resp.text[:200])
        message = resp.json()["message"]
        assert "sender" in message and "请求格式不对" in message
    assert say(rasa, f"e2e-after-bad-{uuid.uuid4().hex}", "你好")
