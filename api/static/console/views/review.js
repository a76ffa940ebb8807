// 对话复核 (admins): chat turns where the bot fell back, was unsure, or the user said it got it wrong.
// The admin confirms the predicted intent, corrects it, or dismisses the turn; the item then leaves the list.
import { api } from "../api.js";
import { field, fmtTime, h, select } from "../dom.js";
import { empty, onSubmit, pageHeader, toast } from "./common.js";

const DONE = { confirm: "已确认预测的意图，这句话将加入下次训练。", correct: "已纠正意图，这句话将加入下次训练。",
  dismiss: "已忽略，这句话不进入训练数据。" };

const pct = (c) => `${Math.round((c || 0) * 100)}%`;

function context(item) {
  return h("ol", { class: "review-context", "aria-label": "对话上下文" },
    item.context.map((line) => h("li", line.this_turn
      ? { class: "this-turn", "aria-current": "true" } : {},
      h("span", { class: "who", text: `${line.who}：` }), h("span", { text: line.text }),
      line.this_turn ? h("span", { class: "tag", text: "（待复核的这句）" }) : null)));
}

function card(item, intents, list) {
  const headingId = `review-${item.id}`;
  const choice = select("intent", intents, { value: item.predicted || "", empty: "请选择正确的意图" });
  const form = h("form", { class: "inline-form" }, field("正确的意图", choice, "纠正时选择；确认则采用预测的意图。"),
    h("div", { class: "buttons" },
      h("button", { type: "submit", class: "primary", name: "decision", value: "correct", text: "按所选意图纠正" }),
      item.predicted ? h("button", { type: "submit", name: "decision", value: "confirm", text: `确认预测（${item.predicted}）` }) : null,
      h("button", { type: "submit", name: "decision", value: "dismiss", text: "忽略" })));
  const article = h("article", { class: "card review", "aria-labelledby": headingId, dataset: { id: String(item.id) } },
    h("h2", { id: headingId, text: `“${item.text}”` }),
    h("dl", { class: "facts" },
      h("dt", { text: "原因" }), h("dd", { text: item.reason_label }),
      h("dt", { text: "时间" }), h("dd", { text: fmtTime(item.at) }),
      h("dt", { text: "预测意图" }), h("dd", { text: item.predicted ? `${item.predicted}（置信度 ${pct(item.confidence)}）` : "无" }),
      h("dt", { text: "候选意图" }), h("dd", { text: item.alternatives.length
        ? item.alternatives.map((a) => `${a.intent} ${pct(a.confidence)}`).join("、") : "无" }),
      h("dt", { text: "会话" }), h("dd", { class: "mono", text: item.conversation })),
    h("h3", { text: "对话上下文" }), context(item), form);
  onSubmit(form, async (button) => {
    const decision = (button && button.value) || "correct";
    const body = { decision };
    if (decision === "correct") body.intent = choice.value || null;
    await api(`/review/${item.id}`, { method: "POST", json: body });
    toast(DONE[decision]);
    const next = article.nextElementSibling || article.previousElementSibling;
    article.remove();
    if (!list.querySelector("article")) list.append(empty("目前没有待复核的对话。"));
    const target = next && next.querySelector ? next.querySelector("h2") : null;
    const focus = target || document.querySelector("#main h1");
    if (focus) { focus.tabIndex = -1; focus.focus(); }
  });
  return article;
}

export async function queue() {
  const [items, intents] = await Promise.all([api("/review?limit=100"), api("/review/intents")]);
  const list = h("div", { class: "review-list" });
  if (items.length) list.append(...items.map((i) => card(i, intents, list)));
  else list.append(empty("目前没有待复核的对话。"));
  return h("section", {}, pageHeader("对话复核"),
    h("p", { class: "muted", text: "智能客服没听懂、把握不大，或企业说“不是这个意思”的对话出现在这里（电话、信用代码、姓名已脱敏）。"
      + "确认或纠正后，这句话写入训练数据，下次训练时生效；忽略则不进入训练数据。" }),
    list);
}
