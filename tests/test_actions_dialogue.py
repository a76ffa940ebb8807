"""What a business says inside a form that is not the answer: exits end the form with nothing filed,
digressions go to the rules and the form then says where it was, corrections fix the named slot at any
step, non-answers are refused with one line saying what is expected, and a hand-off without a phone
number is explained (issue #16)."""
from __future__ import annotations

import pytest

from actions.complaint import ValidateComplaintForm, check_name
from actions.handoff import ValidateHandoffForm
from actions.interruptions import exit_said
from actions.rating import ValidateRatingForm
from actions.status import ValidateStatusForm
from huiqi.text import normalize
from test_actions_support import responses, run, slots_of, tracker, world  # noqa: F401

FILLED = {"complaint_category": "审批服务", "complaint_description": "道路运输经营许可交了三个月还没批下来"}


def rejected(events: list[dict], form: str) -> bool:
    return any(e.get("event") == "action_execution_rejected" and e.get("name") == form for e in events)


def complaint_turn(text, intent, requested, *, entities=None, slots=None, extracted=True):
    trk = tracker(text, intent, entities=entities, slots={**FILLED, **(slots or {})}, requested_slot=requested,
                  active_loop="complaint_form", extracted={requested: text} if extracted else None)
    return run(ValidateComplaintForm(), trk)


@pytest.mark.parametrize("text, rest", [
    ("算了", ""), ("算了，先问个政策，危险品运输车辆的电子运单怎么弄", "先问个政策，危险品运输车辆的电子运单怎么弄"),
    ("先不查了，修理厂开业要审批吗", "修理厂开业要审批吗"), ("不用了", ""), ("不用了谢谢", None),
    ("先不登记了", ""), ("以后再说吧", ""), ("那就不评了", ""), ("算了算了", ""), ("我不想投诉了", ""),
    ("我先不查了，谢谢", "谢谢")])
def test_clear_exits_are_recognised(text, rest):
    leaving, after = exit_said(text)
    if rest is None:  # 「不用了谢谢」 has no break after the exit: not read as one (the NLU's cancel/deny rules handle it)
        assert not leaving
    else:
        assert leaving and after == rest


@pytest.mark.parametrize("text", ["算法有问题", "不用了吗", "用了三个月了还没批", "审批不用了多久"])
def test_words_that_only_look_like_exits_are_not_exits(text):
    assert not exit_said(text)[0]


def test_exit_with_a_question_inside_the_complaint_form_goes_to_the_rules_and_stops_the_form(world):
    msgs, events = complaint_turn("算了，先问个政策，危险品运输车辆的电子运单怎么弄", "ask_policy", "complaint_category",
                                  slots={"complaint_category": None, "complaint_description": None})
    assert rejected(events, "complaint_form")  # the policy rule answers first
    slots = slots_of(events)
    assert slots["form_exit"] is True and slots["complaint_category"] is None
    assert msgs == []
    # After the answer the form runs again and stops (the rule "leave the complaint" says nothing was filed).
    answered = ({"event": "slot", "name": "form_exit", "value": True},
                {"event": "action_execution_rejected", "name": "complaint_form"},
                {"event": "action", "name": "action_answer_policy"}, {"event": "bot", "text": "为您找到这些相关政策"})
    again = tracker("算了，先问个政策", "ask_policy", slots={"form_exit": True}, requested_slot="complaint_category",
                    active_loop="complaint_form", after=answered)
    msgs, events = run(ValidateComplaintForm(), again)
    assert slots_of(events) == {"requested_slot": None} and msgs == []


def test_a_bare_exit_stops_the_form_at_once(world):
    msgs, events = complaint_turn("不提交了", "deny", "complaint_confirmed",
                                  slots={"contact_name": "王经理", "contact_phone": "13919191234"})
    slots = slots_of(events)
    assert slots["form_exit"] is True and slots["requested_slot"] is None
    assert not rejected(events, "complaint_form")


def test_no_comment_at_the_rating_comment_is_an_answer_not_an_exit(world):
    trk = tracker("不用了", "deny", requested_slot="rating_comment", active_loop="rating_form",
                  extracted={"rating_comment": "不用了"}, slots={"rating_ticket": "HQ-20240315-0012", "rating_value": "满意"})
    _, events = run(ValidateRatingForm(), trk)
    assert slots_of(events)["rating_comment"] == "无" and "form_exit" not in slots_of(events)


def test_exit_during_a_status_check_with_a_policy_question(world):
    trk = tracker("先不查了，修理厂开业要审批吗", "ask_policy", requested_slot="status_ticket", active_loop="status_form",
                  extracted={"status_ticket": "先不查了，修理厂开业要审批吗"})
    msgs, events = run(ValidateStatusForm(), trk)
    assert rejected(events, "status_form") and slots_of(events)["form_exit"] is True


@pytest.mark.parametrize("intent, text", [("bot_challenge", "你是机器人吗"), ("faq", "你们几点上班"),
                                          ("ask_policy", "冷链车有补贴吗")])
def test_digressions_at_the_name_step_go_to_the_rules(world, intent, text):
    msgs, events = complaint_turn(text, intent, "contact_name")
    assert rejected(events, "complaint_form") and msgs == []
    assert slots_of(events) == {"contact_name": None}  # the question was not taken as a name


def test_the_form_says_where_it_was_after_a_digression(world):
    answered = ({"event": "action_execution_rejected", "name": "complaint_form"},
                {"event": "action", "name": "utter_iamabot"}, {"event": "bot", "text": "我是……智能助手"})
    again = tracker("你是机器人吗", "bot_challenge", requested_slot="contact_name", active_loop="complaint_form",
                    slots=FILLED, after=answered)
    msgs, events = run(ValidateComplaintForm(), again)
    assert responses(msgs) == ["utter_resume_complaint_form"] and not rejected(events, "complaint_form")


@pytest.mark.parametrize("form, validator, requested", [
    ("complaint_form", ValidateComplaintForm, "complaint_description"), ("complaint_form", ValidateComplaintForm,
                                                                         "contact_name"),
    ("status_form", ValidateStatusForm, "status_ticket"), ("rating_form", ValidateRatingForm, "rating_value"),
    ("handoff_form", ValidateHandoffForm, "handoff_phone")])
@pytest.mark.parametrize("intent, entities, action", [
    ("EXTERNAL_policy_push", {"measure_id": "m1", "push_id": "7"}, "action_deliver_push"),
    ("EXTERNAL_staff_reply", {"staff_reply": "您好", "staff_name": "张伟"}, "action_staff_reply")])
def test_a_push_or_an_officials_message_during_a_form_is_never_taken_as_an_answer(world, form, validator, requested,
                                                                                   intent, entities, action):
    """Rasa records a triggered event as the user text 「EXTERNAL: <intent>」: it filled the asked slot (the
    description, the name, a ticket …) and the event itself was never said. Now the form's turn is rejected, the
    event's rule speaks, and the form says where it was before it asks again."""
    text = f"EXTERNAL: {intent}"
    trk = tracker(text, intent, entities=entities,
                  requested_slot=requested, active_loop=form, extracted={requested: text},
                  slots=FILLED if form == "complaint_form" else None)
    msgs, events = run(validator(), trk)
    assert rejected(events, form) and msgs == []
    assert slots_of(events) == {requested: None}, "the event's text must not stay in the slot"
    said = ({"event": "action_execution_rejected", "name": form}, {"event": "action", "name": action},
            {"event": "bot", "text": "……"})
    again = tracker(text, intent, requested_slot=requested, active_loop=form, after=said,
                    slots=FILLED if form == "complaint_form" else None)
    msgs, events = run(validator(), again)
    assert responses(msgs) == [f"utter_resume_{form}"] and not rejected(events, form)


def test_a_complaint_told_as_a_question_is_the_description(world):
    msgs, events = complaint_turn("为什么我的道路运输证年审三个月了还没办好", "ask_policy", "complaint_description",
                                  slots={"complaint_description": None})
    assert not rejected(events, "complaint_form")
    assert slots_of(events)["complaint_description"].startswith("为什么")


@pytest.mark.parametrize("said", ["不对", "是的", "审批服务", "好的", "不对，是审批服务", "你是机器人吗", "嗯"])
def test_a_name_is_not_a_non_answer(said):
    assert check_name(said)[0] is None


@pytest.mark.parametrize("said, name", [("王经理", "王经理"), ("我姓张", "张"), ("张伟 13912345678", "张伟"),
                                        ("联系人：李红梅", "李红梅"), ("免贵姓王", "王"), ("姓马", "马")])
def test_names_are_taken(said, name):
    assert check_name(said)[0] == name


def test_a_category_said_at_the_name_step_corrects_the_category(world):
    """Observation 2 of issue #16: 「执法检查」 at the name prompt, then 「不对，是审批服务」 — never the name 「不对」."""
    msgs, events = complaint_turn("执法检查", "nlu_fallback", "contact_name", entities={"category": "执法检查"})
    slots = slots_of(events)
    assert slots["complaint_category"] == "执法检查" and slots["contact_name"] is None
    assert slots["requested_slot"] == "contact_name" and responses(msgs) == ["utter_corrected"]
    msgs, events = complaint_turn("不对，是审批服务", "deny", "contact_name", entities={"category": "审批服务"},
                                  slots={"complaint_category": "执法检查"})
    slots = slots_of(events)
    assert slots["complaint_category"] == "审批服务" and slots["contact_name"] is None
    assert responses(msgs) == ["utter_corrected"]


def test_corrections_name_the_slot_at_any_step(world):
    # 「电话写错了，是……」 at the credit-code step
    msgs, events = complaint_turn("电话写错了，是13812345678", "inform", "complaint_credit_code",
                                  entities={"field": "contact_phone", "phone": "13812345678"},
                                  slots={"contact_name": "王经理", "contact_phone": "13919191234"})
    slots = slots_of(events)
    assert slots["contact_phone"] == "13812345678" and slots["complaint_credit_code"] is None
    assert slots["requested_slot"] == "complaint_credit_code" and responses(msgs) == ["utter_corrected"]
    # 「类别改成执法检查」 at the phone step
    _, events = complaint_turn("类别改成执法检查", "inform", "contact_phone",
                               entities={"field": "complaint_category", "category": "执法检查"},
                               slots={"contact_name": "王经理"})
    slots = slots_of(events)
    assert slots["complaint_category"] == "执法检查" and slots["contact_phone"] is None
    assert slots["requested_slot"] == "contact_phone"
    # 「名字不对」 at the phone step: the name is asked again first
    msgs, events = complaint_turn("名字不对", "deny", "contact_phone", entities={"field": "contact_name"},
                                  slots={"contact_name": "王经理"})
    slots = slots_of(events)
    assert slots["contact_name"] is None and slots["requested_slot"] == "contact_name"
    assert responses(msgs) == ["utter_correction_ask"]


def test_a_long_description_mentioning_the_phone_is_not_a_correction(world):
    text = "打了好几次窗口电话不是占线就是没人接，营运证换证的事一直没人管"
    _, events = complaint_turn(text, "file_complaint", "complaint_description", entities={"field": "contact_phone"},
                               slots={"complaint_description": None})
    assert slots_of(events)["complaint_description"] == normalize(text)


def test_asking_for_a_leader_at_the_phone_step_is_explained_not_refused(world):
    """Observation 4 of issue #16."""
    trk = tracker("我要找你们领导", "request_human", requested_slot="handoff_phone", active_loop="handoff_form",
                  extracted={"handoff_phone": "我要找你们领导"})
    msgs, events = run(ValidateHandoffForm(), trk)
    assert responses(msgs) == ["utter_handoff_needs_phone"]
    assert msgs[0]["office_hours"] == world.settings.office_hours
    assert slots_of(events)["handoff_phone"] is None


def test_a_phone_step_refuses_words(world):
    msgs, events = complaint_turn("张三", "inform", "contact_phone", slots={"contact_name": "王经理"})
    assert slots_of(events)["contact_phone"] is None and responses(msgs) == ["utter_invalid_phone"]


def test_a_form_left_with_an_exit_files_nothing_and_says_so(world):
    from actions.complaint import ActionFileComplaint

    filled = {**FILLED, "contact_name": "王经理", "contact_phone": "13919191234", "complaint_credit_code": "-",
              "form_exit": True}
    left = ({"event": "active_loop", "name": "complaint_form"}, {"event": "active_loop", "name": None})
    msgs, events = run(ActionFileComplaint(), tracker("算了", "cancel", slots=filled, history=left))
    assert responses(msgs) == ["utter_form_left_complaint_form"]
    slots = slots_of(events)
    assert slots["form_exit"] is None and slots["complaint_description"] is None and slots["contact_name"] is None
    assert world.db().execute("SELECT count(*) FROM problems").fetchone()[0] == 0
