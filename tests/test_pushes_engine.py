"""The push engine on real parts: a PolicyBase (curated measures, the e5 model), the demo ledger."""
from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta, timezone

import pytest

from huiqi.settings import Settings
from ledger import chat_sessions, events, pushes as ledger_pushes
from ledger.actors import Actor
from ledger.db import connect
from ledger.demo import ENTERPRISES, credit_code_of, seed_demo
from policies_kb import pushes
from policies_kb.base import PolicyBase

FREIGHT = {credit_code_of(e[0]) for e in ENTERPRISES if e[2] == "道路货运"}
REPAIR = credit_code_of("anning_repair")
LUGANG = credit_code_of("lugang")  # 物流仓储, 中, 专精特新

FREIGHT_MEASURE = {
    "title": "道路货运企业新能源货车购置补贴",
    "text": "对本地道路货运企业新购置新能源货车的，按每辆车给予购置补贴，用于降低货运企业车辆更新成本。"
            "企业在车辆登记后三个月内向交通运输局提交购车发票和行驶证申请。",
    "conditions": {"industries": ["道路货运"]},
    "redemption_mode": "依申请",
    "how_to_apply": "车辆登记后三个月内向所在地交通运输局提交申请。",
    "tags": ["新能源", "道路货运"],
}


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    """A data dir with the demo ledger and the curated policy base, built once."""
    root = tmp_path_factory.mktemp("push-template")
    settings = Settings(data_dir=root, demo_mode=True)
    db = connect(settings=settings)
    seed_demo(db, settings)
    db.close()
    base = PolicyBase.open(settings)
    base.load_curated("test")
    base.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return root, base.embedder


@pytest.fixture
def env(template, tmp_path):
    """A private copy of the template: settings, an open base with the push engine wired, a ledger."""
    root, embedder = template
    data = tmp_path / "data"
    shutil.copytree(root, data)
    settings = Settings(data_dir=data, demo_mode=True)
    base = PolicyBase.open(settings, embedder=embedder)
    engine = pushes.wire(base, settings)
    db = connect(settings=settings)
    yield settings, base, engine, db
    engine.wait_deliveries()
    db.close()


def _pushes_of(db, measure_id, status=None):
    return ledger_pushes.pushes_for_measure(db, measure_id, status)


def test_freight_only_measure_reaches_freight_companies_not_the_repair_shop(env):
    settings, base, engine, db = env
    m = base.create(FREIGHT_MEASURE, actor="admin")
    rows = _pushes_of(db, m["id"])
    codes = {r["credit_code"] for r in rows}
    assert codes == FREIGHT, "every demo freight company and nothing else"
    assert REPAIR not in codes
    assert all(r["status"] == "pushed" and r["measure_version"] == m["version"] for r in rows)
    # each push is an event in the enterprise's dossier, with the reason it matched
    evs = events.for_push(db, rows[0]["id"])
    assert evs[0]["type"] == "push" and "道路货运" in evs[0]["note"] and "资金补贴" in rows[0]["reason"]


def test_republishing_unchanged_pushes_nothing_and_benefit_change_pushes_again(env):
    settings, base, engine, db = env
    m = base.create(FREIGHT_MEASURE, actor="admin")
    first = _pushes_of(db, m["id"])
    base.set_enabled(m["id"], False, "admin")
    base.set_enabled(m["id"], True, "admin")          # a new version, same content
    base.update(m["id"], {"how_to_apply": "网上办理：甘肃政务服务网。"}, "admin")  # not the benefit
    assert len(_pushes_of(db, m["id"])) == len(first)
    assert engine.sync_measure(m["id"])["created"] == 0

    base.update(m["id"], {"text": FREIGHT_MEASURE["text"] + "补贴标准提高到每辆车2万元。"}, "admin")
    rows = _pushes_of(db, m["id"])
    new = [r for r in rows if r["status"] == "pushed"]
    old = [r for r in rows if r["status"] == "withdrawn"]
    assert {r["credit_code"] for r in new} == FREIGHT and len(new) == len(FREIGHT)
    assert {r["id"] for r in old} == {r["id"] for r in first}, "the superseded pushes are withdrawn"
    assert all(r["measure_version"] > first[0]["measure_version"] for r in new)


def test_condition_change_reaches_only_the_newly_qualifying(env):
    settings, base, engine, db = env
    m = base.create(FREIGHT_MEASURE, actor="admin")
    before = {r["credit_code"] for r in _pushes_of(db, m["id"])}
    base.update(m["id"], {"conditions": {"industries": ["道路货运", "机动车维修"]}}, "admin")
    rows = _pushes_of(db, m["id"])
    assert len(rows) == len(before) + 1
    assert {r["credit_code"] for r in rows} - before == {REPAIR}


def test_retiring_withdraws_outstanding_pushes_but_keeps_applied_ones(env):
    settings, base, engine, db = env
    m = base.create(FREIGHT_MEASURE, actor="admin")
    rows = _pushes_of(db, m["id"])
    applied = ledger_pushes.set_push_status(db, rows[0]["id"], "applied", actor=Actor.enterprise(rows[0]["credit_code"]))
    base.retire(m["id"], "admin", reason="政策到期")
    after = {r["id"]: r["status"] for r in _pushes_of(db, m["id"])}
    assert after.pop(applied["id"]) == "applied"
    assert set(after.values()) == {"withdrawn"}
    # re-publishing (restore) after a retirement pushes it again to the enterprises it fits
    base.restore(m["id"], "admin")
    live = [r for r in _pushes_of(db, m["id"]) if r["status"] == "pushed"]
    assert {r["credit_code"] for r in live} == FREIGHT - {applied["credit_code"]}


def test_expired_measure_pushes_nothing_and_withdraws(env):
    settings, base, engine, db = env
    past = (date.today() - timedelta(days=1)).isoformat()
    m = base.create({**FREIGHT_MEASURE, "conditions": {"industries": ["道路货运"], "valid_to": past}}, "admin")
    assert _pushes_of(db, m["id"]) == []
    m2 = base.create(FREIGHT_MEASURE, actor="admin")
    assert _pushes_of(db, m2["id"], "pushed")
    base.update(m2["id"], {"conditions": {"industries": ["道路货运"], "valid_to": past}}, "admin")
    assert {r["status"] for r in _pushes_of(db, m2["id"])} == {"withdrawn"}


def test_opt_out_by_category_is_honoured(env):
    settings, base, engine, db = env
    shunda = credit_code_of("shunda")
    ledger_pushes.opt_out(db, shunda, "资金补贴", Actor.enterprise(shunda))
    tongda = credit_code_of("tongda")
    ledger_pushes.opt_out(db, tongda, "全部", Actor.enterprise(tongda))
    m = base.create(FREIGHT_MEASURE, actor="admin")
    codes = {r["credit_code"] for r in _pushes_of(db, m["id"])}
    assert codes == FREIGHT - {shunda, tongda}
    # another category still reaches shunda
    toll = base.create({"title": "货车高速公路通行费分时段优惠", "text": "道路货运企业货车在夜间通行高速公路享受通行费八折优惠，使用ETC自动扣费。",
                        "conditions": {"industries": ["道路货运"]}, "redemption_mode": "依申请", "tags": ["通行费"],
                        "how_to_apply": "办理货车ETC后自动享受。"}, "admin")
    assert shunda in {r["credit_code"] for r in _pushes_of(db, toll["id"])}


def test_no_application_measure_goes_to_to_confirm(env):
    settings, base, engine, db = env
    m = base.create({**FREIGHT_MEASURE, "title": "道路货运企业年审免申即享", "redemption_mode": "免申即享"}, "admin")
    rows = _pushes_of(db, m["id"])
    assert rows and {r["status"] for r in rows} == {"to_confirm"}
    ledger_pushes.set_push_status(db, rows[0]["id"], "redeemed", actor=Actor("admin", "admin", "管理员"))
    funnel = ledger_pushes.redemption_funnel(db, m["id"])
    assert funnel["stages"]["pushed"] == len(rows) and funnel["stages"]["redeemed"] == 1


def test_open_measure_is_not_pushed_to_everyone_when_it_is_about_one_trade(env):
    """Relevance: a measure without conditions about ride-hailing reaches ride-hailing firms first."""
    settings, base, engine, db = env
    m = base.create({"title": "网约车驾驶员从业资格证网上考试和换证一次办",
                     "text": "网约车平台公司和网约车驾驶员可在网上报名网约车驾驶员从业资格考试，考试合格后网上申领"
                             "网络预约出租汽车驾驶员证，换证、补证全程网办，不用跑窗口。", "redemption_mode": "依申请",
                     "how_to_apply": "登录道路运输从业人员网上服务平台报名。", "tags": ["网约车", "从业资格"]}, "admin")
    codes = {r["credit_code"] for r in _pushes_of(db, m["id"])}
    assert credit_code_of("eroad") in codes
    assert REPAIR not in codes and credit_code_of("huanghe_ship") not in codes


def test_only_measures_a_business_can_claim_are_pushed(env):
    """A reform-plan work item (no way to apply, 告知类) is searchable but never pushed; once an
    admin says how to apply and makes it 依申请, it reaches the freight companies."""
    settings, base, engine, db = env
    task = base.create({**FREIGHT_MEASURE, "how_to_apply": "", "redemption_mode": "告知类"}, "admin")
    assert _pushes_of(db, task["id"]) == []
    base.update(task["id"], {"how_to_apply": "向所在地交通运输局提交申请。", "redemption_mode": "依申请"}, "admin")
    assert {r["credit_code"] for r in _pushes_of(db, task["id"])} == FREIGHT


def test_delivery_failure_keeps_the_push_pending(env):
    settings, base, engine, db = env
    shunda = credit_code_of("shunda")
    chat_sessions.touch(db, "conv-shunda-1", shunda)
    engine.delivery.rasa_url = "http://127.0.0.1:9"  # nothing listens there
    m = base.create(FREIGHT_MEASURE, actor="admin")
    engine.wait_deliveries()
    results = engine.last_deliveries
    assert [r.sender_id for r in results] == ["conv-shunda-1"] and not results[0].ok
    push = next(r for r in _pushes_of(db, m["id"]) if r["credit_code"] == shunda)
    assert push["status"] == "pushed"


def test_chat_sessions_open_close_and_idle(env):
    settings, base, engine, db = env
    shunda, tongda = credit_code_of("shunda"), credit_code_of("tongda")
    now = datetime.now(timezone.utc)
    chat_sessions.touch(db, "old", shunda, now=now - timedelta(hours=3))
    chat_sessions.touch(db, "new", shunda, now=now - timedelta(minutes=5))
    chat_sessions.touch(db, "t1", tongda, now=now - timedelta(minutes=1))
    assert chat_sessions.open_sessions(db, [shunda, tongda], now=now) == {shunda: "new", tongda: "t1"}
    assert chat_sessions.close(db, "t1", now=now)
    assert chat_sessions.open_sessions(db, [shunda, tongda], now=now) == {shunda: "new"}
    assert chat_sessions.enterprise_of(db, "t1") == tongda
