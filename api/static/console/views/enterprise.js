// 企业档案 (一企一档): profile, problems, visits (register a visit), pushes with redemption progress, xlsx.
import { api } from "../api.js";
import { field, fmtTime, h, select, table } from "../dom.js";
import { empty, onSubmit, pageHeader, slaBadge, toast } from "./common.js";
import { enterpriseAdmin } from "./admin.js";


async function download(code) {
  const r = await api(`/enterprises/${encodeURIComponent(code)}/dossier.xlsx`, { raw: true });
  const url = URL.createObjectURL(await r.blob());
  const a = h("a", { href: url, download: `一企一档-${code}.xlsx` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function reload() { window.dispatchEvent(new HashChangeEvent("hashchange")); }

function pushRow(p, vocab) {
  const controls = h("td", { "data-label": "登记进度" });
  {
    for (const status of vocab.push_next[p.status] || []) {
      const label = vocab.push_statuses[status];
      controls.append(h("button", { type: "button", class: "small-btn", text: label, on: { click: async (e) => {
        e.target.disabled = true;
        try {
          await api(`/pushes/${p.id}/status`, { method: "POST", json: { status } });
          toast(`已登记为“${label}”`);
          reload();
        } catch (err) { toast(err.message); e.target.disabled = false; }
      } } }));
    }
  }
  return h("tr", {}, h("td", { "data-label": "政策措施", text: p.measure_title || p.measure_id }),
    h("td", { "data-label": "推送时间", text: fmtTime(p.created_at) }),
    h("td", { "data-label": "兑现进度" }, h("span", { class: `push-status push-${p.status}`, text: p.status_label })), controls);
}

export async function detail(ctx) {
  const code = ctx.params[0];
  const doc = await api(`/enterprises/${encodeURIComponent(code)}/dossier`);
  const e = doc.profile;
  const visitForm = h("form", { class: "inline-form" },
    field("走访事由", select("occasion", ctx.vocab.occasions, { required: true })),
    field("走访日期", h("input", { type: "date", name: "visited_on", required: true, value: new Date().toLocaleDateString("sv-SE") })),
    field("走访情况", h("textarea", { name: "notes", rows: "2", required: true })),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary", text: "登记走访" })));
  onSubmit(visitForm, async () => {
    const d = Object.fromEntries(new FormData(visitForm).entries());
    await api(`/enterprises/${encodeURIComponent(code)}/visits`, { method: "POST", json: d });
    toast("走访已登记");
    reload();
  });
  const profileRows = [["统一社会信用代码", e.credit_code], ["行业", e.industry], ["规模", `${e.size}型`], ["地区", e.region],
    ["经济类型", e.ownership || "—"], ["标签", (e.tags || []).join("、") || "—"], ["联系人", [e.contact_name, e.contact_phone].filter(Boolean).join(" ") || "—"],
    ["地址", e.address || "—"], ["包抓干部", doc.official ? `${doc.official.name}（${doc.official.office}）` : "未配对"]];
  const problems = doc.problems.slice().reverse();
  const adminPart = ctx.session.role === "admin" ? await enterpriseAdmin(doc, ctx.vocab) : null;
  return h("article", {},
    pageHeader(e.name, h("button", { type: "button", text: "下载一企一档（Excel）", on: { click: () => download(code).catch((err) => toast(err.message)) } })),
    h("div", { class: "grid-2" },
      h("section", { class: "card", "aria-labelledby": "p-h" }, h("h2", { id: "p-h", text: "企业概况" }),
        h("dl", { class: "facts" }, profileRows.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]))),
      h("section", { class: "card", "aria-labelledby": "v-h" }, h("h2", { id: "v-h", text: `走访记录（${doc.visits.length}）` }),
        doc.visits.length ? h("ul", { class: "plain" }, doc.visits.slice().reverse().map((v) =>
          h("li", {}, h("strong", { text: `${v.visited_on} ${v.occasion}` }), h("span", { class: "muted", text: ` ${v.official}` }), h("p", { class: "note", text: v.notes })))) : empty("尚未走访。"),
        h("h3", { text: "登记走访" }), visitForm)),
    h("section", { class: "card", "aria-labelledby": "q-h" }, h("h2", { id: "q-h", text: `诉求（${doc.problems.length}）` }),
      problems.length ? table(["工单号", "类别", "状态", "时限", "问题描述"], problems.map((p) => h("tr", {},
        h("td", { "data-label": "工单号" }, h("a", { href: `#/problems/${p.ticket_no}`, text: p.ticket_no })),
        h("td", { "data-label": "类别", text: p.category }), h("td", { "data-label": "状态", text: p.status_label }),
        h("td", { "data-label": "时限" }, slaBadge(p)), h("td", { "data-label": "问题描述", class: "desc", text: p.description })))) : empty("没有诉求记录。")),
    h("section", { class: "card", "aria-labelledby": "u-h" }, h("h2", { id: "u-h", text: `政策推送与兑现（${doc.pushes.length}）` }),
      doc.pushes.length ? table(["政策措施", "推送时间", "兑现进度", "登记进度"], doc.pushes.map((p) => pushRow(p, ctx.vocab))) : empty("尚无推送。")),
    adminPart);
}
