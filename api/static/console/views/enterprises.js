// 我的企业: the official's enterprises with open problems, last visit and when the next visit (必访) is due.
import { api } from "../api.js";
import { clear, field, h, table } from "../dom.js";
import { empty, pageHeader } from "./common.js";

export async function list() {
  const data = await api("/workbench/enterprises");
  const search = h("input", { type: "search", name: "q", placeholder: "企业名称或统一社会信用代码" });
  const body = h("div");
  function render() {
    const q = search.value.trim().toLowerCase();
    const items = data.items.filter((e) => !q || `${e.name} ${e.credit_code}`.toLowerCase().includes(q));
    clear(body).append(items.length ? table(["企业", "行业·规模", "地区", "包抓干部", "在办诉求", "最近走访", "必访到期"],
      items.map((e) => h("tr", {},
        h("td", { "data-label": "企业" }, h("a", { href: `#/enterprises/${e.credit_code}`, text: e.name }),
          h("div", { class: "muted small", text: e.credit_code })),
        h("td", { "data-label": "行业·规模", text: `${e.industry}·${e.size}型` }),
        h("td", { "data-label": "地区", text: e.region }),
        h("td", { "data-label": "包抓干部", text: e.official ? e.official.name : "未配对" }),
        h("td", { "data-label": "在办诉求" }, String(e.open_problems),
          e.overdue_problems ? h("span", { class: "sla sla-overdue", text: ` 超期${e.overdue_problems}` }) : null),
        h("td", { "data-label": "最近走访", text: e.last_visit || "尚未走访" }),
        h("td", { "data-label": "必访到期" }, e.visit_due_on
          ? h("span", { class: e.visit_overdue ? "sla sla-overdue" : "sla sla-ok", text: e.visit_overdue ? `已到期 ${e.visit_due_on}` : e.visit_due_on })
          : "—"))), "我的企业") : empty("没有符合条件的企业。"));
  }
  search.addEventListener("input", render);
  render();
  return h("section", {}, pageHeader("我的企业"),
    h("p", { class: "muted", text: `每家包抓企业至少每 ${data.visit_every_days} 天走访一次（日常走访）；六类必访情形另行走访。` }),
    h("form", { class: "filters", role: "search", on: { submit: (e) => e.preventDefault() } }, field("搜索企业", search)),
    body);
}
