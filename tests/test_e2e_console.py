"""The console (工作台) in headless Chromium against the live services, at an office screen
(1366×768) and a phone (390×844): a cadre answers a complaint filed in the chat, access by URL is
refused, a hand-off is taken and handed back, a leader approves an extension and reads the dashboard.

Screenshots go to ``$HUIQI_DATA_DIR/screenshots/console-*.png`` (git-ignored, under the data dir).
"""
from __future__ import annotations

import re
import time
import uuid

import pytest
import yaml
from playwright.sync_api import expect

from pathlib import Path

from huiqi.text import normalize
from test_e2e_browser import (TICKET, bot_bubble, business, launch, log_in as chat_log_in, open_chat,  # noqa: F401
                              send, shots_dir)

pytestmark = [pytest.mark.services, pytest.mark.browser]

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
PASSWORDS = {"cadre": "Cadre@2026", "leader": "Leader@2026", "admin": "Admin@2026"}
CADRE = "zhangwei"        # 张伟, 运输服务科, paired with the chat test's business (兰州顺达货运)
LEADER = "wangjianguo"    # 王建国, leader of 运输服务科
REAL_DOCS = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "real_docs"  # ../shared next to the repo


def token(api, login: str, role: str) -> dict:
    r = api.post("/api/v1/auth/token", data={"username": login, "password": PASSWORDS[role]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def console_log_in(page, settings, login: str, role: str, path: str = "") -> None:
    page.goto(f"{settings.api_url}/console/{path}")
    page.get_by_label("登录名").fill(login)
    page.get_by_label("密码").fill(PASSWORDS[role])
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()


def no_sideways_scroll(page, viewport: dict) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], "the page scrolls sideways"


def open_action(page, label: str):
    """Open the action's panel on a problem page; returns the panel."""
    panel = page.locator("details.action").filter(has=page.locator("summary", has_text=label))
    panel.locator("summary").click()
    return panel


def file_complaint_in_chat(page, settings, marker: str) -> str:
    code, password, name = business()
    open_chat(page, settings)
    chat_log_in(page, code, password)
    bot_bubble(page, name)
    send(page, "我要反映问题")
    page.get_by_role("button", name="审批服务").last.click()
    bot_bubble(page, "描述")
    send(page, f"道路运输证换证申请提交三周了还没有结果，请帮忙催一下（{marker}）")
    confirm = page.get_by_role("button", name="确认提交").last
    expect(confirm).to_be_visible(timeout=60_000)
    confirm.click()
    return TICKET.search(bot_bubble(page, TICKET).inner_text()).group(0)


def test_a_complaint_filed_in_the_chat_is_answered_from_the_cadres_queue(launch, settings, api, shots_dir):
    marker = uuid.uuid4().hex[:6]
    chat = launch(DESKTOP)
    ticket = file_complaint_in_chat(chat, settings, marker)

    page = launch(DESKTOP)
    console_log_in(page, settings, CADRE, "cadre")
    expect(page.get_by_role("heading", name="我的诉求")).to_be_visible()
    mine = api.get("/api/v1/problems", params={"open": "true", "limit": 1000}, headers=token(api, CADRE, "cadre")).json()
    expect(page.locator("#nav a[href='#/problems'] .badge")).to_have_text(str(len(mine)))
    row = page.locator("tbody tr").filter(has_text=ticket)
    expect(row).to_have_count(1)
    # Overdue first: the rows are in the API's order, whose overdue problems lead.
    shown = page.locator("tbody tr td:first-child").all_inner_texts()
    assert shown == [p["ticket_no"] for p in mine]
    page.get_by_label("搜索").fill(marker)
    expect(page.locator("tbody tr")).to_have_count(1)
    page.screenshot(path=str(shots_dir / "console-queue-1366x768.png"), full_page=True)

    row.get_by_role("link", name=ticket).click()
    expect(page.get_by_role("heading", name=f"诉求 {ticket}")).to_be_visible()
    expect(page.locator(".description")).to_contain_text(marker)
    # Filed and assigned to the paired official: it can be started, not yet answered or closed.
    expect(page.locator("details.action summary")).to_contain_text(["开始办理"])
    assert "答复企业" not in page.locator("details.action summary").all_inner_texts()
    assert "办结" not in page.locator("details.action summary").all_inner_texts()
    open_action(page, "开始办理").get_by_role("button", name="提交").click()
    expect(page.locator("dl.facts")).to_contain_text("办理中")

    reply = normalize(f"已与行政审批科核实，换证已于今日办结，请到窗口领取（{marker}）")  # as the ledger stores it
    panel = open_action(page, "答复企业")
    panel.get_by_label("答复企业的内容").fill(reply)
    panel.get_by_role("button", name="提交").click()
    expect(page.locator(".reply")).to_have_text(reply)
    expect(page.locator("ol.timeline")).to_contain_text("已答复")
    page.screenshot(path=str(shots_dir / "console-problem-1366x768.png"), full_page=True)

    # The business sees the answer in the chat's status check and in its own dossier.
    send(chat, f"查一下{ticket}的进度")
    bot_bubble(chat, reply)
    code, password, _ = business()
    biz = api.post("/api/v1/auth/enterprise-token", data={"credit_code": code, "password": password}).json()
    dossier = api.get(f"/api/v1/enterprises/{code}/dossier", headers={"Authorization": f"Bearer {biz['access_token']}"})
    assert [p["reply"] for p in dossier.json()["problems"] if p["ticket_no"] == ticket] == [reply]


def test_the_console_on_a_phone_keeps_the_session_and_logs_out(launch, settings, api, shots_dir):
    page = launch(PHONE)
    console_log_in(page, settings, CADRE, "cadre")
    expect(page.get_by_role("heading", name="我的诉求")).to_be_visible()
    no_sideways_scroll(page, PHONE)
    page.screenshot(path=str(shots_dir / "console-queue-390x844.png"), full_page=True)

    page.get_by_role("button", name="菜单").click()
    page.get_by_role("link", name="我的企业").click()
    expect(page.get_by_role("heading", name="我的企业")).to_be_visible()
    mine = api.get("/api/v1/enterprises", headers=token(api, CADRE, "cadre")).json()
    expect(page.locator("tbody tr")).to_have_count(len(mine))
    no_sideways_scroll(page, PHONE)
    page.screenshot(path=str(shots_dir / "console-enterprises-390x844.png"), full_page=True)

    code, _, name = business()
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    no_sideways_scroll(page, PHONE)
    page.screenshot(path=str(shots_dir / "console-enterprise-390x844.png"), full_page=True)

    page.reload()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_label("登录名")).to_be_visible()
    page.reload()
    expect(page.get_by_label("登录名")).to_be_visible()


def wait_for_push(api, headers, code: str, timeout_s: float = 120) -> dict:
    """A push to this enterprise that staff may mark 已申请 (waits for the start-up push sync)."""
    deadline = time.monotonic() + timeout_s
    while True:
        pushes = api.get(f"/api/v1/enterprises/{code}/pushes", headers=headers).json()
        target = next((p for p in pushes if p["status"] in ("pushed", "delivered", "viewed")), None)
        if target or time.monotonic() > deadline:
            assert target, f"no push to record for {code}: {[p['status'] for p in pushes]}"
            return target
        time.sleep(1)


def test_the_enterprise_page_registers_a_visit_and_push_progress(launch, settings, api, shots_dir):
    code, _, name = business()
    headers = token(api, CADRE, "cadre")
    target = wait_for_push(api, headers, code)  # the supervisor's push sync runs as the services start
    page = launch(DESKTOP)
    console_log_in(page, settings, CADRE, "cadre", f"#/enterprises/{code}")
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    notes = normalize(f"走访了解冷链车辆年审情况，企业反映良好（{uuid.uuid4().hex[:6]}）")
    page.get_by_label("走访事由").select_option("日常走访")
    page.get_by_label("走访情况").fill(notes)
    page.get_by_role("button", name="登记走访").click()
    expect(page.get_by_text(notes)).to_be_visible()
    assert notes in [v["notes"] for v in api.get(f"/api/v1/enterprises/{code}/visits", headers=headers).json()]

    row = page.locator("tbody tr").filter(has_text=target["measure_title"]).first
    row.get_by_role("button", name="已申请").click()
    expect(page.locator("tbody tr").filter(has_text=target["measure_title"]).first.locator(".push-status")).to_have_text("已申请")
    assert api.get(f"/api/v1/pushes/{target['id']}", headers=headers).json()["status"] == "applied"
    page.screenshot(path=str(shots_dir / "console-enterprise-1366x768.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("button", name="下载一企一档（Excel）").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert open(download.value.path(), "rb").read(2) == b"PK"


def test_a_cadre_cannot_open_another_cadres_enterprise_or_problem_by_url(launch, settings, api):
    admin = token(api, "admin", "admin")
    others = [e for e in api.get("/api/v1/enterprises", headers=admin).json()
              if e["official"] and e["official"]["login"] not in (CADRE, None)]
    theirs = next(e for e in others if e["official"]["login"] in ("liuyang", "chenjing", "zhaolei"))
    problem = next(p for p in api.get("/api/v1/problems", params={"limit": 1000}, headers=admin).json()
                   if p["credit_code"] and p["credit_code"] in {e["credit_code"] for e in others}
                   and (p["assignee"] or {}).get("login") != CADRE)
    cadre = token(api, CADRE, "cadre")
    assert api.get(f"/api/v1/enterprises/{theirs['credit_code']}/dossier", headers=cadre).status_code == 404
    assert api.get(f"/api/v1/problems/{problem['ticket_no']}", headers=cadre).status_code == 404

    page = launch(DESKTOP)
    console_log_in(page, settings, CADRE, "cadre", f"#/enterprises/{theirs['credit_code']}")
    expect(page.get_by_role("alert")).to_have_text("未找到该企业，或该企业不在您的包抓范围内。")
    expect(page.get_by_text(theirs["name"])).to_have_count(0)
    page.goto(f"{settings.api_url}/console/#/problems/{problem['ticket_no']}")
    expect(page.get_by_role("alert")).to_have_text("未找到该诉求，请核对编号。")
    expect(page.get_by_text(problem["description"][:20])).to_have_count(0)


def business_asks_for_a_person(launch, settings, question: str):
    """A logged-in business asks ``question`` (marked with a random tag) in the chat page on a phone, then asks for
    a person; returns the chat page, the business's name and the tag."""
    code, password, name = business()
    chat = launch(PHONE)
    open_chat(chat, settings)
    chat.locator("#login-box summary").click()
    chat_log_in(chat, code, password)
    bot_bubble(chat, name)
    marker = uuid.uuid4().hex[:6]
    send(chat, f"{question}（{marker}）")
    bot_bubble(chat, re.compile(r".+"))
    send(chat, "我要找人工客服")
    bot_bubble(chat, "已为您转人工")
    return chat, name, marker


def test_a_hand_off_shows_in_the_console_and_closing_it_hands_the_chat_back(launch, settings, api, shots_dir):
    chat, name, marker = business_asks_for_a_person(launch, settings, "冷链车通行证的事情想咨询一下")

    for viewport, suffix in ((DESKTOP, "1366x768"), (PHONE, "390x844")):
        page = launch(viewport)
        console_log_in(page, settings, CADRE, "cadre", "#/handoffs")
        card = page.locator("article.handoff").filter(has_text=marker)
        expect(card).to_have_count(1)
        expect(card.locator(".transcript")).to_contain_text("我要找人工客服")
        expect(card.get_by_role("heading", name=name)).to_be_visible()
        no_sideways_scroll(page, viewport)
        page.screenshot(path=str(shots_dir / f"console-handoffs-{suffix}.png"), full_page=True)

    card.get_by_role("button", name="已回电，结束并交还智能客服").click()
    expect(page.locator("article.handoff").filter(has_text=marker)).to_have_count(0)
    bot_bubble(chat, "工作人员已结束人工服务")
    open_now = api.get("/api/v1/workbench/handoffs", headers=token(api, CADRE, "cadre")).json()
    assert all(marker not in h["transcript"] for h in open_now)


def test_the_official_replies_from_the_console_into_the_business_chat(launch, settings, api, shots_dir):
    """A business asks for a person; the leader of the office takes the request in the console and writes; the
    message shows in the business's open chat page as theirs, the bot stays quiet, and once the page is closed
    the console says the business is not online (the message is still on record)."""
    chat, name, marker = business_asks_for_a_person(launch, settings, "车辆年审的材料想找人问一下")

    page = launch(DESKTOP)
    console_log_in(page, settings, LEADER, "leader", "#/handoffs")
    card = page.locator("article.handoff").filter(has_text=marker)
    card.get_by_role("button", name="我来接待").click()
    expect(card.get_by_role("button", name="我来接待")).to_have_count(0)  # now the leader's
    leader = page.locator("#who .user").inner_text()
    said = f"您好，年审材料请带原件到三楼窗口办理 <b>{marker}</b>"  # markup is shown as text, never as HTML
    card.get_by_label("回复企业").fill(said)
    card.get_by_role("button", name="发送到对话").click()
    expect(card.get_by_role("status")).to_contain_text("企业的对话页面已显示")
    expect(card.locator(".transcript")).to_contain_text(said)

    bubble = bot_bubble(chat, said)
    staff_name = re.search(r"工作人员（(.+?)）：", bubble.inner_text()).group(1)
    assert staff_name in leader and bubble.inner_text().startswith(f"工作人员（{staff_name}）：{said}")
    assert bubble.locator("b").count() == 0
    chat.screenshot(path=str(shots_dir / "chat-staff-reply-390x844.png"), full_page=True)
    page.screenshot(path=str(shots_dir / "console-handoff-reply-1366x768.png"), full_page=True)

    # The hand-off goes on: what the business says next goes to the transcript, not to the bot.
    bots_before = chat.locator(".msg.bot:not(.typing)").count()
    send(chat, f"好的，我明天上午过去（{marker}）")
    headers = token(api, LEADER, "leader")
    deadline = time.monotonic() + 60
    while True:
        item = next(h for h in api.get("/api/v1/workbench/handoffs", headers=headers).json() if marker in h["transcript"])
        if "我明天上午过去" in item["transcript"] or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert "我明天上午过去" in item["transcript"] and item["status"] == "open"
    assert chat.locator(".msg.bot:not(.typing)").count() == bots_before

    phone = launch(PHONE)
    console_log_in(phone, settings, LEADER, "leader", "#/handoffs")
    phone_card = phone.locator("article.handoff").filter(has_text=marker)
    expect(phone_card.locator(".transcript")).to_contain_text(said)
    expect(phone_card.get_by_label("回复企业")).to_be_visible()
    no_sideways_scroll(phone, PHONE)
    phone.screenshot(path=str(shots_dir / "console-handoff-reply-390x844.png"), full_page=True)

    # The business closes its page: the next message is kept on record, and the console says to call instead.
    chat.close()
    page.wait_for_timeout(1500)  # let the socket.io server see the page go (it leaves the conversation's room)
    card.get_by_label("回复企业").fill("请问还在吗？")
    card.get_by_role("button", name="发送到对话").click()
    expect(card.get_by_role("status")).to_have_text("对方不在线，消息已记录，请电话联系。")
    expect(card.locator(".transcript")).to_contain_text("请问还在吗？")
    expect(card.locator(".transcript")).to_contain_text("上一条消息未送达")
    page.screenshot(path=str(shots_dir / "console-handoff-reply-offline-1366x768.png"), full_page=True)
    r = api.post(f"/api/v1/workbench/handoffs/{item['id']}/close", headers=headers, json={"outcome": "closed"})
    assert r.status_code == 200, r.text


def test_a_leader_approves_an_extension_and_the_dashboard_equals_the_stats(launch, settings, api, shots_dir):
    cadre = token(api, CADRE, "cadre")
    problem = next(p for p in api.get("/api/v1/problems", params={"open": "true"}, headers=cadre).json()
                   if not any(x["status"] == "pending" for x in
                              api.get(f"/api/v1/problems/{p['ticket_no']}", headers=cadre).json()["extensions"]))
    asked = api.post(f"/api/v1/problems/{problem['ticket_no']}/events", headers=cadre,
                     json={"type": "extension_request", "days": 3, "note": "需要等待省厅批复材料"})
    assert asked.status_code == 200, asked.text

    page = launch(DESKTOP)
    console_log_in(page, settings, LEADER, "leader", "#/extensions")
    expect(page.get_by_role("heading", name="延期审批")).to_be_visible()
    page.get_by_role("link", name=problem["ticket_no"]).click()
    panel = open_action(page, "审批延期")
    expect(panel).to_contain_text("需要等待省厅批复材料")
    panel.get_by_role("button", name="同意延期").click()
    expect(page.locator("details[data-action='extension_decision']")).to_have_count(0)  # decided: no longer offered
    expect(page.locator("ol.timeline li").last).to_contain_text("延期审批")
    after = api.get(f"/api/v1/problems/{problem['ticket_no']}", headers=cadre).json()
    assert after["due_on"] > problem["due_on"]
    assert [x["status"] for x in after["extensions"]][-1] == "approved"

    # 交办 from a list of the officials (the leader may assign within the office).
    panel = open_action(page, "交办")
    panel.get_by_label("承办人").select_option("liuyang")
    panel.get_by_role("button", name="提交").click()
    expect(page.locator("dl.facts")).to_contain_text("刘洋")
    assert api.get(f"/api/v1/problems/{problem['ticket_no']}", headers=token(api, LEADER, "leader")).json()[
        "assignee"]["login"] == "liuyang"

    page.get_by_role("link", name="驾驶舱").click()
    expect(page.get_by_role("heading", name="驾驶舱")).to_be_visible()
    expect(page.locator("#chart-timeline canvas")).to_have_count(1)
    admin = token(api, "admin", "admin")
    stats = api.get("/api/v1/stats", headers=admin).json()
    coverage = api.get("/api/v1/pairings/coverage", headers=admin).json()

    def pct(x):
        return "—" if x is None else f"{x * 100:.1f}%"

    tile = lambda key: page.locator(f"[data-stat='{key}']")  # noqa: E731
    for key in ("total", "open", "overdue_open"):
        expect(tile(key)).to_have_text(str(stats[key]))
    expect(tile("overdue_rate")).to_have_text(pct(stats["overdue_rate"]))
    expect(tile("satisfaction_rate")).to_have_text(pct(stats["satisfaction_rate"]))
    expect(tile("mean_handling_days")).to_have_text("—" if stats["mean_handling_days"] is None
                                                    else str(stats["mean_handling_days"]).rstrip("0").rstrip("."))
    expect(tile("coverage_rate")).to_have_text(pct(coverage["coverage_rate"]))
    for status, n in stats["by_status"].items():
        expect(page.locator(f"td[data-status='{status}']")).to_have_text(str(n))
    rows = page.locator("tr[data-measure]")
    assert rows.count() > 0
    for i in range(min(rows.count(), 5)):
        measure_id = rows.nth(i).get_attribute("data-measure")
        funnel = api.get(f"/api/v1/policies/{measure_id}/funnel", headers=admin).json()
        cells = {c.get_attribute("data-stage"): c.inner_text() for c in rows.nth(i).locator("td[data-stage]").all()}
        assert cells == {k: str(v) for k, v in funnel["stages"].items()}
    page.screenshot(path=str(shots_dir / "console-dashboard-1366x768.png"), full_page=True)

    phone = launch(PHONE)
    console_log_in(phone, settings, LEADER, "leader", "#/dashboard")
    expect(phone.locator("[data-stat='total']")).to_have_text(str(stats["total"]))
    no_sideways_scroll(phone, PHONE)
    phone.screenshot(path=str(shots_dir / "console-dashboard-390x844.png"), full_page=True)


REAL_DOC = "rudong-2019-light-truck-permit-cancellation-notice.txt"  # a county notice, not among the seeds
REAL_QUESTION = "我们公司名下全是4.5吨以下的车，经营许可证会不会也被取消"  # ../shared/eval/real_docs/questions.json
REAL_PASSAGE = "一并注销"                                                # that question's expected passage


def test_an_admin_imports_a_real_document_through_the_preview_and_the_hit_test_and_chat_find_it(
        launch, settings, api, shots_dir):
    doc = REAL_DOCS / REAL_DOC
    assert doc.exists(), f"{doc} is missing (../shared/eval/real_docs)"
    admin = token(api, "admin", "admin")
    before = {m["id"] for m in api.get("/api/v1/policies", params={"limit": 1000}, headers=admin).json()["items"]}

    page = launch(DESKTOP)
    console_log_in(page, settings, "admin", "admin", "#/policies/import")
    expect(page.get_by_role("heading", name="导入政策文件")).to_be_visible()
    page.get_by_label("政策文件").set_input_files(str(doc))
    page.get_by_role("button", name="预览将导入的条目").click()
    confirm = page.get_by_role("button", name="确认导入并发布")
    expect(confirm).to_be_visible()
    preview = api.post("/api/v1/policies/import/preview", headers=admin,
                       files={"file": (doc.name, doc.read_bytes(), "text/plain")})
    assert preview.status_code == 200, preview.text
    # the preview lists what will be created, with each item's kind, before anything is written
    expect(page.locator("tr.preview-item")).to_have_count(len(preview.json()["items"]))
    first_kind = preview.json()["items"][0]["kind_label"]
    expect(page.locator("tr.preview-item").first).to_contain_text(first_kind)
    assert {m["id"] for m in api.get("/api/v1/policies", params={"limit": 1000}, headers=admin).json()["items"]} == before
    page.screenshot(path=str(shots_dir / "console-policy-import-preview-1366x768.png"), full_page=True)
    confirm.click()
    expect(page.get_by_role("heading", name="已导入并发布")).to_be_visible(timeout=60_000)

    after = api.get("/api/v1/policies", params={"limit": 1000}, headers=admin).json()["items"]
    doc_key = next((m["doc_key"] for m in after if REAL_PASSAGE in m["text"]), None)
    assert doc_key, "no published measure holds the document's text"
    new = {m["id"]: m for m in after if m["doc_key"] == doc_key}
    created = [i for i in new if i not in before]  # all of them on fresh data (make test); none on a re-run
    expect(page.get_by_text(re.compile(f"新增 {len(created)}"))).to_be_visible()
    assert created or new.keys() <= before

    page.get_by_role("link", name="做命中测试").click()
    page.get_by_label("问题").fill(REAL_QUESTION)
    page.get_by_role("button", name="测试").click()
    first = page.locator("tr.hit").first
    expect(first).to_be_visible(timeout=30_000)
    titles = page.locator("tr.hit td:nth-child(2) a").all_inner_texts()
    assert any(m["title"] in titles[:3] for m in new.values()), (titles, [m["title"] for m in new.values()])
    page.screenshot(path=str(shots_dir / "console-hit-test-1366x768.png"), full_page=True)

    # The business chat answers the same question with the new measure.
    chat = launch(DESKTOP)
    open_chat(chat, settings)
    send(chat, REAL_QUESTION)
    answer = bot_bubble(chat, re.compile("|".join(re.escape(m["title"][:12]) for m in new.values())))
    assert answer.is_visible()

    # The measure page: edit makes a version, the diff shows both sides, rollback restores the text.
    measure = next(iter(new.values()))
    page.goto(f"{settings.api_url}/console/#/policies/{measure['id']}")
    expect(page.get_by_role("heading", name=measure["title"])).to_be_visible()
    page.get_by_label("咨询电话/窗口").fill("0835-12328")
    page.get_by_label("修改原因").fill("补充咨询电话")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.get_by_text(f"v{measure['version'] + 1}（当前）")).to_be_visible()
    expect(page.locator(".diff pre.changed").first).to_be_visible()
    assert api.get(f"/api/v1/policies/{measure['id']}", headers=admin).json()["contact"] == "0835-12328"
    page.screenshot(path=str(shots_dir / "console-policy-1366x768.png"), full_page=True)
    page.get_by_role("button", name=f"回滚到 v{measure['version']}").click()
    expect(page.get_by_text(f"v{measure['version'] + 2}（当前）")).to_be_visible()
    assert api.get(f"/api/v1/policies/{measure['id']}", headers=admin).json()["contact"] == measure["contact"]

    # The admin corrects the inferred kind (shown in Chinese): a new version, and the kind is the admin's.
    other = "context" if measure["kind"] != "context" else "commitment"
    labels = api.get("/api/v1/workbench/vocabulary", headers=admin).json()["measure_kinds"]
    expect(page.get_by_label("类型")).to_have_value(measure["kind"])
    page.get_by_label("类型").select_option(label=labels[other])
    page.get_by_label("修改原因").fill("更正条目类型")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.get_by_text(f"v{measure['version'] + 3}（当前）")).to_be_visible()
    assert api.get(f"/api/v1/policies/{measure['id']}", headers=admin).json()["kind"] == other


def test_an_admin_bulk_imports_enterprises_with_a_row_report_then_pairs_them(launch, settings, api, shots_dir,
                                                                           tmp_path):
    import random

    from ledger.credit_code import generate

    rng = random.Random(uuid.uuid4().int)
    big, small = generate(rng=rng), generate(rng=rng)
    tag = uuid.uuid4().hex[:4]
    header = "统一社会信用代码,企业名称,行业,规模,所在地区,联系电话\n"
    bad = tmp_path / "enterprises-bad.csv"
    bad.write_text(header + f"{big},陇原大件物流集团{tag},道路货运,大,甘肃省/兰州市,13909310001\n"
                            f"{small},兰州小快运{tag},道路货运,小型,甘肃省/兰州市,\n", encoding="utf-8")
    good = tmp_path / "enterprises.csv"
    good.write_text(header + f"{big},陇原大件物流集团{tag},道路货运,大,甘肃省/兰州市,13909310001\n"
                             f"{small},兰州小快运{tag},道路货运,小,甘肃省/兰州市,\n", encoding="utf-8")
    admin = token(api, "admin", "admin")

    for viewport, suffix in ((PHONE, "390x844"), (DESKTOP, "1366x768")):
        page = launch(viewport)
        console_log_in(page, settings, "admin", "admin", "#/admin/enterprises/import")
        expect(page.get_by_role("heading", name="批量导入企业")).to_be_visible()
        page.get_by_label("企业名单文件").set_input_files(str(bad))
        page.get_by_role("button", name="导入", exact=True).click()
        report = page.locator("tr.report-error")
        expect(report).to_have_count(1)
        expect(report).to_contain_text("第3行")
        no_sideways_scroll(page, viewport)
        page.screenshot(path=str(shots_dir / f"console-enterprise-import-{suffix}.png"), full_page=True)
    assert api.get(f"/api/v1/enterprises/{big}", headers=admin).status_code == 404  # nothing half-written

    page.get_by_label("企业名单文件").set_input_files(str(good))
    page.get_by_role("button", name="导入", exact=True).click()
    expect(page.get_by_role("heading", name="已导入 2 家企业")).to_be_visible()

    page.get_by_role("link", name="包抓联配对").first.click()
    expect(page.get_by_role("heading", name="包抓联配对")).to_be_visible()
    # The tier rule: a large enterprise is offered leaders only, a small one cadres only.
    big_choice = page.get_by_label(f"陇原大件物流集团{tag}的包抓干部")
    offered = [o for o in big_choice.locator("option").all_inner_texts() if o != "请选择"]
    assert offered and all("领导干部" in o for o in offered)
    small_choice = page.get_by_label(f"兰州小快运{tag}的包抓干部")
    assert all("领导干部" not in o for o in small_choice.locator("option").all_inner_texts())
    big_choice.select_option("wangjianguo")
    page.locator("tr").filter(has=big_choice).get_by_role("button", name="配对").click()
    expect(page.get_by_label(f"陇原大件物流集团{tag}的包抓干部")).to_have_count(0)
    page.screenshot(path=str(shots_dir / "console-pairings-1366x768.png"), full_page=True)
    history = api.get(f"/api/v1/pairings/{big}", headers=admin).json()
    assert history[-1]["login"] == "wangjianguo" and history[-1]["ended_at"] is None

    # Staff accounts: a new cadre can log in to the console.
    login = f"cadre{tag}"
    page.get_by_role("link", name="人员").first.click()
    create = page.locator("details.card").filter(has_text="新增工作人员")
    create.get_by_text("新增工作人员").click()
    create.get_by_label("登录名").fill(login)
    create.get_by_label("姓名").fill("测试干部")
    create.get_by_label("角色").select_option("cadre")
    create.get_by_label("科室").fill("运输服务科")
    create.get_by_label("初始密码").fill("Newcadre@2026")
    create.get_by_role("button", name="新增人员").click()
    expect(page.get_by_role("cell", name=login)).to_be_visible()
    assert api.post("/api/v1/auth/token", data={"username": login, "password": "Newcadre@2026"}).status_code == 200


STRICT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
              "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


def test_every_screen_works_under_a_strict_content_security_policy(launch, settings, api):
    """No inline script, handler or style attribute anywhere: each screen renders with the CSP applied
    and the browser reports no violation (the CSP is added here to the page, whatever the server sends)."""
    page = launch(DESKTOP)

    def with_csp(route):
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": STRICT_CSP})

    page.route(re.compile(r".*/console/$"), with_csp)
    page.add_init_script("window.__violations = [];"
                         "document.addEventListener('securitypolicyviolation', e => window.__violations.push("
                         "e.violatedDirective + ' ' + e.blockedURI));")
    code, _, name = business()
    screens = {"#/problems": "我的诉求", "#/handoffs": "转人工", "#/extensions": "延期审批", "#/escalations": "督办（超期升级）",
               "#/dashboard": "驾驶舱", "#/policies": "政策库", "#/policies/import": "导入政策文件",
               "#/policies/hit-test": "命中测试", "#/admin/enterprises": "企业", "#/admin/enterprises/import": "批量导入企业",
               "#/admin/staff": "人员", "#/admin/pairings": "包抓联配对", "#/review": "对话复核", f"#/enterprises/{code}": name}
    console_log_in(page, settings, "admin", "admin")
    for path, heading in screens.items():
        page.goto(f"{settings.api_url}/console/{path}")
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        if path == "#/dashboard":
            page.locator("#chart-status canvas").hover()  # a tooltip
        assert page.evaluate("window.__violations") == [], path
    ticket = api.get("/api/v1/problems", headers=token(api, "admin", "admin")).json()[0]["ticket_no"]
    page.goto(f"{settings.api_url}/console/#/problems/{ticket}")
    expect(page.get_by_role("heading", name=f"诉求 {ticket}")).to_be_visible()
    assert page.evaluate("window.__violations") == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366x768", "390x844"])
def test_each_main_screen_fits_the_screen_and_is_photographed(launch, settings, api, shots_dir, viewport):
    code, _, name = business()
    cadre = token(api, CADRE, "cadre")
    ticket = api.get("/api/v1/problems", params={"open": "true"}, headers=cadre).json()[0]["ticket_no"]
    measure = api.get("/api/v1/policies", params={"limit": 1}, headers=token(api, "admin", "admin")).json()["items"][0]
    tours = {
        (CADRE, "cadre"): {"queue": ("#/problems", "我的诉求"), "problem": (f"#/problems/{ticket}", f"诉求 {ticket}"),
                           "enterprises": ("#/enterprises", "我的企业"), "enterprise": (f"#/enterprises/{code}", name),
                           "handoffs": ("#/handoffs", "转人工")},
        (LEADER, "leader"): {"extensions": ("#/extensions", "延期审批"), "escalations": ("#/escalations", "督办（超期升级）"),
                             "dashboard": ("#/dashboard", "驾驶舱")},
        ("admin", "admin"): {"policies": ("#/policies", "政策库"), "policy": (f"#/policies/{measure['id']}", measure["title"]),
                             "policy-import": ("#/policies/import", "导入政策文件"), "hit-test": ("#/policies/hit-test", "命中测试"),
                             "admin-enterprises": ("#/admin/enterprises", "企业"), "staff": ("#/admin/staff", "人员"),
                             "pairings": ("#/admin/pairings", "包抓联配对"),
                             "enterprise-import": ("#/admin/enterprises/import", "批量导入企业")},
    }
    size = f"{viewport['width']}x{viewport['height']}"
    for (login, role), screens in tours.items():
        page = launch(viewport)
        console_log_in(page, settings, login, role)
        for shot, (path, heading) in screens.items():
            page.goto(f"{settings.api_url}/console/{path}")
            expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
            expect(page.get_by_role("heading", name=heading, exact=True)).to_be_focused()  # for screen readers
            page.wait_for_load_state("networkidle")
            no_sideways_scroll(page, viewport)
            page.screenshot(path=str(shots_dir / f"console-{shot}-{size}.png"), full_page=True)


def test_an_admin_corrects_a_turn_the_user_said_was_misunderstood_in_the_review_queue(launch, settings, api, rasa,
                                                                                         shots_dir):
    """A turn the user answered with 「不是这个意思」 (through Rasa's live REST channel) shows in 对话复核 with
    the conversation around it (the turn marked); the admin corrects it by keyboard, it leaves the list, and the decision is on
    record (who, which intent) and in the reviewed NLU file the test services write to (not the bot's own)."""
    marker = uuid.uuid4().hex[:6]
    sender = f"review-{marker}"
    for text in (f"冷链车那个事情咋弄 {marker}", "不是这个意思"):
        rasa.post("/webhooks/rest/webhook", json={"sender": sender, "message": text}).raise_for_status()
    admin = token(api, "admin", "admin")
    queued = [i for i in api.get("/api/v1/review", params={"limit": 500}, headers=admin).json() if marker in i["text"]]
    assert len(queued) == 1, queued
    item = queued[0]
    target = "file_complaint" if item["predicted"] != "file_complaint" else "ask_policy"
    assert target in api.get("/api/v1/review/intents", headers=admin).json()

    for viewport, suffix in ((PHONE, "390x844"), (DESKTOP, "1366x768")):
        page = launch(viewport)
        console_log_in(page, settings, "admin", "admin", "#/review")
        expect(page.get_by_role("heading", name="对话复核", exact=True)).to_be_visible()
        expect(page.locator("#nav a[href='#/review']")).to_have_attribute("aria-current", "page")
        card = page.locator("article.review").filter(has_text=marker)
        expect(card).to_have_count(1)
        expect(card.locator("dl.facts")).to_contain_text(item["reason_label"])
        expect(card.locator(".review-context li.this-turn")).to_contain_text(marker)
        expect(card.locator(".review-context li")).to_have_count(len(item["context"]))  # the turn and the bot's replies
        expect(card.locator(".review-context li.this-turn")).to_have_count(1)
        expect(card.get_by_label("正确的意图")).to_have_value(item["predicted"] or "")
        page.wait_for_load_state("networkidle")
        no_sideways_scroll(page, viewport)
        page.screenshot(path=str(shots_dir / f"console-review-{suffix}.png"), full_page=True)

    card.get_by_label("正确的意图").focus()
    card.get_by_label("正确的意图").select_option(target)
    page.keyboard.press("Tab")  # onto 「按所选意图纠正」
    expect(card.get_by_role("button", name="按所选意图纠正")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("article.review").filter(has_text=marker)).to_have_count(0)
    expect(page.locator("#toast")).to_contain_text("已纠正")

    still = api.get("/api/v1/review", params={"limit": 500}, headers=admin).json()
    assert [i for i in still if marker in i["text"]] == []
    decided = [i for i in api.get("/api/v1/review", params={"limit": 500, "decided": "true"}, headers=admin).json()
               if i["id"] == item["id"]]
    assert len(decided) == 1 and decided[0]["decision"] is not None
    record = decided[0]["decision"]
    assert (record["decision"], record["intent"], record["by_login"]) == ("correct", target, "admin")
    assert settings.reviewed_nlu_file is not None
    reviewed = yaml.safe_load(settings.reviewed_nlu_file.read_text("utf-8"))
    examples = {b["intent"]: b["examples"] for b in reviewed["nlu"]}
    assert marker in examples[target]
    assert api.post(f"/api/v1/review/{item['id']}", json={"decision": "dismiss"}, headers=admin).status_code == 409
