"""Problem intake: the complaint form (category, description, contact, credit code for anonymous
users, confirmation with corrections) and the filing into the ledger — ledger first, reply after."""
from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from huiqi.errors import Invalid
from huiqi.text import normalize
from ledger import credit_code as cc
from ledger.problems import CATEGORIES, MAX_DESCRIPTION, file_problem, find_by_filing_key

from actions import context

log = logging.getLogger(__name__)

FIELDS = ("complaint_category", "complaint_description", "contact_name", "contact_phone", "complaint_credit_code")
FORM_SLOTS = (*FIELDS, "complaint_confirmed")
FIELD_LABELS = {"complaint_category": "类别", "complaint_description": "问题描述", "contact_name": "联系人",
                "contact_phone": "联系电话", "complaint_credit_code": "统一社会信用代码"}
NO_CODE = "-"  # anonymous user without a business licence ("跳过")
_SKIP = re.compile(r"^(跳过|没有|无|不知道|不清楚|个人|没营业执照|没有营业执照|个人没有.*|没有信用代码)$")
_GENERIC = re.compile(r"我要|我想|想|要|帮我|麻烦|请|一下|个|投诉|举报|反映|问题|情况|诉求|登记|提交|申诉|求助|需要|帮助|"
                      r"意见|提|有|事|[，,。.!！?？\s]")
_COMPLAINT_WORDS = re.compile(r"投诉|举报|乱|不服|申诉|态度|索要|吃拿卡要|刁难|暗箱")
_CONSULT_WORDS = re.compile(r"咨询|请问|问一下|怎么办理|如何办理")
_CHANGE_TO = re.compile(r"(?:改成|改为|换成|应该是|更正为|是)[:：]?\s*(.+)$")
_NAME_PREFIX = re.compile(r"^(?:我叫|我是|我姓|叫我|姓名|名字|联系人|称呼)[:：是]?\s*")


def kind_of(text: str) -> str:
    if _COMPLAINT_WORDS.search(text):
        return "complaint"
    if _CONSULT_WORDS.search(text):
        return "consultation"
    return "help"


def substantive(text: str) -> bool:
    """Does the opening message already describe the problem (not just '我要投诉')?"""
    return len(_GENERIC.sub("", text)) >= 6


def category_from(tracker: Tracker, text: str) -> str | None:
    value = context.entity(tracker, "category")
    if value in CATEGORIES:
        return value
    text = text.strip()
    return text if text in CATEGORIES else None


class ActionStartComplaint(Action):
    """Fresh form slots, pre-filled from the opening message and the enterprise record."""

    def name(self) -> str:
        return "action_start_complaint"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        text = context.text_of(tracker)
        events = [SlotSet(s, None) for s in FORM_SLOTS] + [SlotSet("complaint_pending", False)]
        ident = context.identify(tracker)
        events += context.identity_slots(ident)
        category = category_from(tracker, text)
        if category:
            events.append(SlotSet("complaint_category", category))
        if substantive(text) and not text.startswith("/"):
            events.append(SlotSet("complaint_description", text[:MAX_DESCRIPTION]))
        if category:
            dispatcher.utter_message(text=f"好的，我来帮您登记这个{category}方面的问题。")
        if ident:
            if ident.contact_name:
                events.append(SlotSet("contact_name", ident.contact_name))
            if ident.contact_phone:
                events.append(SlotSet("contact_phone", ident.contact_phone))
        return events


def check_phone(value: str) -> tuple[str | None, str | None]:
    return context.parse_phone(value)


def check_credit_code(value: str) -> tuple[str | None, str | None]:
    text = normalize(value or "").strip()
    if _SKIP.match(text):
        return NO_CODE, None
    found = re.search(r"[0-9A-Za-z]{15,20}", text.replace(" ", "").replace("-", ""))
    try:
        return cc.validate(found.group(0) if found else text), None
    except Invalid as exc:
        return None, exc.message + "没有营业执照的，回复“跳过”。"


def check_name(value: str) -> tuple[str | None, str | None]:
    text = _NAME_PREFIX.sub("", normalize(value or "").strip())
    text = re.sub(r"[0-9\s，,。.]+.*$", "", text) or text
    if not 1 <= len(text) <= 20 or re.search(r"\d", text) or text in CATEGORIES:
        return None, "请告诉我您的姓名或称呼，比如“张先生”“王经理”。"
    return text, None


def check_description(value: str) -> tuple[str | None, str | None]:
    text = normalize(value or "").strip()
    if len(text) < 5:
        return None, "请再具体说说遇到的问题（至少5个字），比如在哪办什么事、卡在哪一步。"
    if len(text) > MAX_DESCRIPTION:
        return None, f"问题描述太长了，请控制在{MAX_DESCRIPTION}字以内。"
    return text, None


CHECKS = {"contact_phone": check_phone, "complaint_credit_code": check_credit_code,
          "contact_name": check_name, "complaint_description": check_description}


class ValidateComplaintForm(FormValidationAction):
    def name(self) -> str:
        return "validate_complaint_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        if tracker.get_slot("enterprise_code"):
            return [s for s in domain_slots if s != "complaint_credit_code"]
        return domain_slots

    def _checked(self, slot: str, value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
        if value is None:  # cleared (a fresh form or a correction): nothing to check, the form asks again
            return {slot: None}
        good, problem = CHECKS[slot](str(value or ""))
        if problem:
            dispatcher.utter_message(text=problem)
        return {slot: good}

    def validate_complaint_category(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {"complaint_category": None}
        category = category_from(tracker, normalize(str(value or "")))
        if not category:
            dispatcher.utter_message(text="没听明白属于哪一类，请点选下面的类别；拿不准就选“其他”。")
        return {"complaint_category": category}

    def validate_complaint_description(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        return self._checked("complaint_description", value, dispatcher)

    def validate_contact_name(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        out = self._checked("contact_name", value, dispatcher)
        phone = context.entity(tracker, "phone")  # "张伟 13912345678": take both
        if out["contact_name"] and phone and not tracker.get_slot("contact_phone"):
            good, _ = check_phone(phone)
            if good:
                out["contact_phone"] = good
        return out

    def validate_contact_phone(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        return self._checked("contact_phone", context.entity(tracker, "phone") or value, dispatcher)

    def validate_complaint_credit_code(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        return self._checked("complaint_credit_code", context.entity(tracker, "credit_code") or value, dispatcher)

    def validate_complaint_confirmed(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is None:
            return {"complaint_confirmed": None}
        intent = context.intent_of(tracker)
        text = context.text_of(tracker)
        if intent == "affirm":
            return {"complaint_confirmed": True}
        if any(context.entity(tracker, e) for e in ("phone", "credit_code", "category")):
            return {"complaint_confirmed": None}  # corrected through the entity; the summary is shown again
        field = context.entity(tracker, "field")
        if field in FIELD_LABELS and (field != "complaint_credit_code" or not tracker.get_slot("enterprise_code")):
            change = _CHANGE_TO.search(text)
            if change and field in CHECKS:
                good, problem = CHECKS[field](change.group(1))
                if good:
                    return {field: good, "complaint_confirmed": None}
                dispatcher.utter_message(text=problem)
            elif change and field == "complaint_category":
                category = category_from(tracker, change.group(1).strip())
                if category:
                    return {field: category, "complaint_confirmed": None}
            return {field: None, "complaint_confirmed": None}  # the form asks for this field again
        if intent == "deny":
            buttons = [{"title": f"改{label}", "payload": f"修改{label}"} for f, label in FIELD_LABELS.items()
                       if f != "complaint_credit_code" or not tracker.get_slot("enterprise_code")]
            dispatcher.utter_message(text="请问要修改哪一项？也可以直接说，比如“电话改成13912345678”。", buttons=buttons)
            return {"complaint_confirmed": None}
        dispatcher.utter_message(text="没听明白。信息无误请回复“确认”；要改就告诉我改哪一项；不提交了回复“取消”。")
        return {"complaint_confirmed": None}


def summary(tracker: Tracker) -> str:
    get = tracker.get_slot
    lines = ["请核对您要提交的内容：", f"类别：{get('complaint_category')}", f"问题描述：{get('complaint_description')}",
             f"联系人：{get('contact_name')}", f"联系电话：{get('contact_phone')}"]
    if get("enterprise_code"):
        lines.append(f"企业：{get('enterprise_name')}（已登录）")
    elif get("complaint_credit_code") and get("complaint_credit_code") != NO_CODE:
        lines.append(f"统一社会信用代码：{get('complaint_credit_code')}")
    return "\n".join(lines)


class ActionAskComplaintConfirmed(Action):
    def name(self) -> str:
        return "action_ask_complaint_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text=summary(tracker) + "\n\n没问题请回复“确认”；要改请直接说，如“电话改成13912345678”；不提交了回复“取消”。",
            buttons=[{"title": "确认提交", "payload": "/affirm"}, {"title": "修改", "payload": "/deny"},
                     {"title": "取消", "payload": "/cancel"}])
        return []


def filing_arguments(tracker: Tracker, ident: context.Identity | None) -> dict[str, Any]:
    get = tracker.get_slot
    description = get("complaint_description") or ""
    args = {"category": get("complaint_category"), "kind": kind_of(description), "channel": "chat",
            "contact_name": get("contact_name"), "contact_phone": get("contact_phone")}
    if ident:
        return {**args, "description": description, "credit_code": ident.credit_code, "actor": ident.actor}
    code = get("complaint_credit_code")
    return {**args, "description": description, "claimant_name": get("contact_name"),
            "claimant_phone": get("contact_phone"),
            "claimed_credit_code": code if code and code != NO_CODE else None}  # unverified: not a log-in


FORM_START_ACTION = "action_start_complaint"
FORM_NAME = "complaint_form"


def filing_key(tracker: Tracker) -> str | None:
    """Idempotency key of this filing: the conversation id plus the form instance, i.e. the moment
    (tracker event timestamp) this complaint form was started. A 确认 sent again after its reply was
    lost (a service killed after the ledger write) belongs to the same instance and gets the same key."""
    for kind, name in (("action", FORM_START_ACTION), ("active_loop", FORM_NAME)):
        for event in reversed(tracker.events or []):
            if event.get("event") == kind and event.get("name") == name and event.get("timestamp") is not None:
                return f"chat:{tracker.sender_id}:{float(event['timestamp'])!r}"
    return None


class ActionFileComplaint(Action):
    """Write to the ledger first; reply only after the write. Idempotent: the filing carries
    ``filing_key``, and a repeated 确认 gets the ticket already filed. On failure keep every slot for a retry."""

    def name(self) -> str:
        return "action_file_complaint"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        key = filing_key(tracker)
        has_content = bool(tracker.get_slot("complaint_category") and tracker.get_slot("complaint_description"))
        try:
            with context.ledger() as db:
                earlier = find_by_filing_key(db, key, settings=context.settings()) if key else None
                if earlier is None and not has_content:
                    dispatcher.utter_message(text="没有待提交的问题。要反映问题请说“我要反映问题”。")
                    return [SlotSet("complaint_pending", False)]
                ident = context.identify(tracker, db)
                problem = earlier or file_problem(db, settings=context.settings(), filing_key=key,
                                                  **filing_arguments(tracker, ident))
        except Invalid as exc:
            dispatcher.utter_message(text=f"还不能提交：{exc.message}您填的内容都还在，改好后回复“重新提交”。")
            return [SlotSet("complaint_pending", True)]
        except Exception:  # the ledger is unreachable or failed: keep the data, say so
            log.exception("filing a complaint failed (key %s)", key)
            dispatcher.utter_message(
                text="抱歉，系统暂时没能保存您的问题，您填的内容我都记着。请稍后回复“重新提交”再试；"
                     "着急的话也可以拨打12345反映。")
            return [SlotSet("complaint_pending", True)]
        if earlier is not None:
            dispatcher.utter_message(response="utter_complaint_already_filed", ticket_no=problem["ticket_no"],
                                     due=context.month_day(problem["due_on"]))
            return [SlotSet(s, None) for s in FORM_SLOTS] + [SlotSet("complaint_pending", False)]
        assignee = problem.get("assignee")
        who = f"{assignee['name']}（{assignee['office']}）" if assignee else problem["office"]
        dispatcher.utter_message(
            text=f"已为您登记，工单号：{problem['ticket_no']}。\n由{who}办理，将于{context.month_day(problem['due_on'])}前答复您。\n"
                 f"请记好工单号，回复“查进度”随时可以查询办理情况。")
        return [SlotSet(s, None) for s in FORM_SLOTS] + [SlotSet("complaint_pending", False)]
