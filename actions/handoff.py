"""转人工: a hand-off event for the paired official with the transcript; the bot then stays quiet
(bot/rasa_ext/handoff.py) until the official hands back (EXTERNAL_handback) or the hand-off times out."""
from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from huiqi.errors import Conflict, HuiqiError
from ledger import clock
from ledger.handoffs import add_message, close_handoff, open_handoff, request_handoff

from actions import context
from actions.interruptions import FormDialogue, leave_if_exited
from actions.status import phone_check

log = logging.getLogger(__name__)
TRANSCRIPT_TURNS = 40
PHONE_SLOTS = ("handoff_phone", "contact_phone", "status_phone", "rating_phone")


def timeout() -> timedelta:
    return timedelta(minutes=context.settings().handoff_timeout_minutes)


def transcript(tracker: Tracker) -> str:
    lines = []
    for event in tracker.events or []:
        if (event.get("event") == "user" and event.get("text") and not str(event["text"]).startswith("/")
                and not (event.get("metadata") or {}).get("is_external")):  # staff's trigger_intent events
            lines.append(f"企业：{event['text']}")
        elif event.get("event") == "bot" and event.get("text"):
            lines.append(f"助手：{event['text']}")
    return "\n".join(lines[-TRANSCRIPT_TURNS:])


def known_phone(tracker: Tracker, slots=PHONE_SLOTS) -> str | None:
    return next((tracker.get_slot(s) for s in slots if tracker.get_slot(s) not in (None, "-")), None)


class ValidateHandoffForm(FormDialogue, FormValidationAction):
    """Anonymous users leave a phone number first (the official needs a way to reach them). A message with no
    number in it (「我要找你们领导」) gets an explanation of why the number is needed and how else to reach a
    person, not a phone-format error."""

    def name(self) -> str:
        return "validate_handoff_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        if tracker.get_slot("enterprise_code") or context.identify(tracker) or known_phone(tracker, PHONE_SLOTS[1:]):
            return []
        return domain_slots

    def answers(self, slot: str, intent: str, text: str, tracker: Tracker) -> bool:
        return context.parse_phone(text)[0] is not None

    def validate_handoff_phone(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is None:
            return {"handoff_phone": None}
        said = context.entity(tracker, "phone") or value
        if not re.search(r"\d", context.normalize(str(said))):
            dispatcher.utter_message(response="utter_handoff_needs_phone",
                                     office_hours=context.settings().office_hours)
            return {"handoff_phone": None}
        return {"handoff_phone": phone_check(said, dispatcher)}


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        left = leave_if_exited(tracker, dispatcher)  # the user left the form: nothing to file
        if left is not None:
            return left
        try:
            with context.ledger() as db:
                ident = context.identify(tracker, db)
                handoff = request_handoff(
                    db, conversation_id=tracker.sender_id, transcript=transcript(tracker),
                    credit_code=ident.credit_code if ident else None,
                    claimant_name=None if ident else tracker.get_slot("contact_name"),
                    claimant_phone=None if ident else known_phone(tracker), settings=context.settings())
        except HuiqiError as exc:
            dispatcher.utter_message(response="utter_refused", message=exc.message)
            return []
        except Exception:
            log.exception("hand-off request failed")
            dispatcher.utter_message(response="utter_handoff_failed")
            return []
        official = handoff.get("official") or {}
        hours = handoff["office_hours"]
        if official.get("phone"):
            dispatcher.utter_message(response="utter_handoff_to_official_with_phone", name=official["name"],
                                     office=official["office"], phone=official["phone"], office_hours=hours)
        elif official:
            dispatcher.utter_message(response="utter_handoff_to_official", name=official["name"],
                                     office=official["office"], office_hours=hours)
        else:
            dispatcher.utter_message(response="utter_handoff_to_office", office=handoff["office"], office_hours=hours)
        return [SlotSet("handoff_active", True), SlotSet("handoff_started", clock.iso(clock.now())),
                SlotSet("handoff_phone", None), *context.identity_slots(ident)]


def _actor_of(tracker: Tracker, handoff: dict) -> context.Actor:
    if handoff.get("credit_code"):
        return context.Actor.enterprise(handoff["credit_code"])
    return context.Actor.claimant(handoff.get("claimant_phone") or "", handoff.get("claimant_name") or "")


def _back_to_bot(dispatcher: CollectingDispatcher, response: str) -> list[dict[str, Any]]:
    dispatcher.utter_message(response=response)
    return [SlotSet("handoff_active", False), SlotSet("handoff_started", None)]


class ActionHandoffWait(Action):
    """Runs for every user message during a hand-off: silent, unless the hand-off is over."""

    def name(self) -> str:
        return "action_handoff_wait"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        started = tracker.get_slot("handoff_started")
        with context.ledger() as db:
            handoff = open_handoff(db, tracker.sender_id)
            if handoff is None:
                return _back_to_bot(dispatcher, "utter_handoff_over")
            text = ((tracker.latest_message or {}).get("text") or "").strip()  # as the user wrote it
            if text and not text.startswith("/"):
                add_message(db, handoff["id"], text, _actor_of(tracker, handoff))
            begun = clock.parse(started) if started else clock.parse(handoff["requested_at"])
            if clock.now() - begun < timeout():
                return []
            try:
                close_handoff(db, handoff["id"], note="等待超时，转回智能助手")
            except Conflict:
                pass
        return _back_to_bot(dispatcher, "utter_handoff_timed_out")


class ActionHandback(Action):
    """The official hands the conversation back (trigger_intent EXTERNAL_handback)."""

    def name(self) -> str:
        return "action_handback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        with context.ledger() as db:
            handoff = open_handoff(db, tracker.sender_id)
            if handoff:
                try:
                    close_handoff(db, handoff["id"], note="工作人员结束人工服务")
                except Conflict:
                    pass
        return _back_to_bot(dispatcher, "utter_handback")


def _raw_entity(tracker: Tracker, name: str) -> str | None:
    """The entity's value as sent, not normalised (an official's words are shown as they wrote them)."""
    for e in (tracker.latest_message or {}).get("entities") or []:
        if e.get("entity") == name and isinstance(e.get("value"), str) and e["value"].strip():
            return e["value"]
    return None


class ActionStaffReply(Action):
    """An official's message from the console (trigger_intent EXTERNAL_staff_reply, entities staff_reply and
    staff_name): said into the open chat as theirs. The API has put it on record before; the hand-off stays open."""

    def name(self) -> str:
        return "action_staff_reply"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        text = _raw_entity(tracker, "staff_reply")
        if text:
            dispatcher.utter_message(response="utter_staff_reply", staff_reply=text,
                                     staff_name=_raw_entity(tracker, "staff_name") or "工作人员")
        return []
