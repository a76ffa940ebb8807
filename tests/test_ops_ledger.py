"""Operations on the ledger: idempotent filing, durable commits, owner-only files, verified online
backups with a tested restore, and the command line that runs them."""
from __future__ import annotations

import os
import random
import sqlite3
import stat
import subprocess
import sys
import threading

import pytest

from huiqi.settings import REPO_ROOT, Settings
from ledger import backup as bk
from ledger import credit_code as cc, enterprises, problems
from ledger.actors import SYSTEM
from ledger.db import connect, schema_version
from ledger.schema import MIGRATIONS


@pytest.fixture()
def ledger(tmp_path):
    s = Settings(data_dir=tmp_path / "data")
    db = connect(settings=s)
    code = enterprises.create_enterprise(db, SYSTEM, credit_code=cc.generate("620102", random.Random(7)),
                                         name="备份测试运输有限公司", industry="道路货运", size="小",
                                         region="甘肃省/兰州市")["credit_code"]
    yield s, db, code
    db.conn.close()


def _file(db, s, code, text, key=None):
    return problems.file_problem(db, credit_code=code, category="其他", description=text, settings=s, filing_key=key)


def test_a_repeated_filing_with_the_same_key_returns_the_first_ticket(ledger):
    s, db, code = ledger
    first = _file(db, s, code, "道路运输证年审一直办不下来", key="chat:abc:1.5")
    again = _file(db, s, code, "道路运输证年审一直办不下来", key="chat:abc:1.5")
    other = _file(db, s, code, "道路运输证年审一直办不下来", key="chat:abc:9.5")
    assert again["ticket_no"] == first["ticket_no"] != other["ticket_no"]
    assert db.execute("SELECT count(*) FROM problems").fetchone()[0] == 2
    assert problems.find_by_filing_key(db, "chat:abc:1.5", settings=s)["ticket_no"] == first["ticket_no"]
    assert "filing_key" not in first  # it holds the conversation id: never shown


def test_concurrent_confirmations_of_one_form_file_one_ticket(ledger):
    s, db, code = ledger
    tickets, errors = [], []
    start = threading.Barrier(8, timeout=30)

    def worker():
        conn = connect(settings=s)
        try:
            start.wait()
            tickets.append(_file(conn, s, code, "同一次确认被重复发送了八次", key="chat:dup:2.25")["ticket_no"])
        except Exception as exc:  # reported below
            errors.append(repr(exc))
        finally:
            conn.conn.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(tickets)) == 1 and len(tickets) == 8
    assert db.execute("SELECT count(*) FROM problems WHERE filing_key = 'chat:dup:2.25'").fetchone()[0] == 1


def test_the_key_is_unique_in_the_schema(ledger):
    s, db, code = ledger
    _file(db, s, code, "第一件诉求的内容描述", key="k1")
    _file(db, s, code, "第二件诉求的内容描述")  # filed by staff: no key
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE problems SET filing_key = 'k1' WHERE filing_key IS NULL")


def test_commits_are_durable_and_the_ledger_is_owner_only(ledger):
    s, db, _ = ledger
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert schema_version(db) == len(MIGRATIONS)
    assert stat.S_IMODE(os.stat(s.ledger_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(s.data_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(s.log_dir).st_mode) == 0o700


def test_online_backup_is_verified_and_restores_what_it_saved(ledger, tmp_path):
    s, db, code = ledger
    kept = _file(db, s, code, "备份之前登记的诉求内容")
    reader = connect(settings=s)  # another connection stays open, as the services' do
    report = bk.backup(s.ledger_path, tmp_path / "backups")
    assert report["counts"]["problems"] == 1 and report["schema_version"] == len(MIGRATIONS)
    assert stat.S_IMODE(os.stat(report["path"]).st_mode) == 0o600
    later = _file(db, s, code, "备份之后登记的诉求内容")

    bk.restore(report["path"], s.ledger_path)
    tickets = [r["ticket_no"] for r in reader.query("SELECT ticket_no FROM problems")]
    assert tickets == [kept["ticket_no"]]  # the open connection sees the restored ledger
    assert later["ticket_no"] not in tickets
    reader.conn.close()


def test_a_damaged_backup_is_refused_and_never_restored(ledger, tmp_path):
    s, db, code = ledger
    _file(db, s, code, "恢复失败时不能丢的诉求")
    bad = tmp_path / "ledger-bad.sqlite3"
    bad.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    with pytest.raises(bk.BackupError):
        bk.restore(bad, s.ledger_path)
    assert db.execute("SELECT count(*) FROM problems").fetchone()[0] == 1
    with pytest.raises(bk.BackupError) as missing:
        bk.verify(tmp_path / "nowhere.sqlite3")
    assert missing.value.code == "BACKUP_MISSING"


def test_prune_keeps_the_newest_copies(ledger, tmp_path):
    s, _, _ = ledger
    made = [bk.backup(s.ledger_path, tmp_path / "b")["path"] for _ in range(4)]
    removed = bk.prune(tmp_path / "b", 2)
    assert sorted(removed) == sorted(made[:2])
    assert sorted(str(p) for p in (tmp_path / "b").glob("ledger-*.sqlite3")) == sorted(made[2:])


def test_backup_and_restore_from_the_command_line(ledger, tmp_path):
    s, db, code = ledger
    first = _file(db, s, code, "命令行备份前的诉求")
    env = dict(os.environ, HUIQI_DATA_DIR=str(s.data_dir), PYTHONPATH=str(REPO_ROOT))
    run = lambda *args: subprocess.run([sys.executable, "-m", "ledger", *args], env=env, cwd=REPO_ROOT,  # noqa: E731
                                       capture_output=True, text=True, timeout=120)
    for _ in range(3):
        out = run("backup", str(tmp_path / "nightly"), "--keep", "2")
        assert out.returncode == 0, out.stderr
    copies = sorted((tmp_path / "nightly").glob("ledger-*.sqlite3"))
    assert len(copies) == 2 and "已备份并校验" in out.stdout
    _file(db, s, code, "命令行备份后的诉求")

    refused = run("restore", str(copies[-1]))
    assert refused.returncode == 2 and "--yes" in refused.stderr
    done = run("restore", str(copies[-1]), "--yes")
    assert done.returncode == 0, done.stderr
    assert [r["ticket_no"] for r in db.query("SELECT ticket_no FROM problems")] == [first["ticket_no"]]
    saved = list((s.backup_dir / "before-restore").glob("ledger-*.sqlite3"))
    assert len(saved) == 1 and bk.verify(saved[0])["counts"]["problems"] == 2  # the overwritten state is kept

    broken = run("restore", str(tmp_path / "nowhere.sqlite3"), "--yes")
    assert broken.returncode == 1 and "BACKUP_MISSING" in broken.stderr
