"""Schema upgrades in place: a ledger written by the first schema (user_version 1) is upgraded to the
current one on connect without losing rows; a claimed credit code written into the description by
the old chat is copied to its own column, with an event, and the description stays as filed."""
import sqlite3

import pytest

from huiqi.settings import Settings
from ledger import credit_code as cc, events, problems
from ledger.db import connect, schema_version
from ledger.schema import MIGRATIONS

CODE = cc.generate("620102")
OLD_NOTE = f"\n（反映人自报统一社会信用代码：{CODE}，未登录核验）"


def old_ledger(path):
    """A ledger as the previous release left it: schema v1 and rows written by its code."""
    conn = sqlite3.connect(path, isolation_level=None)
    for sql in MIGRATIONS[0]:
        conn.execute(sql)
    conn.execute("PRAGMA user_version = 1")
    stamp = "2026-11-02T10:00:00+08:00"
    conn.execute("INSERT INTO enterprises (credit_code, name, industry, size, province, created_at, updated_at)"
                 " VALUES (?, '兰州顺达冷链物流有限公司', '道路货运', '小', '甘肃省', ?, ?)", [CODE, stamp, stamp])
    rows = [("HQ-20261102-0001", None, "张伟", "13912345678", "审批服务年审拖了两个月" + OLD_NOTE),
            ("HQ-20261102-0002", None, "李师傅", "13893112345", "超限站收费不给票"),
            ("HQ-20261102-0003", CODE, None, None, "道路运输证年审一直没有办下来"),
            ("HQ-20261102-0004", None, "王五", "13800000000",
             "（反映人自报统一社会信用代码：91620102000000000X，未登录核验）校验位不对的不搬")]
    for n, (ticket, code, name, phone, text) in enumerate(rows, start=1):
        conn.execute("INSERT INTO problems (id, ticket_no, credit_code, claimant_name, claimant_phone, category,"
                     " kind, description, channel, status, office, filed_at, due_on, updated_at) VALUES"
                     " (?, ?, ?, ?, ?, '审批服务', 'help', ?, 'chat', 'received', '行政审批科', ?, '2026-11-11', ?)",
                     [n, ticket, code, name, phone, text, stamp, stamp])
        conn.execute("INSERT INTO events (at, type, actor, actor_role, actor_name, credit_code, problem_id, to_value,"
                     " changes) VALUES (?, 'filed', 'system', 'system', '系统', ?, ?, 'received', '{}')",
                     [stamp, code, n])
    conn.close()


def test_an_old_ledger_is_upgraded_in_place_without_losing_rows(tmp_path):
    old_ledger(tmp_path / "ledger.sqlite3")
    s = Settings(data_dir=tmp_path)
    db = connect(settings=s)
    assert schema_version(db) == len(MIGRATIONS) >= 2
    rows = {r["ticket_no"]: r for r in db.query("SELECT * FROM problems ORDER BY id")}
    assert len(rows) == 4
    first = rows["HQ-20261102-0001"]
    assert first["claimed_credit_code"] == CODE
    assert first["description"] == "审批服务年审拖了两个月" + OLD_NOTE  # what was filed is not rewritten
    assert rows["HQ-20261102-0002"]["claimed_credit_code"] is None
    assert rows["HQ-20261102-0003"]["claimed_credit_code"] is None and rows["HQ-20261102-0003"]["credit_code"] == CODE
    assert rows["HQ-20261102-0004"]["claimed_credit_code"] is None  # a code failing the check digit is not copied
    evs = events.for_problem(db, first["id"])
    assert [e["type"] for e in evs] == ["filed", "correction"]
    assert evs[1]["changes"] == {"claimed_credit_code": [None, CODE]} and evs[1]["corrects"] == evs[0]["id"]
    assert events.replay(evs)["claimed_credit_code"] == CODE
    assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 5
    # the upgraded ledger works with today's code: describe, filing with the new column, still no deletes
    shown = problems.find_for_claimant(db, "HQ-20261102-0001", "13912345678", settings=s)
    assert shown["claimed_credit_code_label"] == "反映人自报统一社会信用代码（未核验）"
    assert shown["claimed_enterprise"]["name"] == "兰州顺达冷链物流有限公司"
    new = problems.file_problem(db, claimant_name="赵六", claimant_phone="13700000000", category="其他",
                                description="想问问货车年检在哪办", claimed_credit_code=CODE, settings=s)
    assert new["claimed_credit_code"] == CODE
    with pytest.raises(sqlite3.DatabaseError):
        db.execute("DELETE FROM problems")
    db.conn.close()
    # connecting again changes nothing
    again = connect(settings=s)
    assert schema_version(again) == len(MIGRATIONS)
    assert again.execute("SELECT count(*) FROM events WHERE type = 'correction'").fetchone()[0] == 1


def test_a_new_ledger_gets_the_column_too(tmp_path):
    db = connect(settings=Settings(data_dir=tmp_path))
    cols = {r[1] for r in db.execute("PRAGMA table_info(problems)").fetchall()}
    assert "claimed_credit_code" in cols and schema_version(db) == len(MIGRATIONS)
