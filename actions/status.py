"""查进度: a logged-in enterprise sees its problems; anyone else gives the ticket number and the
phone left when filing."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from huiqi.errors import HuiqiError
from ledger.problems import OPEN_STATUSES, find_for_claimant, get_problem, list_problems

from actions import context
from actions.interruptions import EXIT_SLOT, FormDialogue, leave_if_exited
from actions.problems_view import problem_line

SHOWN = 5  # problems listed in one status answer



def phone_check(value: str | None, dispatcher: CollectingDispatcher) -> str | None:
    if value is None:  # cleared by a fresh form: nothing to check
        return None
    phone, problem = context.parse_phone(str(value or ""))
    if problem:
        dispatcher.utter_message(**problem)
    return phone


def ticket_check(value: str | None, dispatcher: CollectingDispatcher) -> str | None:
    if value is None:
        return None
    ticket = context.find_ticket(str(value or ""))
    if not ticket:
        dispatcher.utter_message(response="utter_invalid_ticket")
    return ticket


class ActionStartStatus(Action):
    def name(self) -> str:
        return "action_start_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        ident = context.identify(tracker)
        ticket = context.find_ticket(context.text_of(tracker))
        phone = tracker.get_slot("status_phone") or tracker.get_slot("rating_phone")
        return [SlotSet("status_ticket", ticket), SlotSet("status_phone", None if ident else phone),
                SlotSet(EXIT_SLOT, None), *context.identity_slots(ident)]


class ValidateStatusForm(FormDialogue, FormValidationAction):
    def name(self) -> str:
        return "validate_status_form"

    def answers(self, slot: str, intent: str, text: str, tracker: Tracker) -> bool:
        """A ticket number or a phone number answers the form even when 投诉 is said with it."""
        if slot == "status_ticket":
            return context.find_ticket(text) is not None
        return context.parse_phone(text)[0] is not None

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        return [] if tracker.get_slot("enterprise_code") else domain_slots

    def validate_status_ticket(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        return {"status_ticket": ticket_check(value, dispatcher)}

    def validate_status_phone(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        return {"status_phone": phone_check(value, dispatcher)}


class ActionCheckStatus(Action):
    def name(self) -> str:
        return "action_check_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        left = leave_if_exited(tracker, dispatcher)  # the user left the form: nothing to file
        if left is not None:
            return left
        ticket = tracker.get_slot("status_ticket")
        with context.ledger() as db:
            ident = context.identify(tracker, db)
            try:
                if ident and ticket:
                    found = [get_problem(db, ident.actor, ticket, settings=context.settings())]
                elif ident:
                    everything = list_problems(db, ident.actor, settings=context.settings(), limit=50)
                    found = [p for p in everything if p["status"] in (*OPEN_STATUSES, "replied", "closed")]
                    if not found:
                        dispatcher.utter_message(response="utter_status_none_open", enterprise_name=ident.name)
                        return [SlotSet("status_ticket", None)]
                elif ticket and tracker.get_slot("status_phone"):
                    found = [find_for_claimant(db, ticket, tracker.get_slot("status_phone"),
                                               settings=context.settings())]
                else:
                    dispatcher.utter_message(response="utter_status_needs_ticket")
                    return []
            except HuiqiError as exc:
                dispatcher.utter_message(response="utter_refused", message=exc.message)
                return [SlotSet("status_ticket", None)]
        lines = "\n".join(problem_line(p) for p in found[:SHOWN])
        if len(found) == 1:
            dispatcher.utter_message(response="utter_status_one", lines=lines)
        else:
            dispatcher.utter_message(response="utter_status_many", count=len(found), lines=lines)
        if len(found) > SHOWN:
            dispatcher.utter_message(response="utter_status_more", shown=SHOWN)
        return [SlotSet("status_ticket", None)]
