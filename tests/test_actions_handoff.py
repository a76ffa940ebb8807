"""转人工: the hand-off lands in the ledger with the transcript for the paired official; the bot stays
silent until the official hands back or the hand-off times out; cancel clears a form."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from actions.cancel import ActionCancelForm
from actions.handoff import (ActionHandback, ActionHandoffWait, ActionRequestHuman, ActionStaffReply,
                             ValidateHandoffForm, transcript)
from ledger import clock
from ledger.handoffs import open_handoff
from test_actions_support import (DOMAIN, responses, run, shown, slots_of, texts, tracker, user_event,  # noqa: F401
                                  world)

HISTORY = [user_event("审批拖了两个月了", "file_complaint"), {"event": "bot", "text": "请问是哪一类问题？"}]


def test_logged_in_request_reaches_the_paired_official_with_the_transcript(world):
    msgs, events = run(ActionRequestHuman(), tracker("转人工", "request_human", token=world.token, history=HISTORY,
                                                     sender="conv-h1"))
    assert responses(msgs) == ["utter_handoff_to_official_with_phone"]
    assert (msgs[0]["name"], msgs[0]["office"], msgs[0]["office_hours"]) == ("李娜", "运输服务科", world.settings.office_hours)
    handoff = open_handoff(world.db(), "conv-h1")
    assert handoff["credit_code"] == world.code and handoff["official"]["login"] == "lina"
    assert "审批拖了两个月了" in handoff["transcript"] and "请问是哪一类问题" in handoff["transcript"]
    assert slots_of(events)["handoff_active"] is True


def test_anonymous_user_leaves_a_phone_first(world):
    form = ValidateHandoffForm()
    needed = asyncio.run(form.required_slots(["handoff_phone"], None, tracker("转人工", "request_human"), {}))
    assert needed == ["handoff_phone"]
    known = tracker("转人工", "request_human", slots={"contact_phone": "13912345678"})
    assert asyncio.run(form.required_slots(["handoff_phone"], None, known, {})) == []
    msgs, events = run(form, tracker("12345", "inform", requested_slot="handoff_phone", active_loop="handoff_form",
                                     extracted={"handoff_phone": "12345"}))
    assert slots_of(events)["handoff_phone"] is None and responses(msgs) == ["utter_invalid_phone"]
    msgs, _ = run(ActionRequestHuman(), tracker("13912345678", "inform", slots={"handoff_phone": "13912345678"},
                                                sender="conv-h2"))
    handoff = open_handoff(world.db(), "conv-h2")
    assert handoff["claimant_phone"] == "13912345678" and handoff["office"] in shown(msgs)


def test_bot_is_quiet_during_the_hand_off_then_times_out(world):
    run(ActionRequestHuman(), tracker("转人工", "request_human", token=world.token, sender="conv-h3"))
    now = clock.iso(clock.now())
    msgs, events = run(ActionHandoffWait(), tracker("在吗", "greet", sender="conv-h3",
                                                    slots={"handoff_active": True, "handoff_started": now}))
    assert msgs == [] and events == []
    long_ago = clock.iso(clock.now() - timedelta(days=1))
    msgs, events = run(ActionHandoffWait(), tracker("在吗", "greet", sender="conv-h3",
                                                    slots={"handoff_active": True, "handoff_started": long_ago}))
    assert responses(msgs) == ["utter_handoff_timed_out"] and slots_of(events)["handoff_active"] is False
    assert open_handoff(world.db(), "conv-h3") is None


def test_messages_left_during_the_hand_off_reach_the_official(world):
    """The bot tells the user the staff can see what they keep writing: it must be true."""
    run(ActionRequestHuman(), tracker("转人工", "request_human", token=world.token, sender="conv-h5"))
    now = clock.iso(clock.now())
    run(ActionHandoffWait(), tracker("我的车牌是甘A12345，证件还没下来", "inform", sender="conv-h5",
                                     slots={"handoff_active": True, "handoff_started": now}))
    handoff = open_handoff(world.db(), "conv-h5")
    assert "我的车牌是甘A12345，证件还没下来" in handoff["transcript"]
    notes = [r[0] for r in world.db().execute("SELECT note FROM events WHERE type = 'handoff_message' AND credit_code = ?",
                                              [world.code])]
    assert "我的车牌是甘A12345，证件还没下来" in notes


def test_official_hands_back(world):
    run(ActionRequestHuman(), tracker("转人工", "request_human", token=world.token, sender="conv-h4"))
    msgs, events = run(ActionHandback(), tracker("", "EXTERNAL_handback", sender="conv-h4",
                                                 slots={"handoff_active": True}))
    assert responses(msgs) == ["utter_handback"] and slots_of(events)["handoff_active"] is False
    assert open_handoff(world.db(), "conv-h4") is None


def test_cancel_clears_the_form_without_filing(world):
    msgs, events = run(ActionCancelForm(), tracker("算了", "cancel", slots={"complaint_description": "审批太慢了啊"}))
    assert responses(msgs) == ["utter_cancelled"]
    slots = slots_of(events)
    assert slots["complaint_description"] is None and slots["complaint_pending"] is False
    assert world.db().execute("SELECT count(*) FROM problems").fetchone()[0] == 0


def test_the_officials_message_is_said_as_theirs_and_the_hand_off_goes_on(world):
    run(ActionRequestHuman(), tracker("转人工", "request_human", token=world.token, sender="conv-h6"))
    said = "您好，我是李娜。材料請明天帶原件來，{地址}見附件"  # as written: traditional characters, braces and all
    msgs, events = run(ActionStaffReply(), tracker("", "EXTERNAL_staff_reply", sender="conv-h6",
                                                   entities={"staff_reply": said, "staff_name": "李娜"},
                                                   slots={"handoff_active": True}))
    assert responses(msgs) == ["utter_staff_reply"] and events == []  # the bot stays quiet afterwards
    assert (msgs[0]["staff_reply"], msgs[0]["staff_name"]) == (said, "李娜")
    template = DOMAIN["responses"]["utter_staff_reply"][0]["text"]
    assert template.format(staff_reply=said, staff_name="李娜") == f"工作人员（李娜）：{said}"
    assert open_handoff(world.db(), "conv-h6") is not None
    msgs, _ = run(ActionStaffReply(), tracker("", "EXTERNAL_staff_reply", sender="conv-h6", entities={"staff_name": "李娜"}))
    assert msgs == []  # nothing to say


def test_staff_events_in_the_conversation_are_not_shown_as_the_business_speaking():
    external = {**user_event("EXTERNAL: EXTERNAL_staff_reply", "EXTERNAL_staff_reply"), "metadata": {"is_external": True}}
    trk = tracker("转人工", "request_human", history=[*HISTORY, external, {"event": "bot", "text": "工作人员（李娜）：您好"}])
    lines = transcript(trk).splitlines()
    assert "企业：审批拖了两个月了" in lines and "助手：工作人员（李娜）：您好" in lines
    assert not any("EXTERNAL" in line for line in lines)
