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
from actions.interruptions import DIGRESSIONS, EXIT_SLOT, FormDialogue, leave_if_exited, undo_taken

log = logging.getLogger(__name__)

FIELDS = ("complaint_category", "complaint_description", "contact_name", "contact_phone", "complaint_credit_code")
FORM_SLOTS = (*FIELDS, "complaint_confirmed")
FIELD_LABELS = {"complaint_category": "类别", "complaint_description": "问题描述", "contact_name": "联系人",
                "contact_phone": "联系电话", "complaint_credit_code": "统一社会信用代码"}
ENTERPRISE_LABEL, LOGGED_IN_MARK = "企业", "（已登录）"  # summary lines: label：value
NO_CODE = "-"  # anonymous user without a business licence ("跳过")
_SKIP = re.compile(r"^(跳过|没有|无|不知道|不清楚|个人|没营业执照|没有营业执照|个人没有.*|没有信用代码)$")
_GENERIC = re.compile(r"我要|我想|想|要|帮我|麻烦|请|一下|个|投诉|举报|反映|问题|情况|诉求|登记|提交|申诉|求助|需要|帮助|"
                      r"意见|提|有|事|[，,。.!！?？\s]")
_COMPLAINT_WORDS = re.compile(r"投诉|举报|乱|不服|申诉|态度|索要|吃拿卡要|刁难|暗箱")
_CONSULT_WORDS = re.compile(r"咨询|请问|问一下|怎么办理|如何办理")
_CHANGE_TO = re.compile(r"(?:改成|改为|换成|应该是|更正为|是)[:：]?\s*(.+)$")
_NAME_PREFIX = re.compile(r"^(?:我叫|我是|我姓|叫我|姓名|名字|联系人|称呼|免贵姓|姓)[:：是]?\s*")
# Not a name: answers to a yes/no question, corrections, greetings, questions (normalised text).
_NOT_A_NAME = re.compile(r"^(?:不对|不是|对|对的|是|是的|好|好的|嗯+|哦+|行|可以|没有|没|无|不知道|不用|不要|错了|确认|"
                         r"取消|谢谢|你好|您好|不清楚|随便|保密|算了|匿名)[啊吧呀的了。.!！]*$"
                         r"|不对|错了|改成|[?？]|吗|什么|怎么|为啥|为什么|投诉|举报|反映|问题|审批|政策|补贴|你们|几点|多少|哪|机器人")
_QUESTION = re.compile(r"[?？]|吗[\s，,。.!！]*$|吗[，,]|呢[\s。.]*$|怎么|如何|哪些|哪里|哪儿|什么|能不能|可不可以|是否|有没有|"
                       r"咋|啥|几点|多久|多少")
_STUCK = re.compile(r"还没|没有?(?:办|批|发|给|到|回|人)|一直|拖|迟迟|不给|不让|不予|乱|刁难|态度|投诉|举报")
MAX_CORRECTION_CHARS = 30
_CORRECTING = re.compile(r"改|错|不对|不是|换成|应该是|更正|修改|重新|重填|填错|写错|说错")


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
        events = [SlotSet(s, None) for s in FORM_SLOTS] + [SlotSet("complaint_pending", False), SlotSet(EXIT_SLOT, None)]
        ident = context.identify(tracker)
        events += context.identity_slots(ident)
        category = category_from(tracker, text)
        if category:
            events.append(SlotSet("complaint_category", category))
        if substantive(text) and not text.startswith("/"):
            events.append(SlotSet("complaint_description", text[:MAX_DESCRIPTION]))
        if category:
            dispatcher.utter_message(response="utter_complaint_category_inferred", category=category)
        if ident:
            if ident.contact_name:
                events.append(SlotSet("contact_name", ident.contact_name))
            if ident.contact_phone:
                events.append(SlotSet("contact_phone", ident.contact_phone))
        return events


def check_phone(value: str) -> tuple[str | None, dict | None]:
    return context.parse_phone(value)


def check_credit_code(value: str) -> tuple[str | None, dict | None]:
    text = normalize(value or "").strip()
    if _SKIP.match(text):
        return NO_CODE, None
    found = re.search(r"[0-9A-Za-z]{15,20}", text.replace(" ", "").replace("-", ""))
    try:
        return cc.validate(found.group(0) if found else text), None
    except Invalid as exc:
        return None, {"response": "utter_invalid_credit_code", "reason": exc.message}


def check_name(value: str) -> tuple[str | None, dict | None]:
    """A name or form of address; refuses non-answers such as 「不对」「是的」「审批服务」 or a question."""
    text = _NAME_PREFIX.sub("", normalize(value or "").strip())
    text = re.sub(r"(?:[0-9\s，,。.]|电话|手机|联系方式|号码).*$", "", text) or text
    if not 1 <= len(text) <= 12 or re.search(r"\d", text) or text in CATEGORIES or _NOT_A_NAME.search(text):
        return None, {"response": "utter_invalid_contact_name"}
    return text, None


def check_description(value: str) -> tuple[str | None, dict | None]:
    text = normalize(value or "").strip()
    if len(text) < 5:
        return None, {"response": "utter_invalid_description_short"}
    if len(text) > MAX_DESCRIPTION:
        return None, {"response": "utter_invalid_description_long", "max_chars": MAX_DESCRIPTION}
    return text, None


CHECKS = {"contact_phone": check_phone, "complaint_credit_code": check_credit_code,
          "contact_name": check_name, "complaint_description": check_description}


def question_like(text: str) -> bool:
    return bool(_QUESTION.search(text or ""))


class ValidateComplaintForm(FormDialogue, FormValidationAction):
    def name(self) -> str:
        return "validate_complaint_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        if tracker.get_slot("enterprise_code"):
            return [s for s in domain_slots if s != "complaint_credit_code"]
        return domain_slots

    def switches(self) -> tuple[str, ...]:
        return ()  # 我要投诉 inside the complaint form is part of the complaint

    def answers(self, slot: str, intent: str, text: str, tracker: Tracker) -> bool:
        """Does the message answer ``slot`` although it reads as a question or another task?"""
        if slot == "complaint_category":
            return category_from(tracker, text) is not None
        if slot == "complaint_description":  # a complaint told as a question (“为什么审批这么慢”) is the description
            return not question_like(text) or intent in ("file_complaint", "inform") or bool(_STUCK.search(text))
        if slot == "contact_name":
            return check_name(text)[0] is not None and intent not in DIGRESSIONS
        if slot in CHECKS:
            return CHECKS[slot](text)[0] is not None
        return intent == "affirm"  # complaint_confirmed: 「不提交了」 is an exit, 「不对」 goes to the validation

    def correction(self, tracker: Tracker, dispatcher: CollectingDispatcher, domain: DomainDict) -> list | None:
        """「类别改成执法检查」「电话写错了，是……」「名字不对」 at any step: fix (or ask again for) the named slot.

        A category said where another answer was asked for (「执法检查」 at the name step, 「不对，是审批服务」)
        corrects the category. Returns None when the message corrects nothing."""
        asked = tracker.get_slot("requested_slot")
        text = context.text_of(tracker)
        field = context.entity(tracker, "field")
        # A long message at the description step that mentions 电话 and 不是 is a description, not a correction.
        correcting = bool(_CORRECTING.search(text)) and len(text) <= MAX_CORRECTION_CHARS
        logged_in = bool(tracker.get_slot("enterprise_code"))
        if field == "complaint_credit_code" and logged_in:
            field = None
        if field in FIELD_LABELS and field != asked and (correcting or asked == "complaint_confirmed"):
            value = self._corrected_value(field, text, tracker)
            if value is None and asked == "complaint_confirmed" and not correcting:
                return None  # “电话13912345678” at the confirm step: the slot mapping takes the entity
        elif asked != "complaint_category" and category_from(tracker, text) and (
                correcting or (bare_category(text) and asked != "complaint_description")):
            field, value = "complaint_category", category_from(tracker, text)
        else:
            return None
        events = undo_taken(tracker, self.domain_slots(domain)) + [SlotSet("complaint_confirmed", None)]
        if value is None:
            events.append(SlotSet(field, None))  # the form asks for it again
            dispatcher.utter_message(response="utter_correction_ask", field_label=FIELD_LABELS[field])
        else:
            events.append(SlotSet(field, value))
            dispatcher.utter_message(response="utter_corrected", field_label=FIELD_LABELS[field], value=value)
        return events + [SlotSet("requested_slot", self._next_slot(tracker, events, domain))]

    @staticmethod
    def _corrected_value(field: str, text: str, tracker: Tracker) -> str | None:
        """The new value said with the correction (「电话改成139…」), checked; None when none (or a bad one)."""
        if field == "complaint_category":
            change = _CHANGE_TO.search(text)
            return category_from(tracker, change.group(1).strip()) if change else context.entity(tracker, "category")
        entity = {"contact_phone": "phone", "complaint_credit_code": "credit_code"}.get(field)
        said = context.entity(tracker, entity) if entity else None
        change = _CHANGE_TO.search(text)
        candidate = said or (change.group(1) if change else None)
        if not candidate:
            return None
        good, _ = CHECKS[field](candidate)
        return good

    def _next_slot(self, tracker: Tracker, events: list[dict], domain: DomainDict) -> str | None:
        values = {name: tracker.get_slot(name) for name in self.domain_slots(domain)}
        values.update({e["name"]: e["value"] for e in events if e.get("event") == "slot"})
        wanted = [s for s in self.domain_slots(domain)
                  if s != "complaint_credit_code" or not tracker.get_slot("enterprise_code")]
        return next((s for s in wanted if values.get(s) is None), None)

    def _checked(self, slot: str, value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
        if value is None:  # cleared (a fresh form or a correction): nothing to check, the form asks again
            return {slot: None}
        good, problem = CHECKS[slot](str(value or ""))
        if problem:
            dispatcher.utter_message(**problem)
        return {slot: good}

    def validate_complaint_category(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {"complaint_category": None}
        category = category_from(tracker, normalize(str(value or "")))
        if not category:
            dispatcher.utter_message(response="utter_invalid_complaint_category")
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
        if intent == "affirm":
            return {"complaint_confirmed": True}
        if any(context.entity(tracker, e) for e in ("phone", "credit_code", "category")):
            return {"complaint_confirmed": None}  # corrected through the entity; the summary is shown again
        field = context.entity(tracker, "field")
        if field in FIELD_LABELS and (field != "complaint_credit_code" or not tracker.get_slot("enterprise_code")):
            return {field: None, "complaint_confirmed": None}  # the form asks for this field again
        if intent == "deny":
            buttons = [{"title": f"改{label}", "payload": f"修改{label}"} for f, label in FIELD_LABELS.items()
                       if f != "complaint_credit_code" or not tracker.get_slot("enterprise_code")]
            dispatcher.utter_message(response="utter_which_field_to_change", buttons=buttons)
            return {"complaint_confirmed": None}
        dispatcher.utter_message(response="utter_confirm_not_understood")
        return {"complaint_confirmed": None}


def bare_category(text: str) -> bool:
    """Is the message nothing but a category (or one of its lookup words), as a button would send it?"""
    return len(re.sub(r"[，,。.!！\s]|是|就是|应该是|属于|类", "", text)) <= 4


def summary(tracker: Tracker) -> str:
    get = tracker.get_slot
    lines = [f"{FIELD_LABELS[f]}：{get(f)}" for f in FIELDS if f != "complaint_credit_code"]
    if get("enterprise_code"):
        lines.append(f"{ENTERPRISE_LABEL}：{get('enterprise_name')}{LOGGED_IN_MARK}")
    elif get("complaint_credit_code") and get("complaint_credit_code") != NO_CODE:
        lines.append(f"{FIELD_LABELS['complaint_credit_code']}：{get('complaint_credit_code')}")
    return "\n".join(lines)


class ActionAskComplaintConfirmed(Action):
    def name(self) -> str:
        return "action_ask_complaint_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_complaint_summary", summary=summary(tracker))
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
        left = leave_if_exited(tracker, dispatcher)  # the user left the form: nothing to file
        if left is not None:
            return left
        key = filing_key(tracker)
        has_content = bool(tracker.get_slot("complaint_category") and tracker.get_slot("complaint_description"))
        try:
            with context.ledger() as db:
                earlier = find_by_filing_key(db, key, settings=context.settings()) if key else None
                if earlier is None and not has_content:
                    dispatcher.utter_message(response="utter_complaint_nothing_to_file")
                    return [SlotSet("complaint_pending", False)]
                ident = context.identify(tracker, db)
                problem = earlier or file_problem(db, settings=context.settings(), filing_key=key,
                                                  **filing_arguments(tracker, ident))
        except Invalid as exc:
            dispatcher.utter_message(response="utter_complaint_cannot_file", reason=exc.message)
            return [SlotSet("complaint_pending", True)]
        except Exception:  # the ledger is unreachable or failed: keep the data, say so
            log.exception("filing a complaint failed (key %s)", key)
            dispatcher.utter_message(response="utter_complaint_save_failed")
            return [SlotSet("complaint_pending", True)]
        if earlier is not None:
            dispatcher.utter_message(response="utter_complaint_already_filed", ticket_no=problem["ticket_no"],
                                     due=context.month_day(problem["due_on"]))
            return [SlotSet(s, None) for s in FORM_SLOTS] + [SlotSet("complaint_pending", False)]
        assignee = problem.get("assignee")
        who = f"{assignee['name']}（{assignee['office']}）" if assignee else problem["office"]
        dispatcher.utter_message(response="utter_complaint_filed", ticket_no=problem["ticket_no"], handler=who,
                                 due=context.month_day(problem["due_on"]))
        return [SlotSet(s, None) for s in FORM_SLOTS] + [SlotSet("complaint_pending", False)]
