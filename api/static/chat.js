/* 惠企通 chat widget: talks to the Rasa socket.io channel (Rasa 3.6, socket.io protocol v5).
 *
 * Events: session_request / session_confirm (session id kept in localStorage so the conversation
 * survives reloads), user_uttered {message, session_id, metadata: {token}}, bot_uttered
 * {text, quick_replies | buttons, attachment}. Where Rasa is comes from /chat-config.json.
 */
(function () {
  "use strict";

  var KEY_SESSION = "huiqi.session_id";
  var KEY_TRANSCRIPT = "huiqi.transcript";
  var KEY_TOKEN = "huiqi.token";
  var KEY_NAME = "huiqi.enterprise_name";
  var MAX_TRANSCRIPT = 200;
  var TYPING_TIMEOUT_MS = 20000;

  var el = {
    messages: document.getElementById("messages"),
    form: document.getElementById("chat-form"),
    input: document.getElementById("chat-input"),
    send: document.getElementById("send-button"),
    connection: document.getElementById("connection"),
    loginBox: document.getElementById("login-box"),
    loginTitle: document.getElementById("login-title"),
    loginSummary: document.getElementById("login-summary"),
    loginForm: document.getElementById("login-form"),
    loginButton: document.getElementById("login-button"),
    loginError: document.getElementById("login-error"),
    creditCode: document.getElementById("credit-code"),
    password: document.getElementById("password"),
    loggedIn: document.getElementById("logged-in"),
    loggedInName: document.getElementById("logged-in-name"),
    logout: document.getElementById("logout-button")
  };

  var config = null;
  var socket = null;
  var sessionId = null;
  var sessionReady = false;
  var typingTimer = null;

  /* ---------- storage ---------- */

  function store(area, key, value) {
    try {
      if (value === null || value === undefined) area.removeItem(key);
      else area.setItem(key, value);
    } catch (e) { /* private mode: keep working without persistence */ }
  }
  function load(area, key) {
    try { return area.getItem(key); } catch (e) { return null; }
  }
  function loadTranscript() {
    try {
      var saved = JSON.parse(load(localStorage, KEY_TRANSCRIPT) || "null");
      if (saved && saved.session_id === sessionId && Array.isArray(saved.items)) return saved.items;
    } catch (e) { /* corrupted: start fresh */ }
    return [];
  }
  function remember(item) {
    var items = loadTranscript();
    items.push(item);
    if (items.length > MAX_TRANSCRIPT) items = items.slice(items.length - MAX_TRANSCRIPT);
    store(localStorage, KEY_TRANSCRIPT, JSON.stringify({ session_id: sessionId, items: items }));
  }

  /* ---------- identity ---------- */

  function tokenClaims(token) {
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      while (part.length % 4) part += "=";
      var json = decodeURIComponent(Array.prototype.map.call(atob(part), function (c) {
        return "%" + ("00" + c.charCodeAt(0).toString(16)).slice(-2);
      }).join(""));
      return JSON.parse(json);
    } catch (e) { return {}; }
  }
  function currentToken() {
    var token = load(sessionStorage, KEY_TOKEN);
    if (!token) return null;
    var exp = tokenClaims(token).exp;
    if (exp && exp * 1000 <= Date.now()) {
      logout("登录已过期，请重新登录。");
      return null;
    }
    return token;
  }
  function showIdentity() {
    var token = load(sessionStorage, KEY_TOKEN);
    var name = load(sessionStorage, KEY_NAME);
    el.loginForm.hidden = !!token;
    el.loggedIn.hidden = !token;
    el.loggedInName.textContent = token ? "已登录：" + (name || "") : "";
    el.loginTitle.textContent = token ? "企业账号" : "企业登录";
    el.loginSummary.textContent = token ? "已登录：" + (name || "") : "登录后诉求直接记入本企业档案";
  }
  function isNarrow() { return window.matchMedia("(max-width: 760px)").matches; }
  function showLoginError(message) {
    el.loginError.textContent = message || "";
    el.loginError.hidden = !message;
  }
  function errorMessage(body, status) {
    if (body && body.message) return body.message;
    if (status === 401) return "统一社会信用代码或密码不正确，请核对后重试。";
    if (status === 429) return "尝试次数过多，请稍后再试。";
    return "登录失败，请稍后重试；如持续出现请联系交通运输局。";
  }

  function login(event) {
    event.preventDefault();
    if (!config) { showLoginError("正在连接服务，请稍候再试。"); return; }
    var code = el.creditCode.value.trim().toUpperCase();
    var password = el.password.value;
    if (!code || !password) {
      showLoginError(!code ? "请输入统一社会信用代码。" : "请输入密码。");
      (code ? el.password : el.creditCode).focus();
      return;
    }
    showLoginError("");
    el.loginButton.disabled = true;
    el.loginButton.textContent = "正在登录…";
    var body = new URLSearchParams();
    body.set("credit_code", code);
    body.set("password", password);
    fetch(config.enterprise_token_url, { method: "POST", body: body, headers: { "Accept": "application/json" } })
      .then(function (resp) {
        return resp.json().catch(function () { return null; }).then(function (json) {
          if (!resp.ok || !json || !json.access_token) throw new Error(errorMessage(json, resp.status));
          return json;
        });
      })
      .then(function (json) {
        var claims = tokenClaims(json.access_token);
        var name = json.name || json.enterprise_name || (json.enterprise && json.enterprise.name) || claims.name || code;
        store(sessionStorage, KEY_TOKEN, json.access_token);
        store(sessionStorage, KEY_NAME, name);
        el.password.value = "";
        showIdentity();
        if (isNarrow()) el.loginBox.open = false;  // give the chat the room on a phone
        addSystem("已登录：" + name + "。您的咨询和诉求将记入本企业档案。");
        // Let the assistant bind this conversation to the enterprise and greet it by name.
        sendToBot("/greet", false);
        (isNarrow() ? el.input : el.logout).focus();
      })
      .catch(function (err) {
        var msg = err && err.message && /[\u4e00-\u9fa5]/.test(err.message)
          ? err.message : "无法连接服务器，请检查网络后重试。";
        showLoginError(msg);
        el.password.focus();
      })
      .then(function () {
        el.loginButton.disabled = false;
        el.loginButton.textContent = "登录";
      });
  }

  function closeConversation(token) {
    // Tell the department the conversation is over, so pushes stop going to it (best effort).
    if (!token || !sessionId || !config || !config.close_session_url) return;
    fetch(config.close_session_url.replace("{sender_id}", encodeURIComponent(sessionId)), {
      method: "POST", headers: { "Authorization": "Bearer " + token }
    }).catch(function () { /* the log-out itself is local and already done */ });
  }

  function logout(reason) {
    closeConversation(load(sessionStorage, KEY_TOKEN));
    store(sessionStorage, KEY_TOKEN, null);
    store(sessionStorage, KEY_NAME, null);
    showIdentity();
    // A new conversation, so nobody at this screen sees or continues the enterprise's one.
    startNewSession();
    addSystem(typeof reason === "string" ? reason : "已退出登录，已开始新的对话。");
    el.loginBox.open = true;
    el.creditCode.focus();
  }

  /* ---------- rendering ---------- */

  function appendLinkified(parent, text) {
    var re = /(https?:\/\/[^\s，。；、）)]+)/g;
    var last = 0, m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = document.createElement("a");
      a.href = m[1];
      a.textContent = m[1];
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      parent.appendChild(a);
      last = m.index + m[1].length;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // Line breaks are kept by CSS (pre-wrap); a numbered item's heading line ("1. …", "第2条：…") is bold.
  var HEADING = /^(\d{1,2}\. |第\d{1,2}条：)/;
  function appendText(parent, text) {
    text.split("\n").forEach(function (line, i) {
      if (i > 0) parent.appendChild(document.createTextNode("\n"));
      if (HEADING.test(line)) {
        var strong = document.createElement("strong");
        appendLinkified(strong, line);
        parent.appendChild(strong);
      } else {
        appendLinkified(parent, line);
      }
    });
  }

  function scrollDown() { el.messages.scrollTop = el.messages.scrollHeight; }

  function renderBubble(from, text, imageSrc) {
    var row = document.createElement("div");
    row.className = "msg " + from;
    var bubble = document.createElement("div");
    bubble.className = "bubble";
    if (from === "bot") bubble.setAttribute("aria-label", "助手");
    if (text) appendText(bubble, String(text));
    if (imageSrc) {
      var img = document.createElement("img");
      img.src = imageSrc;
      img.alt = "图片";
      bubble.appendChild(img);
    }
    row.appendChild(bubble);
    el.messages.appendChild(row);
    return row;
  }

  function renderButtons(buttons, used) {
    if (!buttons || !buttons.length) return;
    var group = document.createElement("div");
    group.className = "quick-replies";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "快捷回复");
    buttons.forEach(function (b) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = b.title;
      btn.disabled = !!used;
      btn.addEventListener("click", function () {
        if (!sessionReady) return;
        Array.prototype.forEach.call(group.querySelectorAll("button"), function (x) { x.disabled = true; });
        markButtonsUsed();
        showUser(b.title);
        sendToBot(b.payload || b.title, true);
      });
      group.appendChild(btn);
    });
    el.messages.appendChild(group);
  }

  function renderItem(item, replay) {
    if (item.from === "system") {
      renderBubble("system", item.text);
    } else {
      renderBubble(item.from, item.text, item.image);
      if (item.buttons) renderButtons(item.buttons, replay ? item.used : false);
    }
    scrollDown();
  }

  function markButtonsUsed() {
    var items = loadTranscript();
    items.forEach(function (item) { if (item.buttons) item.used = true; });
    store(localStorage, KEY_TRANSCRIPT, JSON.stringify({ session_id: sessionId, items: items }));
  }

  function addSystem(text) {
    var item = { from: "system", text: text };
    renderItem(item, false);
    if (sessionId) remember(item);
  }
  function showUser(text) {
    var item = { from: "user", text: text };
    renderItem(item, false);
    remember(item);
  }

  function showTyping(on) {
    var existing = el.messages.querySelector(".msg.typing");
    if (existing) existing.remove();
    clearTimeout(typingTimer);
    if (on) {
      var row = renderBubble("bot", "正在输入…");
      row.classList.add("typing");
      row.setAttribute("aria-hidden", "true");
      scrollDown();
      typingTimer = setTimeout(function () { showTyping(false); }, TYPING_TIMEOUT_MS);
    }
  }

  function botButtons(msg) {
    var raw = msg.quick_replies || msg.buttons ||
      (msg.attachment && msg.attachment.payload && msg.attachment.payload.buttons) || [];
    return raw.map(function (b) {
      return { title: b.title || b.payload, payload: b.payload || b.title };
    }).filter(function (b) { return b.title; });
  }

  function onBotMessage(msg) {
    if (!msg) return;
    showTyping(false);
    var item = { from: "bot", text: msg.text || "" };
    if (msg.attachment && msg.attachment.type === "image" && msg.attachment.payload) {
      item.image = msg.attachment.payload.src;
    }
    var buttons = botButtons(msg);
    if (buttons.length) {
      // A new menu supersedes the earlier ones.
      markButtonsUsed();
      Array.prototype.forEach.call(el.messages.querySelectorAll(".quick-replies button"), function (x) { x.disabled = true; });
      item.buttons = buttons;
    }
    if (!item.text && !item.image && !buttons.length) return;
    renderItem(item, false);
    remember(item);
  }

  /* ---------- connection ---------- */

  function setConnection(state, text) {
    el.connection.dataset.state = state;
    el.connection.textContent = text;
    updateSendButton();
  }

  function updateSendButton() {
    el.send.disabled = !sessionReady || el.input.value.trim() === "";
  }

  function sendToBot(text, withTyping) {
    if (!socket || !sessionReady) return false;
    var token = currentToken();
    var data = { message: text, session_id: sessionId };
    if (token) data.metadata = { token: token };
    socket.emit("user_uttered", data);
    if (withTyping) showTyping(true);
    return true;
  }

  function startNewSession() {
    sessionId = null;
    sessionReady = false;
    store(localStorage, KEY_SESSION, null);
    store(localStorage, KEY_TRANSCRIPT, null);
    el.messages.textContent = "";
    updateSendButton();
    if (socket && socket.connected) socket.emit("session_request", { session_id: null });
  }

  function onSessionConfirm(data) {
    var id = typeof data === "string" ? data : (data && data.session_id);
    if (!id) return;
    var changed = id !== sessionId;
    sessionId = id;
    sessionReady = true;
    store(localStorage, KEY_SESSION, id);
    setConnection("connected", "已连接");
    if (changed || !el.messages.childElementCount) {
      el.messages.textContent = "";
      var items = loadTranscript();
      items.forEach(function (item) { renderItem(item, true); });
      if (!items.length) {
        addSystem("您好！我是惠企通智能助手，可以为您查询惠企政策、受理问题诉求、查询办理进度。请直接输入您的问题。");
      }
    }
  }

  function connect() {
    sessionId = load(localStorage, KEY_SESSION);
    socket = io(config.rasa_url, {
      path: config.socketio_path || "/socket.io",
      transports: ["websocket"],  // cross-origin without CORS preflights
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10000
    });
    socket.on("connect", function () {
      setConnection("connecting", "正在建立会话…");
      socket.emit("session_request", { session_id: sessionId });
    });
    socket.on("session_confirm", onSessionConfirm);
    socket.on("bot_uttered", onBotMessage);
    socket.on("disconnect", function () {
      sessionReady = false;
      showTyping(false);
      setConnection("disconnected", "连接已断开，正在重试…");
    });
    socket.on("connect_error", function () {
      sessionReady = false;
      setConnection("disconnected", "连接已断开，正在重试…");
    });
  }

  /* ---------- input ---------- */

  function submitMessage(event) {
    if (event) event.preventDefault();
    var text = el.input.value.trim();
    if (!text || !sessionReady) return;
    showUser(text);
    if (sendToBot(text, true)) {
      el.input.value = "";
      autoGrow();
      updateSendButton();
    }
    el.input.focus();
  }

  function autoGrow() {
    el.input.style.height = "auto";
    el.input.style.height = Math.min(el.input.scrollHeight + 2, 140) + "px";
  }

  el.form.addEventListener("submit", submitMessage);
  el.input.addEventListener("input", function () { autoGrow(); updateSendButton(); });
  el.input.addEventListener("keydown", function (e) {
    // Enter sends; Shift+Enter is a new line; Enter while an IME is composing picks characters.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) submitMessage(e);
  });
  el.loginForm.addEventListener("submit", login);
  el.logout.addEventListener("click", function () { logout(); });

  showIdentity();
  if (isNarrow()) el.loginBox.open = false;
  currentToken();  // drops an expired log-in
  setConnection("connecting", "正在连接…");
  fetch("/chat-config.json")
    .then(function (r) { if (!r.ok) throw new Error(); return r.json(); })
    .then(function (c) { config = c; connect(); })
    .catch(function () { setConnection("disconnected", "无法读取服务配置，请刷新页面重试。"); });
})();
