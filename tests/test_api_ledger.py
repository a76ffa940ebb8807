"""Staff/enterprise API over the demo ledger: the authorization matrix (each role × each endpoint,
including another official's enterprise), refused transitions (409), malformed input (422)."""
import io

import pytest
from openpyxl import load_workbook

from ledger.demo import credit_code_of
from tests.fixtures.demo_env import demo_client

P = "/api/v1"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with demo_client(tmp_path_factory.mktemp("api")) as c:
        yield c


def staff_token(client, login, pw):
    r = client.post(f"{P}/auth/token", data={"username": login, "password": pw})
    assert r.status_code == 200, r.text
    assert r.json()["token_type"] == "bearer"
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def ent_token(client, key):
    r = client.post(f"{P}/auth/enterprise-token", data={"credit_code": credit_code_of(key), "password": "Qiye@2026"})
    assert r.status_code == 200 and r.json()["role"] == "enterprise", r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture(scope="module")
def who(client):
    return {
        "none": {},
        "admin": staff_token(client, "admin", "Admin@2026"),
        "leader": staff_token(client, "wangjianguo", "Leader@2026"),   # 运输服务科: zhangwei's office
        "cadre": staff_token(client, "zhangwei", "Cadre@2026"),        # paired with 顺达 (shunda)
        "other_cadre": staff_token(client, "chenjing", "Cadre@2026"),  # 行政审批科, not paired with shunda
        "other_leader": staff_token(client, "lixiaomei", "Leader@2026"),
        "ent": ent_token(client, "shunda"),
        "other_ent": ent_token(client, "eroad"),
    }


SHUNDA = credit_code_of("shunda")


@pytest.fixture(scope="module")
def ticket(client, who):
    rows = client.get(f"{P}/problems", params={"credit_code": SHUNDA}, headers=who["admin"]).json()
    return rows[0]["ticket_no"]


# expected status per role for reading shunda's records
READ = {"none": 401, "admin": 200, "leader": 200, "cadre": 200, "other_cadre": 404, "other_leader": 404,
        "ent": 200, "other_ent": 404}


@pytest.mark.parametrize("path", ["/enterprises/{code}", "/enterprises/{code}/dossier",
                                  "/enterprises/{code}/dossier.xlsx", "/enterprises/{code}/dossier?format=xlsx",
                                  "/enterprises/{code}/pushes", "/problems/{ticket}"])
@pytest.mark.parametrize("role", list(READ))
def test_read_matrix(client, who, ticket, path, role):
    r = client.get(P + path.format(code=SHUNDA, ticket=ticket), headers=who[role])
    expected = READ[role]
    if path == "/problems/{ticket}" and role == "other_leader":
        expected = 200  # the ticket is an 审批服务 problem: 行政审批科 is its responsible office, she leads it
    assert r.status_code == expected, (role, path, r.text[:200])
    if r.status_code == 404:
        assert r.json()["code"] in ("ENTERPRISE_NOT_FOUND", "PROBLEM_NOT_FOUND")


def test_not_found_is_indistinguishable_from_not_yours(client, who):
    missing = client.get(f"{P}/problems/HQ-20000101-0001", headers=who["other_cadre"]).json()
    assert missing["code"] == "PROBLEM_NOT_FOUND"
    fake = client.get(f"{P}/enterprises/91350100M000100Y43/dossier", headers=who["other_cadre"]).json()
    theirs = client.get(f"{P}/enterprises/{SHUNDA}/dossier", headers=who["other_cadre"]).json()
    assert fake == theirs


@pytest.mark.parametrize("role,status", [("none", 401), ("admin", 200), ("leader", 200), ("cadre", 200),
                                         ("other_cadre", 404), ("other_leader", 200), ("ent", 403),
                                         ("other_ent", 404)])
def test_note_event_matrix(client, who, ticket, role, status):
    # other_leader leads 行政审批科, the responsible office of this 审批服务 problem, so she may act on it
    r = client.post(f"{P}/problems/{ticket}/events", json={"type": "note", "note": f"{role} 的办理备注"},
                    headers=who[role])
    assert r.status_code == status, r.text


@pytest.mark.parametrize("method,path,body", [
    ("get", "/staff", None), ("get", "/pairings/coverage", None), ("get", "/pairings/unpaired", None),
    ("get", "/stats", None),
    ("post", "/staff", {"login": "newbie", "name": "新同事", "role": "cadre", "office": "运输服务科",
                        "password": "Newbie@2026"}),
])
@pytest.mark.parametrize("role", ["none", "leader", "cadre", "ent", "admin"])
def test_admin_only_matrix(client, who, method, path, body, role):
    r = getattr(client, method)(P + path, headers=who[role], **({"json": body} if body else {}))
    expected = {"none": 401, "admin": 201 if method == "post" else 200}.get(role, 403)
    if role == "admin" and method == "post" and r.status_code == 409:
        return  # the same admin POST already ran in another parametrisation
    assert r.status_code == expected, r.text


def test_listings_are_scoped(client, who):
    mine = {e["credit_code"] for e in client.get(f"{P}/enterprises", headers=who["cadre"]).json()}
    theirs = {e["credit_code"] for e in client.get(f"{P}/enterprises", headers=who["other_cadre"]).json()}
    assert SHUNDA in mine and credit_code_of("eroad") in theirs and not mine & theirs
    assert [e["credit_code"] for e in client.get(f"{P}/enterprises", headers=who["ent"]).json()] == [SHUNDA]
    assert len(client.get(f"{P}/enterprises", headers=who["admin"]).json()) == 20
    probs = client.get(f"{P}/problems", headers=who["cadre"]).json()
    assert probs and all(p["credit_code"] in mine or p["assignee"]["login"] == "zhangwei" for p in probs)
    assert all(p["credit_code"] == SHUNDA for p in client.get(f"{P}/problems", headers=who["ent"]).json())
    overdue = client.get(f"{P}/problems", params={"overdue": True}, headers=who["cadre"]).json()
    assert overdue and all(p["overdue"] and p["days_left"] < 0 for p in overdue)


def test_refused_transition_is_409_in_chinese(client, who):
    t = client.get(f"{P}/problems", params={"status": "rated"}, headers=who["admin"]).json()[0]["ticket_no"]
    r = client.post(f"{P}/problems/{t}/events", json={"type": "status", "to_status": "in_progress"},
                    headers=who["admin"])
    assert r.status_code == 409 and r.json()["code"] == "TRANSITION_REFUSED"
    assert r.json()["message"] == "已评价的诉求不能直接改为办理中，请先重新打开"


def test_malformed_input_is_422_with_field_messages(client, who, ticket):
    r = client.post(f"{P}/problems/{ticket}/events", json={"type": "fly"}, headers=who["cadre"])
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "type"
    assert "操作类型应为以下之一" in r.json()["fields"][0]["message"]
    r = client.post(f"{P}/enterprises", json={"credit_code": "91350100M000100Y44", "name": "某某公司", "industry": "道路货运",
                                              "size": "巨", "region": "甘肃省"}, headers=who["admin"])
    fields = {f["field"]: f["message"] for f in r.json()["fields"]}
    assert r.status_code == 422 and "校验位" in fields["credit_code"] and "大、中、小、微" in fields["size"]
    r = client.post(f"{P}/problems/{ticket}/events", json={"type": "extension_request", "days": 99, "note": "x理由"},
                    headers=who["cadre"])
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "days"


def test_pairing_tier_rule_409(client, who):
    r = client.post(f"{P}/pairings", json={"credit_code": credit_code_of("jiaoke"), "login": "wangjianguo"},
                    headers=who["admin"])
    assert r.status_code == 409 and "中小微企业应由干部包抓" in r.json()["message"]
    r = client.post(f"{P}/pairings", json={"credit_code": credit_code_of("jiaoke"), "login": "liuyang"},
                    headers=who["admin"])
    assert r.status_code == 201
    assert client.get(f"{P}/pairings/coverage", headers=who["admin"]).json()["coverage_rate"] == 1.0


def test_handling_flow_and_extension_approval_over_http(client, who):
    r = client.post(f"{P}/problems", json={"category": "收费", "kind": "help", "description": "ETC 通行费扣费重复，请核实"},
                    headers=who["ent"])
    assert r.status_code == 201 and r.json()["assignee"]["login"] == "zhangwei"
    t = r.json()["ticket_no"]
    ev = lambda body, role="cadre": client.post(f"{P}/problems/{t}/events", json=body, headers=who[role])  # noqa: E731
    assert ev({"type": "status", "to_status": "in_progress"}).json()["status"] == "in_progress"
    assert ev({"type": "extension_request", "days": 2, "note": "需银行流水核对"}).status_code == 200
    assert ev({"type": "extension_decision", "approve": True}, "cadre").status_code == 403
    assert ev({"type": "extension_decision", "approve": True}, "leader").json()["extensions"][0]["status"] == "approved"
    assert ev({"type": "reply", "reply": "已核实为重复扣费，款项将于3个工作日内退回"}).json()["status"] == "replied"
    assert ev({"type": "rating", "rating": "满意", "note": "满意"}, "ent").json()["status"] == "rated"
    shown = client.get(f"{P}/problems/{t}", headers=who["ent"]).json()
    assert {e["type"] for e in shown["events"]} <= {"filed", "assign", "status", "reply", "rating", "transfer"}
    assert client.get(f"{P}/stats", headers=who["admin"]).json()["by_status"]["rated"] >= 2


def test_xlsx_download(client, who):
    r = client.get(f"{P}/enterprises/{SHUNDA}/dossier.xlsx", headers=who["cadre"])
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert wb["企业概况"]["B1"].value == "内容" and wb["企业概况"]["B2"].value == "兰州顺达货运有限公司"


def test_bad_login_401(client):
    r = client.post(f"{P}/auth/token", data={"username": "admin", "password": "nope"})
    assert r.status_code == 401 and r.json()["code"] == "BAD_CREDENTIALS"
    r = client.get(f"{P}/problems", headers={"Authorization": "Bearer garbage"})
    assert r.status_code == 401 and "登录" in r.json()["message"]


def test_claimed_credit_code_of_an_anonymous_claimant_is_shown_unverified(client, who):
    """Staff record a caller who says which company they are from: the code has its own field, marked
    未核验, with the registered enterprise of that code as a hint; it is not that enterprise's problem."""
    body = {"category": "收费", "kind": "complaint", "description": "超限站收费不给票 司机说是顺达的车",
            "claimant_name": "马师傅", "claimant_phone": "13893110002", "claimed_credit_code": SHUNDA.lower()}
    wrong = SHUNDA[:17] + ("0" if SHUNDA[17] != "0" else "1")
    r = client.post(f"{P}/problems", json={**body, "claimed_credit_code": wrong}, headers=who["admin"])
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "claimed_credit_code"
    assert "校验位" in r.json()["message"]
    r = client.post(f"{P}/problems", json=body, headers=who["admin"])
    assert r.status_code == 201, r.text
    t = r.json()["ticket_no"]
    shown = client.get(f"{P}/problems/{t}", headers=who["admin"]).json()
    assert shown["credit_code"] is None and shown["claimed_credit_code"] == SHUNDA
    assert shown["description"] == body["description"]
    assert shown["claimed_credit_code_label"] == "反映人自报统一社会信用代码（未核验）"
    assert shown["claimed_enterprise"] == {"credit_code": SHUNDA, "name": "兰州顺达货运有限公司", "verified": False}
    listed = {p["ticket_no"]: p for p in client.get(f"{P}/problems", headers=who["admin"]).json()}
    assert listed[t]["claimed_credit_code"] == SHUNDA
    others = [p for p in listed.values() if p["ticket_no"] != t]
    assert all(p["claimed_credit_code"] is None and p["claimed_credit_code_label"] is None for p in others)
    # not shunda's problem: shunda and its paired cadre do not get it; admins see it in the dossier, apart
    assert client.get(f"{P}/problems/{t}", headers=who["ent"]).status_code == 404
    assert t not in {p["ticket_no"] for p in client.get(f"{P}/problems", headers=who["cadre"]).json()}
    doc = client.get(f"{P}/enterprises/{SHUNDA}/dossier", headers=who["admin"]).json()
    assert t in {p["ticket_no"] for p in doc["claimed_problems"]} and t not in {p["ticket_no"] for p in doc["problems"]}
    assert t not in {p["ticket_no"] for p in
                     client.get(f"{P}/enterprises/{SHUNDA}/dossier", headers=who["cadre"]).json()["claimed_problems"]}
    assert "claimed_problems" not in client.get(f"{P}/enterprises/{SHUNDA}/dossier", headers=who["ent"]).json()
    # an enterprise filing for itself cannot attach a claimed code
    r = client.post(f"{P}/problems", json={**body, "claimed_credit_code": credit_code_of("eroad")}, headers=who["ent"])
    assert r.status_code == 201 and r.json()["claimed_credit_code"] is None and r.json()["credit_code"] == SHUNDA


def test_an_empty_push_status_filter_is_refused_not_ignored(client, who):
    """``?status=`` is not one of the documented statuses: 422, as for any other unknown status."""
    for value in ("", "nonsense"):
        r = client.get(f"{P}/enterprises/{SHUNDA}/pushes", params={"status": value}, headers=who["cadre"])
        assert r.status_code == 422 and r.json()["code"] == "INVALID_PUSH_STATUS", (value, r.text)
    assert client.get(f"{P}/enterprises/{SHUNDA}/pushes", headers=who["cadre"]).status_code == 200
