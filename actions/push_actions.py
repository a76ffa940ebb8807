"""不来即享 in the chat: list the measures pushed to the enterprise, record what it did with them
(applied / redeemed / declined), deliver a push into an open conversation, opt out of pushes."""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from huiqi.errors import HuiqiError, NotFound
from ledger import pushes
from policies_kb import pushes as push_categories

from actions import context
from actions.measures import brief, ordinal

REDEMPTION_REPLIES = {status: f"utter_push_{status}"
                      for status in ("applied", "redeemed", "to_confirm", "declined", "not_eligible")}
_REDEEMED = re.compile(r"到账|到了|拿到|领了|领过|领取|享受到|享受了|用上了|兑现|收到")
_NOT_ELIGIBLE = re.compile(r"不符合|不够条件|达不到")
_DECLINED = re.compile(r"用不上|不需要|不用|不要|放弃")


class ActionListPushes(Action):
    def name(self) -> str:
        return "action_list_pushes"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        with context.ledger() as db:
            ident = context.identify(tracker, db)
            if not ident:
                dispatcher.utter_message(response="utter_push_login_needed")
                return []
            items = pushes.outstanding_pushes(db, ident.credit_code)
            if not items:
                dispatcher.utter_message(response="utter_pushes_none")
                return context.identity_slots(ident)
            base = context.policy_base()
            lines, ids = [], []
            for p in items[:9]:
                try:
                    measure = base.get(p["measure_id"])
                except NotFound:
                    continue
                ids.append(p["measure_id"])
                lines.append(brief(len(ids), measure) + f"\n   状态：{p['status_label']}")
                if p["status"] == "pushed":
                    pushes.set_push_status(db, p["id"], "delivered", actor=ident.actor)
        if not ids:
            dispatcher.utter_message(response="utter_pushes_withdrawn")
            return context.identity_slots(ident)
        dispatcher.utter_message(response="utter_pushes_list", enterprise_name=ident.name,
                                 measures="\n\n".join(lines[:3]))
        dispatcher.utter_message(response="utter_pushes_list_tips_more" if len(ids) > 3 else "utter_pushes_list_tips")
        return [SlotSet("policy_results", ids), SlotSet("policy_shown", float(min(3, len(ids)))),
                *context.identity_slots(ident)]


def _redemption_steps(current: str, text: str, mode: str | None) -> list[str]:
    """The push statuses to move through for what the business said."""
    if _NOT_ELIGIBLE.search(text):
        return ["not_eligible"]
    if _DECLINED.search(text) and not _REDEEMED.search(text):
        return ["declined"]
    if _REDEEMED.search(text):
        if current in ("applied", "to_confirm"):
            return ["redeemed"]
        return ["to_confirm", "redeemed"] if mode == "免申即享" else ["applied", "redeemed"]
    if mode == "免申即享":
        return ["to_confirm"]
    return ["applied"]


class ActionReportApplied(Action):
    def name(self) -> str:
        return "action_report_applied"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        text = context.text_of(tracker)
        ids = tracker.get_slot("policy_results") or []
        with context.ledger() as db:
            ident = context.identify(tracker, db)
            if not ident:
                dispatcher.utter_message(response="utter_push_login_needed")
                return []
            open_items = {p["measure_id"]: p for p in pushes.outstanding_pushes(db, ident.credit_code)}
            n = ordinal(text)
            if n is not None and 1 <= n <= len(ids):
                candidates = [ids[n - 1]]
            elif n is None and len(ids) == 1:
                candidates = ids
            elif n is None and len(open_items) == 1:
                candidates = list(open_items)
            else:
                dispatcher.utter_message(response="utter_push_which")
                return []
            push = open_items.get(candidates[0])
            if push is None:
                dispatcher.utter_message(response="utter_push_not_listed")
                return []
            measure = context.policy_base().get(push["measure_id"])
            try:
                for status in _redemption_steps(push["status"], text, measure.get("redemption_mode")):
                    if status != push["status"]:
                        push = pushes.set_push_status(db, push["id"], status, actor=ident.actor, reason=text[:200])
            except HuiqiError as exc:
                dispatcher.utter_message(response="utter_refused", message=exc.message)
                return []
        dispatcher.utter_message(response=REDEMPTION_REPLIES.get(push["status"], "utter_push_recorded"),
                                 measure_title=push["measure_title"])
        return []


class ActionDeliverPush(Action):
    """A push triggered into the open conversation (entity push_id) is shown and marked delivered."""

    def name(self) -> str:
        return "action_deliver_push"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        raw = context.entity(tracker, "push_id") or ""
        if not raw.isdigit():
            return []
        with context.ledger() as db:
            ident = context.identify(tracker, db)
            code = ident.credit_code if ident else None
            try:
                push = pushes.get_push(db, int(raw))
            except NotFound:
                return []
            # 免申即享 pushes wait in to_confirm for the department: shown, status left as it is.
            if not code or push["credit_code"] != code or push["status"] not in pushes.DELIVERABLE:
                return []
            try:
                measure = context.policy_base().get(push["measure_id"])
            except NotFound:
                return []
            if push["status"] == "pushed":
                pushes.set_push_status(db, push["id"], "delivered", actor=context.Actor.enterprise(code))
        ids = list(tracker.get_slot("policy_results") or [])
        if push["measure_id"] not in ids:
            ids.insert(0, push["measure_id"])
        number = ids.index(push["measure_id"]) + 1
        dispatcher.utter_message(response="utter_push_delivered", measure=brief(number, measure))
        dispatcher.utter_message(response="utter_push_delivered_tips", number=number)
        return [SlotSet("policy_results", ids)]


class ActionOptOutPush(Action):
    def name(self) -> str:
        return "action_opt_out_push"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        text = context.text_of(tracker)
        with context.ledger() as db:
            ident = context.identify(tracker, db)
            if not ident:
                dispatcher.utter_message(response="utter_push_login_needed")
                return []
            category = topic_of(text)
            try:
                changed = pushes.opt_out(db, ident.credit_code, category, ident.actor)
            except HuiqiError as exc:
                dispatcher.utter_message(response="utter_refused", message=exc.message)
                return []
        scope = "all" if category == pushes.ALL_CATEGORIES else "category"
        prefix = "utter_push_opted_out" if changed else "utter_push_already_opted_out"
        dispatcher.utter_message(response=f"{prefix}_{scope}", category=category)
        return []


def topic_of(text: str) -> str:
    """The push category named in the text (policies_kb.pushes categories, e.g. 通行费 → 通行费优惠),
    else a tag used by the policy base, else 全部."""
    category = push_categories.category_named(text)
    if category:
        return category
    try:
        tags = {t for m in context.policy_base().list(status="published", limit=1000) for t in (m.get("tags") or [])}
    except HuiqiError:
        tags = set()
    named = [t for t in tags if t and t in text]
    return max(named, key=len) if named else pushes.ALL_CATEGORIES
