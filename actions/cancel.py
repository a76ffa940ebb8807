"""取消: the user stops a form; nothing is filed and the form's slots are cleared. Leaving a form
for another task (我要投诉 while checking the status or rating) clears the same slots."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.complaint import FORM_SLOTS
from actions.rating import SLOTS as RATING_SLOTS

from actions.interruptions import EXIT_SLOT

CLEARED = (*FORM_SLOTS, *RATING_SLOTS, "status_ticket", "handoff_phone", EXIT_SLOT)
FORMS = ("complaint_form", "status_form", "rating_form", "handoff_form")  # each has utter_form_left_<form>


def cleared() -> list[dict[str, Any]]:
    return [SlotSet(s, None) for s in CLEARED] + [SlotSet("complaint_pending", False)]


def form_left(tracker: Tracker) -> str | None:
    """The form that was active before the latest deactivation (action_deactivate_loop)."""
    for event in reversed(tracker.events or []):
        if event.get("event") == "active_loop" and event.get("name"):
            return event["name"]
    return None


class ActionCancelForm(Action):
    def name(self) -> str:
        return "action_cancel_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        if form_left(tracker) in FORMS:  # the form just left says what was not filed
            return leave_form(tracker, dispatcher)
        dispatcher.utter_message(response="utter_cancelled")
        return cleared()


class ActionLeaveForm(Action):
    """A rule left the form, for another task that starts right after or because the user said 「算了」「先不查了」
    (``form_exit``): clear the form as 取消 does and say that nothing was filed."""

    def name(self) -> str:
        return "action_leave_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        return leave_form(tracker, dispatcher)


def leave_form(tracker: Tracker, dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    """Say which form was left with nothing filed (utter_form_left_<form>) and clear it."""
    form = form_left(tracker)
    if form in FORMS:
        dispatcher.utter_message(response=f"utter_form_left_{form}")
    return cleared()
