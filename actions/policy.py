"""Policy answers: matched measures for a logged-in enterprise, hybrid search otherwise."""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from huiqi.errors import HuiqiError, NotFound
from ledger.enterprises import profile as enterprise_profile
from ledger import pushes

from actions import context
from actions.measures import PAGE, brief, detail, ordinal, shorten
from policies_kb.match import INDUSTRIES, asks_for_benefits, industries_in

log = logging.getLogger(__name__)
RESULTS = 9  # measures kept per question: three pages of three

MENU_BUTTONS = [
    {"title": "查惠企政策", "payload": "/ask_policy"},
    {"title": "反映问题", "payload": "/file_complaint"},
    {"title": "查办理进度", "payload": "/check_status"},
    {"title": "评价办理结果", "payload": "/rate_service"},
    {"title": "转人工", "payload": "/request_human"},
]
GENERIC_QUESTIONS = {"/ask_policy", "查政策", "政策咨询", "我想问政策", "问一下政策", "咨询一下优惠政策", "惠企政策",
                     "扶持政策", "补贴政策", "政策有哪些"}


def industry_buttons() -> list[dict]:
    """One button per industry of the shared vocabulary; the payload carries it as the entity."""
    return [{"title": name, "payload": f'/ask_policy{{"industry": "{name}"}}'} for name in INDUSTRIES if name != "其他"]


def find_measures(tracker: Tracker, question: str) -> tuple[list[dict], bool]:
    """(measures, matched_to_enterprise). Raises HuiqiError on bad input."""
    base = context.policy_base()
    with context.ledger() as db:
        ident = context.identify(tracker, db)
        if ident:
            prof = enterprise_profile(db, ident.credit_code)
            return base.match(prof, needs=question or None, top_k=RESULTS), True
    return base.search(question, top_k=RESULTS, record_hits=True), False


def answering_passage(result: dict | None) -> str | None:
    """The passage a search or match result cites when its item is long (retrieved by a window), else None."""
    if not result or not result.get("passage_window"):
        return None
    return " ".join(str(result.get("passage") or "").split()) or None


def why_lines(result: dict | None) -> list[str]:
    """Why a matched measure fits the enterprise (matching)."""
    if not result:
        return []
    lines = []
    reasons = [r for r in (result.get("reasons") or []) if not r.endswith("不限")]
    if reasons:
        lines.append(f"   适合原因：{shorten('；'.join(reasons), 60)}")
    return lines


def show_page(dispatcher: CollectingDispatcher, ids: list[str], start: int,
              results: dict[str, dict] | None = None) -> int:
    """Show measures ids[start:start+PAGE], numbered from 1 across pages; returns how many are shown now.
    ``results`` (measure_id → search/match result) add the answering passage and the reasons."""
    base = context.policy_base()
    lines = []
    end = min(start + PAGE, len(ids))
    for i in range(start, end):
        try:
            measure = base.get(ids[i])
        except NotFound:  # retired since the question was asked
            continue
        result = (results or {}).get(ids[i])
        lines.append("\n".join([brief(i + 1, measure, answering_passage(result)), *why_lines(result)]))
    dispatcher.utter_message(response="utter_policy_measures", measures="\n\n".join(lines))
    return end


def page_footer(dispatcher: CollectingDispatcher, shown: int, total: int) -> None:
    dispatcher.utter_message(response="utter_policy_page_tips_more" if shown < total else "utter_policy_page_tips")


class ActionAnswerPolicy(Action):
    def name(self) -> str:
        return "action_answer_policy"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        question = context.text_of(tracker)
        ident = context.identify(tracker)
        if context.intent_of(tracker) == "inform" and not (context.entity(tracker, "industry")
                                                          or context.entity(tracker, "region")):
            dispatcher.utter_message(response="utter_policy_what_to_do", buttons=MENU_BUTTONS)
            return []
        industry = context.entity(tracker, "industry")
        if question.startswith("/") and industry and not ident:  # the answer to "您是哪个行业？"
            question = f"{industry}企业有什么补贴优惠政策"
        elif not ident and asks_for_benefits(question) and not industry and not industries_in(question):
            dispatcher.utter_message(response="utter_ask_industry", buttons=industry_buttons())
            return []
        if question in GENERIC_QUESTIONS or question.startswith("/"):
            if not ident:
                dispatcher.utter_message(response="utter_policy_ask_question")
                return []
            question = ""
        try:
            found, matched = find_measures(tracker, question)
        except HuiqiError as exc:
            dispatcher.utter_message(response="utter_refused", message=exc.message)
            return []
        if not found:
            dispatcher.utter_message(response="utter_policy_none_found")
            return [SlotSet("policy_results", []), SlotSet("policy_shown", 0)]
        ids = [m["measure_id"] for m in found]
        if matched and ident:
            dispatcher.utter_message(response="utter_policy_matched_head", enterprise_name=ident.name)
        else:
            dispatcher.utter_message(response="utter_policy_found_head")
        shown = show_page(dispatcher, ids, 0, {m["measure_id"]: m for m in found})
        page_footer(dispatcher, shown, len(ids))
        return [SlotSet("policy_results", ids), SlotSet("policy_shown", float(shown)),
                *context.identity_slots(ident)]


class ActionMorePolicies(Action):
    def name(self) -> str:
        return "action_more_policies"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        ids = tracker.get_slot("policy_results") or []
        start = int(tracker.get_slot("policy_shown") or 0)
        if not ids:
            dispatcher.utter_message(response="utter_policy_more_needs_question")
            return []
        if start >= len(ids):
            dispatcher.utter_message(response="utter_policy_no_more")
            return []
        shown = show_page(dispatcher, ids, start)
        page_footer(dispatcher, shown, len(ids))
        return [SlotSet("policy_shown", float(shown))]


def mark_viewed(credit_code: str, measure_id: str) -> None:
    """A pushed measure the enterprise opened in the chat is 'viewed' (精准兑现 funnel)."""
    with context.ledger() as db:
        for push in pushes.list_pushes(db, credit_code):
            if push["measure_id"] == measure_id and push["status"] in pushes.UNSEEN:
                pushes.set_push_status(db, push["id"], "viewed", actor=context.Actor.enterprise(credit_code))


def chosen_measure(tracker: Tracker) -> tuple[int, str] | None:
    """(number, measure_id) the user refers to: '第二条' or the only/first one listed."""
    ids = tracker.get_slot("policy_results") or []
    if not ids:
        return None
    n = ordinal(context.text_of(tracker))
    if n is None:
        shown = int(tracker.get_slot("policy_shown") or 1)
        n = max(1, shown - PAGE + 1) if shown > PAGE else 1
    if not 1 <= n <= len(ids):
        return (n, "")
    return n, ids[n - 1]


class ActionMeasureDetail(Action):
    def name(self) -> str:
        return "action_measure_detail"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        chosen = chosen_measure(tracker)
        if chosen is None:
            dispatcher.utter_message(response="utter_measure_which")
            return []
        n, mid = chosen
        if not mid:
            total = len(tracker.get_slot("policy_results") or [])
            dispatcher.utter_message(response="utter_measure_out_of_range", total=total)
            return []
        try:
            measure = context.policy_base().get(mid)
        except NotFound:
            dispatcher.utter_message(response="utter_measure_retired")
            return []
        dispatcher.utter_message(response="utter_measure_detail", measure=detail(n, measure))
        ident = context.identify(tracker)
        if ident:
            try:
                mark_viewed(ident.credit_code, mid)
            except HuiqiError as exc:  # the answer was given; the funnel step is best effort
                log.warning("could not mark push viewed: %s", exc.message)
        return []


class ActionPolicyFallback(Action):
    """Two-stage fallback: first read the text as a policy question, then offer the menu."""

    def name(self) -> str:
        return "action_policy_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        if previous_bot_action(tracker) == self.name():
            dispatcher.utter_message(response="utter_fallback_menu_again", buttons=MENU_BUTTONS)
            return []
        question = context.text_of(tracker)
        try:
            found = context.policy_base().search(question, top_k=RESULTS) if question else []
        except HuiqiError:
            found = []
        relevant = [m for m in found if (m.get("explanation") or {}).get("matched_keywords")]
        if not relevant:
            dispatcher.utter_message(response="utter_fallback_menu", buttons=MENU_BUTTONS)
            return []
        ids = [m["measure_id"] for m in relevant]
        dispatcher.utter_message(response="utter_fallback_policies")
        shown = show_page(dispatcher, ids, 0)
        dispatcher.utter_message(response="utter_fallback_policies_tail")
        return [SlotSet("policy_results", ids), SlotSet("policy_shown", float(shown))]


def previous_bot_action(tracker: Tracker) -> str | None:
    """The last action run before the current user message (ignoring listen and slot extraction)."""
    seen_user = False
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            if seen_user:
                continue
            seen_user = True
            continue
        if seen_user and event.get("event") == "action" and event.get("name") not in (
                "action_listen", "action_extract_slots", None):
            return event["name"]
    return None
