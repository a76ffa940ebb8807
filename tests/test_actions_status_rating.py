"""查进度 and 评价 actions on a real ledger: a logged-in enterprise sees its own problems, anyone
else needs the ticket number plus the phone; 不满意 reopens the problem with an event."""
from __future__ import annotations

import asyncio

from actions.rating import ActionStartRating, ActionSubmitRating, ValidateRatingForm
from actions.status import ActionCheckStatus, ValidateStatusForm
from ledger import events as ledger_events, workflow
from ledger.actors import Actor
from ledger.problems import file_problem
from ledger.staff import get_staff
from test_actions_support import responses, run, shown, slots_of, texts, tracker, world  # noqa: F401


def file_for(world, *, enterprise: bool, description="道路运输证年审系统登不上去，耽误了三天"):
    db = world.db()
    args = {"credit_code": world.code} if enterprise else {"claimant_name": "张伟", "claimant_phone": "13912345678"}
    return file_problem(db, category="审批服务", description=description, settings=world.settings, **args)


def reply_to(world, ticket, login="lina"):
    """An official works on the problem and answers it (办理中 → 已答复)."""
    db = world.db()
    official = Actor.from_staff(get_staff(db, login))
    if login != "lina":  # not paired: the admin first hands it to the official
        workflow.assign(db, official, ticket, "lina", settings=world.settings)
        official = Actor.from_staff(get_staff(db, "lina"))
    workflow.transition(db, official, ticket, "in_progress", settings=world.settings)
    return workflow.reply(db, official, ticket, "已协调系统恢复，请重新提交年审材料。", settings=world.settings)


def test_logged_in_enterprise_sees_its_open_problems_with_due_dates(world):
    mine = file_for(world, enterprise=True)
    file_for(world, enterprise=False, description="别人的问题：出租车年审排队太久")
    msgs, events = run(ActionCheckStatus(), tracker("上周反映的事咋样了", "check_status", token=world.token))
    said = shown(msgs)
    assert responses(msgs) == ["utter_status_one"] or responses(msgs) == ["utter_status_many"]
    assert mine["ticket_no"] in said and "已交办" in said and "前答复您" in said and "李娜" in said
    assert "出租车" not in said and said.count("HQ-") == 1


def test_anonymous_status_needs_ticket_and_the_filing_phone(world):
    problem = file_for(world, enterprise=False)
    ticket = problem["ticket_no"]
    msgs, _ = run(ActionCheckStatus(), tracker("13912345678", "inform",
                                               slots={"status_ticket": ticket, "status_phone": "13912345678"}))
    assert ticket in shown(msgs) and "已受理" in shown(msgs)
    msgs, _ = run(ActionCheckStatus(), tracker("13800000000", "inform",
                                               slots={"status_ticket": ticket, "status_phone": "13800000000"}))
    assert responses(msgs) == ["utter_refused"] and ticket not in shown(msgs) and "没有找到" in shown(msgs)


def test_status_form_asks_anonymous_users_only(world):
    form = ValidateStatusForm()
    slots = ["status_ticket", "status_phone"]
    assert asyncio.run(form.required_slots(slots, None, tracker("x", "check_status"), {})) == slots
    logged_in = tracker("x", "check_status", slots={"enterprise_code": world.code})
    assert asyncio.run(form.required_slots(slots, None, logged_in, {})) == []


def test_bad_ticket_number_is_explained(world):
    trk = tracker("12345", "inform", requested_slot="status_ticket", active_loop="status_form",
                  extracted={"status_ticket": "12345"})
    msgs, events = run(ValidateStatusForm(), trk)
    assert slots_of(events)["status_ticket"] is None and responses(msgs) == ["utter_invalid_ticket"]
    trk = tracker("hq 20240315 0012", "inform", requested_slot="status_ticket", active_loop="status_form",
                  extracted={"status_ticket": "hq 20240315 0012"})
    _, events = run(ValidateStatusForm(), trk)
    assert slots_of(events)["status_ticket"] == "HQ-20240315-0012"


def test_rating_unsatisfied_reopens_with_an_event(world):
    problem = file_for(world, enterprise=True)
    reply_to(world, problem["ticket_no"])
    _, events = run(ActionStartRating(), tracker("不满意", "rate_service", token=world.token,
                                                 entities={"rating": "不满意"}))
    slots = slots_of(events)
    assert slots["rating_ticket"] == problem["ticket_no"] and slots["rating_value"] == "不满意"
    msgs, _ = run(ActionSubmitRating(), tracker("系统还是登不上", "inform", token=world.token, slots={
        **slots, "rating_comment": "系统还是登不上"}))
    assert responses(msgs) == ["utter_rating_reopened"] and msgs[0]["due"].endswith("日")
    db = world.db()
    row = db.execute("SELECT status, rating, rating_comment, id FROM problems WHERE ticket_no = ?",
                     [problem["ticket_no"]]).fetchone()
    assert row[:3] == ("reopened", "不满意", "系统还是登不上")
    types = [e["type"] for e in ledger_events.for_problem(db, row[3])]
    assert "rating" in types and types[-1] == "status"


def test_anonymous_rating_is_checked_against_the_phone(world):
    problem = file_for(world, enterprise=False)
    reply_to(world, problem["ticket_no"], login="admin1")
    ticket = problem["ticket_no"]
    base = dict(requested_slot="rating_phone", active_loop="rating_form")
    msgs, events = run(ValidateRatingForm(), tracker("13800000000", "inform", slots={"rating_ticket": ticket},
                                                     extracted={"rating_phone": "13800000000"}, **base))
    assert slots_of(events)["rating_ticket"] is None and "没有找到" in shown(msgs)
    _, events = run(ValidateRatingForm(), tracker("13912345678", "inform", slots={"rating_ticket": ticket},
                                                  extracted={"rating_phone": "13912345678"}, **base))
    assert slots_of(events)["rating_phone"] == "13912345678"
    msgs, _ = run(ActionSubmitRating(), tracker("没有", "deny", slots={
        "rating_ticket": ticket, "rating_phone": "13912345678", "rating_value": "满意", "rating_comment": "无"}))
    assert responses(msgs) == ["utter_rating_thanks"]
    status = world.db().execute("SELECT status, rating FROM problems WHERE ticket_no = ?", [ticket]).fetchone()
    assert status == ("rated", "满意")


def test_rating_words_people_use(world):
    form = ValidateRatingForm()
    for text, expected in (("还行吧", "基本满意"), ("太差了，根本没解决", "不满意"), ("挺好的，点赞", "满意"),
                           ("不是很满意", "不满意"), ("给个五星", "满意"), ("3星吧", "基本满意"),
                           ("一星，没人管", "不满意"), ("两颗星", "不满意"), ("嗯？", None)):
        trk = tracker(text, "rate_service", requested_slot="rating_value", active_loop="rating_form",
                      slots={"rating_ticket": "HQ-20240315-0012"}, extracted={"rating_value": text})
        _, events = run(form, trk)
        assert slots_of(events).get("rating_value") == expected, text


def test_nothing_to_rate_is_said_and_the_form_ends(world):
    file_for(world, enterprise=True)  # assigned, not replied yet
    msgs, events = run(ActionStartRating(), tracker("我要评价", "rate_service", token=world.token))
    assert responses(msgs) == ["utter_rating_none_pending"]
    assert slots_of(events)["rating_value"] == "-"


def test_fresh_forms_are_not_scolded_for_empty_slots(world):
    """A form starting with cleared slots validates them silently and just asks its first question."""
    from actions.complaint import ValidateComplaintForm
    from actions.handoff import ValidateHandoffForm

    cleared = {"status_ticket": None, "status_phone": None}
    msgs, _ = run(ValidateStatusForm(), tracker("查进度", "check_status", active_loop="status_form", extracted=cleared))
    assert msgs == []
    cleared = {"rating_ticket": None, "rating_phone": None, "rating_value": None, "rating_comment": None}
    msgs, _ = run(ValidateRatingForm(), tracker("我要评价", "rate_service", active_loop="rating_form",
                                                extracted=cleared))
    assert msgs == []
    cleared = {s: None for s in ("complaint_category", "complaint_description", "contact_name", "contact_phone",
                                 "complaint_credit_code", "complaint_confirmed")}
    msgs, _ = run(ValidateComplaintForm(), tracker("我要投诉", "file_complaint", active_loop="complaint_form",
                                                   extracted=cleared))
    assert msgs == []
    msgs, _ = run(ValidateHandoffForm(), tracker("转人工", "request_human", active_loop="handoff_form",
                                                 extracted={"handoff_phone": None}))
    assert msgs == []


def test_anonymous_rating_of_an_unanswered_problem_ends_at_once(world):
    problem = file_for(world, enterprise=False)  # received, not answered
    trk = tracker(problem["ticket_no"], "inform", slots={"rating_phone": "13912345678"}, requested_slot="rating_ticket",
                  active_loop="rating_form", extracted={"rating_ticket": problem["ticket_no"]})
    msgs, events = run(ValidateRatingForm(), trk)
    assert responses(msgs) == ["utter_rating_not_yet"]
    assert slots_of(events)["rating_value"] == "-"  # the form ends without asking for a rating
