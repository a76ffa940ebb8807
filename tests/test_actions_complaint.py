"""Complaint intake actions: pre-filling, re-asks for bad input, corrections at the confirmation,
filing into the real ledger (anonymous and logged in), and keeping the data when the write fails."""
from __future__ import annotations


from actions.complaint import (ActionAskComplaintConfirmed, ActionFileComplaint, ActionStartComplaint,
                               ValidateComplaintForm)
from huiqi.settings import get_settings
from ledger.actors import Actor
from ledger.problems import find_for_claimant, get_problem, list_problems
from test_actions_support import build_world, responses, run, slots_of, tracker, world  # noqa: F401

FILLED = {"complaint_category": "审批服务", "complaint_description": "道路运输证换证拖了两个月还没办下来",
          "contact_name": "张伟", "contact_phone": "13912345678", "complaint_credit_code": "-"}


def validate(text, intent, extracted, *, entities=None, slots=None, requested, token=None):
    trk = tracker(text, intent, entities=entities, slots={**FILLED, **(slots or {})}, token=token,
                  requested_slot=requested, active_loop="complaint_form", extracted=extracted)
    msgs, events = run(ValidateComplaintForm(), trk)
    return responses(msgs), slots_of(events)


def test_opening_message_prefills_category_and_description(world):
    msgs, events = run(ActionStartComplaint(), tracker("审批拖了两个月了我要投诉", "file_complaint",
                                                       entities={"category": "审批服务"}))
    slots = slots_of(events)
    assert slots["complaint_category"] == "审批服务"
    assert slots["complaint_description"] == "审批拖了两个月了我要投诉"
    assert slots["complaint_confirmed"] is None and slots["complaint_pending"] is False


def test_a_bare_request_prefills_nothing_but_a_logged_in_contact(world):
    _, events = run(ActionStartComplaint(), tracker("我要投诉", "file_complaint", token=world.token))
    slots = slots_of(events)
    assert slots["complaint_description"] is None and slots["complaint_category"] is None
    assert (slots["contact_name"], slots["contact_phone"]) == ("王强", "13993112345")
    assert slots["enterprise_code"] == world.code


def test_bad_phone_is_asked_again_in_chinese(world):
    said, slots = validate("1391234", "inform", {"contact_phone": "1391234"}, requested="contact_phone",
                           slots={"contact_phone": None})
    assert slots["contact_phone"] is None
    assert said == ["utter_invalid_phone"]
    said, slots = validate("我的电话 139 1234 5678", "inform", {"contact_phone": "我的电话 139 1234 5678"},
                           requested="contact_phone", slots={"contact_phone": None})
    assert slots["contact_phone"] == "13912345678" and said == []


def test_credit_code_with_wrong_check_digit_is_asked_again(world):
    good = world.code
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    said, slots = validate(wrong, "inform", {"complaint_credit_code": wrong}, requested="complaint_credit_code",
                           slots={"complaint_credit_code": None})
    assert slots["complaint_credit_code"] is None and said == ["utter_invalid_credit_code"]
    _, slots = validate(good.lower(), "inform", {"complaint_credit_code": good.lower()},
                        requested="complaint_credit_code", slots={"complaint_credit_code": None})
    assert slots["complaint_credit_code"] == good
    _, slots = validate("跳过", "inform", {"complaint_credit_code": "跳过"}, requested="complaint_credit_code",
                        slots={"complaint_credit_code": None})
    assert slots["complaint_credit_code"] == "-"


def test_too_short_description_is_asked_again(world):
    said, slots = validate("太慢", "file_complaint", {"complaint_description": "太慢"},
                           requested="complaint_description", slots={"complaint_description": None})
    assert slots["complaint_description"] is None and said == ["utter_invalid_description_short"]


def test_unknown_category_offers_the_list(world):
    said, slots = validate("不知道", "inform", {"complaint_category": "不知道"}, requested="complaint_category",
                           slots={"complaint_category": None})
    assert slots["complaint_category"] is None and said == ["utter_invalid_complaint_category"]


def test_confirmation_shows_everything(world):
    msgs, _ = run(ActionAskComplaintConfirmed(), tracker("张伟", "inform", slots=FILLED))
    assert responses(msgs) == ["utter_complaint_summary"]
    for value in ("审批服务", "道路运输证换证拖了两个月", "张伟", "13912345678"):
        assert value in msgs[0]["summary"]


def test_corrections_at_the_confirmation(world):
    # a new phone number: the mapping filled it, the form shows the summary again
    _, slots = validate("电话改成13812345678", "inform",
                        {"contact_phone": "13812345678", "complaint_confirmed": "电话改成13812345678"},
                        entities={"phone": "13812345678", "field": "contact_phone"}, requested="complaint_confirmed")
    assert slots["contact_phone"] == "13812345678" and slots["complaint_confirmed"] is None
    # "描述改成 …" replaces the description in one go
    _, slots = validate("描述改成：道路运输证年审网上系统一直登不上去", "inform",
                        {"complaint_confirmed": "描述改成：道路运输证年审网上系统一直登不上去"},
                        entities={"field": "complaint_description"}, requested="complaint_confirmed")
    assert slots["complaint_description"] == "道路运输证年审网上系统一直登不上去"
    # naming only the field clears it so that the form asks for it again
    _, slots = validate("联系人写错了", "inform", {"complaint_confirmed": "联系人写错了"},
                        entities={"field": "contact_name"}, requested="complaint_confirmed")
    assert slots["contact_name"] is None and slots["complaint_confirmed"] is None
    # "不对" asks which field
    said, slots = validate("不对", "deny", {"complaint_confirmed": "不对"}, requested="complaint_confirmed")
    assert slots["complaint_confirmed"] is None and said == ["utter_which_field_to_change"]
    _, slots = validate("确认", "affirm", {"complaint_confirmed": "确认"}, requested="complaint_confirmed")
    assert slots["complaint_confirmed"] is True


def test_logged_in_enterprise_is_not_asked_for_a_credit_code(world):
    import asyncio

    form = ValidateComplaintForm()
    trk = tracker("x", "inform", slots={"enterprise_code": world.code})
    needed = asyncio.run(form.required_slots(["complaint_category", "complaint_credit_code", "complaint_confirmed"],
                                             None, trk, {}))
    assert "complaint_credit_code" not in needed


def test_anonymous_complaint_is_filed_with_ticket_office_and_due_date(world):
    msgs, events = run(ActionFileComplaint(), tracker("确认", "affirm", slots={**FILLED, "complaint_confirmed": True}))
    assert responses(msgs) == ["utter_complaint_filed"]
    ticket, due = msgs[0]["ticket_no"], msgs[0]["due"]
    assert ticket.startswith("HQ-") and "月" in due and due.endswith("日")
    db = world.db()
    problem = find_for_claimant(db, ticket, "13912345678")
    assert problem["category"] == "审批服务" and problem["credit_code"] is None
    assert "两个月" in problem["description"] and problem["claimant_name"] == "张伟"
    assert problem["office"] in msgs[0]["handler"]
    slots = slots_of(events)
    assert slots["complaint_description"] is None and slots["complaint_pending"] is False


def test_logged_in_complaint_goes_into_the_dossier_and_to_the_paired_official(world):
    slots = {**FILLED, "complaint_credit_code": None, "enterprise_code": world.code, "complaint_confirmed": True}
    msgs, _ = run(ActionFileComplaint(), tracker("确认", "affirm", slots=slots, token=world.token))
    assert responses(msgs) == ["utter_complaint_filed"] and "李娜" in msgs[0]["handler"]
    ticket = msgs[0]["ticket_no"]
    problem = get_problem(world.db(), Actor.enterprise(world.code), ticket)
    assert problem["credit_code"] == world.code and problem["status"] == "assigned"


def test_self_reported_credit_code_is_kept_but_not_trusted(world):
    slots = {**FILLED, "complaint_credit_code": world.code, "complaint_confirmed": True}
    msgs, _ = run(ActionFileComplaint(), tracker("确认", "affirm", slots=slots))
    assert responses(msgs) == ["utter_complaint_filed"]
    ticket = msgs[0]["ticket_no"]
    problem = find_for_claimant(world.db(), ticket, "13912345678")
    assert problem["credit_code"] is None and problem["claimed_credit_code"] == world.code
    assert problem["description"] == FILLED["complaint_description"]  # only what the user wrote
    assert problem["claimed_credit_code_label"] == "反映人自报统一社会信用代码（未核验）"
    assert problem["claimed_enterprise"] == {"credit_code": world.code, "name": "兰州顺达冷链物流有限公司",
                                             "verified": False}
    # the enterprise with that code does not get the claimant's problem in its own records
    assert ticket not in {p["ticket_no"] for p in list_problems(world.db(), Actor.enterprise(world.code))}


def test_skipped_credit_code_is_stored_as_none(world):
    msgs, _ = run(ActionFileComplaint(), tracker("确认", "affirm", slots={**FILLED, "complaint_confirmed": True}))
    assert responses(msgs) == ["utter_complaint_filed"]
    ticket = msgs[0]["ticket_no"]
    problem = find_for_claimant(world.db(), ticket, "13912345678")
    assert problem["claimed_credit_code"] is None and problem["claimed_credit_code_label"] is None
    assert problem["description"] == FILLED["complaint_description"]


def test_failed_write_says_so_and_keeps_everything_for_a_retry(tmp_path, monkeypatch):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "ledger.sqlite3").mkdir()  # the ledger file cannot be opened
    monkeypatch.setenv("HUIQI_DATA_DIR", str(broken))
    get_settings.cache_clear()
    try:
        msgs, events = run(ActionFileComplaint(), tracker("确认", "affirm", slots={**FILLED, "complaint_confirmed": True}))
    finally:
        get_settings.cache_clear()
    assert responses(msgs) == ["utter_complaint_save_failed"]
    slots = slots_of(events)
    assert slots == {"complaint_pending": True}  # no field was cleared


def _form_started(at: float) -> tuple:
    return ({"event": "action", "name": "action_start_complaint", "timestamp": at},
            {"event": "active_loop", "name": "complaint_form", "timestamp": at + 0.01})


def _count(db, sender: str) -> int:
    return db.execute("SELECT count(*) FROM problems WHERE filing_key LIKE ?", [f"chat:{sender}:%"]).fetchone()[0]


def test_a_repeated_confirmation_returns_the_ticket_already_filed(world):
    confirmed = {**FILLED, "complaint_confirmed": True}
    first = tracker("确认", "affirm", slots=confirmed, sender="conv-dup", history=_form_started(1733300000.25))
    msgs, _ = run(ActionFileComplaint(), first)
    assert responses(msgs) == ["utter_complaint_filed"]
    ticket = msgs[0]["ticket_no"]
    # The reply was lost (Rasa killed after the ledger write): the same form instance confirms again.
    again, events = run(ActionFileComplaint(), first)
    assert again == [{**again[0], "response": "utter_complaint_already_filed", "ticket_no": ticket}]
    assert slots_of(events)["complaint_pending"] is False and slots_of(events)["complaint_description"] is None
    # Even once the form's slots were cleared, a stray 确认 names the ticket instead of filing nothing or twice.
    cleared = tracker("确认", "affirm", sender="conv-dup", history=_form_started(1733300000.25))
    late, _ = run(ActionFileComplaint(), cleared)
    assert late[0]["response"] == "utter_complaint_already_filed" and late[0]["ticket_no"] == ticket
    assert _count(world.db(), "conv-dup") == 1
    # A new complaint in the same conversation is a new form instance: a new ticket.
    second = tracker("确认", "affirm", slots=confirmed, sender="conv-dup",
                     history=(*_form_started(1733300000.25), *_form_started(1733300900.5)))
    msgs, _ = run(ActionFileComplaint(), second)
    assert responses(msgs) == ["utter_complaint_filed"] and msgs[0]["ticket_no"] != ticket
    assert _count(world.db(), "conv-dup") == 2


def test_a_filing_the_ledger_refuses_says_why_and_keeps_the_form(world):
    slots = {**FILLED, "contact_phone": "12345", "complaint_confirmed": True}
    msgs, events = run(ActionFileComplaint(), tracker("确认", "affirm", slots=slots, sender="conv-bad"))
    assert responses(msgs) == ["utter_complaint_cannot_file"] and "电话" in msgs[0]["reason"]
    assert slots_of(events) == {"complaint_pending": True}  # no field was cleared
    assert world.db().execute("SELECT count(*) FROM problems").fetchone()[0] == 0


def test_a_confirmation_with_nothing_to_file_files_nothing(world):
    msgs, events = run(ActionFileComplaint(), tracker("确认", "affirm", sender="conv-empty"))
    assert responses(msgs) == ["utter_complaint_nothing_to_file"]
    assert slots_of(events) == {"complaint_pending": False}
    assert world.db().execute("SELECT count(*) FROM problems").fetchone()[0] == 0
