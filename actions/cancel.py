"""取消: the user stops a form; nothing is filed and the form's slots are cleared."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.complaint import FORM_SLOTS
from actions.rating import SLOTS as RATING_SLOTS


class ActionCancelForm(Action):
    def name(self) -> str:
        return "action_cancel_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        dispatcher.utter_message(text="好的，已取消，填写的内容没有提交。还有什么可以帮您？")
        slots = (*FORM_SLOTS, *RATING_SLOTS, "status_ticket", "handoff_phone")
        return [SlotSet(s, None) for s in slots] + [SlotSet("complaint_pending", False)]
