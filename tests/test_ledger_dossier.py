"""The dossier (JSON and .xlsx), pushes with their transitions and opt-outs, profile, accounts, pairings."""
import io

import pytest
from openpyxl import load_workbook

from huiqi.errors import Conflict
from huiqi.settings import Settings
from ledger import enterprises, pairings, problems, pushes, staff, visits, workbook
from ledger.actors import SYSTEM, Actor
from ledger.db import connect
from ledger.demo import credit_code_of, seed_demo
from ledger.dossier import dossier


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    s = Settings(data_dir=tmp_path_factory.mktemp("demo"), demo_mode=True)
    db = connect(settings=s)
    seed_demo(db, s)
    return db, s


def test_seed_is_idempotent_and_refused_outside_demo_mode(demo, tmp_path):
    db, s = demo
    assert seed_demo(db, s) == {"staff": 0, "enterprises": 0, "pairings": 0, "accounts": 0, "problems": 0}
    with pytest.raises(Conflict):
        off = Settings(data_dir=tmp_path, demo_mode=False)
        seed_demo(connect(settings=off), off)


def test_demo_respects_tier_rule_and_reports_unpaired(demo):
    db, _ = demo
    for row in db.query("SELECT e.size, s.role FROM pairings p JOIN enterprises e USING (credit_code)"
                        " JOIN staff s ON s.id = p.staff_id WHERE p.ended_at IS NULL"):
        assert (row["size"] == "大") == (row["role"] == "leader")
    assert [e["name"] for e in pairings.unpaired(db)] == ["兰州交通科技咨询有限公司"]
    assert {r["industry"] for r in db.query("SELECT industry FROM enterprises")} >= {"道路货运", "机动车维修"}


def test_pairing_tier_violation_refused(demo):
    db, _ = demo
    with pytest.raises(Conflict) as err:
        pairings.pair(db, SYSTEM, credit_code_of("longyun"), "zhangwei")
    assert "领导干部" in err.value.message


def test_profile_shape(demo):
    db, _ = demo
    assert enterprises.profile(db, credit_code_of("kangba")) == {
        "credit_code": credit_code_of("kangba"), "name": "甘孜州康巴物流有限公司", "industry": "道路货运",
        "size": "小", "region": "四川省/甘孜藏族自治州/康定市", "ownership": "民营", "tags": [],
        "registered_on": "2018-11-05"}


def test_authentication(demo):
    db, _ = demo
    assert enterprises.authenticate_enterprise(db, credit_code_of("shunda").lower(), "Qiye@2026")["name"] == "兰州顺达货运有限公司"
    assert enterprises.authenticate_enterprise(db, credit_code_of("shunda"), "wrong-pass") is None
    assert enterprises.authenticate_enterprise(db, credit_code_of("tongda"), "Qiye@2026") is None  # no account
    assert staff.authenticate_staff(db, "admin", "Admin@2026")["role"] == "admin"
    assert staff.authenticate_staff(db, "admin", "admin@2026") is None


def test_pushes_transitions_and_events(demo):
    db, _ = demo
    code = credit_code_of("shunda")
    push, created = pushes.record_push(db, code, "M-FREIGHT-1", 1, "道路货运企业通行费优惠", reason="道路货运企业")
    again, created_again = pushes.record_push(db, code, "M-FREIGHT-1", 1, "道路货运企业通行费优惠")
    assert created and not created_again and again["id"] == push["id"]
    assert pushes.set_push_status(db, push["id"], "delivered")["status"] == "delivered"
    assert pushes.set_push_status(db, push["id"], "delivered")["status"] == "delivered"  # no-op
    pushes.set_push_status(db, push["id"], "applied", actor=Actor.enterprise(code))
    with pytest.raises(Conflict):
        pushes.set_push_status(db, push["id"], "viewed")  # backwards
    pushes.set_push_status(db, push["id"], "redeemed")
    with pytest.raises(Conflict):
        pushes.set_push_status(db, push["id"], "withdrawn")  # final
    assert [p["status"] for p in pushes.list_pushes(db, code, "redeemed")] == ["redeemed"]
    trail = [(e["from_value"], e["to_value"]) for e in db.query(
        "SELECT from_value, to_value FROM events WHERE push_id = ? ORDER BY id", [push["id"]])]
    assert trail == [(None, "pushed"), ("pushed", "delivered"), ("delivered", "applied"), ("applied", "redeemed")]
    assert pushes.funnel(db, "M-FREIGHT-1")["redeemed"] == 1


def test_opt_out_and_back_in(demo):
    db, _ = demo
    code = credit_code_of("eroad")
    who = Actor.enterprise(code)
    assert pushes.opt_out(db, code, "培训补贴", who) and not pushes.opt_out(db, code, "培训补贴", who)
    assert pushes.opted_out(db, code) == {"培训补贴"} and pushes.is_opted_out(db, code, "培训补贴")
    assert pushes.opt_in(db, code, "培训补贴", who) and pushes.opted_out(db, code) == set()
    pushes.opt_out(db, code, "全部", who)
    assert pushes.is_opted_out(db, code, "任意类别")


def test_dossier_json_and_xlsx_hold_the_records(demo):
    db, s = demo
    code = credit_code_of("shunda")
    zhang = Actor.from_staff({**staff.get_staff(db, "zhangwei")})
    visits.log_visit(db, zhang, code, occasion="经营困难", visited_on="2026-11-20", notes="了解冷链车辆更新资金缺口")
    pushes.record_push(db, code, "M-COLD-2", 3, "冷链运输车辆更新补助")
    doc = dossier(db, code, settings=s)
    assert doc["profile"]["name"] == "兰州顺达货运有限公司" and doc["official"]["login"] == "zhangwei"
    ticket = doc["problems"][0]["ticket_no"]
    assert doc["problems"][0]["events"][0]["type"] == "filed"
    wb = load_workbook(io.BytesIO(workbook.to_bytes(doc)))
    assert wb.sheetnames == ["企业概况", "包抓联记录", "诉求记录", "办理过程", "走访记录", "政策推送", "自报诉求（未核验）"]
    cells = lambda name: [[c for c in r] for r in wb[name].iter_rows(values_only=True)]  # noqa: E731
    assert ["统一社会信用代码", code] in [list(r) for r in cells("企业概况")]
    assert any(r[0] == ticket for r in cells("诉求记录")[1:])
    assert sum(r[0] == ticket for r in cells("办理过程")[1:]) == len(doc["problems"][0]["events"])
    assert any(r[1] == "经营困难" and r[2] == "张伟" for r in cells("走访记录")[1:])
    assert any(r[2] == "冷链运输车辆更新补助" and r[3] == "已推送" for r in cells("政策推送")[1:])
    assert cells("包抓联记录")[1][0] == "张伟"


def test_business_view_of_dossier_hides_internal_records(demo):
    db, s = demo
    code = credit_code_of("shunda")
    zhang = Actor.from_staff({**staff.get_staff(db, "zhangwei")})
    t = dossier(db, code, settings=s)["problems"][0]["ticket_no"]
    from ledger import workflow
    workflow.add_note(db, zhang, t, "内部备注：企业负责人态度较急", settings=s)
    mine = dossier(db, code, settings=s, for_business=True)
    notes = [e["note"] for p in mine["problems"] for e in p["events"]]
    assert "内部备注：企业负责人态度较急" not in notes and "escalated_to" not in mine["problems"][0]
    assert problems.get_problem(db, Actor.enterprise(code), t, settings=s)["ticket_no"] == t


def test_demo_accounts_only_work_in_demo_mode(demo, monkeypatch):
    """The demo passwords are in the README: outside demo mode they must not open anything."""
    from huiqi.errors import Forbidden
    from huiqi.settings import get_settings

    db, _ = demo
    code = credit_code_of("shunda")
    monkeypatch.setenv("HUIQI_DEMO_MODE", "1")
    get_settings.cache_clear()
    assert staff.authenticate_staff(db, "admin", "Admin@2026")["login"] == "admin"
    assert enterprises.authenticate_enterprise(db, code, "Qiye@2026")["credit_code"] == code
    monkeypatch.setenv("HUIQI_DEMO_MODE", "0")
    get_settings.cache_clear()
    try:
        with pytest.raises(Forbidden, match="演示账号"):
            staff.authenticate_staff(db, "admin", "Admin@2026")
        with pytest.raises(Forbidden, match="演示账号"):
            enterprises.authenticate_enterprise(db, code, "Qiye@2026")
        enterprises.set_account(db, SYSTEM, code, "a-real-Secret-9")
        assert enterprises.authenticate_enterprise(db, code, "a-real-Secret-9")["credit_code"] == code
    finally:
        enterprises.set_account(db, SYSTEM, code, "Qiye@2026")
        get_settings.cache_clear()


def test_claims_of_anonymous_users_are_listed_apart_as_unverified(demo):
    """A claimant who gave this enterprise's credit code: staff who may see the problem find it in the
    dossier, apart from the enterprise's own problems and marked 未核验; the enterprise does not see it."""
    db, s = demo
    code = credit_code_of("shunda")
    got = problems.file_problem(db, claimant_name="马师傅", claimant_phone="13893110001", category="收费",
                                description="说是顺达的司机，超限站收费不给票", claimed_credit_code=code.lower(), settings=s)
    assert got["claimed_credit_code"] == code and got["credit_code"] is None
    admin = Actor.from_staff({**staff.get_staff(db, "admin")})
    doc = dossier(db, code, settings=s, viewer=admin)
    assert got["ticket_no"] not in {p["ticket_no"] for p in doc["problems"]}
    claimed = {p["ticket_no"]: p for p in doc["claimed_problems"]}
    assert claimed[got["ticket_no"]]["claimed_credit_code_label"] == "反映人自报统一社会信用代码（未核验）"
    assert claimed[got["ticket_no"]]["claimed_enterprise"]["name"] == "兰州顺达货运有限公司"
    zhang = Actor.from_staff({**staff.get_staff(db, "zhangwei")})  # paired cadre, not the problem's handler
    seen_by_zhang = dossier(db, code, settings=s, viewer=zhang)["claimed_problems"]
    assert got["ticket_no"] not in {p["ticket_no"] for p in seen_by_zhang}
    assert "claimed_problems" not in dossier(db, code, settings=s, for_business=True)
    wb = load_workbook(io.BytesIO(workbook.to_bytes(doc)))
    rows = list(wb["自报诉求（未核验）"].iter_rows(values_only=True))
    assert rows[0][1] == "自报统一社会信用代码（未核验）"
    assert any(r[0] == got["ticket_no"] and r[1] == code and r[2] == "马师傅" for r in rows[1:])
    assert ["自报为本企业的未核验诉求", len(doc["claimed_problems"])] in [list(r) for r in wb["企业概况"].iter_rows(values_only=True)]
    mine = load_workbook(io.BytesIO(workbook.to_bytes(dossier(db, code, settings=s, for_business=True))))
    assert "自报诉求（未核验）" not in mine.sheetnames
