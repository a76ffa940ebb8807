"""Policy answers, pushes and the greeting on a real policy base (curated measures, real
embeddings) and a real ledger."""
from __future__ import annotations

import pytest

from actions.greeting import ActionGreet
from actions.policy import ActionAnswerPolicy, ActionMeasureDetail, ActionMorePolicies, ActionPolicyFallback
from actions.push_actions import ActionListPushes, ActionOptOutPush, ActionReportApplied
from huiqi.settings import get_settings
from ledger import pushes
from test_actions_support import build_world, policy_template, run, slots_of, texts, tracker


@pytest.fixture
def pworld(tmp_path, monkeypatch, tmp_path_factory):
    w = build_world(tmp_path, monkeypatch, with_policies=policy_template(tmp_path_factory))
    yield w
    get_settings.cache_clear()


def test_anonymous_question_gets_three_measures_with_lead_how_and_source(pworld):
    msgs, events = run(ActionAnswerPolicy(), tracker("我们跑冷链的，过路费有优惠没", "ask_policy"))
    said = texts(msgs)
    assert "1. " in said and "3. " in said and "4. " not in said
    assert "通行费" in said.split("2. ")[0]  # the first answer is about tolls
    assert "牵头" in said and "怎么享受" in said and "依据" in said and "更多" in said
    slots = slots_of(events)
    assert len(slots["policy_results"]) > 3 and slots["policy_shown"] == 3


def test_traditional_characters_get_the_same_answer(pworld):
    simple, _ = run(ActionAnswerPolicy(), tracker("货车过路费有优惠吗", "ask_policy"))
    trad, _ = run(ActionAnswerPolicy(), tracker("貨車過路費有優惠嗎", "ask_policy"))
    assert texts(simple) == texts(trad)


def test_more_then_details_of_a_listed_measure(pworld):
    _, events = run(ActionAnswerPolicy(), tracker("货车过路费有优惠吗", "ask_policy"))
    slots = slots_of(events)
    msgs, more = run(ActionMorePolicies(), tracker("更多", "more_results", slots=slots))
    assert "4. " in texts(msgs) and "1. " not in texts(msgs)
    assert slots_of(more)["policy_shown"] == 6
    msgs, _ = run(ActionMeasureDetail(), tracker("第二条怎么申请", "ask_measure_detail",
                                                 slots={**slots, "policy_shown": 6}))
    said = texts(msgs)
    second = pworld_get(slots["policy_results"][1])
    assert said.startswith(f"第2条：{second['title']}") and "怎么享受" in said
    msgs, _ = run(ActionMeasureDetail(), tracker("第十条呢", "ask_measure_detail", slots=slots))
    assert "第1到第" in texts(msgs)


def pworld_get(measure_id):
    from actions import context

    return context.policy_base().get(measure_id)


def test_logged_in_enterprise_gets_its_matched_measures(pworld):
    msgs, events = run(ActionAnswerPolicy(), tracker("有什么政策", "ask_policy", token=pworld.token))
    said = texts(msgs)
    assert "兰州顺达冷链物流有限公司" in said
    from actions import context

    base = context.policy_base()
    for mid in slots_of(events)["policy_results"]:
        inds = base.get(mid)["conditions"]["industries"]
        assert not inds or "道路货运" in inds  # never a measure for another trade


def test_fallback_tries_policies_then_offers_the_menu(pworld):
    msgs, events = run(ActionPolicyFallback(), tracker("ETC那个优惠", "nlu_fallback"))
    assert "是不是想问" in texts(msgs) and slots_of(events)["policy_results"]
    msgs, _ = run(ActionPolicyFallback(), tracker("啊啊啊", "nlu_fallback"))
    assert msgs[-1].get("buttons") and "没太听懂" in texts(msgs)
    history = [{"event": "user", "text": "ETC那个", "parse_data": {}}, {"event": "action", "name": "action_policy_fallback"},
               {"event": "action", "name": "action_listen"}]
    msgs, _ = run(ActionPolicyFallback(), tracker("ETC那个优惠", "nlu_fallback", history=history))
    assert msgs[-1].get("buttons") and "还是没弄明白" in texts(msgs)


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
    assert "您好" in texts(msgs) and "惠企通" in texts(msgs) and "新的惠企政策" not in texts(msgs)
    push_two(pworld)
    msgs, events = run(ActionGreet(), tracker("你好", "greet", token=pworld.token))
    assert "您有2条新的惠企政策" in texts(msgs) and "兰州顺达冷链物流有限公司" in texts(msgs)
    assert slots_of(events)["enterprise_code"] == pworld.code
    msgs, _ = run(ActionGreet(), tracker("你好", "greet", token=pworld.token + "x"))
    assert "新的惠企政策" not in texts(msgs)  # a forged token binds nothing


def test_list_pushes_then_report_applied_moves_the_funnel(pworld):
    made = push_two(pworld)
    msgs, events = run(ActionListPushes(), tracker("看看推送", "list_pushes", token=pworld.token))
    assert made[0]["measure_title"] in texts(msgs)
    db = pworld.db()
    assert {p["status"] for p in pushes.list_pushes(db, pworld.code)} <= {"delivered"}
    slots = slots_of(events)
    msgs, _ = run(ActionReportApplied(), tracker("第1条已经申请了", "report_applied", token=pworld.token, slots=slots))
    first = pushes.get_push(pworld.db(), [p for p in made if p["measure_id"] == slots["policy_results"][0]][0]["id"])
    expected_word = {"applied": "已申请", "to_confirm": "免申即享"}
    assert first["status"] in expected_word and expected_word[first["status"]] in texts(msgs)


def test_anonymous_users_are_asked_to_log_in_for_pushes(pworld):
    msgs, _ = run(ActionListPushes(), tracker("看看推送", "list_pushes"))
    assert "登录" in texts(msgs)


def test_opt_out_is_recorded(pworld):
    msgs, _ = run(ActionOptOutPush(), tracker("别推送了", "opt_out_push", token=pworld.token))
    assert "全部政策推送" in texts(msgs)
    assert pushes.is_opted_out(pworld.db(), pworld.code, "任何类别")
    msgs, _ = run(ActionOptOutPush(), tracker("不要推送融资的", "opt_out_push", token=pworld.token))
    assert "融资" in texts(msgs)


def test_expired_login_is_told_and_not_trusted(pworld):
    from huiqi import tokens

    expired = tokens.issue(pworld.code, "enterprise", pworld.settings.model_copy(update={"token_minutes": -1}))
    msgs, events = run(ActionGreet(), tracker("你好", "greet", token=expired))
    assert "登录已过期" in texts(msgs) and slots_of(events)["enterprise_code"] is None


def test_a_push_triggered_into_the_conversation_is_shown_and_delivered(pworld):
    from actions.push_actions import ActionDeliverPush

    made = push_two(pworld)
    history = [{"event": "user", "text": "你好", "parse_data": {}, "metadata": {"token": pworld.token}}]
    msgs, events = run(ActionDeliverPush(), tracker("", "EXTERNAL_policy_push", entities={"push_id": str(made[0]["id"])},
                                                    history=history))
    assert made[0]["measure_title"] in texts(msgs) and "退订" in texts(msgs)
    assert pushes.get_push(pworld.db(), made[0]["id"])["status"] == "delivered"
    assert slots_of(events)["policy_results"][0] == made[0]["measure_id"]
    other = tracker("", "EXTERNAL_policy_push", entities={"push_id": str(made[0]["id"])})  # nobody logged in
    assert run(ActionDeliverPush(), other)[0] == []


def test_anonymous_benefit_question_without_a_trade_asks_which_industry(pworld):
    msgs, events = run(ActionAnswerPolicy(), tracker("有什么补贴政策", "ask_policy"))
    assert "您是哪个行业" in texts(msgs)
    buttons = [b for m in msgs for b in (m.get("buttons") or [])]
    assert {"道路货运", "机动车维修", "网约车/出租"} <= {b["title"] for b in buttons}
    assert all(b["payload"].startswith("/ask_policy{") for b in buttons)


def test_the_industry_button_lists_measures_for_that_trade(pworld):
    payload = '/ask_policy{"industry": "道路货运"}'
    msgs, events = run(ActionAnswerPolicy(), tracker(payload, "ask_policy", entities={"industry": "道路货运"}))
    said = texts(msgs)
    assert "1. " in said and "通行费" in said
    assert slots_of(events)["policy_results"]


def test_a_benefit_question_naming_the_trade_is_answered_at_once(pworld):
    msgs, _ = run(ActionAnswerPolicy(), tracker("我们是货运公司，有什么补贴政策？", "ask_policy"))
    said = texts(msgs)
    assert "您是哪个行业" not in said and "通行费" in said.split("2. ")[0]


def test_a_logged_in_business_sees_why_each_matched_measure_fits(pworld):
    msgs, _ = run(ActionAnswerPolicy(), tracker("有什么补贴政策", "ask_policy", token=pworld.token))
    said = texts(msgs)
    assert "适合贵" in said or "这些政策适合您" in said
    assert "适合原因：" in said and "行业：道路货运" in said
