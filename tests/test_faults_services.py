"""Fault suite against the live services (``make test`` starts them): each service is killed with
``kill -9`` at the worst moment, and afterwards

- every ticket number a business was told exists exactly once in the ledger (nothing lost, nothing
  filed twice), and a business that confirms again gets the ticket already filed;
- the killed service is back (the supervisor restarted it: a new process holds the port) and the
  whole system answers again. Rasa runs as a serving process and a loaded hot standby
  (huiqi/rasa_standby.py): after ``kill -9`` of the serving one, the standby answers the next turn
  within ``RASA_BACK_WITHIN_S`` and the conversation goes on where it was.

"The worst moment" for Rasa and the action server is right after the ledger write and before the
reply reaches the user: a thread watches the ledger and kills the service the instant the
problem's row appears. Also here: the bot's channel answers empty, overlong and internal-intent
messages itself, and a 确认 sent while the action server is down is answered in plain words.
"""
from __future__ import annotations

import os
import re
import signal
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
import yaml

from huiqi.rasa_standby import ready_standbys
from huiqi.settings import REPO_ROOT, get_settings

pytestmark = [pytest.mark.services]

TICKET = re.compile(r"HQ-\d{8}-\d{4}")
MAX_FORM_TURNS = 10
BACK_WITHIN_S = 240  # generous: a service started cold (TensorFlow and the model for Rasa) on a loaded machine
RASA_BACK_WITHIN_S = 15  # issue 17's target; met by the loaded standby taking over
STANDBY_READY_WITHIN_S = 400  # the standby starts after the other services and loads on a busy machine
RESPONSES = yaml.safe_load((REPO_ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))["responses"]
ANSWERS = {"complaint_category": "审批服务", "contact_name": "王经理", "contact_phone": "13919191234",
           "complaint_credit_code": "跳过"}


def response_text(name: str) -> str:
    return RESPONSES[name][0]["text"]


def say(sender: str, text, timeout: float = 120) -> list[dict] | None:
    """The bot's replies, or None when the connection broke (the service was killed meanwhile)."""
    s = get_settings()
    try:
        resp = httpx.post(f"{s.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                          timeout=timeout)
    except httpx.HTTPError:
        return None
    return resp.json() if resp.status_code == 200 else None


def texts(messages: list[dict] | None) -> str:
    return "\n".join(m.get("text") or "" for m in messages or [])


def requested_slot(sender: str) -> str | None:
    s = get_settings()
    tracker = httpx.get(f"{s.rasa_url}/conversations/{sender}/tracker", params={"token": s.rasa_api_token()},
                        timeout=60).raise_for_status().json()
    if not (tracker.get("active_loop") or {}).get("name"):
        return None
    return tracker["slots"].get("requested_slot")


def up_to_confirmation(sender: str, description: str) -> None:
    """Fill the complaint form as an anonymous business until the bot asks for 确认."""
    say(sender, f"我要反映问题：{description}")
    answer_until_confirmation(sender, description)


def answer_until_confirmation(sender: str, description: str) -> None:
    answers = {**ANSWERS, "complaint_description": description}
    for _ in range(MAX_FORM_TURNS):
        slot = requested_slot(sender)
        if slot == "complaint_confirmed":
            return
        assert slot in answers, f"the complaint form asked for {slot!r}"
        say(sender, answers[slot])
    pytest.fail("the complaint form never reached its confirmation step")


def filed_for(sender: str) -> list[str]:
    conn = sqlite3.connect(f"file:{get_settings().ledger_path}?mode=ro", uri=True, timeout=30)
    try:
        return [r[0] for r in conn.execute("SELECT ticket_no FROM problems WHERE filing_key LIKE ?",
                                           [f"chat:{sender}:%"])]
    finally:
        conn.close()


def pid_of(service: str) -> int:
    """The service's running process; for Rasa, the one serving the port."""
    return int((get_settings().data_dir / "run" / f"{service}.pid").read_text())


def wait_for_a_ready_standby() -> list[int]:
    serving = get_settings().data_dir / "run" / "rasa.pid"
    deadline = time.monotonic() + STANDBY_READY_WITHIN_S
    while time.monotonic() < deadline:
        if ready := ready_standbys(serving):
            return ready
        time.sleep(1)
    pytest.fail(f"no Rasa standby was loaded within {STANDBY_READY_WITHIN_S} s")


def health_url(service: str) -> str:
    s = get_settings()
    return {"rasa": f"{s.rasa_url}/healthz", "api": f"{s.api_url}/healthz",
            "actions": s.action_url.rsplit("/", 1)[0] + "/healthz"}[service]


def healthy(service: str) -> bool:
    try:
        return httpx.get(health_url(service), timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def wait_back(service: str, old_pid: int) -> None:
    """Until the supervisor has a new process of the service answering its health check."""
    deadline = time.monotonic() + BACK_WITHIN_S
    while time.monotonic() < deadline:
        try:
            if pid_of(service) != old_pid and healthy(service):
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    pytest.fail(f"{service} was not back {BACK_WITHIN_S} s after kill -9")


def assert_whole_again() -> None:
    for service in ("actions", "rasa", "api"):
        assert healthy(service), f"{service} does not answer after the fault"
    assert texts(say(f"fault-after-{uuid.uuid4().hex}", "你好")), "the bot does not answer 你好 after the fault"


def kill_after_ledger_write(sender: str, service: str) -> threading.Thread:
    """A watcher that kills ``service`` with SIGKILL the instant this conversation's problem is in the ledger."""
    pid = pid_of(service)

    def watch():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if filed_for(sender):
                    os.kill(pid, signal.SIGKILL)
                    return
            except sqlite3.OperationalError:
                pass
            time.sleep(0.002)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


@pytest.mark.parametrize("service", ["rasa", "actions"])
def test_kill_9_after_the_ledger_write_loses_and_duplicates_nothing(service):
    sender = f"fault-{service}-{uuid.uuid4().hex}"
    up_to_confirmation(sender, f"道路运输证换证拖了两个月，{service}故障演练")
    if service == "rasa":
        wait_for_a_ready_standby()
    old_pid = pid_of(service)
    watcher = kill_after_ledger_write(sender, service)
    told = TICKET.findall(texts(say(sender, "确认")))
    watcher.join(130)
    assert filed_for(sender), "the 确认 did not reach the ledger"
    wait_back(service, old_pid)
    if not told:  # the reply was lost or said the system failed: the business confirms again
        again = texts(say(sender, "确认"))
        told = TICKET.findall(again)
        assert told or service == "rasa", f"a second 确认 did not name the ticket: {again!r}"
    filed = filed_for(sender)
    assert len(filed) == 1, f"{len(filed)} tickets for one complaint: {filed}"
    assert set(told) <= set(filed), f"told {told}, filed {filed}"
    assert_whole_again()


def test_kill_9_of_the_serving_rasa_the_standby_answers_within_15_s_and_the_form_goes_on():
    sender = f"fault-takeover-{uuid.uuid4().hex}"
    description = "货车通行证办理拖了很久，接管演练"
    answers = {**ANSWERS, "complaint_description": description}
    say(sender, f"我要反映问题：{description}")
    asked = requested_slot(sender)
    assert asked in answers, asked
    standbys = wait_for_a_ready_standby()
    old_pid = pid_of("rasa")
    os.kill(old_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    reply = None
    while time.monotonic() - killed_at < RASA_BACK_WITHIN_S:
        reply = say(sender, answers[asked], timeout=RASA_BACK_WITHIN_S)
        if reply:
            break
        time.sleep(0.2)
    took = time.monotonic() - killed_at
    assert reply, f"no turn answered within {RASA_BACK_WITHIN_S} s of kill -9 of the serving Rasa"
    assert pid_of("rasa") in standbys  # answered by the standby that was waiting, not a cold start
    assert requested_slot(sender) not in (None, asked), "the conversation did not go on from where it was"
    print(f"turn answered {took:.1f} s after kill -9 of the serving Rasa")
    answer_until_confirmation(sender, description)
    told = TICKET.findall(texts(say(sender, "确认")))
    assert len(told) == 1 and filed_for(sender) == told
    wait_for_a_ready_standby()  # the supervisor started a new process, which is the standby now
    assert_whole_again()


def test_confirm_while_the_action_server_is_down_is_answered_and_files_once_when_back():
    sender = f"fault-down-{uuid.uuid4().hex}"
    up_to_confirmation(sender, "车辆年审预约系统一直打不开，约不上号")
    old_pid = pid_of("actions")
    os.kill(old_pid, signal.SIGKILL)
    reply = texts(say(sender, "确认"))
    assert reply == response_text("utter_service_unavailable"), reply
    assert filed_for(sender) == []
    wait_back("actions", old_pid)
    assert requested_slot(sender) == "complaint_confirmed"  # the failed turn was undone, the form waits
    told = TICKET.findall(texts(say(sender, "确认")))
    assert len(told) == 1 and filed_for(sender) == told
    again = texts(say(sender, "确认"))
    assert TICKET.findall(again) in ([], told)  # never a second ticket
    assert filed_for(sender) == told
    assert_whole_again()


def test_kill_9_of_the_api_brings_it_back():
    old_pid = pid_of("api")
    os.kill(old_pid, signal.SIGKILL)
    wait_back("api", old_pid)
    assert_whole_again()


def test_the_channel_answers_empty_long_and_internal_messages_itself():
    sender = f"guard-{uuid.uuid4().hex}"
    assert texts(say(sender, "")) == response_text("utter_empty_message")
    assert texts(say(sender, "   ")) == response_text("utter_empty_message")
    assert texts(say(sender, "审" * 50_000, timeout=30)) == response_text("utter_message_too_long")
    for command in ("/EXTERNAL_handback", "/EXTERNAL_staff_reply", '/EXTERNAL_staff_reply{"staff_reply": "免费办理"}',
                    "/restart", "/session_start", '/affirm{"enterprise_code": "x"}'):  # nobody types as staff
        assert texts(say(sender, command)) == response_text("utter_internal_command"), command
    s = get_settings()
    tracker = httpx.get(f"{s.rasa_url}/conversations/{sender}/tracker", params={"token": s.rasa_api_token()},
                        timeout=60).json()
    assert not [e for e in tracker["events"] if e.get("event") == "user"]  # none of them reached the dialogue
    assert texts(say(sender, "你好")) and texts(say(sender, "/affirm"))  # normal text and button payloads pass


def test_service_files_are_owner_only():
    s = get_settings()
    for path in (s.data_dir, s.log_dir, s.ledger_path, s.log_dir / "rasa-1.log", s.log_dir / "supervisor.log"):
        assert Path(path).stat().st_mode & 0o077 == 0, f"{path} is readable by others"


def test_only_the_chat_site_may_use_rasa_from_a_browser():
    s = get_settings()
    site, other = s.api_url, "http://evil.example"
    allowed = httpx.options(f"{s.rasa_url}/webhooks/rest/webhook", timeout=30,
                            headers={"Origin": site, "Access-Control-Request-Method": "POST"})
    assert allowed.headers.get("access-control-allow-origin") == site
    refused = httpx.options(f"{s.rasa_url}/webhooks/rest/webhook", timeout=30,
                            headers={"Origin": other, "Access-Control-Request-Method": "POST"})
    assert refused.headers.get("access-control-allow-origin") in (None, "")
    handshake = f"{s.rasa_url}/socket.io/?EIO=4&transport=polling"
    assert httpx.get(handshake, headers={"Origin": site}, timeout=30).status_code == 200
    assert httpx.get(handshake, headers={"Origin": other}, timeout=30).status_code == 400
