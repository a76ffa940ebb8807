"""What a business says inside a form that is not an answer to the form's question.

Every form (complaint, status, rating, hand-off) validates through a ``FormValidationAction`` with
the ``FormDialogue`` mixin. For the message the user just sent it decides, before the slot
validation, whether the message is

- an **exit** (「算了」「先不查了」「不用了」…, with or without a question after it): the form ends with
  nothing filed. Alone, the form stops at once; with a question after it, the turn goes to the rules
  that answer the question and the form then stops. The form's completion rule then runs its action
  (filing, status, rating, hand-off) as usual: ``form_exit`` makes each do nothing but say that nothing
  was filed (``leave_if_exited``);
- a **correction** of another slot (complaint form only, ``correction`` below);
- **another task** (a digression: a policy question, 「你是机器人吗」, an FAQ, something out of scope, the
  details of a listed measure; or 我要投诉 in the status, rating or hand-off form): the form's turn is
  rejected (``ActionExecutionRejected``, with what the slot mappings took from the message undone) and
  the rules in bot/data/rules.yml take over. After a digression the form runs again and says where it
  was (``utter_resume_<form>``) before it asks its question again.

- an **event said into the conversation** by the system (Rasa's ``trigger_intent``: a policy push, an official's
  message from the console): never an answer, whatever the form asked. The form's turn is rejected as for a
  digression, the event's rule speaks, and the form then says where it was and asks again. (Before, the text
  Rasa records for it, 「EXTERNAL: EXTERNAL_policy_push」, was taken as the description, the name or the phone.)

A message that does answer the question (a ticket number said together with 投诉, “不满意，我要投诉”
as a rating) stays with the form: each form says what answers its question in ``answers``.
"""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import context

# Intents answered inside a form, and the action (or response) that answers each: after it the form goes on.
DIGRESSIONS = {"ask_policy": "action_answer_policy", "bot_challenge": "utter_iamabot", "faq": "utter_faq",
               "out_of_scope": "utter_out_of_scope", "ask_measure_detail": "action_measure_detail"}
# Events said into an open conversation by the system during a form, and the action that says each: after it the
# form goes on, as after a digression (bot/data/rules.yml has the rule for each).
EVENTS_INTO_FORMS = {"EXTERNAL_policy_push": "action_deliver_push", "EXTERNAL_staff_reply": "action_staff_reply"}
# Intents that leave a form for another form (rules: the form is deactivated, then the other one starts).
SWITCHES = ("file_complaint",)
EXIT_SLOT = "form_exit"
# A clear exit at the start of a message: 「算了」「先不查了」「不用了，谢谢」. Normalised text (simplified, half-width).
_EXIT = re.compile(
    r"^(?:哦|嗯|啊|那|那就|好吧|还是|我|我们|我看)*[，,\s]*"
    r"(?:算了|先算了|不用了|先不用了|不需要了|不要了|先不要了|先这样吧?|以后再说|回头再说|改天再说|等会再说|晚点再说|"
    r"(?:先|暂时|现在)?不(?:查|办|登记|反映|提交|投诉|评|评价|转|转人工|找人工|弄|填|说|问)了|"
    r"(?:先|暂时)不(?:查|办|登记|反映|提交|投诉|评|评价|转|填)(?:进度|了)?|不想(?:查|登记|反映|投诉|评价|评)了)"
    r"(?:吧|啊|哈|呀)?(?:[，,\s]*算了)*(?=$|[，,。.!！?？；;\s])")
_LEADING_PUNCT = re.compile(r"^[，,。.!！?？；;\s]+")


def exit_said(text: str) -> tuple[bool, str]:
    """(the message starts with a clear exit, what follows the exit)."""
    m = _EXIT.match(text or "")
    if not m:
        return False, ""
    return True, _LEADING_PUNCT.sub("", text[m.end():])


class FormDialogue:
    """Mixin for a FormValidationAction (put it first in the bases)."""

    def answers(self, slot: str, intent: str, text: str, tracker: Tracker) -> bool:
        """Does the message answer the form's question ``slot`` although it reads as another intent?"""
        raise NotImplementedError

    def switches(self) -> tuple[str, ...]:
        """Intents that leave this form for another one (rules in bot/data/rules.yml do the switch)."""
        return SWITCHES

    def correction(self, tracker: Tracker, dispatcher: CollectingDispatcher, domain: DomainDict) -> list | None:
        """Events for a message that corrects a slot other than the one asked for, or None."""
        return None

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        form = self.form_name()
        form_slots = self.domain_slots(domain)
        if not validating_new_message(tracker, form):
            if resumed_after_digression(tracker, form):
                if tracker.get_slot(EXIT_SLOT):  # exit with a question: the question was answered, now stop
                    return [SlotSet("requested_slot", None)]
                dispatcher.utter_message(response=f"utter_resume_{form}")
            events = await super().run(dispatcher, tracker, domain)
            if tracker.get_slot(EXIT_SLOT):  # never carried into a form that starts or goes on
                events = [SlotSet(EXIT_SLOT, None), *events]
            return events
        intent = context.intent_of(tracker)
        text = context.text_of(tracker)
        slot = tracker.get_slot("requested_slot")
        if intent == "cancel" or not slot:  # 取消 has its own rules; activation has nothing to interpret
            return await super().run(dispatcher, tracker, domain)
        if intent in EVENTS_INTO_FORMS:  # not the user's words: never an answer, an exit or a correction
            return undo_taken(tracker, form_slots) + [ActionExecutionRejected(form)]
        leaving, rest = exit_said(text)
        if leaving and not self.answers(slot, intent, text, tracker):
            if rest and (intent in DIGRESSIONS or intent in self.switches()):  # 「先不查了，修理厂开业要审批吗」: answer, then stop the form
                return undo_taken(tracker, form_slots) + [SlotSet(EXIT_SLOT, True), ActionExecutionRejected(form)]
            return undo_taken(tracker, form_slots) + [SlotSet(EXIT_SLOT, True), SlotSet("requested_slot", None)]
        corrected = self.correction(tracker, dispatcher, domain)
        if corrected is not None:
            return corrected
        if (intent in DIGRESSIONS or intent in self.switches()) and not self.answers(slot, intent, text, tracker):
            return undo_taken(tracker, form_slots) + [ActionExecutionRejected(form)]
        return await super().run(dispatcher, tracker, domain)


def validating_new_message(tracker: Tracker, form: str) -> bool:
    """Is the form validating the message the user just sent, not running again after another action?

    Rasa sends the validation action the tracker with the form's own ActionExecuted appended (so
    ``latest_action_name`` is always the form): look at the action before that one."""
    return action_before(tracker, form) in (None, "action_listen")


def action_before(tracker: Tracker, form: str) -> str | None:
    """The action that ran before this run of the form since the user's latest message (None: none did)."""
    marker_seen = False
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            return None
        if event.get("event") == "action":
            if event.get("name") == form and not marker_seen:
                marker_seen = True
                continue
            return event.get("name")
    return None


def resumed_after_digression(tracker: Tracker, form: str) -> bool:
    return action_before(tracker, form) in (*DIGRESSIONS.values(), *EVENTS_INTO_FORMS.values())


def undo_taken(tracker: Tracker, form_slots: list[str]) -> list[dict[str, Any]]:
    """Undo what the slot mappings took from the message (it was not an answer)."""
    return [SlotSet(name, None) for name in tracker.slots_to_validate() if name in form_slots]


def leave_if_exited(tracker: Tracker, dispatcher: CollectingDispatcher) -> list[dict[str, Any]] | None:
    """For a form's completion action: the form ended because the user left it. Then the action files or
    submits nothing; this says so, clears the form (as 取消 does) and returns the events. Otherwise None."""
    if not tracker.get_slot(EXIT_SLOT):
        return None
    from actions.cancel import leave_form  # cancel imports the forms, which import this module

    return leave_form(tracker, dispatcher)
