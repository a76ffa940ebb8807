"""评价: 满意 / 基本满意 / 不满意 plus a comment for a replied or closed problem; 不满意 reopens it."""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from huiqi.errors import HuiqiError
from huiqi.vocabulary import RATING_STARS, RATINGS, rating_words
from ledger.actors import Actor
from ledger.problems import find_for_claimant, list_problems
from ledger.workflow import RATABLE, rate

from actions import context
from actions.complaint import substantive
from actions.interruptions import EXIT_SLOT, FormDialogue, leave_if_exited
from actions.measures import CN_NUMBERS
from actions.status import phone_check, ticket_check

SLOTS = ("rating_ticket", "rating_phone", "rating_value", "rating_comment")
SKIP = "-"  # nothing to rate: the form ends and the submit action says nothing more
# One alternation per value, from the shared vocabulary; the unhappy words are tried first because “满意” is part
# of “不满意” and “基本满意”.
_BY_VALUE = [(re.compile("|".join(map(re.escape, rating_words(value)))), value) for value in ("不满意", "基本满意", "满意")]
_STARS = re.compile(RATING_STARS)
_CLAUSE_BREAK = re.compile(r"[\s，,。.!！？?；;、～~]+")
_NO_COMMENT = re.compile(r"^(没有|没了|无|不用|没|没有了|不用了|没什么|就这样|没意见)[。.!！]?$")


def rating_from(text: str, entity_value: str | None) -> str | None:
    if entity_value in RATINGS:
        return entity_value
    stars = _STARS.search(text or "")
    if stars:
        token = stars.group(1)
        count = int(token) if token.isdigit() else CN_NUMBERS[token]
        return "满意" if count >= 4 else "基本满意" if count == 3 else "不满意"
    for pattern, value in _BY_VALUE:
        if pattern.search(text or ""):
            return value
    return None


def rating_clause(text: str) -> bool:
    """Is one clause of the message nothing but a rating? In a policy question only such a clause rates:
    “一般，有啥补贴” does, “一般纳税人有什么优惠” (where the lookup finds 一般) does not."""
    return any(0 < len(c) <= 6 and rating_from(c, None) for c in _CLAUSE_BREAK.split(text or ""))


def ratable_for(db, ident: context.Identity) -> list[dict]:
    return [p for p in list_problems(db, ident.actor, settings=context.settings(), limit=100)
            if p["status"] in RATABLE]


def check_claim(ticket: str, phone: str, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    """Anonymous rating: the ticket must match the phone given when filing and be answered."""
    with context.ledger() as db:
        try:
            problem = find_for_claimant(db, ticket, phone, settings=context.settings())
        except HuiqiError as exc:
            dispatcher.utter_message(response="utter_refused", message=exc.message)
            return {"rating_ticket": None, "rating_phone": None}
    if problem["credit_code"]:
        dispatcher.utter_message(response="utter_rating_login_needed")
        return {s: SKIP for s in SLOTS}
    if problem["status"] not in RATABLE:
        dispatcher.utter_message(response="utter_rating_not_yet", status_label=problem["status_label"])
        return {s: SKIP for s in SLOTS}
    return {"rating_ticket": ticket, "rating_phone": phone}


class ActionStartRating(Action):
    def name(self) -> str:
        return "action_start_rating"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        text = context.text_of(tracker)
        events = [SlotSet(s, None) for s in SLOTS] + [SlotSet(EXIT_SLOT, None)]
        with context.ledger() as db:
            ident = context.identify(tracker, db)
            ticket = context.find_ticket(text)
            if ident and not ticket:
                ratable = ratable_for(db, ident)
                if not ratable:
                    dispatcher.utter_message(response="utter_rating_none_pending")
                    events += [SlotSet(s, SKIP) for s in SLOTS]
                    return events + context.identity_slots(ident)
                if len(ratable) == 1:
                    ticket = ratable[0]["ticket_no"]
        if ticket:
            events.append(SlotSet("rating_ticket", ticket))
        if not ident and tracker.get_slot("status_phone"):
            events.append(SlotSet("rating_phone", tracker.get_slot("status_phone")))
        value = rating_from(text, context.entity(tracker, "rating"))
        if value:
            events.append(SlotSet("rating_value", value))
        return events + context.identity_slots(ident)


class ActionAskRatingTicket(Action):
    def name(self) -> str:
        return "action_ask_rating_ticket"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        with context.ledger() as db:
            ident = context.identify(tracker, db)
            ratable = ratable_for(db, ident) if ident else []
        if ratable:
            dispatcher.utter_message(
                response="utter_ask_which_to_rate",
                buttons=[{"title": f"{p['ticket_no']} {p['category']}", "payload": p["ticket_no"]} for p in ratable[:5]])
        else:
            dispatcher.utter_message(response="utter_ask_rating_ticket_number")
        return []


class ValidateRatingForm(FormDialogue, FormValidationAction):
    def name(self) -> str:
        return "validate_rating_form"

    def answers(self, slot: str, intent: str, text: str, tracker: Tracker) -> bool:
        """Does the message answer the form although it reads as 投诉 or as a policy question?"""
        if slot == "rating_ticket":
            return context.find_ticket(text) is not None
        if slot == "rating_phone":
            return context.parse_phone(text)[0] is not None
        if slot == "rating_value":  # “不满意，我要投诉” rates; “有什么好政策” is no rating although it says 好
            entity = context.entity(tracker, "rating")
            if intent == "ask_policy":
                return bool(entity) and rating_clause(text)
            return rating_from(text, entity) is not None
        # rating_comment: 「没有」「不用了」 say there is no comment; a comment that complains is the comment;
        # a bare 我要投诉 or a question is not
        if _NO_COMMENT.match(text.strip()):
            return True
        return intent == "file_complaint" and substantive(text)

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        if tracker.get_slot("enterprise_code"):
            return [s for s in domain_slots if s != "rating_phone"]
        return domain_slots

    def validate_rating_ticket(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value == SKIP:
            return {"rating_ticket": SKIP}
        ticket = ticket_check(value, dispatcher)
        if ticket and tracker.get_slot("enterprise_code"):
            with context.ledger() as db:
                ident = context.identify(tracker, db)
                ratable = {p["ticket_no"] for p in ratable_for(db, ident)} if ident else set()
            if ticket not in ratable:
                dispatcher.utter_message(response="utter_rating_ticket_not_ratable", ticket=ticket)
                return {"rating_ticket": None}
        elif ticket and tracker.get_slot("rating_phone") not in (None, SKIP):
            return check_claim(ticket, tracker.get_slot("rating_phone"), dispatcher)
        return {"rating_ticket": ticket}

    def validate_rating_phone(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value == SKIP:
            return {"rating_phone": SKIP}
        phone = phone_check(value, dispatcher)
        ticket = tracker.get_slot("rating_ticket")
        if not phone or ticket in (None, SKIP):
            return {"rating_phone": phone}
        return check_claim(ticket, phone, dispatcher)

    def validate_rating_value(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is None:
            return {"rating_value": None}
        if value == SKIP:
            return {"rating_value": SKIP}
        rating = rating_from(context.normalize(str(value or "")), context.entity(tracker, "rating"))
        if not rating:
            dispatcher.utter_message(response="utter_invalid_rating_value")
        return {"rating_value": rating}

    def validate_rating_comment(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is None:
            return {"rating_comment": None}
        text = context.normalize(str(value or "")).strip()
        return {"rating_comment": "无" if not text or _NO_COMMENT.match(text) else text[:1000]}


class ActionSubmitRating(Action):
    def name(self) -> str:
        return "action_submit_rating"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        left = leave_if_exited(tracker, dispatcher)  # the user left the form: nothing to file
        if left is not None:
            return left
        get = tracker.get_slot
        reset = [SlotSet(s, None) for s in SLOTS]
        if get("rating_ticket") in (None, SKIP) or get("rating_value") in (None, SKIP):
            return reset
        comment = None if get("rating_comment") in (None, "无", SKIP) else get("rating_comment")
        try:
            with context.ledger() as db:
                ident = context.identify(tracker, db)
                if ident:
                    actor = ident.actor
                else:
                    claim = find_for_claimant(db, get("rating_ticket"), get("rating_phone"), settings=context.settings())
                    actor = Actor.claimant(claim["claimant_phone"], claim.get("claimant_name") or "")
                problem = rate(db, actor, get("rating_ticket"), get("rating_value"), comment, settings=context.settings())
        except HuiqiError as exc:
            dispatcher.utter_message(response="utter_refused", message=exc.message)
            return reset
        if problem["status"] == "reopened":
            dispatcher.utter_message(response="utter_rating_reopened", ticket=problem["ticket_no"],
                                     due=context.month_day(problem["due_on"]))
        else:
            dispatcher.utter_message(response="utter_rating_thanks", rating=get("rating_value"))
        return reset
