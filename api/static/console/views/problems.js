// 我的诉求: the problem queue (overdue first), and the leaders' 延期审批 and 督办 lists.
import { api } from "../api.js";
import { clear, field, fmtTime, h, select, table } from "../dom.js";
import { empty, pageHeader, slaBadge } from "./common.js";

function rows(items) {
  return items.map((p) => h("tr", { class: p.overdue ? "row-overdue" : "" },
    h("td", { "data-label": "工单号" }, h("a", { href: `#/problems/${encodeURIComponent(p.ticket_no)}`, text: p.ticket_no })),
    h("td", { "data-label": "企业/反映人", text: p.enterprise_name || (p.claimant_name ? `${p.claimant_name}（个人）` : "") }),
    h("td", { "data-label": "类别", text: `${p.category}·${p.kind_label}` }),
    h("td", { "data-label": "状态", text: p.status_label }),
    h("td", { "data-label": "时限" }, slaBadge(p), h("span", { class: "muted small", text: ` ${p.due_on}` })),
    h("td", { "data-label": "承办人", text: p.assignee ? p.assignee.name : "未交办" }),
    h("td", { "data-label": "问题描述", class: "desc", text: p.description.length > 60 ? p.description.slice(0, 60) + "…" : p.description })));
}

const HEADERS = ["工单号", "企业/反映人", "类别", "状态", "时限", "承办人", "问题描述"];

function matches(p, q) {
  if (!q) return true;
  const text = `${p.ticket_no} ${p.description} ${p.enterprise_name || ""} ${p.claimant_name || ""}`.toLowerCase();
  return text.includes(q.toLowerCase());
}

export async function queue({ vocab }) {
  const statusSel = select("status", Object.entries(vocab.statuses), { empty: "全部在办（超期在前）" });
  const categorySel = select("category", vocab.categories, { empty: "全部类别" });
  const enterpriseSel = select("credit_code", [], { empty: "全部企业" });
  const search = h("input", { type: "search", name: "q", placeholder: "工单号或问题描述中的文字" });
  const count = h("p", { class: "muted", "aria-live": "polite" });
  const body = h("div");
  let items = [];

  function render() {
    const shown = items.filter((p) => matches(p, search.value.trim()));
    const overdue = shown.filter((p) => p.overdue).length;
    count.textContent = `共 ${shown.length} 件${overdue ? `，其中超期 ${overdue} 件` : ""}`;
    clear(body).append(shown.length ? table(HEADERS, rows(shown), "诉求列表") : empty("没有符合条件的诉求。"));
  }

  async function load() {
    const q = new URLSearchParams({ limit: "1000" });
    if (statusSel.value) q.set("status", statusSel.value); else q.set("open", "true");
    if (categorySel.value) q.set("category", categorySel.value);
    if (enterpriseSel.value) q.set("credit_code", enterpriseSel.value);
    items = await api(`/problems?${q}`);
    if (enterpriseSel.options.length === 1) {
      const seen = new Map();
      for (const p of items) if (p.credit_code) seen.set(p.credit_code, p.enterprise_name);
      for (const [code, name] of [...seen].sort((a, b) => a[1].localeCompare(b[1], "zh"))) {
        enterpriseSel.append(h("option", { value: code, text: name }));
      }
    }
    render();
  }

  for (const el of [statusSel, categorySel, enterpriseSel]) el.addEventListener("change", load);
  search.addEventListener("input", render);
  await load();
  return h("section", {},
    pageHeader("我的诉求"),
    h("form", { class: "filters", role: "search", on: { submit: (e) => e.preventDefault() } },
      field("状态", statusSel), field("类别", categorySel), field("企业", enterpriseSel), field("搜索", search)),
    h("p", { class: "legend" }, "时限：", slaBadge({ overdue: true, days_left: -1 }), " ",
      slaBadge({ overdue: false, days_left: 2 }), "（2个工作日内到期） ", slaBadge({ overdue: false, days_left: 5 })),
    count, body);
}

async function simpleList(title, query, none) {
  const items = await api(`/problems?${query}`);
  return h("section", {}, pageHeader(title),
    items.length ? table(HEADERS, rows(items), title) : empty(none));
}

export function extensions() {
  return simpleList("延期审批", "pending_extension=true&limit=1000", "没有待审批的延期申请。");
}

export function escalations() {
  return simpleList("督办（超期升级）", "escalated=true&open=true&limit=1000", "没有升级到您的超期诉求。");
}
