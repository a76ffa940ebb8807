"""取消: the user stops a form; nothing is filed and the form's slots are cleared. Leaving a form
for another task (我要投诉 while checking the status or rating) clears the same slots."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.complaint import FORM_SLOTS
from actions.rating import SLOTS as RATING_SLOTS

CLEARED = (*FORM_SLOTS, *RATING_SLOTS, "status_ticket", "handoff_phone")
LEFT = {"status_form": "进度先不查了。",
        "rating_form": "评价先放一放，还没有提交，想评价时回复“评价”。",
        "complaint_form": "刚才填写的问题没有提交。"}


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
        dispatcher.utter_message(text="好的，已取消，填写的内容没有提交。还有什么可以帮您？")
        return cleared()


class ActionLeaveForm(Action):
    """A rule left the form for another task, which starts right after: clear the form as 取消 does."""

    def name(self) -> str:
        return "action_leave_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        note = LEFT.get(form_left(tracker) or "")
        if note:
            dispatcher.utter_message(text=note)
        return cleared()
