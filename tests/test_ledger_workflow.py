"""The problem lifecycle: every allowed and refused status change, table-driven; ratings,
extensions, transfer, reminders/escalation; the event log replays to every problem's state."""
import random
import shutil
from datetime import date, datetime

import pytest

from huiqi.errors import Conflict, Forbidden, Invalid
from huiqi.settings import Settings
from ledger import credit_code as cc, enterprises, events, pairings, problems, reminders, staff, workflow
from ledger.actors import SYSTEM, Actor
from ledger.clock import TZ
from ledger.db import connect

STATES = ["received", "assigned", "in_progress", "replied", "closed", "rated", "reopened"]
# Written independently of the code: the 12345 practice 受理→交办→办理→答复→办结, 评价, 差评整改.
ALLOWED = {
    ("received", "assigned"), ("assigned", "in_progress"), ("in_progress", "replied"), ("replied", "closed"),
    ("replied", "reopened"), ("closed", "reopened"), ("rated", "reopened"), ("reopened", "assigned"),
    ("reopened", "in_progress"),
}
FILED = datetime(2026, 11, 2, 10, 0, tzinfo=TZ)  # Monday


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """One ledger with enterprises, staff (argon2 hashing is slow) and pairings, copied per test."""
    d = tmp_path_factory.mktemp("template")
    db = connect(settings=Settings(data_dir=d))
    rng = random.Random(1)
    codes = {}
    for key, size in (("freight", "中"), ("big", "大"), ("orphan", "小")):
        codes[key] = enterprises.create_enterprise(
            db, SYSTEM, credit_code=cc.generate("620102", rng), name=f"测试{key}运输有限公司", industry="道路货运",
            size=size, region="甘肃省/兰州市/城关区")["credit_code"]
    people = {}
    for login, role, office in (("cadre1", "cadre", "运输服务科"), ("cadre2", "cadre", "行政审批科"),
                                ("leader1", "leader", "运输服务科"), ("leader2", "leader", "行政审批科"),
                                ("admin", "admin", "政策法规科")):
        people[login] = Actor.from_staff({**staff.create_staff(db, SYSTEM, login=login, name=login, role=role,
                                                               office=office, password="Passw0rd!x")})
    pairings.pair(db, SYSTEM, codes["freight"], "cadre1")
    pairings.pair(db, SYSTEM, codes["big"], "leader1")
    db.close()
    return d / "ledger.sqlite3", codes, people


@pytest.fixture
def ledger(tmp_path, template):
    path, codes, people = template
    shutil.copy(path, tmp_path / "ledger.sqlite3")
    s = Settings(data_dir=tmp_path)
    return connect(settings=s), s, codes, people


def file(ledger, key="freight", **kw):
    db, s, codes, _ = ledger
    args = dict(category="审批服务", kind="help", description="道路运输证年审一直没有办下来", now=FILED, settings=s)
    args.update(kw)
    return problems.file_problem(db, credit_code=codes[key], **args)["ticket_no"]


def drive_to(ledger, state: str) -> str:
    """A real problem brought to ``state`` through the public functions."""
    db, s, codes, p = ledger
    c, kw = p["cadre1"], {"settings": s}
    if state == "received":
        return file(ledger, "orphan")
    t = file(ledger)
    if state == "assigned":
        return t
    workflow.transition(db, c, t, "in_progress", **kw)
    if state == "in_progress":
        return t
    workflow.reply(db, c, t, "已协调审批科在三个工作日内办结", **kw)
    if state == "replied":
        return t
    if state == "rated":
        workflow.rate(db, Actor.enterprise(codes["freight"]), t, "满意", **kw)
        return t
    workflow.transition(db, c, t, "closed", **kw)
    if state == "closed":
        return t
    workflow.transition(db, c, t, "reopened", note="企业反映证件仍未领到", **kw)
    assert state == "reopened"
    return t


def test_refusal_table_matches_the_lifecycle():
    for a in STATES:
        for b in STATES:
            assert (workflow.refusal(a, b) is None) == ((a, b) in ALLOWED), (a, b)


def test_example_message_for_closed_to_in_progress():
    assert workflow.refusal("closed", "in_progress") == "已办结的诉求不能直接改为办理中，请先重新打开"


@pytest.mark.parametrize("a,b", [(a, b) for a in STATES for b in STATES])
def test_every_transition_through_the_ledger(ledger, a, b):
    db, s, codes, p = ledger
    t = drive_to(ledger, a)
    actor = p["admin"]
    before = problems.get_problem(db, actor, t, settings=s)
    assert before["status"] == a
    if (a, b) in ALLOWED:
        if (a, b) == ("received", "assigned"):
            after = workflow.assign(db, actor, t, "cadre2", settings=s)
        else:
            after = workflow.transition(db, actor, t, b, note="原因说明：按要求处理", reply="答复内容：已经办好了",
                                        settings=s)
        assert after["status"] == b
        last = problems.get_problem(db, actor, t, settings=s)["events"][-1]
        assert last["changes"]["status"] == [a, b] and last["actor"] == "admin"
    else:
        with pytest.raises(Conflict) as err:
            workflow.transition(db, actor, t, b, note="原因说明", reply="答复内容：已经办好了", settings=s)
        assert err.value.message and err.value.code == "TRANSITION_REFUSED"
        after = problems.get_problem(db, actor, t, settings=s)
        assert after["status"] == a and len(after["events"]) == len(before["events"])


def test_filing_assigns_the_paired_official_and_office_by_category(ledger):
    db, s, codes, p = ledger
    got = problems.file_problem(db, credit_code=codes["freight"], category="收费", kind="complaint",
                                description="通行费多收了，要求退还", now=FILED, settings=s)
    assert got["ticket_no"] == "HQ-20261102-0001"
    assert got["status"] == "assigned" and got["assignee"]["login"] == "cadre1"
    assert got["office"] == "财务审计科"
    assert got["due_on"] == "2026-11-19"  # Mon 11/2 + 13 working days (no holidays in November 2026)
    evs = problems.get_problem(db, p["cadre1"], got["ticket_no"], settings=s)["events"]
    assert [e["type"] for e in evs] == ["filed", "assign"]


def test_unverified_claimant_needs_name_and_valid_phone(ledger):
    db, s, *_ = ledger
    with pytest.raises(Invalid) as err:
        problems.file_problem(db, claimant_name="李师傅", claimant_phone="12345", category="其他",
                              description="想咨询一下货车年检", settings=s)
    assert err.value.field == "claimant_phone" and "手机号" in err.value.message
    got = problems.file_problem(db, claimant_name="李师傅", claimant_phone="138 9311 2345", category="其他",
                                description="想咨询一下货车年检", settings=s)
    assert got["status"] == "received" and got["assignee"] is None and got["claimant_phone"] == "13893112345"
    assert problems.find_for_claimant(db, got["ticket_no"], "13893112345", settings=s)["ticket_no"] == got["ticket_no"]


def test_bad_rating_reopens_with_fresh_deadline_and_good_rating_finishes(ledger):
    db, s, codes, p = ledger
    ent = Actor.enterprise(codes["freight"])
    t = drive_to(ledger, "replied")
    got = workflow.rate(db, ent, t, "不满意", "证件还没拿到", now=datetime(2026, 11, 23, 9, tzinfo=TZ), settings=s)
    assert got["status"] == "reopened" and got["rating"] == "不满意"
    assert got["due_on"] == "2026-12-02"  # Mon 11/23 + 7 working days
    with pytest.raises(Conflict):
        workflow.rate(db, ent, t, "满意", settings=s)  # nothing to rate until it is answered again
    workflow.transition(db, p["cadre1"], t, "in_progress", settings=s)
    workflow.reply(db, p["cadre1"], t, "证件已寄出，请注意查收", settings=s)
    assert workflow.rate(db, ent, t, "满意", settings=s)["status"] == "rated"


def test_enterprise_cannot_move_status_and_other_enterprises_cannot_see(ledger):
    db, s, codes, p = ledger
    t = drive_to(ledger, "in_progress")
    with pytest.raises(Forbidden):
        workflow.transition(db, Actor.enterprise(codes["freight"]), t, "replied", reply="自己答复自己", settings=s)
    with pytest.raises(Exception) as err:
        workflow.rate(db, Actor.enterprise(codes["big"]), t, "满意", settings=s)
    assert err.value.code == "PROBLEM_NOT_FOUND"


def test_extension_needs_a_leader_of_the_office_and_moves_the_due_date(ledger):
    db, s, codes, p = ledger
    t = file(ledger)
    workflow.request_extension(db, p["cadre1"], t, 3, "需要现场核实", settings=s)
    with pytest.raises(Conflict):
        workflow.request_extension(db, p["cadre1"], t, 2, "再延两天", settings=s)
    with pytest.raises(Forbidden):
        workflow.decide_extension(db, p["cadre1"], t, True, settings=s)
    with pytest.raises(Forbidden):
        workflow.decide_extension(db, p["leader2"], t, True, settings=s)  # other office (and assignee is in 运输服务科)
    got = workflow.decide_extension(db, p["leader1"], t, True, note="同意", settings=s)
    # Due Wed 11/11 (Mon 11/2 + 7 working days); + 3 working days: Thu 11/12, Fri 11/13, Mon 11/16
    assert got["due_on"] == "2026-11-16"
    detail = problems.get_problem(db, p["leader1"], t, settings=s)
    assert [x["status"] for x in detail["extensions"]] == ["approved"]
    with pytest.raises(Conflict):
        workflow.decide_extension(db, p["leader1"], t, True, settings=s)


def test_transfer_to_responsible_office(ledger):
    db, s, codes, p = ledger
    t = file(ledger)
    with pytest.raises(Invalid):
        workflow.transfer(db, p["cadre1"], t, "行政审批科", settings=s)  # reason required
    got = workflow.transfer(db, p["cadre1"], t, "行政审批科", login="cadre2", note="属审批事项，按责转办", settings=s)
    assert got["office"] == "行政审批科" and got["assignee"]["login"] == "cadre2" and got["status"] == "assigned"
    # cadre1 still sees it (own enterprise); cadre2 now sees it as assignee
    assert problems.get_problem(db, p["cadre2"], t, settings=s)["ticket_no"] == t
    closed = drive_to(ledger, "closed")
    with pytest.raises(Conflict):
        workflow.transfer(db, p["cadre1"], closed, "行政审批科", note="转办", settings=s)


def test_reminder_once_per_working_day_then_escalation(ledger):
    db, s, codes, p = ledger
    t = file(ledger)  # due Wed 2026-11-11
    assert reminders.run_reminders(db, today=date(2026, 11, 11), settings=s) == {"reminded": [], "escalated": []}
    first = reminders.run_reminders(db, today=date(2026, 11, 12), settings=s)  # 1 working day late
    assert first == {"reminded": [t], "escalated": []}
    assert reminders.run_reminders(db, today=date(2026, 11, 12), settings=s)["reminded"] == []  # once a day
    assert reminders.run_reminders(db, today=date(2026, 11, 14), settings=s)["reminded"] == []  # Saturday
    # Mon 11/16 is 3 working days late (11/12, 11/13, 11/16) = escalate_after_days → leader of cadre1's office
    third = reminders.run_reminders(db, today=date(2026, 11, 16), settings=s)
    assert third == {"reminded": [t], "escalated": [t]}
    got = problems.get_problem(db, p["leader1"], t, today=date(2026, 11, 16), settings=s)
    assert got["escalated_to_staff"]["login"] == "leader1" and got["overdue"] and got["days_left"] == -3
    assert [x["ticket_no"] for x in problems.list_problems(db, p["leader1"], escalated=True, settings=s)] == [t]
    assert reminders.run_reminders(db, today=date(2026, 11, 17), settings=s)["escalated"] == []


def test_list_puts_overdue_first_and_filters(ledger):
    db, s, codes, p = ledger
    late = file(ledger, kind="consultation")  # due Thu 11/5
    fresh = file(ledger, now=datetime(2026, 11, 20, 9, tzinfo=TZ))
    done = drive_to(ledger, "closed")
    mine = problems.list_problems(db, p["cadre1"], today=date(2026, 11, 23), settings=s)
    assert mine[0]["ticket_no"] == late and mine[0]["overdue"]
    assert mine[-1]["ticket_no"] == done and mine[-1]["days_left"] is None
    assert {x["ticket_no"] for x in problems.list_problems(db, p["cadre1"], overdue=False, today=date(2026, 11, 23),
                                                           settings=s)} == {fresh, done}
    assert problems.list_problems(db, p["cadre2"], settings=s) == []


def test_corrections_are_new_events_and_nothing_is_deleted(ledger):
    db, s, codes, p = ledger
    t = file(ledger)
    detail = problems.get_problem(db, p["cadre1"], t, settings=s)
    fix = events.correct(db, p["cadre1"], detail["events"][0]["id"], "联系电话登记有误，应为13893112345")
    assert problems.get_problem(db, p["cadre1"], t, settings=s)["events"][-1]["corrects"] == detail["events"][0]["id"]
    with pytest.raises(Exception):
        db.execute("DELETE FROM events WHERE id = ?", [fix])
    with pytest.raises(Exception):
        db.execute("UPDATE events SET note = 'x' WHERE id = ?", [fix])
    with pytest.raises(Exception):
        db.execute("DELETE FROM problems")


def test_event_log_reconstructs_every_problem(ledger):
    db, s, codes, p = ledger
    for state in STATES:
        drive_to(ledger, state)
    t = file(ledger)
    workflow.transfer(db, p["cadre1"], t, "行政审批科", note="按责转办", settings=s)
    workflow.assign(db, p["leader2"], t, "cadre2", settings=s)
    workflow.request_extension(db, p["cadre2"], t, 2, "等待材料", settings=s)
    workflow.decide_extension(db, p["leader2"], t, True, settings=s)
    reminders.run_reminders(db, today=date(2026, 12, 1), settings=s)
    rows = list(db.query("SELECT * FROM problems"))
    assert len(rows) >= 8
    for row in rows:
        state = events.replay(events.for_problem(db, row["id"]))
        tracked = {k: row[k] for k in state}
        assert state == tracked, row["ticket_no"]
        for col in ("status", "assignee_id", "office", "due_on", "reply", "rating", "escalated_to"):
            assert state.get(col, None) == row[col] or (col not in state and row[col] is None)
