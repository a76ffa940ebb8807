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

LOGIN_NEEDED = "这项服务需要先登录企业账号（页面上方“企业登录”），登录后我就能查看推送给贵企业的政策。"
OPEN_STATUSES = ("pushed", "delivered", "viewed", "applied", "to_confirm")
_REDEEMED = re.compile(r"到账|到了|拿到|领了|领过|领取|享受到|享受了|用上了|兑现|收到")
_NOT_ELIGIBLE = re.compile(r"不符合|不够条件|达不到")
_DECLINED = re.compile(r"用不上|不需要|不用|不要|放弃")


def _open_pushes(db, code: str) -> list[dict]:
    return [p for p in pushes.list_pushes(db, code) if p["status"] in OPEN_STATUSES]


class ActionListPushes(Action):
    def name(self) -> str:
        return "action_list_pushes"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        with context.ledger() as db:
            ident = context.identify(tracker, db)
            if not ident:
                dispatcher.utter_message(text=LOGIN_NEEDED)
                return []
            items = _open_pushes(db, ident.credit_code)
            if not items:
                dispatcher.utter_message(text="目前没有新推送给贵企业的政策。想查某方面的政策可以直接问我。")
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
            dispatcher.utter_message(text="推送给贵企业的政策已调整，暂时没有可查看的。")
            return context.identity_slots(ident)
        dispatcher.utter_message(text=f"推送给{ident.name}的惠企政策：\n\n" + "\n\n".join(lines[:3]))
        dispatcher.utter_message(text="说“第1条怎么申请”看详情；申请了告诉我“第1条已经申请了”，我帮您登记。"
                                 + ("回复“更多”看后面的。" if len(ids) > 3 else ""))
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
                dispatcher.utter_message(text=LOGIN_NEEDED)
                return []
            open_items = {p["measure_id"]: p for p in _open_pushes(db, ident.credit_code)}
            n = ordinal(text)
            if n is not None and 1 <= n <= len(ids):
                candidates = [ids[n - 1]]
            elif n is None and len(ids) == 1:
                candidates = ids
            elif n is None and len(open_items) == 1:
                candidates = list(open_items)
            else:
                dispatcher.utter_message(text="请告诉我是哪一条，比如“第1条已经申请了”。回复“看看推送”可以看推送给您的政策。")
                return []
            push = open_items.get(candidates[0])
            if push is None:
                dispatcher.utter_message(text="这条政策不在推送给贵企业的清单里，不需要在这里登记。办理中遇到问题可以回复“反映问题”。")
                return []
            measure = context.policy_base().get(push["measure_id"])
            try:
                for status in _redemption_steps(push["status"], text, measure.get("redemption_mode")):
                    if status != push["status"]:
                        push = pushes.set_push_status(db, push["id"], status, actor=ident.actor, reason=text[:200])
            except HuiqiError as exc:
                dispatcher.utter_message(text=exc.message)
                return []
        replies = {
            "applied": "已登记：贵企业已申请“{t}”。办理中遇到困难，可以随时回复“反映问题”。",
            "redeemed": "已登记：“{t}”已兑现到位。感谢反馈！",
            "to_confirm": "“{t}”是免申即享政策，不用申请；我已登记，由交通运输局确认兑现情况。",
            "declined": "好的，已登记贵企业暂不申请“{t}”。",
            "not_eligible": "好的，已登记贵企业不符合“{t}”的条件。如对条件有疑问，可以回复“转人工”。",
        }
        dispatcher.utter_message(text=replies.get(push["status"], "已登记。").format(t=push["measure_title"]))
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
            if not code or push["credit_code"] != code or push["status"] not in ("pushed", "delivered", "to_confirm"):
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
        dispatcher.utter_message(text="有一条新的惠企政策适合贵企业：\n\n" + brief(number, measure))
        dispatcher.utter_message(text=f"说“第{number}条怎么申请”看详情；不想收到推送可以回复“退订推送”。")
        return [SlotSet("policy_results", ids)]


class ActionOptOutPush(Action):
    def name(self) -> str:
        return "action_opt_out_push"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        text = context.text_of(tracker)
        with context.ledger() as db:
            ident = context.identify(tracker, db)
            if not ident:
                dispatcher.utter_message(text=LOGIN_NEEDED)
                return []
            category = topic_of(text)
            try:
                changed = pushes.opt_out(db, ident.credit_code, category, ident.actor)
            except HuiqiError as exc:
                dispatcher.utter_message(text=exc.message)
                return []
        what = "全部政策推送" if category == pushes.ALL_CATEGORIES else f"“{category}”类政策推送"
        if changed:
            dispatcher.utter_message(text=f"已为您关闭{what}，以后不再发送。需要恢复时请联系您的包抓联干部。")
        else:
            dispatcher.utter_message(text=f"您之前已经关闭了{what}。")
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
