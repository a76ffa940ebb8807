// 惠企通工作台: log-in, navigation by role, and a hash router onto the views.
import { api, ApiError, forget, logIn, ROLE_LABELS, session, whenLoggedOut } from "./api.js";
import { clear, field, h } from "./dom.js";
import { vocabulary } from "./vocab.js";
import * as problems from "./views/problems.js";
import * as problem from "./views/problem.js";
import * as enterprises from "./views/enterprises.js";
import * as enterprise from "./views/enterprise.js";
import * as handoffs from "./views/handoffs.js";
import * as dashboard from "./views/dashboard.js";
import * as policies from "./views/policies.js";
import * as admin from "./views/admin.js";
import * as review from "./views/review.js";

const STAFF = ["cadre", "leader", "admin"];
const LEADERS = ["leader", "admin"];

// [hash pattern, view, roles]
const ROUTES = [
  [/^#\/problems$/, problems.queue, STAFF],
  [/^#\/problems\/([^/]+)$/, problem.detail, STAFF],
  [/^#\/extensions$/, problems.extensions, LEADERS],
  [/^#\/escalations$/, problems.escalations, LEADERS],
  [/^#\/enterprises$/, enterprises.list, STAFF],
  [/^#\/enterprises\/([^/]+)$/, enterprise.detail, STAFF],
  [/^#\/handoffs$/, handoffs.list, STAFF],
  [/^#\/dashboard$/, dashboard.view, LEADERS],
  [/^#\/policies$/, policies.list, ["admin"]],
  [/^#\/policies\/import$/, policies.importDoc, ["admin"]],
  [/^#\/policies\/hit-test$/, policies.hitTest, ["admin"]],
  [/^#\/policies\/([^/]+)$/, policies.detail, ["admin"]],
  [/^#\/admin\/enterprises$/, admin.enterprises, ["admin"]],
  [/^#\/admin\/enterprises\/import$/, admin.importEnterprises, ["admin"]],
  [/^#\/admin\/staff$/, admin.staff, ["admin"]],
  [/^#\/admin\/pairings$/, admin.pairings, ["admin"]],
  [/^#\/review$/, review.queue, ["admin"]],
];

// [hash, label, roles, count key]
const NAV = [
  ["#/problems", "我的诉求", STAFF, "open"],
  ["#/enterprises", "我的企业", ["cadre", "leader"], null],
  ["#/handoffs", "转人工", STAFF, "handoffs"],
  ["#/extensions", "延期审批", LEADERS, "pending_extensions"],
  ["#/escalations", "督办", LEADERS, "escalated"],
  ["#/dashboard", "驾驶舱", LEADERS, null],
  ["#/policies", "政策库", ["admin"], null],
  ["#/admin/enterprises", "企业", ["admin"], null],
  ["#/admin/staff", "人员", ["admin"], null],
  ["#/admin/pairings", "包抓联", ["admin"], null],
  ["#/review", "对话复核", ["admin"], null],
];

const main = () => document.getElementById("main");

function defaultRoute(role) {
  return role === "admin" ? "#/policies" : "#/problems";
}

function showLogin(message) {
  document.body.classList.add("logged-out");
  clear(document.getElementById("nav"));
  clear(document.getElementById("who"));
  const error = h("p", { class: "error", id: "login-error", role: "alert", text: message || "" });
  const login = h("input", { name: "username", autocomplete: "username", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const button = h("button", { type: "submit", class: "primary", text: "登录" });
  const form = h("form", { class: "card login", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title", text: "惠企通工作台登录" }),
    h("p", { class: "muted", text: "包抓联干部、领导干部和管理员使用本局分配的账号登录。" }),
    field("登录名", login), field("密码", password), error, button);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    button.disabled = true;
    error.textContent = "";
    try {
      const s = await logIn(login.value.trim(), password.value);
      start(s);
    } catch (err) {
      error.textContent = err.message;
      button.disabled = false;
    }
  });
  clear(main()).append(form);
  login.focus();
}

async function logOut() {
  forget();
  location.hash = "";
  showLogin("您已退出登录。");
}

function renderChrome(s) {
  document.body.classList.remove("logged-out");
  const who = clear(document.getElementById("who"));
  who.append(h("span", { class: "user", text: `${s.name}（${ROLE_LABELS[s.role]}${s.office ? "·" + s.office : ""}）` }),
    h("button", { type: "button", class: "link", text: "退出登录", on: { click: logOut } }));
  const list = h("ul");
  for (const [hash, label, roles, countKey] of NAV) {
    if (!roles.includes(s.role)) continue;
    const badge = countKey ? h("span", { class: "badge", dataset: { count: countKey }, hidden: true }) : null;
    list.append(h("li", {}, h("a", { href: hash }, h("span", { text: label }), badge)));
  }
  clear(document.getElementById("nav")).append(list);
}

export async function refreshCounts() {
  const s = session();
  if (!s) return;
  try {
    const counts = await api("/workbench/counts");
    for (const badge of document.querySelectorAll("#nav .badge")) {
      const n = counts[badge.dataset.count];
      badge.textContent = n === undefined ? "" : String(n);
      badge.hidden = !n;
      badge.setAttribute("aria-label", `${n || 0}项`);
    }
  } catch (e) { /* counts are a convenience; the page itself reports errors */ }
}

function markCurrent() {
  const hash = location.hash;
  for (const a of document.querySelectorAll("#nav a")) {
    const here = hash === a.getAttribute("href") || hash.startsWith(a.getAttribute("href") + "/");
    if (here) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
}

let routeSeq = 0; // a slow page that finishes after the user moved on must not replace the newer one

async function route() {
  const seq = ++routeSeq;
  const s = session();
  if (!s) return showLogin();
  if (!location.hash || location.hash === "#" || location.hash === "#/") {
    location.replace(defaultRoute(s.role));
    return;
  }
  markCurrent();
  const root = clear(main());
  for (const [pattern, view, roles] of ROUTES) {
    const m = location.hash.match(pattern);
    if (!m) continue;
    if (!roles.includes(s.role)) {
      root.append(h("p", { class: "error", role: "alert", text: "您没有查看此页面的权限。" }));
      return;
    }
    root.append(h("p", { class: "muted", text: "正在加载……" }));
    try {
      const params = m.slice(1).map(decodeURIComponent);
      const content = await view({ session: s, params, vocab: await vocabulary(), refreshCounts });
      if (seq !== routeSeq) return;
      clear(root).append(content);
      const heading = root.querySelector("h1");
      if (heading) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }
      document.title = `${heading ? heading.textContent + " - " : ""}惠企通工作台`;
    } catch (err) {
      if (seq !== routeSeq) return;
      if (!(err instanceof ApiError) || err.status !== 401) {
        clear(root).append(h("h1", { text: err.status === 404 ? "未找到" : "出错了" }),
          h("p", { class: "error", role: "alert", text: err.message }),
          h("p", {}, h("a", { href: defaultRoute(s.role), text: "返回首页" })));
      }
    }
    return;
  }
  root.append(h("h1", { text: "未找到该页面" }), h("p", {}, h("a", { href: defaultRoute(s.role), text: "返回首页" })));
}

function start(s) {
  renderChrome(s);
  refreshCounts();
  if (!location.hash || location.hash === "#" || location.hash === "#/") location.hash = defaultRoute(s.role);
  else route();
}

whenLoggedOut(() => showLogin("登录已过期，请重新登录。"));
window.addEventListener("hashchange", route);
document.getElementById("menu-toggle").addEventListener("click", () => {
  const nav = document.getElementById("nav");
  const open = nav.classList.toggle("open");
  document.getElementById("menu-toggle").setAttribute("aria-expanded", String(open));
});
document.getElementById("nav").addEventListener("click", (e) => {
  if (e.target.closest("a")) {
    document.getElementById("nav").classList.remove("open");
    document.getElementById("menu-toggle").setAttribute("aria-expanded", "false");
  }
});
const current = session();
if (current) start(current); else showLogin();
