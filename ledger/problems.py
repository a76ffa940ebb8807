"""Problems raised by businesses (企业诉求): filing with an atomic ticket number and a working-day
deadline, reading with visibility rules, and the single place where a problem row changes
(``apply_change``, which always writes the matching event)."""
from __future__ import annotations

from datetime import date, datetime

import sqlite_utils

from huiqi.errors import Invalid, NotFound
from huiqi.settings import Settings, get_settings
from huiqi.text import normalize
from huiqi.vocabulary import OPEN_PROBLEM_STATUSES, PROBLEM_CATEGORIES, PROBLEM_STATUS_LABELS, ticket_number
from ledger import clock, credit_code as cc, events
from ledger.access import PROBLEM_NOT_FOUND, problem_scope
from ledger.actors import SYSTEM, Actor
from ledger.contacts import normalize_phone
from ledger.db import insert, one, rows, transaction, update
from ledger.offices import office_for
from ledger.pairings import current_official
from ledger.staff import get_staff_by_id
from ledger.workdays import calendar_for

CATEGORIES = PROBLEM_CATEGORIES
KINDS = {"consultation": "咨询", "help": "求助", "complaint": "投诉"}
CHANNELS = {"chat": "网站智能客服", "phone": "电话", "visit": "走访", "web": "网站留言", "letter": "来信",
            "hotline": "12345热线", "other": "其他"}
STATUS_LABELS, OPEN_STATUSES = PROBLEM_STATUS_LABELS, OPEN_PROBLEM_STATUSES
MAX_DESCRIPTION = 4000
CLAIMED_CODE_LABEL = "反映人自报统一社会信用代码（未核验）"


def deadline_days(kind: str, settings: Settings) -> int:
    return {"consultation": settings.deadline_consultation_days, "help": settings.deadline_help_days,
            "complaint": settings.deadline_complaint_days}[kind]


def _validate_filing(category, kind, description, channel) -> str:
    if category not in CATEGORIES:
        raise Invalid("INVALID_CATEGORY", f"诉求类别应为以下之一：{'、'.join(CATEGORIES)}。", field="category")
    if kind not in KINDS:
        raise Invalid("INVALID_KIND", "诉求性质应为 咨询(consultation)、求助(help) 或 投诉(complaint)。", field="kind")
    if channel not in CHANNELS:
        raise Invalid("INVALID_CHANNEL", f"受理渠道应为以下之一：{'、'.join(CHANNELS)}。", field="channel")
    text = normalize(description or "")
    if len(text) < 5:
        raise Invalid("DESCRIPTION_TOO_SHORT", "请把问题描述得具体一些（至少5个字），方便我们办理。", field="description")
    if len(text) > MAX_DESCRIPTION:
        raise Invalid("DESCRIPTION_TOO_LONG", f"问题描述请控制在{MAX_DESCRIPTION}字以内。", field="description")
    return text


def _next_ticket(db: sqlite_utils.Database, day: date) -> str:
    """Next ticket number of the day; call inside a write transaction (BEGIN IMMEDIATE)."""
    key = day.strftime("%Y%m%d")
    n = db.execute("INSERT INTO ticket_counters (day, last) VALUES (?, 1) ON CONFLICT(day) DO UPDATE"
                   " SET last = last + 1 RETURNING last", [key]).fetchone()[0]
    return ticket_number(day, n)


def file_problem(db: sqlite_utils.Database, *, category: str, description: str, kind: str = "help",
                 credit_code: str | None = None, claimant_name: str | None = None,
                 claimant_phone: str | None = None, contact_name: str | None = None,
                 contact_phone: str | None = None, claimed_credit_code: str | None = None, channel: str = "chat",
                 actor: Actor | None = None, now: datetime | None = None, settings: Settings | None = None,
                 filing_key: str | None = None) -> dict:
    """File a problem for an enterprise (``credit_code``) or an unverified claimant (name + phone).

    A claimant may state the credit code of their company (``claimed_credit_code``): it is checked
    (GB 32100 check digit) and kept in its own column, unverified; it is not the problem's
    ``credit_code`` (the problem is not filed in that enterprise's dossier and the enterprise does
    not see it). With a verified ``credit_code`` it is not recorded.

    Gets a ticket number HQ-YYYYMMDD-NNNN, the responsible office for the category, the
    enterprise's paired official as assignee (status ``assigned``; ``received`` when there is none)
    and a due date ``deadline_days(kind)`` working days after the filing day.

    Idempotent with ``filing_key``: when a problem was already filed with that key (a request
    repeated after its answer was lost), that problem is returned, unchanged, and nothing is filed.
    """
    s = settings or get_settings()
    text = _validate_filing(category, kind, description, channel)
    code = claimed = None
    if credit_code:
        code = cc.validate(credit_code)
        if one(db, "SELECT 1 AS x FROM enterprises WHERE credit_code = ?", [code]) is None:
            raise Invalid("ENTERPRISE_NOT_REGISTERED", "该统一社会信用代码尚未在本局建档，请留下姓名和电话以个人身份提交。",
                          field="credit_code")
    else:
        if not normalize(claimant_name or ""):
            raise Invalid("NAME_REQUIRED", "请留下您的姓名或称呼，方便工作人员联系您。", field="claimant_name")
        claimant_phone = normalize_phone(claimant_phone, "claimant_phone")
        if claimed_credit_code:
            claimed = cc.validate(claimed_credit_code, field="claimed_credit_code")
    contact_phone = normalize_phone(contact_phone, "contact_phone") if contact_phone else None
    moment = now or clock.now()
    day = clock.day_of(moment)
    stamp = clock.iso(moment)
    actor = actor or (Actor.enterprise(code) if code else Actor.claimant(claimant_phone, claimant_name or ""))
    office = office_for(category, s)
    due_on = calendar_for(s).add_workdays(day, deadline_days(kind, s)).isoformat()
    with transaction(db):
        if filing_key:
            earlier = one(db, "SELECT * FROM problems WHERE filing_key = ?", [filing_key])
            if earlier is not None:
                return describe(db, earlier, today=day, settings=s)
        official = current_official(db, code) if code else None
        row = {"ticket_no": _next_ticket(db, day), "credit_code": code,
               "claimant_name": None if code else normalize(claimant_name),
               "claimant_phone": None if code else claimant_phone, "claimed_credit_code": claimed,
               "category": category, "kind": kind,
               "description": text, "channel": channel, "contact_name": normalize(contact_name or "") or None,
               "contact_phone": contact_phone, "status": "received", "assignee_id": None, "office": office,
               "filed_at": stamp, "due_on": due_on}
        pid = insert(db, "problems", {**row, "filing_key": filing_key, "updated_at": stamp})
        events.record(db, actor, "filed", credit_code=code, problem_id=pid, to_value="received",
                      note=f"受理{KINDS[kind]}（{category}），责任科室：{office}，办理时限：{due_on}",
                      changes={k: [None, v] for k, v in row.items()}, at=stamp)
        if official:
            apply_change(db, load(db, pid), SYSTEM, "assign", {"assignee_id": official["id"], "status": "assigned"},
                         from_value=None, to_value=official["login"],
                         note=f"按包抓联关系交办给{official['name']}（{official['office']}）", at=stamp)
    return describe(db, load(db, pid), today=day, settings=s)


def find_by_filing_key(db: sqlite_utils.Database, filing_key: str, **kw) -> dict | None:
    """The problem filed with this idempotency key, or None."""
    row = one(db, "SELECT * FROM problems WHERE filing_key = ?", [filing_key]) if filing_key else None
    return describe(db, row, **kw) if row else None


def load(db: sqlite_utils.Database, problem_id: int) -> dict:
    return one(db, "SELECT * FROM problems WHERE id = ?", [problem_id])


def load_visible(db: sqlite_utils.Database, actor: Actor, ticket_no: str) -> dict:
    """The problem row if it exists and the actor may see it; NotFound otherwise (same message)."""
    cond, args = problem_scope(actor)
    row = one(db, f"SELECT p.* FROM problems p WHERE p.ticket_no = ? AND {cond}",
              [(ticket_no or "").strip().upper(), *args])
    if row is None:
        raise NotFound(*PROBLEM_NOT_FOUND)
    return row


def apply_change(db: sqlite_utils.Database, row: dict, actor: Actor, type_: str, changes: dict, *,
                 from_value=None, to_value=None, note: str | None = None, at: str | None = None) -> dict:
    """Change the problem row and append the event recording it (inside one transaction)."""
    stamp = at or clock.iso(clock.now())
    diff = {k: [row[k], v] for k, v in changes.items() if row[k] != v}
    with transaction(db):
        update(db, "problems", "id", row["id"], {**{k: v[1] for k, v in diff.items()}, "updated_at": stamp})
        events.record(db, actor, type_, credit_code=row["credit_code"], problem_id=row["id"], from_value=from_value,
                      to_value=to_value, note=note, changes=diff, at=stamp)
    return {**row, **{k: v[1] for k, v in diff.items()}, "updated_at": stamp}


def describe(db: sqlite_utils.Database, row: dict, *, today: date | None = None,
             settings: Settings | None = None, staff_cache: dict | None = None, calendar=None) -> dict:
    """The problem as shown to users: labels, assignee, days left (working days; negative = overdue).
    A caller describing many problems passes the ``calendar`` (``calendar_for(settings)``) once, or
    uses ``describe_rows``."""
    today = today or clock.day_of(clock.now())
    if calendar is None and row["status"] in OPEN_STATUSES:
        calendar = calendar_for(settings or get_settings())
    return _described(db, dict(row), today, calendar, staff_cache if staff_cache is not None else {})


def describe_rows(db: sqlite_utils.Database, sql: str, params, *, today: date | None = None,
                  settings: Settings | None = None, staff_cache: dict | None = None) -> list[dict]:
    """``describe`` for every problem row a query returns (rows selected with ``p.*`` or ``*``)."""
    today = today or clock.day_of(clock.now())
    cal = calendar_for(settings or get_settings())
    cache = staff_cache if staff_cache is not None else {}
    return [_described(db, row, today, cal, cache) for row in rows(db, sql, params)]


def _described(db: sqlite_utils.Database, out: dict, today: date, calendar, cache: dict) -> dict:
    """Adds the labels, deadline figures, assignee and claimed enterprise to ``out`` (a row dict it may change)."""
    out.pop("filing_key", None)  # internal (it holds the chat conversation id)
    out["status_label"] = STATUS_LABELS[out["status"]]
    out["kind_label"] = KINDS[out["kind"]]
    is_open = out["status"] in OPEN_STATUSES
    due = date.fromisoformat(out["due_on"])
    out["overdue"] = is_open and due < today
    out["days_left"] = calendar.workdays_between(today, due) if is_open else None
    for key, target in (("assignee_id", "assignee"), ("escalated_to", "escalated_to_staff")):
        sid = out[key]
        if sid is not None and sid not in cache:
            cache[sid] = get_staff_by_id(db, sid)
        staff = cache.get(sid) if sid is not None else None
        out[target] = ({k: staff[k] for k in ("login", "name", "office", "phone")} if staff else None)
    claimed = out.get("claimed_credit_code")
    out["claimed_credit_code_label"] = CLAIMED_CODE_LABEL if claimed else None
    out["claimed_enterprise"] = _claimed_enterprise(db, claimed, cache) if claimed else None
    return out


def _claimed_enterprise(db: sqlite_utils.Database, code: str, cache: dict) -> dict | None:
    """The registered enterprise a claimant's self-reported code names (a hint for pairing the
    problem with an enterprise, not a verification), or None when no enterprise has that code."""
    key = ("claimed", code)
    if key not in cache:
        cache[key] = one(db, "SELECT credit_code, name FROM enterprises WHERE credit_code = ?", [code])
    found = cache[key]
    return {**found, "verified": False} if found else None


def list_problems(db: sqlite_utils.Database, actor: Actor, *, status: str | None = None,
                  overdue: bool | None = None, category: str | None = None, credit_code: str | None = None,
                  open_only: bool = False, escalated: bool = False, pending_extension: bool = False,
                  today: date | None = None, limit: int = 200, offset: int = 0,
                  settings: Settings | None = None) -> list[dict]:
    """The problems the actor may see, overdue first, then by due date."""
    today = today or clock.day_of(clock.now())
    cond, args = problem_scope(actor)
    where, params = [cond], list(args)
    open_marks = ",".join("?" * len(OPEN_STATUSES))
    if status:
        if status not in STATUS_LABELS:
            raise Invalid("INVALID_STATUS", f"状态应为以下之一：{'、'.join(STATUS_LABELS)}。", field="status")
        where.append("p.status = ?")
        params.append(status)
    if open_only:
        where.append(f"p.status IN ({open_marks})")
        params.extend(OPEN_STATUSES)
    if category:
        if category not in CATEGORIES:
            raise Invalid("INVALID_CATEGORY", f"诉求类别应为以下之一：{'、'.join(CATEGORIES)}。", field="category")
        where.append("p.category = ?")
        params.append(category)
    if credit_code:
        where.append("p.credit_code = ?")
        params.append(credit_code)
    if escalated:
        where.append("p.escalated_to IS NOT NULL" if actor.role == "admin" else "p.escalated_to = ?")
        params.extend([] if actor.role == "admin" else [actor.staff_id])
    if pending_extension:
        where.append("EXISTS (SELECT 1 FROM extensions x WHERE x.problem_id = p.id AND x.status = 'pending')")
    if overdue is not None:
        clause = f"(p.status IN ({open_marks}) AND p.due_on < ?)"
        where.append(clause if overdue else f"NOT {clause}")
        params.extend([*OPEN_STATUSES, today.isoformat()])
    sql = (f"SELECT p.*, e.name AS enterprise_name FROM problems p LEFT JOIN enterprises e"
           f" ON e.credit_code = p.credit_code WHERE {' AND '.join(where)}"
           f" ORDER BY CASE WHEN p.status IN ({open_marks}) AND p.due_on < ? THEN 0"
           f" WHEN p.status IN ({open_marks}) THEN 1 ELSE 2 END, p.due_on, p.id LIMIT ? OFFSET ?")
    params.extend([*OPEN_STATUSES, today.isoformat(), *OPEN_STATUSES, limit, offset])
    return describe_rows(db, sql, params, today=today, settings=settings)


def get_problem(db: sqlite_utils.Database, actor: Actor, ticket_no: str, *, today: date | None = None,
                settings: Settings | None = None) -> dict:
    """One problem with its full event history and extension requests."""
    row = load_visible(db, actor, ticket_no)
    out = describe(db, row, today=today, settings=settings)
    if row["credit_code"]:
        out["enterprise_name"] = one(db, "SELECT name FROM enterprises WHERE credit_code = ?",
                                     [row["credit_code"]])["name"]
    out["events"] = events.for_problem(db, row["id"])
    out["extensions"] = list(db.query("SELECT * FROM extensions WHERE problem_id = ? ORDER BY id", [row["id"]]))
    return for_business(out) if not actor.is_staff else out


def for_business(problem: dict) -> dict:
    """What a business sees of its problem: no internal notes, reminders, escalations or extension requests."""
    hidden = {"escalated_to", "escalated_to_staff", "last_reminded_on", "extensions", "claimed_enterprise"}
    out = {k: v for k, v in problem.items() if k not in hidden}
    if "events" in out:
        out["events"] = events.for_enterprise_eyes(out["events"])
    return out


def find_for_claimant(db: sqlite_utils.Database, ticket_no: str, phone: str, **kw) -> dict:
    """A problem looked up without a log-in, by ticket number plus the phone given when filing (chat bot).

    Only problems filed without a log-in (no ``credit_code``) are found this way: a company's problem
    is read by the company logged in, or by staff. Ticket numbers are sequential per day and a
    company's contact phone is no secret, so ticket + phone must not open a company's records."""
    phone = normalize_phone(phone)
    row = one(db, "SELECT * FROM problems WHERE ticket_no = ? AND credit_code IS NULL AND claimant_phone = ?",
              [(ticket_no or "").strip().upper(), phone])
    if row is None:
        raise NotFound("PROBLEM_NOT_FOUND", "没有找到与该编号和电话对应的诉求，请核对后再试；以企业名义反映的诉求，请企业登录后查询。")
    return describe(db, row, **kw)
