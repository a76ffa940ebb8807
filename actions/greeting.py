"""The greeting: in Chinese, by name for a logged-in enterprise, with its pending policy pushes."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from ledger import pushes

from actions import context
from actions.policy import MENU_BUTTONS

class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        with context.ledger() as db:
            ident = context.identify(tracker, db)
            waiting = pushes.unseen_pushes(db, ident.credit_code) if ident else []
        if ident and waiting:
            dispatcher.utter_message(response="utter_greet_enterprise_pushes", enterprise_name=ident.name,
                                     count=len(waiting), buttons=MENU_BUTTONS)
        elif ident:
            dispatcher.utter_message(response="utter_greet_enterprise", enterprise_name=ident.name,
                                     buttons=MENU_BUTTONS)
        elif context.login_expired(tracker):
            dispatcher.utter_message(response="utter_greet_login_expired", buttons=MENU_BUTTONS)
        else:
            dispatcher.utter_message(response="utter_greet_anonymous", buttons=MENU_BUTTONS)
        return context.identity_slots(ident)
