"""The console's workbench endpoints over the demo ledger: the actions a problem's state allows (and
that each offered action then succeeds), 我的企业 with visits due, navigation counts, the hand-off
queue, bulk enterprise import (all or nothing, with a per-row report) and the console page itself
(no inline script, user text never written as HTML)."""
from __future__ import annotations

import http.server
import io
import json
import random
import re
import threading
import urllib.parse
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook

from huiqi.settings import get_settings
from ledger import handoffs
from ledger.credit_code import generate
from ledger.db import connect
from ledger.demo import credit_code_of
from ledger.portfolio import VISIT_EVERY_DAYS
from tests.fixtures.demo_env import bearer, demo_client

P = "/api/v1"
CONSOLE_DIR = Path(__file__).resolve().parent.parent / "api" / "static" / "console"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with demo_client(tmp_path_factory.mktemp("workbench")) as c:
        yield c


@pytest.fixture(scope="module")
def who(client):
    return {"admin": bearer(client, "admin", "Admin@2026"), "leader": bearer(client, "wangjianguo", "Leader@2026"),
            "cadre": bearer(client, "zhangwei", "Cadre@2026"), "other_cadre": bearer(client, "chenjing", "Cadre@2026"),
            "other_leader": bearer(client, "lixiaomei", "Leader@2026")}


def actions(client, headers, ticket):
    r = client.get(f"{P}/workbench/problems/{ticket}/actions", headers=headers)
    assert r.status_code == 200, r.text
    return [a["key"] for a in r.json()["actions"]]


def file_for_shunda(client, who) -> str:
    r = client.post(f"{P}/problems", headers=who["cadre"], json={
        "category": "审批服务", "kind": "help", "description": "道路运输证年审材料已交，想问进度", "credit_code": credit_code_of("shunda"),
        "channel": "phone"})
    assert r.status_code == 201, r.text
    return r.json()["ticket_no"]


def event(client, headers, ticket, **body):
    r = client.post(f"{P}/problems/{ticket}/events", headers=headers, json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_offered_actions_follow_the_state_and_each_offered_one_succeeds(client, who):
    ticket = file_for_shunda(client, who)  # assigned to the paired cadre at once
    offered = actions(client, who["cadre"], ticket)
    assert "start" in offered and {"reply", "close", "reopen", "assign", "extension_decision", "reminder",
                                   "rating"}.isdisjoint(offered)
    # What the state forbids is also refused by the API (the console never offers a 409).
    assert client.post(f"{P}/problems/{ticket}/events", headers=who["cadre"],
                       json={"type": "status", "to_status": "closed"}).status_code == 409

    event(client, who["cadre"], ticket, type="status", to_status="in_progress")
    offered = actions(client, who["cadre"], ticket)
    assert "reply" in offered and "start" not in offered and "close" not in offered

    event(client, who["cadre"], ticket, type="extension_request", days=2, note="等待外单位材料")
    assert "extension_request" not in actions(client, who["cadre"], ticket)
    assert "extension_decision" not in actions(client, who["cadre"], ticket)
    assert {"extension_decision", "reminder", "assign"} <= set(actions(client, who["leader"], ticket))
    event(client, who["leader"], ticket, type="extension_decision", approve=True)
    assert "extension_decision" not in actions(client, who["leader"], ticket)

    event(client, who["cadre"], ticket, type="reply", reply="材料已审核通过，请到窗口领证。")
    offered = actions(client, who["cadre"], ticket)
    assert {"close", "reopen", "rating"} <= set(offered) and {"reply", "transfer", "extension_request"}.isdisjoint(offered)
    event(client, who["cadre"], ticket, type="status", to_status="closed")
    assert "close" not in actions(client, who["cadre"], ticket)


def test_another_officials_problem_has_no_actions_but_a_404(client, who):
    ticket = file_for_shunda(client, who)
    r = client.get(f"{P}/workbench/problems/{ticket}/actions", headers=who["other_cadre"])
    assert r.status_code == 404 and r.json()["code"] == "PROBLEM_NOT_FOUND"
    assert client.get(f"{P}/workbench/problems/{ticket}/actions").status_code == 401


def test_my_enterprises_lists_only_mine_with_open_problems_and_visit_due(client, who):
    mine = client.get(f"{P}/workbench/enterprises", headers=who["cadre"]).json()
    listed = {e["credit_code"]: e for e in mine["items"]}
    api_list = client.get(f"{P}/enterprises", headers=who["cadre"]).json()
    assert set(listed) == {e["credit_code"] for e in api_list}
    assert all(e["official"]["login"] == "zhangwei" for e in listed.values())
    open_problems = client.get(f"{P}/problems", params={"open": "true", "limit": 1000}, headers=who["cadre"]).json()
    for code, e in listed.items():
        assert e["open_problems"] == sum(p["credit_code"] == code for p in open_problems)
        assert e["overdue_problems"] == sum(p["credit_code"] == code and p["overdue"] for p in open_problems)

    code = credit_code_of("shunda")
    visited = (date.today() - timedelta(days=3)).isoformat()
    r = client.post(f"{P}/enterprises/{code}/visits", headers=who["cadre"],
                    json={"occasion": "日常走访", "visited_on": visited, "notes": "了解企业冷链车辆运营情况"})
    assert r.status_code == 201, r.text
    after = {e["credit_code"]: e for e in client.get(f"{P}/workbench/enterprises", headers=who["cadre"]).json()["items"]}
    assert after[code]["last_visit"] == visited
    assert after[code]["visit_due_on"] == (date.fromisoformat(visited) + timedelta(days=VISIT_EVERY_DAYS)).isoformat()
    assert after[code]["visit_overdue"] is False


def test_counts_match_the_lists(client, who):
    counts = client.get(f"{P}/workbench/counts", headers=who["leader"]).json()
    open_ = client.get(f"{P}/problems", params={"open": "true", "limit": 1000}, headers=who["leader"]).json()
    pending = client.get(f"{P}/problems", params={"pending_extension": "true"}, headers=who["leader"]).json()
    assert counts["open"] == len(open_) and counts["overdue"] == sum(p["overdue"] for p in open_)
    assert counts["pending_extensions"] == len(pending)
    assert "pending_extensions" not in client.get(f"{P}/workbench/counts", headers=who["cadre"]).json()


def test_the_hand_off_queue_shows_the_transcript_and_who_to_call_and_closes_once(client, who):
    db = connect(settings=get_settings())
    code = credit_code_of("shunda")
    opened = handoffs.request_handoff(db, conversation_id="conv-console-1", transcript="企业：我要找人工",
                                      credit_code=code)
    queue = client.get(f"{P}/workbench/handoffs", headers=who["cadre"]).json()
    item = next(h for h in queue if h["id"] == opened["id"])
    profile = client.get(f"{P}/enterprises/{code}", headers=who["cadre"]).json()
    assert item["transcript"] == "企业：我要找人工" and item["enterprise_name"] == profile["name"]
    assert item["call_back_phone"] == profile["contact_phone"]
    assert all(h["id"] != opened["id"] for h in client.get(f"{P}/workbench/handoffs", headers=who["other_cadre"]).json())
    assert client.post(f"{P}/workbench/handoffs/{opened['id']}/close", headers=who["other_cadre"]).status_code == 404

    r = client.post(f"{P}/workbench/handoffs/{opened['id']}/close", headers=who["cadre"],
                    json={"outcome": "called_back", "note": "已电话说明办理流程"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed" and r.json()["handed_back"] is False  # no Rasa in this test
    assert handoffs.open_handoff(db, "conv-console-1") is None
    assert client.post(f"{P}/workbench/handoffs/{opened['id']}/close", headers=who["cadre"]).status_code == 404
    db.close()


class _RasaHttpApi(http.server.BaseHTTPRequestHandler):
    """Records what the API sends to Rasa's HTTP API (trigger_intent) and answers as Rasa does: ``messages`` are
    what its socket.io output got into an open chat page (none: the page was closed)."""
    received: list = []
    page_open: bool = False

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append((urllib.parse.urlsplit(self.path), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        said = [{"recipient_id": "x", "text": "工作人员：…"}] if type(self).page_open else []
        self.wfile.write(json.dumps({"tracker": {}, "messages": said}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def rasa_http_api(monkeypatch):
    """Rasa's HTTP API at an OS-assigned local port, and the settings pointing at it."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _RasaHttpApi)
    _RasaHttpApi.received = []
    _RasaHttpApi.page_open = False
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("HUIQI_RASA_PORT", str(server.server_port))
    get_settings.cache_clear()
    yield _RasaHttpApi.received
    server.shutdown()
    monkeypatch.undo()
    get_settings.cache_clear()


def test_closing_a_hand_off_hands_the_chat_back_and_is_on_record(client, who, rasa_http_api):
    db = connect(settings=get_settings())
    opened = handoffs.request_handoff(db, conversation_id="conv-console-3", transcript="企业：请人工帮忙",
                                      credit_code=credit_code_of("shunda"))
    r = client.post(f"{P}/workbench/handoffs/{opened['id']}/close", headers=who["cadre"],
                    json={"outcome": "called_back", "note": "已电话答复"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed" and r.json()["handed_back"] is True
    [(url, body)] = rasa_http_api
    assert url.path == "/conversations/conv-console-3/trigger_intent" and body["name"] == "EXTERNAL_handback"
    assert urllib.parse.parse_qs(url.query)["token"] == [get_settings().rasa_api_token()]
    ev = db.execute("SELECT actor, at, note FROM events WHERE type = 'handoff_closed' ORDER BY id DESC LIMIT 1").fetchone()
    assert ev[0] == "zhangwei" and ev[1] and ev[2] == "已电话回复企业，人工服务结束：已电话答复"
    db.close()


def test_one_close_for_hand_offs_and_only_in_the_officials_own_queue(client, who):
    closes = [path for path in client.get("/openapi.json").json()["paths"] if "handoffs" in path and path.endswith("/close")]
    assert closes == ["/api/v1/workbench/handoffs/{handoff_id}/close"]
    db = connect(settings=get_settings())
    opened = handoffs.request_handoff(db, conversation_id="conv-console-4", transcript="企业：我要人工",
                                      credit_code=credit_code_of("shunda"))
    for role in ("other_cadre", "other_leader"):  # 行政审批科: not shunda's official, not that office
        for action in ("take", "close"):
            r = client.post(f"{P}/workbench/handoffs/{opened['id']}/{action}", headers=who[role])
            assert r.status_code == 404 and r.json()["code"] == "HANDOFF_NOT_FOUND", (role, action, r.text)
    assert handoffs.open_handoff(db, "conv-console-4")["id"] == opened["id"]  # still open, untouched
    r = client.post(f"{P}/workbench/handoffs/{opened['id']}/close", headers=who["leader"])  # shunda's office
    assert r.status_code == 200 and r.json()["closed_by"] == "wangjianguo"
    db.close()


def _csv(rows: list[list[str]]) -> bytes:
    head = "统一社会信用代码,企业名称,行业,规模,所在地区,联系电话,标签\n"
    return (head + "".join(",".join(r) + "\n" for r in rows)).encode("utf-8")


def test_bulk_import_is_all_or_nothing_with_a_row_report(client, who):
    good1, good2 = generate(rng=random.Random(101)), generate(rng=random.Random(102))
    existing = credit_code_of("shunda")
    bad = _csv([[good1, "兰州新路物流有限公司", "道路货运", "小", "甘肃省/兰州市/城关区", "13909310001", "冷链运输、危化品"],
                ["91620100MA7X", "坏代码运输公司", "道路货运", "小", "甘肃省/兰州市", "", ""],
                [existing, "重复建档公司", "道路货运", "小", "甘肃省/兰州市", "", ""],
                [good2, "兰州快通客运有限公司", "道路客运", "特大", "甘肃省/兰州市", "", ""],
                [good1, "重复行公司", "道路货运", "小", "甘肃省/兰州市", "", ""],
                ["", "没有代码公司", "道路货运", "小", "甘肃省/兰州市", "", ""]])
    r = client.post(f"{P}/workbench/enterprises/import", headers=who["admin"], files={"file": ("list.csv", bad, "text/csv")})
    assert r.status_code == 422 and r.json()["code"] == "IMPORT_ROWS_INVALID"
    report = {e["row"]: e for e in r.json()["errors"]}
    assert set(report) == {3, 4, 5, 6, 7}
    assert report[4]["field"] is None or report[4]["message"].find("已建档") >= 0
    assert "规模" in report[5]["message"] and "第2行" in report[6]["message"] and "统一社会信用代码" in report[7]["message"]
    assert all(re.search(r"[\u4e00-\u9fff]", e["message"]) for e in r.json()["errors"])
    assert client.get(f"{P}/enterprises/{good1}", headers=who["admin"]).status_code == 404  # nothing half-written

    wb = Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "行业", "规模", "所在地区", "标签"])
    ws.append([good1, "兰州新路物流有限公司", "道路货运", "小", "甘肃省/兰州市/城关区", "冷链运输、危化品"])
    ws.append([good2, "兰州快通客运有限公司", "道路客运", "中", "甘肃省/兰州市", ""])
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(f"{P}/workbench/enterprises/import", headers=who["admin"],
                    files={"file": ("list.xlsx", buf.getvalue(), "application/octet-stream")})
    assert r.status_code == 200 and r.json()["created"] == 2, r.text
    made = client.get(f"{P}/enterprises/{good1}", headers=who["admin"]).json()
    assert made["tags"] == sorted(["冷链运输", "危化品"]) and made["region"] == "甘肃省/兰州市/城关区"
    unpaired = {e["credit_code"] for e in client.get(f"{P}/pairings/unpaired", headers=who["admin"]).json()}
    assert {good1, good2} <= unpaired

    assert client.post(f"{P}/workbench/enterprises/import", headers=who["cadre"],
                       files={"file": ("list.csv", bad, "text/csv")}).status_code == 403
    wrong = client.post(f"{P}/workbench/enterprises/import", headers=who["admin"],
                        files={"file": ("list.txt", b"x", "text/plain")})
    assert wrong.status_code == 422 and wrong.json()["code"] == "IMPORT_UNSUPPORTED_TYPE"
    headless = client.post(f"{P}/workbench/enterprises/import", headers=who["admin"],
                           files={"file": ("list.csv", "企业名称\n某公司\n".encode(), "text/csv")})
    assert headless.status_code == 422 and "统一社会信用代码" in headless.json()["message"]


def test_the_console_page_runs_no_inline_script_and_writes_no_html_from_data(client):
    page = client.get("/console/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    html = page.text
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    for src in re.findall(r'(?:src|href)="(/console/assets/[^"]+)"', html):
        assert client.get(src).status_code == 200, src
    own_js = [p for p in CONSOLE_DIR.rglob("*.js") if "vendor" not in p.parts]
    assert own_js
    for path in own_js:
        text = path.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in text, f"{path.name} uses {sink}"
    assert (CONSOLE_DIR / "vendor" / "echarts.LICENSE").exists()


def test_the_dashboard_is_for_leaders_and_its_numbers_are_the_stats(client, who):
    assert client.get(f"{P}/workbench/dashboard", headers=who["cadre"]).status_code == 403
    d = client.get(f"{P}/workbench/dashboard", headers=who["leader"])
    assert d.status_code == 200, d.text
    d = d.json()
    assert d["stats"] == client.get(f"{P}/stats", headers=who["admin"]).json()
    coverage = client.get(f"{P}/pairings/coverage", headers=who["admin"]).json()
    assert d["coverage"] == {"enterprises": coverage["enterprises"], "paired": coverage["paired"],
                             "unpaired": len(coverage["unpaired"]), "coverage_rate": coverage["coverage_rate"]}
    t = d["timeline"]
    assert sum(sum(v) for v in t["series"].values()) == d["stats"]["total"]
    for status, n in d["stats"]["by_status"].items():
        assert sum(t["series"][status]) == n
    assert all(w == date.fromisoformat(w).isoformat() and date.fromisoformat(w).weekday() == 0 for w in t["weeks"])


def test_a_leader_takes_an_anonymous_hand_off_of_the_office(client, who):
    db = connect(settings=get_settings())
    opened = handoffs.request_handoff(db, conversation_id="conv-console-2", transcript="访客：我要人工",
                                      claimant_name="李先生", claimant_phone="13909317777")
    leader_of_office = next(h for h in client.get(f"{P}/workbench/handoffs", headers=who["admin"]).json()
                            if h["id"] == opened["id"])
    assert leader_of_office["call_back_phone"] == "13909317777" and leader_of_office["official"] is None
    assert client.post(f"{P}/workbench/handoffs/{opened['id']}/take", headers=who["cadre"]).status_code == 404
    r = client.post(f"{P}/workbench/handoffs/{opened['id']}/take", headers=who["admin"])
    assert r.status_code == 200 and r.json()["official"]["login"] == "admin"
    ev = db.execute("SELECT actor, note FROM events WHERE type = 'handoff' ORDER BY id DESC LIMIT 1").fetchone()
    assert ev[0] == "admin" and "接待" in ev[1]
    handoffs.close_handoff(db, opened["id"])
    assert client.post(f"{P}/workbench/handoffs/{opened['id']}/take", headers=who["admin"]).status_code == 404
    db.close()


def test_assignees_are_the_active_officials_without_their_phones(client, who):
    people = client.get(f"{P}/workbench/assignees", headers=who["cadre"]).json()
    staff = client.get(f"{P}/staff", headers=who["admin"]).json()
    assert {p["login"] for p in people} == {s["login"] for s in staff if s["active"] and s["role"] in ("leader", "cadre")}
    assert all(set(p) == {"login", "name", "role", "office"} for p in people)
    assert client.get(f"{P}/workbench/assignees").status_code == 401


def _staff_name(db, login: str) -> str:
    return db.execute("SELECT name FROM staff WHERE login = ?", [login]).fetchone()[0]


def _replies(db, conversation_id: str) -> list:
    return db.execute("SELECT actor, actor_name, at, note FROM events WHERE type = 'handoff_reply' AND to_value = ?"
                      " ORDER BY id", [conversation_id]).fetchall()


def shunda_handoff(db, conversation_id: str, transcript: str = "企业：我要人工") -> dict:
    """An open hand-off of 顺达 (the demo cadre's enterprise) for the conversation ``conversation_id``."""
    return handoffs.request_handoff(db, conversation_id=conversation_id, transcript=transcript,
                                    credit_code=credit_code_of("shunda"))


def test_an_official_replies_into_the_open_chat_and_the_reply_is_on_record(client, who, rasa_http_api):
    db = connect(settings=get_settings())
    opened = shunda_handoff(db, "conv-reply-1", "企业：通行证的事找人工")
    _RasaHttpApi.page_open = True
    text = "您好，我是您的包抓联干部，通行证材料已收到，<b>今天</b>下午给您回电。"
    r = client.post(f"{P}/workbench/handoffs/{opened['id']}/reply", headers=who["cadre"], json={"text": f"  {text}\n"})
    assert r.status_code == 200, r.text
    out, name = r.json(), _staff_name(db, "zhangwei")
    assert out["delivered"] is True and out["text"] == text and out["actor_name"] == name
    [(url, body)] = rasa_http_api  # said into that conversation's open page, as the official's message
    assert url.path == "/conversations/conv-reply-1/trigger_intent" and body["name"] == "EXTERNAL_staff_reply"
    assert body["entities"] == {"staff_reply": text, "staff_name": name}
    assert urllib.parse.parse_qs(url.query)["output_channel"] == ["socketio"]
    [(actor, actor_name, at, note)] = _replies(db, "conv-reply-1")  # on record: who, when, what
    assert (actor, actor_name, note) == ("zhangwei", name, text) and at == out["at"]
    item = next(h for h in client.get(f"{P}/workbench/handoffs", headers=who["cadre"]).json() if h["id"] == opened["id"])
    assert item["status"] == "open"  # the hand-off goes on: the bot stays quiet
    assert item["transcript"].startswith("企业：通行证的事找人工\n工作人员" + name) and item["transcript"].endswith(text)
    assert "未送达" not in item["transcript"] and out["transcript"] == item["transcript"]
    dossier = client.get(f"{P}/enterprises/{credit_code_of('shunda')}/dossier", headers=who["cadre"]).json()
    assert text in json.dumps(dossier, ensure_ascii=False)  # in the enterprise's record too
    db.close()


def test_a_reply_the_business_could_not_see_says_so_and_stays_on_record(client, who, rasa_http_api):
    db = connect(settings=get_settings())
    opened = shunda_handoff(db, "conv-reply-2")
    _RasaHttpApi.page_open = False  # Rasa ran the intent, but no browser was in the conversation's room
    r = client.post(f"{P}/workbench/handoffs/{opened['id']}/reply", headers=who["cadre"], json={"text": "请问方便接电话吗？"})
    assert r.status_code == 200, r.text
    assert r.json()["delivered"] is False and len(rasa_http_api) == 1
    assert r.json()["transcript"].endswith("上一条消息未送达，企业的对话页面不在线，请电话联系。")
    assert [row[3] for row in _replies(db, "conv-reply-2")] == ["请问方便接电话吗？"]
    assert handoffs.open_handoff(db, "conv-reply-2")["id"] == opened["id"]
    db.close()


def test_a_reply_with_rasa_down_is_kept_and_reported_undelivered(client, who):
    db = connect(settings=get_settings())
    opened = shunda_handoff(db, "conv-reply-3")
    r = client.post(f"{P}/workbench/handoffs/{opened['id']}/reply", headers=who["cadre"], json={"text": "稍后回电"})
    assert r.status_code == 200 and r.json()["delivered"] is False  # no Rasa in this test
    assert [row[3] for row in _replies(db, "conv-reply-3")] == ["稍后回电"]
    db.close()


def test_only_an_official_who_may_see_the_hand_off_replies_and_not_once_it_is_closed(client, who, rasa_http_api):
    db = connect(settings=get_settings())
    opened = shunda_handoff(db, "conv-reply-4")
    url = f"{P}/workbench/handoffs/{opened['id']}/reply"
    for role in ("other_cadre", "other_leader"):  # 行政审批科: not shunda's official, not that office
        r = client.post(url, headers=who[role], json={"text": "你好"})
        assert r.status_code == 404 and r.json()["code"] == "HANDOFF_NOT_FOUND", (role, r.text)
    assert client.post(f"{P}/workbench/handoffs/999999/reply", headers=who["cadre"], json={"text": "你好"}).status_code == 404
    assert client.post(url, json={"text": "你好"}).status_code == 401
    r = client.post(url, headers=who["leader"], json={"text": "我是运输服务科科长，马上联系您"})  # shunda's office
    assert r.status_code == 200, r.text
    handoffs.close_handoff(db, opened["id"], note="测试结束")
    r = client.post(url, headers=who["cadre"], json={"text": "还在吗？"})
    assert r.status_code == 409 and r.json()["code"] == "HANDOFF_CLOSED" and "电话" in r.json()["message"]
    r = client.post(url, headers=who["other_cadre"], json={"text": "还在吗？"})  # closed or not, not theirs: 404
    assert r.status_code == 404
    assert [row[0] for row in _replies(db, "conv-reply-4")] == ["wangjianguo"]  # nothing refused was recorded
    assert len(rasa_http_api) == 1  # and nothing refused was sent
    db.close()


def test_a_reply_is_bounded_and_not_blank(client, who, rasa_http_api):
    db = connect(settings=get_settings())
    opened = shunda_handoff(db, "conv-reply-5")
    url = f"{P}/workbench/handoffs/{opened['id']}/reply"
    r = client.post(url, headers=who["cadre"], json={"text": "长" * (handoffs.MAX_REPLY_CHARS + 1)})
    assert r.status_code == 422 and r.json()["code"] == "REPLY_TOO_LONG"
    assert f"{handoffs.MAX_REPLY_CHARS}字以内" in r.json()["message"] and r.json()["fields"][0]["field"] == "text"
    for blank in ("", "   ", "\u3000\ufeff\n"):
        r = client.post(url, headers=who["cadre"], json={"text": blank})
        assert r.status_code == 422 and r.json()["code"] == "REPLY_EMPTY", (blank, r.text)
    assert client.post(url, headers=who["cadre"], json={}).status_code == 422
    assert _replies(db, "conv-reply-5") == [] and rasa_http_api == []
    r = client.post(url, headers=who["cadre"], json={"text": "长" * handoffs.MAX_REPLY_CHARS})  # at the limit: sent
    assert r.status_code == 200 and len(_replies(db, "conv-reply-5")) == 1
    schema = client.get("/openapi.json").json()
    op = schema["paths"]["/api/v1/workbench/handoffs/{handoff_id}/reply"]["post"]
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/HandoffReplyOut")
    assert schema["components"]["schemas"]["ReplyIn"]["properties"]["text"]["maxLength"] == handoffs.MAX_REPLY_CHARS
    db.close()
