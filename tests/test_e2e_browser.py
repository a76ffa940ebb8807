"""End to end in headless Chromium: the chat page, a business log-in, a policy answer and a complaint.

Runs against the three live services (``make test`` starts them with the demo data and sets
HUIQI_SERVICES_UP). The browser is Debian's Chromium; Playwright never downloads one.
Screenshots go to ``$HUIQI_DATA_DIR/screenshots/``.
"""
from __future__ import annotations

import re
import shutil
import time
import uuid

import httpx
import pytest
from playwright.sync_api import Locator, expect, sync_playwright

from ledger import chat_sessions, demo
from ledger.db import connect

pytestmark = [
    pytest.mark.services,
    pytest.mark.browser,
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
BOT_TIMEOUT_MS = 60_000
TICKET = re.compile(r"HQ-\d{8}-\d{4}")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
DEMO_BUSINESS = "shunda"  # 兰州顺达货运有限公司 (道路货运, 冷链运输), a demo log-in


@pytest.fixture(scope="module")
def shots_dir(settings):
    path = settings.data_dir / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def launch(tmp_path_factory):
    """Open a fresh Chromium profile with the given viewport; all are closed at the end."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (make browser)")
    contexts = []
    with sync_playwright() as p:
        def _launch(viewport: dict):
            ctx = p.chromium.launch_persistent_context(
                str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
                args=CHROMIUM_ARGS, viewport=viewport, locale="zh-CN")
            contexts.append(ctx)
            return ctx.pages[0] if ctx.pages else ctx.new_page()

        yield _launch
        for ctx in contexts:
            ctx.close()


def business() -> tuple[str, str, str]:
    """(credit code, password, name) of the demo business used here."""
    row = next(e for e in demo.ENTERPRISES if e[0] == DEMO_BUSINESS)
    return demo.credit_code_of(DEMO_BUSINESS), demo.ENTERPRISE_PASSWORD, row[1]


def open_chat(page, settings) -> None:
    page.goto(f"{settings.api_url}/")
    expect(page.locator("#connection")).to_have_text("已连接", timeout=30_000)


def send(page, text: str) -> None:
    box = page.get_by_label("输入您的问题")
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".msg.user .bubble").last).to_have_text(text)


def bot_bubble(page, pattern) -> Locator:
    """The latest bot message matching ``pattern`` (text or regex), once it has arrived."""
    bubble = page.locator(".msg.bot:not(.typing) .bubble").filter(has_text=pattern).last
    expect(bubble).to_be_visible(timeout=BOT_TIMEOUT_MS)
    return bubble


def log_in(page, code: str, password: str) -> None:
    page.get_by_label("统一社会信用代码").fill(code)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()


def test_business_asks_a_policy_and_files_a_complaint_on_the_page(launch, settings, api, shots_dir):
    code, password, name = business()
    page = launch(DESKTOP)
    open_chat(page, settings)

    # Send is disabled while the box is empty; a wrong password shows the API's Chinese message.
    expect(page.get_by_role("button", name="发送")).to_be_disabled()
    refused = api.post("/api/v1/auth/enterprise-token", data={"credit_code": code, "password": "wrong-password"})
    assert refused.status_code == 401
    log_in(page, code, "wrong-password")
    expect(page.locator("#login-error")).to_have_text(refused.json()["message"])

    log_in(page, code, password)
    expect(page.get_by_text(f"已登录：{name}", exact=True).filter(visible=True)).to_have_count(1)
    bot_bubble(page, name)  # the assistant greets the enterprise by name: the token reached it

    # A policy question: the measures listed are those the policy base matches to this enterprise.
    question = "我们跑冷链的，过路费有优惠没"
    send(page, question)
    bot_bubble(page, f"根据{name}的情况")
    listed = bot_bubble(page, "怎么享受").inner_text()
    titles = re.findall(r"^\d+\. (.+)$", listed, flags=re.M)
    assert titles, f"no numbered measures in {listed!r}"
    own = api.post("/api/v1/auth/enterprise-token", data={"credit_code": code, "password": password}).json()
    matched = api.post("/api/v1/policies/match", json={"credit_code": code, "needs": question, "top_k": 20},
                       headers={"Authorization": f"Bearer {own['access_token']}"})
    assert matched.status_code == 200, matched.text
    assert set(titles) <= {m["title"] for m in matched.json()["results"]}

    # A complaint through the form: category button, description, confirmation, ticket number.
    marker = uuid.uuid4().hex[:6]
    send(page, "我要反映问题")
    page.get_by_role("button", name="审批服务").last.click()
    bot_bubble(page, "描述")
    description = f"道路运输证年审拖了两个月还没办好，窗口一直说在审核（{marker}）"
    send(page, description)
    confirm = page.get_by_role("button", name="确认提交").last
    expect(confirm).to_be_visible(timeout=BOT_TIMEOUT_MS)
    assert marker in bot_bubble(page, marker).inner_text()  # the summary shows what will be filed
    confirm.click()
    ticket = TICKET.search(bot_bubble(page, TICKET).inner_text()).group(0)
    page.screenshot(path=str(shots_dir / "chat-1280x800.png"))

    token = api.post("/api/v1/auth/enterprise-token", data={"credit_code": code, "password": password}).json()
    filed = api.get(f"/api/v1/problems/{ticket}", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert filed.status_code == 200, filed.text
    assert marker in filed.json()["description"] and filed.json()["category"] == "审批服务"

    # Log out: the identity is gone, a new conversation starts, and the old one no longer gets pushes.
    old_session = page.evaluate("localStorage.getItem('huiqi.session_id')")
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_label("统一社会信用代码")).to_be_visible()
    expect(page.locator(".msg.user")).to_have_count(0)
    # The new conversation is confirmed by the bot (the "已连接" shown before the log-out may still be up).
    page.wait_for_function("old => { const s = localStorage.getItem('huiqi.session_id'); return s && s !== old; }",
                           arg=old_session, timeout=BOT_TIMEOUT_MS)
    expect(page.locator("#connection")).to_have_text("已连接")
    # The page tells the API in the background (the user does not wait for it): the old conversation is closed
    # within moments and stays closed.
    db = connect(settings=settings)
    try:
        deadline = time.monotonic() + 15
        while chat_sessions.open_sessions(db, [code]).get(code) == old_session and time.monotonic() < deadline:
            time.sleep(0.25)
        time.sleep(1)
        assert chat_sessions.open_sessions(db, [code]).get(code) != old_session
    finally:
        db.close()


def test_page_works_on_a_phone_sized_screen(launch, settings, shots_dir):
    code, password, name = business()
    page = launch(PHONE)
    open_chat(page, settings)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
    for control in (page.get_by_label("输入您的问题"), page.get_by_role("button", name="发送")):
        expect(control).to_be_in_viewport()

    page.locator("#login-box summary").click()  # folded on a phone to leave the screen to the chat
    log_in(page, code, password)
    expect(page.get_by_text(f"已登录：{name}", exact=True).filter(visible=True)).to_have_count(1)
    bot_bubble(page, name)
    answered = page.locator(".msg.bot:not(.typing)").count()
    send(page, "你好")
    # (a locator, not wait_for_function: the page's CSP blocks the string predicate Playwright evaluates for it)
    expect(page.locator(".msg.bot:not(.typing)").nth(answered)).to_be_attached(timeout=BOT_TIMEOUT_MS)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the chat scrolls sideways"
    page.screenshot(path=str(shots_dir / "chat-390x844.png"))

    # A reload keeps the conversation and the log-in.
    page.reload()
    expect(page.locator("#connection")).to_have_text("已连接", timeout=30_000)
    expect(page.locator(".msg.user .bubble").filter(has_text="你好")).to_have_count(1)
    expect(page.get_by_text(f"已登录：{name}", exact=True).filter(visible=True)).to_have_count(1)


def test_a_message_sent_to_the_conversation_from_outside_appears_live(launch, settings, api):
    """What a policy push does: Rasa speaks into an open page through the socket.io channel."""
    page = launch(DESKTOP)
    open_chat(page, settings)
    session_id = page.evaluate("localStorage.getItem('huiqi.session_id')")
    assert session_id
    resp = httpx.post(f"{settings.rasa_url}/conversations/{session_id}/trigger_intent",
                      params={"output_channel": "socketio", "token": settings.rasa_api_token()},
                      json={"name": "greet"}, timeout=60)
    assert resp.status_code == 200, resp.text
    bot_bubble(page, "惠企通")
