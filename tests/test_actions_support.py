"""Shared set-up for the bot action tests: a real ledger and a real policy base (the curated
sample measures, embedded once per session) in a temporary data dir, and rasa-sdk trackers."""
from __future__ import annotations

import asyncio
import random
import re
import shutil
from huiqi.token_digest import chat_metadata
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from huiqi.settings import Settings, get_settings
from ledger import auth_sessions, credit_code as cc, enterprises, pairings, staff
from ledger.actors import SYSTEM
from ledger.db import connect

DOMAIN = yaml.safe_load((Path(__file__).resolve().parent.parent / "bot" / "domain.yml").read_text("utf-8"))
_TEMPLATE: dict[str, Path] = {}


def policy_template(tmp_path_factory) -> Path:
    """A data dir holding the policy base built from the curated measures (built once per session)."""
    if "dir" not in _TEMPLATE:
        from policies_kb.base import PolicyBase

        d = tmp_path_factory.mktemp("policy-template")
        PolicyBase.open(Settings(data_dir=d)).load_curated("tester")
        _TEMPLATE["dir"] = d
    return _TEMPLATE["dir"]


@dataclass
class World:
    data_dir: Path
    code: str            # the demo freight company (paired with cadre 李娜)
    repair_code: str     # an unpaired repair shop
    token: str           # its log-in token, as the chat page puts it in the message metadata
    settings: Settings

    def db(self):
        return connect(settings=self.settings)


def build_world(tmp_path: Path, monkeypatch, with_policies: Path | None = None) -> World:
    monkeypatch.setenv("HUIQI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HUIQI_SECRET_KEY", "test-secret-for-the-bot-action-tests-0123456789")
    get_settings.cache_clear()
    if with_policies is not None:
        shutil.copytree(with_policies / "policies", tmp_path / "policies", dirs_exist_ok=True)
    s = get_settings()
    db = connect(settings=s)
    rng = random.Random(5)
    code = enterprises.create_enterprise(
        db, SYSTEM, credit_code=cc.generate("620102", rng), name="兰州顺达冷链物流有限公司", industry="道路货运",
        size="小", region="甘肃省/兰州市/城关区", contact_name="王强", contact_phone="13993112345")["credit_code"]
    repair = enterprises.create_enterprise(
        db, SYSTEM, credit_code=cc.generate("620102", rng), name="城关快修汽车维修厂", industry="机动车维修",
        size="微", region="甘肃省/兰州市/城关区")["credit_code"]
    staff.create_staff(db, SYSTEM, login="lina", name="李娜", role="cadre", office="运输服务科", password="pw-123456",
                       phone="0931-8123456")
    staff.create_staff(db, SYSTEM, login="admin1", name="赵敏", role="admin", office="政策法规科", password="pw-123456")
    pairings.pair(db, SYSTEM, code, "lina")
    token = auth_sessions.issue_token(db, code, "enterprise", s)
    db.conn.close()
    return World(tmp_path, code, repair, token, s)


@pytest.fixture
def world(tmp_path, monkeypatch):
    w = build_world(tmp_path, monkeypatch)
    yield w
    get_settings.cache_clear()


def user_event(text: str, intent: str, entities=None, token: str | None = None) -> dict:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.9},
                                                          "entities": entities or []},
            "metadata": chat_metadata({"token": token}) if token else {}}


def tracker(text: str, intent: str, *, entities=None, slots=None, token: str | None = None,
            history=(), sender: str = "conv-1", requested_slot: str | None = None,
            active_loop: str | None = None, extracted: dict | None = None, after: tuple = ()) -> Tracker:
    """A tracker whose latest message is ``text`` classified as ``intent`` (as the NLU would);
    ``extracted`` are the slots Rasa's slot mappings filled from it (to be validated by a form);
    ``after`` are events logged after the message (a form running again after another action).
    With ``active_loop`` it is the tracker Rasa sends to the form's validation action: the events
    end with ``requested_slot`` and the form's own ActionExecuted, then the slot candidates."""
    entities = [{"entity": k, "value": v} for k, v in (entities or {}).items()]
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities,
              "metadata": chat_metadata({"token": token}) if token else {}}
    all_slots = {name: None for name in DOMAIN["slots"]}
    all_slots.update(slots or {})
    all_slots.update(extracted or {})
    all_slots["requested_slot"] = requested_slot
    events = [*history, user_event(text, intent, entities, token), *after]
    latest_action = next((e["name"] for e in reversed(events) if e.get("event") == "action"), "action_listen")
    if active_loop:
        events += [{"event": "slot", "name": "requested_slot", "value": requested_slot},
                   {"event": "action", "name": active_loop}]
        latest_action = active_loop
    events += [{"event": "slot", "name": k, "value": v} for k, v in (extracted or {}).items()]
    return Tracker(sender, all_slots, latest, events, False, None,
                   {"name": active_loop} if active_loop else {}, latest_action)


def run(action, trk: Tracker) -> tuple[list[dict], list[dict]]:
    """(messages sent, events returned) of one action run."""
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, trk, DOMAIN)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    for message in dispatcher.messages:
        check_response(message)
    return dispatcher.messages, result


def check_response(message: dict) -> None:
    """A named response exists in the domain and gets every variable its texts use (as Rasa fills them)."""
    name = message.get("response")
    if not name:
        return
    assert name in DOMAIN["responses"], f"{name} is not a response in bot/domain.yml"
    for variant in DOMAIN["responses"][name]:
        missing = set(re.findall(r"{([^\n{}]+?)}", variant.get("text") or "")) - set(message)
        assert not missing, f"{name} sent without {sorted(missing)}"


def slots_of(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def shown(messages: list[dict]) -> str:
    """What the messages carry: the text of a plain message, the variables of a domain response."""
    parts = []
    for m in messages:
        if m.get("text"):
            parts.append(m["text"])
        elif m.get("response"):
            parts += [str(v) for k, v in m.items() if k not in ("response", "text", "buttons", "elements", "custom",
                                                                   "template", "image", "attachment") and v]
    return "\n".join(parts)


def responses(messages: list[dict]) -> list[str]:
    """The names of the domain responses the action sent (bot/domain.yml), in order."""
    return [m["response"] for m in messages if m.get("response")]
