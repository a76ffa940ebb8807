"""Versioned migrations: MIGRATIONS[n-1] brings a ledger from user_version n-1 to n.

Each migration is a list of SQL statements and, where SQL is not enough, Python steps (callables
taking the database); ledger.db.migrate runs each migration in one transaction. Never edit a
published migration; append a new one. Rows in events and problems are never deleted (triggers
refuse it); a wrong entry is corrected by a new event.
"""
from __future__ import annotations

import json
import re
from typing import Callable, Union

from ledger import clock, credit_code as cc

_INITIAL = [
    """CREATE TABLE enterprises (
        credit_code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        industry TEXT NOT NULL,
        size TEXT NOT NULL CHECK (size IN ('大', '中', '小', '微')),
        province TEXT NOT NULL,
        city TEXT NOT NULL DEFAULT '',
        county TEXT NOT NULL DEFAULT '',
        ownership TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]',
        registered_on TEXT,
        contact_name TEXT,
        contact_phone TEXT,
        address TEXT,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL)""",
    """CREATE TABLE enterprise_accounts (
        credit_code TEXT PRIMARY KEY REFERENCES enterprises(credit_code),
        password_hash TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        issued_by TEXT NOT NULL,
        issued_at TEXT NOT NULL)""",
    """CREATE TABLE staff (
        id INTEGER PRIMARY KEY,
        login TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('leader', 'cadre', 'admin')),
        office TEXT NOT NULL,
        phone TEXT,
        password_hash TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL)""",
    """CREATE TABLE pairings (
        id INTEGER PRIMARY KEY,
        credit_code TEXT NOT NULL REFERENCES enterprises(credit_code),
        staff_id INTEGER NOT NULL REFERENCES staff(id),
        started_at TEXT NOT NULL,
        started_by TEXT NOT NULL,
        ended_at TEXT,
        ended_by TEXT,
        note TEXT)""",
    "CREATE UNIQUE INDEX pairings_current ON pairings(credit_code) WHERE ended_at IS NULL",
    "CREATE INDEX pairings_staff_current ON pairings(staff_id, credit_code) WHERE ended_at IS NULL",
    "CREATE INDEX pairings_history ON pairings(credit_code, started_at)",
    "CREATE TABLE ticket_counters (day TEXT PRIMARY KEY, last INTEGER NOT NULL)",
    """CREATE TABLE problems (
        id INTEGER PRIMARY KEY,
        ticket_no TEXT NOT NULL UNIQUE,
        credit_code TEXT REFERENCES enterprises(credit_code),
        claimant_name TEXT,
        claimant_phone TEXT,
        category TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('consultation', 'help', 'complaint')),
        description TEXT NOT NULL,
        channel TEXT NOT NULL,
        contact_name TEXT,
        contact_phone TEXT,
        status TEXT NOT NULL CHECK (status IN
            ('received', 'assigned', 'in_progress', 'replied', 'closed', 'rated', 'reopened')),
        assignee_id INTEGER REFERENCES staff(id),
        office TEXT NOT NULL,
        filed_at TEXT NOT NULL,
        due_on TEXT NOT NULL,
        reply TEXT,
        replied_at TEXT,
        closed_at TEXT,
        rating TEXT CHECK (rating IS NULL OR rating IN ('满意', '基本满意', '不满意')),
        rating_comment TEXT,
        rated_at TEXT,
        escalated_to INTEGER REFERENCES staff(id),
        last_reminded_on TEXT,
        updated_at TEXT NOT NULL,
        CHECK (credit_code IS NOT NULL OR claimant_phone IS NOT NULL))""",
    "CREATE INDEX problems_enterprise ON problems(credit_code, status, due_on)",
    "CREATE INDEX problems_assignee ON problems(assignee_id, status, due_on)",
    "CREATE INDEX problems_office ON problems(office, status, due_on)",
    "CREATE INDEX problems_open_due ON problems(status, due_on)",
    "CREATE INDEX problems_claimant ON problems(claimant_phone) WHERE claimant_phone IS NOT NULL",
    """CREATE TABLE pushes (
        id INTEGER PRIMARY KEY,
        credit_code TEXT NOT NULL REFERENCES enterprises(credit_code),
        measure_id TEXT NOT NULL,
        measure_version INTEGER NOT NULL,
        measure_title TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pushed', 'delivered', 'viewed', 'applied', 'redeemed',
            'declined', 'not_eligible', 'to_confirm', 'withdrawn')),
        reason TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (credit_code, measure_id, measure_version))""",
    "CREATE INDEX pushes_enterprise ON pushes(credit_code, status)",
    "CREATE INDEX pushes_measure ON pushes(measure_id, status)",
    """CREATE TABLE push_opt_outs (
        id INTEGER PRIMARY KEY,
        credit_code TEXT NOT NULL REFERENCES enterprises(credit_code),
        category TEXT NOT NULL,
        at TEXT NOT NULL,
        by TEXT NOT NULL,
        ended_at TEXT,
        ended_by TEXT)""",
    "CREATE UNIQUE INDEX opt_outs_current ON push_opt_outs(credit_code, category) WHERE ended_at IS NULL",
    """CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        actor TEXT NOT NULL,
        actor_role TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        credit_code TEXT,
        problem_id INTEGER REFERENCES problems(id),
        push_id INTEGER REFERENCES pushes(id),
        from_value TEXT,
        to_value TEXT,
        note TEXT,
        changes TEXT NOT NULL DEFAULT '{}',
        corrects INTEGER REFERENCES events(id))""",
    "CREATE INDEX events_problem ON events(problem_id, id)",
    "CREATE INDEX events_enterprise ON events(credit_code, id)",
    "CREATE INDEX events_push ON events(push_id, id) WHERE push_id IS NOT NULL",
    """CREATE TABLE extensions (
        id INTEGER PRIMARY KEY,
        problem_id INTEGER NOT NULL REFERENCES problems(id),
        days INTEGER NOT NULL CHECK (days > 0),
        reason TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
        decided_by TEXT,
        decided_at TEXT,
        decision_note TEXT)""",
    "CREATE INDEX extensions_problem ON extensions(problem_id, status)",
    """CREATE TABLE visits (
        id INTEGER PRIMARY KEY,
        credit_code TEXT NOT NULL REFERENCES enterprises(credit_code),
        staff_id INTEGER NOT NULL REFERENCES staff(id),
        occasion TEXT NOT NULL CHECK (occasion IN
            ('创新孵化', '经营困难', '登记纳统', '战略调整', '增资扩产', '筹备上市', '日常走访')),
        visited_on TEXT NOT NULL,
        notes TEXT NOT NULL,
        created_at TEXT NOT NULL)""",
    "CREATE INDEX visits_enterprise ON visits(credit_code, visited_on)",
    """CREATE TABLE handoffs (
        id INTEGER PRIMARY KEY,
        credit_code TEXT REFERENCES enterprises(credit_code),
        claimant_name TEXT,
        claimant_phone TEXT,
        conversation_id TEXT NOT NULL,
        transcript TEXT NOT NULL,
        staff_id INTEGER REFERENCES staff(id),
        office TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
        requested_at TEXT NOT NULL,
        closed_at TEXT,
        closed_by TEXT)""",
    "CREATE INDEX handoffs_open ON handoffs(conversation_id, status)",
    "CREATE INDEX handoffs_staff ON handoffs(staff_id, status)",
]

# Records are kept for supervision (全程留痕): history tables refuse deletes and event rows are immutable.
_KEEP = [
    *(f"""CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t}
          BEGIN SELECT RAISE(ABORT, '记录不可删除，请以新事件更正'); END"""
      for t in ("events", "problems", "pairings", "visits", "pushes", "extensions", "handoffs", "push_opt_outs")),
    """CREATE TRIGGER events_immutable BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, '事件记录不可修改，请以新事件更正'); END""",
]

# v2: an anonymous claimant's self-reported 统一社会信用代码 gets its own column (NULL when none). Up to v1
# the chat appended it to the description. The upgrade copies those codes into the column, each
# copy recorded as a system event (全程留痕), and leaves the descriptions as they were filed.
# Self-contained on purpose (plain SQL, no ledger.events): a migration must not change with the code.
_OLD_CLAIM_NOTE = re.compile(r"（反映人自报统一社会信用代码：([0-9A-Z]{18})，未登录核验）")
_COPY_NOTE = "数据升级：反映人自报的统一社会信用代码（未核验）由问题描述另记入单独字段，问题描述保持原样"


def _copy_claimed_codes(db) -> None:
    stamp = clock.iso(clock.now())
    rows = db.execute("SELECT id, description FROM problems WHERE credit_code IS NULL"
                      " AND description LIKE '%反映人自报统一社会信用代码%'").fetchall()
    for pid, description in rows:
        found = _OLD_CLAIM_NOTE.search(description or "")
        if not (found and cc.is_valid(found.group(1))):
            continue
        code = found.group(1)
        db.execute("UPDATE problems SET claimed_credit_code = ?, updated_at = ? WHERE id = ?", [code, stamp, pid])
        filed = db.execute("SELECT min(id) FROM events WHERE problem_id = ? AND type = 'filed'", [pid]).fetchone()[0]
        db.execute("INSERT INTO events (at, type, actor, actor_role, actor_name, problem_id, note, changes, corrects)"
                   " VALUES (?, 'correction', 'system', 'system', '系统', ?, ?, ?, ?)",
                   [stamp, pid, _COPY_NOTE, json.dumps({"claimed_credit_code": [None, code]}, ensure_ascii=False),
                    filed])


_CLAIMED_CREDIT_CODE = [
    "ALTER TABLE problems ADD COLUMN claimed_credit_code TEXT",
    "CREATE INDEX problems_claimed ON problems(claimed_credit_code) WHERE claimed_credit_code IS NOT NULL",
    _copy_claimed_codes,
]

# v3: idempotent filing. A problem filed through a channel that may repeat a request (the chat: a reply lost
# when a service died after the ledger write, and the user confirms again) carries the key of that filing
# (conversation id + form instance); the unique index makes a second problem with the same key impossible.
_FILING_KEY = [
    "ALTER TABLE problems ADD COLUMN filing_key TEXT",
    "CREATE UNIQUE INDEX problems_filing_key ON problems(filing_key) WHERE filing_key IS NOT NULL",
]

Step = Union[str, Callable]
MIGRATIONS: list[list[Step]] = [_INITIAL + _KEEP, _CLAIMED_CREDIT_CODE, _FILING_KEY]
