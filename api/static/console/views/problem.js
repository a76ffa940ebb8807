// 诉求详情: facts, the full timeline, and the workflow actions the current state allows.
import { api } from "../api.js";
import { field, fmtTime, h, select } from "../dom.js";
import { onSubmit, pageHeader, slaBadge, toast } from "./common.js";

function textarea(name, rows = 3, required = true) {
  return h("textarea", { name, rows: String(rows), required, maxlength: "4000" });
}

// Each action: the form fields it needs and the event body built from them.
function actionForm(key, p, vocab, people) {
  const fields = [];
  let build;
  switch (key) {
    case "start":
      fields.push(field("备注（可选）", textarea("note", 2, false)));
      build = (d) => ({ type: "status", to_status: "in_progress", note: d.note || null });
      break;
    case "reply":
      fields.push(field("答复企业的内容", textarea("reply", 4), "企业在智能客服查询进度和企业档案中都能看到这段答复。"));
      build = (d) => ({ type: "reply", reply: d.reply });
      break;
    case "close":
      fields.push(field("办结说明（可选）", textarea("note", 2, false)));
      build = (d) => ({ type: "status", to_status: "closed", note: d.note || null });
      break;
    case "reopen":
      fields.push(field("重新打开的原因", textarea("note", 2)));
      build = (d) => ({ type: "status", to_status: "reopened", note: d.note });
      break;
    case "assign":
      fields.push(field("承办人", select("assignee", people.map((s) => [s.login, `${s.name}（${s.office}）`]), { required: true, empty: "请选择" })),
        field("交办说明（可选）", textarea("note", 2, false)));
      build = (d) => ({ type: "assign", assignee: d.assignee, note: d.note || null });
      break;
    case "transfer":
      fields.push(field("责任科室", select("office", vocab.offices, { value: p.office, required: true })),
        field("承办人（可选，须在所选科室）", select("assignee", people.map((s) => [s.login, `${s.name}（${s.office}）`]), { empty: "不指定，由科室分派" })),
        field("转办理由", textarea("note", 2)));
      build = (d) => ({ type: "transfer", office: d.office, assignee: d.assignee || null, note: d.note });
      break;
    case "extension_request":
      fields.push(field("延期工作日数", h("input", { name: "days", type: "number", min: "1", max: String(vocab.max_extension_days), required: true })),
        field("延期理由", textarea("note", 2)));
      build = (d) => ({ type: "extension_request", days: Number(d.days), note: d.note });
      break;
    case "extension_decision": {
      const pending = (p.extensions || []).find((x) => x.status === "pending");
      if (pending) fields.push(h("p", { text: `申请延期 ${pending.days} 个工作日（${pending.requested_by}，${fmtTime(pending.requested_at)}）：${pending.reason}` }));
      fields.push(field("审批意见（可选）", textarea("note", 2, false)));
      build = (d, button) => ({ type: "extension_decision", approve: button.value === "approve", note: d.note || null });
      break;
    }
    case "reminder":
      fields.push(field("催办内容（可选）", textarea("note", 2, false)));
      build = (d) => ({ type: "reminder", note: d.note || null });
      break;
    case "rating":
      fields.push(field("回访评价", select("rating", vocab.ratings, { required: true })),
        field("企业意见（可选）", textarea("note", 2, false)));
      build = (d) => ({ type: "rating", rating: d.rating, note: d.note || null });
      break;
    case "note":
      fields.push(field("内部备注（企业看不到）", textarea("note", 3)));
      build = (d) => ({ type: "note", note: d.note });
      break;
    case "correction":
      fields.push(field("要更正的记录", select("corrects", p.events.map((e) => [String(e.id), `#${e.id} ${fmtTime(e.at)} ${e.label}`]), { required: true })),
        field("更正内容", textarea("note", 2)));
      build = (d) => ({ type: "correction", corrects: Number(d.corrects), note: d.note });
      break;
    default:
      return null;
  }
  const buttons = key === "extension_decision"
    ? [h("button", { type: "submit", class: "primary", name: "decision", value: "approve", text: "同意延期" }),
       h("button", { type: "submit", name: "decision", value: "reject", text: "不同意" })]
    : [h("button", { type: "submit", class: "primary", text: "提交" })];
  const form = h("form", { class: "action-form" }, fields, h("div", { class: "buttons" }, buttons));
  return { form, build };
}

function facts(p) {
  const rows = [
    ["企业", p.credit_code ? h("a", { href: `#/enterprises/${p.credit_code}`, text: p.enterprise_name || p.credit_code }) : `${p.claimant_name || ""}（个人，未登录） ${p.claimant_phone || ""}`],
    ["类别", `${p.category}·${p.kind_label}`],
    ["状态", p.status_label],
    ["受理时间", fmtTime(p.filed_at)],
    ["办理时限", h("span", {}, `${p.due_on} `, slaBadge(p))],
    ["责任科室", p.office],
    ["承办人", p.assignee ? `${p.assignee.name}（${p.assignee.office}）` : "未交办"],
    ["联系人", [p.contact_name, p.contact_phone].filter(Boolean).join(" ") || "—"],
  ];
  if (p.claimed_credit_code) rows.push([p.claimed_credit_code_label, `${p.claimed_credit_code}${p.claimed_enterprise ? "（台账中为：" + p.claimed_enterprise.name + "）" : ""}`]);
  if (p.escalated_to_staff) rows.push(["督办", `已升级至 ${p.escalated_to_staff.name}`]);
  if (p.rating) rows.push(["评价", `${p.rating}${p.rating_comment ? "：" + p.rating_comment : ""}`]);
  return h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", { text: k }), h("dd", {}, v)]));
}

function timeline(events, statuses) {
  const label = (v) => statuses[v] || v || "";
  return h("ol", { class: "timeline" }, events.map((e) => h("li", {},
    h("div", { class: "when" }, h("time", { datetime: e.at, text: fmtTime(e.at) }), ` #${e.id}`),
    h("div", { class: "what" }, h("strong", { text: e.label }),
      e.from_value || e.to_value ? h("span", { class: "muted", text: ` ${label(e.from_value)}${e.from_value && e.to_value ? " → " : ""}${label(e.to_value)}` }) : null,
      e.corrects ? h("span", { class: "muted", text: `（更正 #${e.corrects}）` }) : null),
    h("div", { class: "who", text: `${e.actor_name}` }),
    e.note ? h("p", { class: "note", text: e.note }) : null)));
}

export async function detail(ctx) {
  const ticket = ctx.params[0];
  const [p, allowed, people] = await Promise.all([api(`/problems/${encodeURIComponent(ticket)}`),
    api(`/workbench/problems/${encodeURIComponent(ticket)}/actions`), api("/workbench/assignees")]);
  const actions = h("div", { class: "actions" });
  for (const { key, label } of allowed.actions) {
    const made = actionForm(key, p, ctx.vocab, people);
    if (!made) continue;
    onSubmit(made.form, async (button) => {
      const data = Object.fromEntries(new FormData(made.form).entries());
      for (const k of Object.keys(data)) data[k] = String(data[k]).trim();
      await api(`/problems/${encodeURIComponent(ticket)}/events`, { method: "POST", json: made.build(data, button || {}) });
      toast(`${label}：已保存`);
      ctx.refreshCounts();
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    });
    actions.append(h("details", { class: "action", dataset: { action: key } }, h("summary", { text: label }), made.form));
  }
  return h("article", { class: "problem" },
    pageHeader(`诉求 ${p.ticket_no}`, h("a", { href: "#/problems", class: "back", text: "← 返回我的诉求" })),
    h("div", { class: "grid-2" },
      h("section", { class: "card", "aria-labelledby": "facts-h" }, h("h2", { id: "facts-h", text: "基本情况" }), facts(p),
        h("h3", { text: "问题描述" }), h("p", { class: "description", text: p.description }),
        p.reply ? [h("h3", { text: "答复企业" }), h("p", { class: "reply", text: p.reply })] : null),
      h("section", { class: "card", "aria-labelledby": "actions-h" }, h("h2", { id: "actions-h", text: "办理" }),
        allowed.actions.length ? actions : h("p", { class: "muted", text: "当前状态下没有可执行的办理操作。" }))),
    h("section", { class: "card", "aria-labelledby": "timeline-h" }, h("h2", { id: "timeline-h", text: "办理过程（全程留痕）" }), timeline(p.events, ctx.vocab.statuses)));
}
