"""The conversation suite: multi-turn conversations written from the business's side
(tests/conversations.yml), each run turn by turn on the live services through the REST channel.

After every turn the test reads the conversation's tracker from Rasa's HTTP API
(``GET /conversations/{id}/tracker?token=…``) and checks what the data file says about that turn:

- ``responses``: domain responses (bot/domain.yml) the bot sent in this turn, by name — from the
  ``utter_action`` of each bot message, whether an ``utter_*`` action or a custom action sent it;
- ``not_responses``: responses it must not have sent; ``actions``: actions that must have run;
- ``form``: the active form after the turn (``null``: none); ``asks``: the slot the form asks for next;
- ``slots``: slot values after the turn; ``slots_not``: values a slot must not have.

At the end ``filed`` checks the ledger: ``none`` (nothing was filed in the conversation: no ticket in any
reply and no new problem row), or the fields of the row filed under the ticket number the bot gave.
``login`` (a demo enterprise key) sends that business's log-in token from turn ``login_from`` (default 0) on.
``{ticket}`` in a message is the last ticket number the bot gave in the conversation.

Wording is never asserted: the sentences live in bot/domain.yml and can change without breaking this.
Runs against the three live services (``make test`` starts them with the demo data and sets HUIQI_SERVICES_UP).
"""
from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest
import yaml

from ledger import demo
from ledger.db import connect

pytestmark = [pytest.mark.services]

SUITE = Path(__file__).with_name("conversations.yml")
CONVERSATIONS = yaml.safe_load(SUITE.read_text("utf-8"))["conversations"]
TICKET = re.compile(r"HQ-\d{8}-\d{4,5}")
TURN_KEYS = {"user", "responses", "not_responses", "actions", "form", "asks", "slots", "slots_not"}


def test_the_suite_is_large_and_well_formed():
    assert len(CONVERSATIONS) >= 60
    ids = [c["id"] for c in CONVERSATIONS]
    assert len(ids) == len(set(ids)), "conversation ids must be unique"
    for c in CONVERSATIONS:
        assert len(c["turns"]) >= 2, f"{c['id']}: a conversation has at least two turns"
        for turn in c["turns"]:
            assert set(turn) <= TURN_KEYS, f"{c['id']}: unknown keys {set(turn) - TURN_KEYS}"


@pytest.fixture(scope="module")
def rasa_token(settings) -> str:
    return settings.rasa_api_token()


@pytest.fixture(scope="module")
def tokens(api):
    cache: dict[str, str] = {}

    def token_of(key: str) -> str:
        if key not in cache:
            resp = api.post("/api/v1/auth/enterprise-token",
                            data={"credit_code": demo.credit_code_of(key), "password": demo.ENTERPRISE_PASSWORD})
            assert resp.status_code == 200, resp.text
            cache[key] = resp.json()["access_token"]
        return cache[key]

    return token_of


def problem_count(settings) -> int:
    db = connect(settings=settings)
    try:
        return db.execute("SELECT count(*) FROM problems").fetchone()[0]
    finally:
        db.conn.close()


def problem_row(settings, ticket: str) -> dict:
    db = connect(settings=settings)
    try:
        cur = db.execute("SELECT * FROM problems WHERE ticket_no = ?", [ticket])
        row = cur.fetchone()
        assert row is not None, f"{ticket} was given to the user but is not in the ledger"
        return dict(zip([d[0] for d in cur.description], row))
    finally:
        db.conn.close()


class Turn:
    """What one user message did: the bot's messages, the response names, the actions, the tracker after it."""

    def __init__(self, replies: list[dict], events: list[dict], tracker: dict):
        self.replies = replies
        self.tracker = tracker
        self.actions = [e["name"] for e in events if e.get("event") == "action" and e.get("name") != "action_listen"]
        bots = [e for e in events if e.get("event") == "bot"]
        self.responses = [(e.get("metadata") or {}).get("utter_action") for e in bots]
        self.responses = [r for r in self.responses if r] + [a for a in self.actions if a.startswith("utter_")]
        self.text = "\n".join(m.get("text") or "" for m in replies)

    def slot(self, name: str):
        return self.tracker["slots"].get(name)

    @property
    def form(self) -> str | None:
        return (self.tracker.get("active_loop") or {}).get("name")


def say(rasa: httpx.Client, rasa_token: str, sender: str, text: str, token: str | None, seen: int) -> tuple[Turn, int]:
    body = {"sender": sender, "message": text}
    if token:
        body["metadata"] = {"token": token}
    replies = rasa.post("/webhooks/rest/webhook", json=body).raise_for_status().json()
    tracker = rasa.get(f"/conversations/{sender}/tracker", params={"token": rasa_token}).raise_for_status().json()
    events = tracker["events"]
    return Turn(replies, events[seen:], tracker), len(events)


def check_turn(cid: str, n: int, spec: dict, turn: Turn) -> None:
    where = f"{cid} turn {n} ({spec['user']!r}); responses {turn.responses}, actions {turn.actions}; bot said: {turn.text!r}"
    for name in spec.get("responses", []):
        assert name in turn.responses, f"expected response {name}: {where}"
    for name in spec.get("not_responses", []):
        assert name not in turn.responses, f"unexpected response {name}: {where}"
    for name in spec.get("actions", []):
        assert name in turn.actions, f"expected action {name}: {where}"
    if "form" in spec:
        assert turn.form == spec["form"], f"active form {turn.form!r}, expected {spec['form']!r}: {where}"
    if "asks" in spec:
        asked = turn.slot("requested_slot") if turn.form else None
        assert asked == spec["asks"], f"the form asks for {asked!r}, expected {spec['asks']!r}: {where}"
    for name, value in (spec.get("slots") or {}).items():
        assert turn.slot(name) == value, f"slot {name} is {turn.slot(name)!r}, expected {value!r}: {where}"
    for name, value in (spec.get("slots_not") or {}).items():
        assert turn.slot(name) != value, f"slot {name} must not be {value!r}: {where}"


def check_filed(cid: str, expected, tickets: list[str], before: int, settings) -> None:
    if expected in (None, "none"):
        assert not tickets, f"{cid}: nothing should have been filed, but the bot gave {tickets}"
        assert problem_count(settings) == before, f"{cid}: a problem was written to the ledger"
        return
    assert tickets, f"{cid}: a problem should have been filed, but the bot gave no ticket number"
    row = problem_row(settings, tickets[-1])
    assert problem_count(settings) == before + 1, f"{cid}: expected exactly one new problem"
    for field, value in expected.items():
        if field == "credit_code_of":
            assert row["credit_code"] == demo.credit_code_of(value), f"{cid}: filed for {row['credit_code']}"
        elif field == "description_has":
            for part in value if isinstance(value, list) else [value]:
                assert part in row["description"], f"{cid}: description {row['description']!r} lacks {part!r}"
        else:
            assert row[field] == value, f"{cid}: ledger {field} is {row[field]!r}, expected {value!r}"


@pytest.mark.parametrize("conv", CONVERSATIONS, ids=[c["id"] for c in CONVERSATIONS])
def test_conversation(conv, rasa, rasa_token, tokens, settings):
    sender = f"suite-{conv['id']}-{uuid.uuid4().hex[:6]}"
    login = tokens(conv["login"]) if conv.get("login") else None
    login_from = conv.get("login_from", 0)
    before = problem_count(settings)
    tickets: list[str] = []
    seen = 0
    for n, spec in enumerate(conv["turns"]):
        text = spec["user"].replace("{ticket}", tickets[-1] if tickets else "")
        turn, seen = say(rasa, rasa_token, sender, text, login if n >= login_from else None, seen)
        tickets += TICKET.findall(turn.text) if any(a == "action_file_complaint" for a in turn.actions) else []
        check_turn(conv["id"], n, spec, turn)
    check_filed(conv["id"], conv.get("filed", "none"), tickets, before, settings)
