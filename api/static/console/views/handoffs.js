// 转人工: open hand-off requests with the conversation transcript and the number to call back; the official can
// write into the business's open chat, and ends the hand-off (the chat goes back to the bot).
import { api } from "../api.js";
import { field, fmtTime, h } from "../dom.js";
import { vocabulary } from "../vocab.js";
import { empty, onSubmit, pageHeader, toast } from "./common.js";

const NOT_DELIVERED = "对方不在线，消息已记录，请电话联系。";

// The reply form: the message shows in the business's chat as 「工作人员（姓名）：…」 and joins the transcript.
function replyForm(item, transcript, maxChars) {
  const text = h("textarea", { name: "text", rows: "3", maxlength: String(maxChars), required: true });
  const outcome = h("p", { class: "reply-outcome", role: "status" });
  const form = h("form", { class: "inline-form chat-reply" },
    field("回复企业", text, `显示在企业打开的对话页面中，署名为您的姓名；不超过${maxChars}字。发送不会结束人工服务。`),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary", text: "发送到对话" })),
    outcome);
  onSubmit(form, async () => {
    outcome.textContent = "";
    outcome.classList.remove("offline");
    const sent = await api(`/workbench/handoffs/${item.id}/reply`, { method: "POST", json: { text: text.value } });
    transcript.textContent = sent.transcript;
    transcript.scrollTop = transcript.scrollHeight;
    text.value = "";
    outcome.textContent = sent.delivered ? `已发送（${fmtTime(sent.at)}），企业的对话页面已显示。` : NOT_DELIVERED;
    outcome.classList.toggle("offline", !sent.delivered);
    toast(sent.delivered ? "消息已发送到企业的对话页面。" : NOT_DELIVERED);
  });
  return form;
}

function card(item, ctx, vocab) {
  const note = h("textarea", { name: "note", rows: "2", maxlength: "1000" });
  const form = h("form", { class: "inline-form" }, field("处理说明（可选）", note),
    h("div", { class: "buttons" },
      h("button", { type: "submit", class: "primary", name: "outcome", value: "called_back", text: "已回电，结束并交还智能客服" }),
      h("button", { type: "submit", name: "outcome", value: "closed", text: "结束人工服务" })));
  onSubmit(form, async (button) => {
    const closed = await api(`/workbench/handoffs/${item.id}/close`, { method: "POST",
      json: { outcome: (button && button.value) || "closed", note: note.value.trim() || null } });
    toast(closed.handed_back ? "人工服务已结束，对话已交还智能客服。" : "人工服务已结束；企业下次发言时由智能客服接续。");
    ctx.refreshCounts();
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  });
  const mine = item.official && item.official.login === ctx.session.login;
  const take = mine ? null : h("button", { type: "button", text: "我来接待", on: { click: async (e) => {
    e.target.disabled = true;
    try {
      await api(`/workbench/handoffs/${item.id}/take`, { method: "POST" });
      toast("已由您接待，请尽快回电。");
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    } catch (err) { toast(err.message); e.target.disabled = false; }
  } } });
  const transcript = h("pre", { class: "transcript", tabindex: "0", "aria-label": "对话记录", text: item.transcript || "（无）" });
  requestAnimationFrame(() => { transcript.scrollTop = transcript.scrollHeight; });  // the latest lines first in view
  const who = item.enterprise_name || `${item.claimant_name || "未登录访客"}（个人）`;
  return h("article", { class: "card handoff", "aria-labelledby": `handoff-${item.id}` },
    h("h2", { id: `handoff-${item.id}`, text: who }),
    h("dl", { class: "facts" },
      h("dt", { text: "请求时间" }), h("dd", { text: fmtTime(item.requested_at) }),
      h("dt", { text: "回电号码" }), h("dd", {}, item.call_back_phone
        ? h("a", { href: `tel:${item.call_back_phone}`, text: `${item.call_back_phone}${item.call_back_name ? "（" + item.call_back_name + "）" : ""}` })
        : "未留电话"),
      h("dt", { text: "接待人" }), h("dd", {}, item.official ? `${item.official.name}（${item.official.office}）` : `${item.office}（未指定）`, " ", take),
      h("dt", { text: "会话编号" }), h("dd", { class: "mono", text: item.conversation_id })),
    h("h3", { text: "对话记录" }),
    transcript,
    replyForm(item, transcript, vocab.max_reply_chars),
    form);
}

export async function list(ctx) {
  const [items, vocab] = await Promise.all([api("/workbench/handoffs"), vocabulary()]);
  return h("section", {}, pageHeader("转人工"),
    h("p", { class: "muted", text: "企业在智能客服中要求人工服务时出现在这里。请按回电号码联系企业，企业的对话页面开着时也可以直接在对话中回复；结束后对话交还智能客服。" }),
    items.length ? items.map((i) => card(i, ctx, vocab)) : empty("目前没有待接待的转人工请求。"));
}
