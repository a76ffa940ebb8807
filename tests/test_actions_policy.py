"""Policy answers, pushes and the greeting on a real policy base (curated measures, real
embeddings) and a real ledger."""
from __future__ import annotations

import re

import pytest

from huiqi.token_digest import chat_metadata
from actions.greeting import ActionGreet
from actions.policy import ActionAnswerPolicy, ActionMeasureDetail, ActionMorePolicies, ActionPolicyFallback
from actions.push_actions import ActionListPushes, ActionOptOutPush, ActionReportApplied
from huiqi.settings import get_settings
from ledger import pushes
from test_actions_support import build_world, policy_template, responses, run, shown, slots_of, tracker


@pytest.fixture
def pworld(tmp_path, monkeypatch, tmp_path_factory):
    w = build_world(tmp_path, monkeypatch, with_policies=policy_template(tmp_path_factory))
    yield w
    get_settings.cache_clear()


def test_anonymous_question_gets_three_measures_with_lead_how_and_source(pworld):
    msgs, events = run(ActionAnswerPolicy(), tracker("我们跑冷链的，过路费有优惠没", "ask_policy"))
    assert responses(msgs) == ["utter_policy_found_head", "utter_policy_measures", "utter_policy_page_tips_more"]
    said = msgs[1]["measures"]
    assert "1. " in said and "3. " in said and "4. " not in said
    assert "通行费" in said.split("2. ")[0]  # the first answer is about tolls
    assert "牵头" in said and "怎么享受" in said and "依据" in said
    slots = slots_of(events)
    assert len(slots["policy_results"]) > 3 and slots["policy_shown"] == 3


def test_traditional_characters_get_the_same_answer(pworld):
    simple, _ = run(ActionAnswerPolicy(), tracker("货车过路费有优惠吗", "ask_policy"))
    trad, _ = run(ActionAnswerPolicy(), tracker("貨車過路費有優惠嗎", "ask_policy"))
    assert simple == trad and responses(simple)[1] == "utter_policy_measures"


def test_more_then_details_of_a_listed_measure(pworld):
    _, events = run(ActionAnswerPolicy(), tracker("货车过路费有优惠吗", "ask_policy"))
    slots = slots_of(events)
    msgs, more = run(ActionMorePolicies(), tracker("更多", "more_results", slots=slots))
    assert responses(msgs) == ["utter_policy_measures", "utter_policy_page_tips_more"]
    assert "4. " in msgs[0]["measures"] and "1. " not in msgs[0]["measures"]
    assert slots_of(more)["policy_shown"] == 6
    msgs, _ = run(ActionMeasureDetail(), tracker("第二条怎么申请", "ask_measure_detail",
                                                 slots={**slots, "policy_shown": 6}))
    assert responses(msgs) == ["utter_measure_detail"]
    said = msgs[0]["measure"]
    second = pworld_get(slots["policy_results"][1])
    assert said.startswith(f"第2条：{second['title']}") and "怎么享受" in said
    msgs, _ = run(ActionMeasureDetail(), tracker("第十条呢", "ask_measure_detail", slots=slots))
    assert responses(msgs) == ["utter_measure_out_of_range"] and msgs[0]["total"] == len(slots["policy_results"])


def pworld_get(measure_id):
    from actions import context

    return context.policy_base().get(measure_id)


def test_logged_in_enterprise_gets_its_matched_measures(pworld):
    msgs, events = run(ActionAnswerPolicy(), tracker("有什么政策", "ask_policy", token=pworld.token))
    assert responses(msgs)[:2] == ["utter_policy_matched_head", "utter_policy_measures"]
    assert msgs[0]["enterprise_name"] == "兰州顺达冷链物流有限公司"
    from actions import context

    base = context.policy_base()
    for mid in slots_of(events)["policy_results"]:
        inds = base.get(mid)["conditions"]["industries"]
        assert not inds or "道路货运" in inds  # never a measure for another trade


def test_fallback_tries_policies_then_offers_the_menu(pworld):
    msgs, events = run(ActionPolicyFallback(), tracker("ETC那个优惠", "nlu_fallback"))
    assert responses(msgs) == ["utter_fallback_policies", "utter_policy_measures", "utter_fallback_policies_tail"]
    assert slots_of(events)["policy_results"] and "1. " in msgs[1]["measures"]
    msgs, _ = run(ActionPolicyFallback(), tracker("啊啊啊", "nlu_fallback"))
    assert msgs[-1].get("buttons") and responses(msgs) == ["utter_fallback_menu"]
    history = [{"event": "user", "text": "ETC那个", "parse_data": {}}, {"event": "action", "name": "action_policy_fallback"},
               {"event": "action", "name": "action_listen"}]
    msgs, _ = run(ActionPolicyFallback(), tracker("ETC那个优惠", "nlu_fallback", history=history))
    assert msgs[-1].get("buttons") and responses(msgs) == ["utter_fallback_menu_again"]


def push_two(world):
    from actions import context

    base = context.policy_base()
    found = base.match({"credit_code": world.code, "name": "x", "industry": "道路货运", "size": "小",
                        "region": "甘肃省/兰州市/城关区", "ownership": "", "tags": [], "registered_on": None},
                       top_k=2)
    db = world.db()
    made = [pushes.record_push(db, world.code, m["measure_id"], 1, m["title"])[0] for m in found]
    return made


def test_greeting_is_chinese_and_mentions_pending_pushes(pworld):
    msgs, _ = run(ActionGreet(), tracker("你好", "greet"))
    assert responses(msgs) == ["utter_greet_anonymous"] and msgs[0].get("buttons")
    push_two(pworld)
    msgs, events = run(ActionGreet(), tracker("你好", "greet", token=pworld.token))
    assert responses(msgs) == ["utter_greet_enterprise_pushes"] and msgs[0]["count"] == 2
    assert msgs[0]["enterprise_name"] == "兰州顺达冷链物流有限公司"
    assert slots_of(events)["enterprise_code"] == pworld.code
    msgs, _ = run(ActionGreet(), tracker("你好", "greet", token=pworld.token + "x"))
    # a forged token binds nothing: no enterprise, no pushes
    assert responses(msgs) in (["utter_greet_anonymous"], ["utter_greet_login_expired"]) and "count" not in msgs[0]


def test_list_pushes_then_report_applied_moves_the_funnel(pworld):
    made = push_two(pworld)
    msgs, events = run(ActionListPushes(), tracker("看看推送", "list_pushes", token=pworld.token))
    assert responses(msgs) == ["utter_pushes_list", "utter_pushes_list_tips"]
    assert made[0]["measure_title"] in msgs[0]["measures"] and msgs[0]["enterprise_name"] == "兰州顺达冷链物流有限公司"
    db = pworld.db()
    assert {p["status"] for p in pushes.list_pushes(db, pworld.code)} <= {"delivered"}
    slots = slots_of(events)
    msgs, _ = run(ActionReportApplied(), tracker("第1条已经申请了", "report_applied", token=pworld.token, slots=slots))
    first = pushes.get_push(pworld.db(), [p for p in made if p["measure_id"] == slots["policy_results"][0]][0]["id"])
    expected = {"applied": "utter_push_applied", "to_confirm": "utter_push_to_confirm"}
    assert first["status"] in expected and responses(msgs) == [expected[first["status"]]]
    assert msgs[0]["measure_title"] == first["measure_title"]


def test_anonymous_users_are_asked_to_log_in_for_pushes(pworld):
    msgs, _ = run(ActionListPushes(), tracker("看看推送", "list_pushes"))
    assert responses(msgs) == ["utter_push_login_needed"]


def test_opt_out_is_recorded(pworld):
    msgs, _ = run(ActionOptOutPush(), tracker("别推送了", "opt_out_push", token=pworld.token))
    assert responses(msgs) == ["utter_push_opted_out_all"]
    assert pushes.is_opted_out(pworld.db(), pworld.code, "任何类别")
    msgs, _ = run(ActionOptOutPush(), tracker("不要推送融资的", "opt_out_push", token=pworld.token))
    assert responses(msgs) == ["utter_push_opted_out_category"] and "融资" in msgs[0]["category"]


def test_expired_login_is_told_and_not_trusted(pworld):
    from huiqi import tokens
    from ledger import auth_sessions
    from ledger.db import connect

    db = connect(settings=pworld.settings)
    expired = auth_sessions.issue_token(db, pworld.code, "enterprise",
                                        pworld.settings.model_copy(update={"token_minutes": -1}))
    db.close()
    msgs, events = run(ActionGreet(), tracker("你好", "greet", token=expired))
    assert responses(msgs) == ["utter_greet_login_expired"] and slots_of(events)["enterprise_code"] is None
    # a well-signed token we never issued a session for is no log-in either
    unknown = tokens.issue(pworld.code, "enterprise", pworld.settings)
    msgs, events = run(ActionGreet(), tracker("你好", "greet", token=unknown))
    assert responses(msgs) == ["utter_greet_login_expired"] and slots_of(events)["enterprise_code"] is None


def test_a_push_triggered_into_the_conversation_is_shown_and_delivered(pworld):
    from actions.push_actions import ActionDeliverPush

    made = push_two(pworld)
    history = [{"event": "user", "text": "你好", "parse_data": {}, "metadata": chat_metadata({"token": pworld.token})}]
    msgs, events = run(ActionDeliverPush(), tracker("", "EXTERNAL_policy_push", entities={"push_id": str(made[0]["id"])},
                                                    history=history))
    assert responses(msgs) == ["utter_push_delivered", "utter_push_delivered_tips"]
    assert made[0]["measure_title"] in msgs[0]["measure"] and msgs[0]["measure"].startswith("1. ")
    assert msgs[1]["number"] == 1
    assert pushes.get_push(pworld.db(), made[0]["id"])["status"] == "delivered"
    assert slots_of(events)["policy_results"][0] == made[0]["measure_id"]
    other = tracker("", "EXTERNAL_policy_push", entities={"push_id": str(made[0]["id"])})  # nobody logged in
    assert run(ActionDeliverPush(), other)[0] == []


def test_anonymous_benefit_question_without_a_trade_asks_which_industry(pworld):
    msgs, events = run(ActionAnswerPolicy(), tracker("有什么补贴政策", "ask_policy"))
    assert responses(msgs) == ["utter_ask_industry"]
    buttons = [b for m in msgs for b in (m.get("buttons") or [])]
    assert {"道路货运", "机动车维修", "网约车/出租"} <= {b["title"] for b in buttons}
    assert all(b["payload"].startswith("/ask_policy{") for b in buttons)


def test_the_industry_button_lists_measures_for_that_trade(pworld):
    payload = '/ask_policy{"industry": "道路货运"}'
    msgs, events = run(ActionAnswerPolicy(), tracker(payload, "ask_policy", entities={"industry": "道路货运"}))
    said = shown(msgs)
    assert "utter_policy_measures" in responses(msgs) and "1. " in said and "通行费" in said
    assert slots_of(events)["policy_results"]


def test_a_benefit_question_naming_the_trade_is_answered_at_once(pworld):
    msgs, _ = run(ActionAnswerPolicy(), tracker("我们是货运公司，有什么补贴政策？", "ask_policy"))
    assert responses(msgs)[:2] == ["utter_policy_found_head", "utter_policy_measures"]
    assert "通行费" in msgs[1]["measures"].split("2. ")[0]


def test_a_logged_in_business_sees_why_each_matched_measure_fits(pworld):
    msgs, _ = run(ActionAnswerPolicy(), tracker("有什么补贴政策", "ask_policy", token=pworld.token))
    said = shown(msgs)
    assert responses(msgs)[0] == "utter_policy_matched_head"
    assert "适合原因：" in said and "行业：道路货运" in said


def test_the_actions_say_nothing_outside_the_domain_responses():
    """Every sentence the bot says is a named response in bot/domain.yml (issue #16 item 3)."""
    from pathlib import Path

    import actions

    said_as_text = [p.name for p in sorted(Path(actions.__file__).parent.glob("*.py"))
                    if re.search(r"utter_message\(\s*(text\s*=|f?[\"'])", p.read_text("utf-8"))]
    assert said_as_text == []
