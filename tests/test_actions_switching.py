"""Other tasks in the middle of 查进度 and 评价: 我要投诉 leaves the form (slots cleared as 取消 would) for
the complaint form, a policy question is handed to the rules and the form goes on afterwards, and a
message that does answer the form's question stays with the form."""
from __future__ import annotations

from actions.cancel import ActionCancelForm, ActionLeaveForm
from actions.complaint import ActionStartComplaint
from actions.rating import ValidateRatingForm
from actions.status import ValidateStatusForm
from test_actions_support import responses, run, slots_of, texts, tracker, world  # noqa: F401


def rejected(events: list[dict], form: str) -> bool:
    return any(e.get("event") == "action_execution_rejected" and e.get("name") == form for e in events)


def status_turn(text, intent, slot="status_ticket", **kw):
    trk = tracker(text, intent, requested_slot=slot, active_loop="status_form", extracted={slot: text}, **kw)
    return run(ValidateStatusForm(), trk)


def rating_turn(text, intent, slot, *, entities=None, **kw):
    trk = tracker(text, intent, requested_slot=slot, active_loop="rating_form", extracted={slot: text},
                  slots={"rating_ticket": "HQ-20240315-0012"}, entities=entities, **kw)
    return run(ValidateRatingForm(), trk)


def test_complaint_during_a_status_check_hands_the_turn_to_the_rules(world):
    for slot in ("status_ticket", "status_phone"):
        msgs, events = status_turn("我要投诉", "file_complaint", slot)
        assert rejected(events, "status_form"), slot
        assert slots_of(events) == {slot: None}  # what the slot mapping took from 我要投诉 is undone
        assert msgs == []  # no “工单号的格式是…” re-ask: the complaint form speaks next


def test_a_ticket_said_with_a_complaint_still_checks_that_ticket(world):
    msgs, events = status_turn("HQ-20240315-0012 这件事我要投诉", "file_complaint")
    assert not rejected(events, "status_form")
    assert slots_of(events)["status_ticket"] == "HQ-20240315-0012" and msgs == []


def test_policy_question_during_a_status_check_is_answered_then_the_form_goes_on(world):
    msgs, events = status_turn("货车过路费有优惠吗", "ask_policy")
    assert rejected(events, "status_form") and msgs == []
    # after action_answer_policy the form runs again for the same message: it asks again, no rejection
    answered = ({"event": "slot", "name": "status_ticket", "value": None},
                {"event": "action_execution_rejected", "name": "status_form"},
                {"event": "action", "name": "action_answer_policy"}, {"event": "bot", "text": "为您找到以下政策……"})
    resumed = tracker("货车过路费有优惠吗", "ask_policy", requested_slot="status_ticket", active_loop="status_form",
                      after=answered)
    _, events = run(ValidateStatusForm(), resumed)
    assert not rejected(events, "status_form")


def test_other_messages_are_still_validated_by_the_status_form(world):
    msgs, events = status_turn("12345", "inform")
    assert not rejected(events, "status_form") and responses(msgs) == ["utter_invalid_ticket"]


def test_complaint_during_a_rating_hands_the_turn_to_the_rules(world):
    for slot in ("rating_ticket", "rating_phone", "rating_value", "rating_comment"):
        msgs, events = rating_turn("我要反映个问题", "file_complaint", slot)
        assert rejected(events, "rating_form"), slot
        assert slots_of(events) == {slot: None} and msgs == []


def test_a_complaining_rating_or_comment_stays_with_the_rating(world):
    _, events = rating_turn("不满意，我要投诉", "file_complaint", "rating_value")
    assert not rejected(events, "rating_form") and slots_of(events)["rating_value"] == "不满意"
    comment = "窗口工作人员态度太差 材料交了三次还说不全"
    _, events = rating_turn(comment, "file_complaint", "rating_comment")
    assert not rejected(events, "rating_form") and slots_of(events)["rating_comment"] == comment


def test_policy_question_during_a_rating_is_not_taken_as_a_rating(world):
    _, events = rating_turn("有什么好的补贴政策吗", "ask_policy", "rating_value")  # says 好, is no rating
    assert rejected(events, "rating_form")
    _, events = rating_turn("冷链车有补贴吗", "ask_policy", "rating_comment")
    assert rejected(events, "rating_form")
    _, events = rating_turn("满意", "ask_policy", "rating_value", entities={"rating": "满意"})
    assert not rejected(events, "rating_form") and slots_of(events)["rating_value"] == "满意"
    # The rating lookup finds 一般 inside 一般纳税人: that question is no rating; “一般，…” as its own clause is.
    _, events = rating_turn("一般纳税人有什么优惠", "ask_policy", "rating_value", entities={"rating": "基本满意"})
    assert rejected(events, "rating_form")
    _, events = rating_turn("一般，有啥补贴政策", "ask_policy", "rating_value", entities={"rating": "基本满意"})
    assert not rejected(events, "rating_form") and slots_of(events)["rating_value"] == "基本满意"


LEFT_STATUS = [{"event": "active_loop", "name": "status_form"}, {"event": "active_loop", "name": None}]
LEFT_RATING = [{"event": "active_loop", "name": "rating_form"}, {"event": "active_loop", "name": None}]


def test_leaving_a_form_clears_it_as_cancel_does_and_says_what_was_left(world):
    half_done = {"status_ticket": "HQ-20240315-0012", "rating_ticket": "HQ-20240315-0012", "rating_value": "满意",
                 "rating_phone": "13912345678"}
    _, cancelled = run(ActionCancelForm(), tracker("取消", "cancel", slots=half_done))
    msgs, events = run(ActionLeaveForm(), tracker("我要投诉", "file_complaint", slots=half_done, history=LEFT_STATUS))
    assert slots_of(events) == slots_of(cancelled)
    assert slots_of(events)["status_ticket"] is None and slots_of(events)["rating_value"] is None
    assert responses(msgs) == ["utter_form_left_status_form"]
    msgs, _ = run(ActionLeaveForm(), tracker("我要投诉", "file_complaint", slots=half_done, history=LEFT_RATING))
    assert responses(msgs) == ["utter_form_left_rating_form"]


def test_logged_in_enterprise_switching_to_a_complaint_is_not_asked_its_contact_again(world):
    trk = tracker("我要投诉", "file_complaint", token=world.token, history=LEFT_STATUS,
                  slots={"status_ticket": "HQ-20240315-0012"})
    _, left = run(ActionLeaveForm(), trk)
    _, started = run(ActionStartComplaint(), trk)
    slots = {**slots_of(left), **slots_of(started)}
    assert (slots["contact_name"], slots["contact_phone"]) == ("王强", "13993112345")
    assert slots["enterprise_code"] == world.code and slots["status_ticket"] is None
    assert slots["complaint_category"] is None and slots["complaint_description"] is None
