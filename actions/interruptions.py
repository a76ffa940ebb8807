"""Other tasks in the middle of 查进度 or 评价: 我要投诉 leaves the form for the complaint form, and a
policy question is answered before the form asks its question again.

The slot mappings in bot/domain.yml take any text as the answer to the question the form asked.
When that text is not an answer but one of the intents below, the form's validation action
rejects the form's turn (``ActionExecutionRejected``, with the mapped slot undone), and the rules
in bot/data/rules.yml take over: ``file_complaint`` → ``action_deactivate_loop``,
``action_leave_form``, the complaint form; ``ask_policy`` → ``action_answer_policy``, then the form
again. A message that does answer the question (a ticket number said together with 投诉,
“不满意，我要投诉” as a rating) stays with the form.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import context

OTHER_TASKS = ("file_complaint", "ask_policy")


class OtherTasksFirst:
    """Mixin for a FormValidationAction: ``answers`` says whether the message answers ``slot``."""

    def answers(self, slot: str, intent: str, text: str, tracker: Tracker) -> bool:
        raise NotImplementedError

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if wants_other_task(tracker, self.form_name(), self.answers):
            return hand_over(tracker, self.form_name(), self.domain_slots(domain))
        return await super().run(dispatcher, tracker, domain)


def wants_other_task(tracker: Tracker, form: str, answers) -> bool:
    """The user's new message asks for another task instead of answering the form's question."""
    if not validating_new_message(tracker, form):  # the form goes on after the other task: nothing new was said
        return False
    intent = context.intent_of(tracker)
    slot = tracker.get_slot("requested_slot")
    if intent not in OTHER_TASKS or not slot:
        return False
    return not answers(slot, intent, context.text_of(tracker), tracker)


def validating_new_message(tracker: Tracker, form: str) -> bool:
    """Is the form validating the message the user just sent, not running again after another action?

    Rasa sends the validation action the tracker with the form's own ActionExecuted appended (so
    ``latest_action_name`` is always the form): look at the action before that one."""
    marker_seen = False
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action":
            if event.get("name") == form and not marker_seen:
                marker_seen = True
                continue
            return event.get("name") == "action_listen"
    return True


def hand_over(tracker: Tracker, form: str, form_slots: list[str]) -> list[dict[str, Any]]:
    """Undo what the slot mappings took from the message; reject the form's turn so a rule runs."""
    taken = [name for name in tracker.slots_to_validate() if name in form_slots]
    return [SlotSet(name, None) for name in taken] + [ActionExecutionRejected(form)]
