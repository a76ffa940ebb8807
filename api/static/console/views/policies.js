// 政策库 (admin): search and filter measures, edit (a new version), versions side by side, rollback,
// retire/restore, enable/disable, import a document with a preview, and the hit test (命中测试).
import { api, ApiError } from "../api.js";
import { clear, field, fmtTime, h, select, table } from "../dom.js";
import { vocabulary } from "../vocab.js";
import { empty, onSubmit, pageHeader, toast } from "./common.js";

const STATUS = { draft: "草稿", published: "已发布", retired: "已废止" };
const EDITABLE = [["title", "标题", "input"], ["text", "正文", "textarea"], ["summary", "摘要", "textarea"],
  ["how_to_apply", "怎么办理（申请方式）", "textarea"], ["contact", "咨询电话/窗口", "input"], ["deadline", "截止日期", "input"],
  ["lead_department", "牵头部门", "input"]];
const DIFF_FIELDS = ["title", "text", "summary", "kind", "redemption_mode", "how_to_apply", "contact", "deadline",
  "lead_department", "responsible_units", "tags", "conditions", "heading_path", "source"];
const FIELD_LABELS = { title: "标题", text: "正文", summary: "摘要", kind: "类型", redemption_mode: "兑现方式", how_to_apply: "怎么办理",
  contact: "咨询电话/窗口", deadline: "截止日期", lead_department: "牵头部门", responsible_units: "责任单位", tags: "标签",
  conditions: "适用条件", heading_path: "章节", source: "来源" };

const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));
const show = (v) => (v === null || v === undefined || v === "" ? "—" : Array.isArray(v) ? v.join("、") || "—"
  : typeof v === "object" ? JSON.stringify(v, null, 1) : String(v));

function subnav() {
  return h("p", { class: "buttons" }, h("a", { href: "#/policies", text: "措施列表" }), " ",
    h("a", { href: "#/policies/import", text: "导入文件" }), " ", h("a", { href: "#/policies/hit-test", text: "命中测试" }));
}

export async function list() {
  const [all, vocab] = await Promise.all([api("/policies?limit=1000"), vocabulary()]);
  const kindLabel = (k) => vocab.measure_kinds[k] || k;
  const kinds = Object.entries(vocab.measure_kinds);
  const sources = [...new Set(all.items.map((m) => m.doc_key).filter(Boolean))].sort();
  const q = h("input", { type: "search", name: "q", maxlength: "100", placeholder: "标题或正文中的文字" });
  const status = select("status", Object.entries(STATUS), { empty: "全部状态" });
  const enabled = select("enabled", [["true", "已启用"], ["false", "已停用"]], { empty: "启用与停用" });
  const source = select("doc_key", sources, { empty: "全部来源文件" });
  const kind = kinds.length ? select("kind", kinds, { empty: "全部类型" }) : null;
  const count = h("p", { class: "muted", "aria-live": "polite" });
  const body = h("div");
  async function load() {
    const params = new URLSearchParams({ limit: "1000" });
    for (const el of [q, status, enabled, source, kind]) if (el && el.value.trim()) params.set(el.name, el.value.trim());
    const data = await api(`/policies?${params}`);
    count.textContent = `共 ${data.count} 条措施`;
    clear(body).append(data.items.length ? table(["标题", "类型", "来源", "状态", "版本", "命中"], data.items.map((m) => h("tr", {},
      h("td", { "data-label": "标题" }, h("a", { href: `#/policies/${encodeURIComponent(m.id)}`, text: m.title })),
      h("td", { "data-label": "类型", text: m.kind ? kindLabel(m.kind) : m.redemption_mode || "—" }),
      h("td", { "data-label": "来源", text: m.source || m.doc_key || "—" }),
      h("td", { "data-label": "状态", text: `${STATUS[m.status] || m.status}${m.enabled ? "" : "（停用）"}` }),
      h("td", { "data-label": "版本", text: `v${m.version}` }), h("td", { "data-label": "命中", text: String(m.hits || 0) }))), "政策措施")
      : empty("没有符合条件的措施。"));
  }
  const form = h("form", { class: "filters", role: "search" }, field("搜索", q), field("状态", status), field("启用", enabled),
    field("来源文件", source), kind ? field("类型", kind) : null, h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary", text: "筛选" })));
  form.addEventListener("submit", (e) => { e.preventDefault(); load().catch((err) => toast(err.message)); });
  for (const el of [status, enabled, source, kind]) if (el) el.addEventListener("change", () => load().catch((err) => toast(err.message)));
  await load();
  return h("section", {}, pageHeader("政策库"), subnav(), form, count, body);
}

function diffView(a, b) {
  return h("div", {}, DIFF_FIELDS.map((f) => {
    const left = show(a.snapshot[f]);
    const right = show(b.snapshot[f]);
    if (left === "—" && right === "—") return null;
    const changed = left !== right;
    return h("div", { class: "diff-row" }, h("h3", { text: `${FIELD_LABELS[f]}${changed ? "（有改动）" : ""}` }),
      h("div", { class: "diff" }, h("pre", { class: changed ? "changed" : "", text: left }), h("pre", { class: changed ? "changed" : "", text: right })));
  }));
}

export async function detail(ctx) {
  const id = ctx.params[0];
  const [m, v, vocab] = await Promise.all([api(`/policies/${encodeURIComponent(id)}`),
    api(`/policies/${encodeURIComponent(id)}/versions`), vocabulary()]);
  const versions = v.versions;
  const path = `/policies/${encodeURIComponent(id)}`;

  const edit = h("form", {}, EDITABLE.map(([f, label, kind]) => field(label, kind === "textarea"
      ? h("textarea", { name: f, rows: f === "text" ? "8" : "3", text: m[f] || "" }) : h("input", { name: f, value: m[f] || "" }))),
    field("类型", select("kind", Object.entries(vocab.measure_kinds), { value: m.kind || "" }),
      m.kind_reason ? `判定依据：${m.kind_reason}` : "惠企措施会推送给企业；问题整改不会作为政策展示"),
    field("兑现方式", select("redemption_mode", vocab.redemption_modes, { value: m.redemption_mode || "", empty: "（未设）" })),
    field("标签（用顿号分隔）", h("input", { name: "tags", value: (m.tags || []).join("、") })),
    field("修改原因", h("input", { name: "reason", required: true, maxlength: "500" }), "记入版本历史"),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary", text: "保存为新版本" })));
  onSubmit(edit, async () => {
    const d = Object.fromEntries(new FormData(edit).entries());
    const body = { reason: d.reason, tags: d.tags.split(/[、,，;；\s]+/).filter(Boolean) };
    for (const [f] of EDITABLE) if ((d[f] || "") !== (m[f] || "")) body[f] = d[f] || null;
    if (d.redemption_mode && d.redemption_mode !== m.redemption_mode) body.redemption_mode = d.redemption_mode;
    if (d.kind && d.kind !== m.kind) body.kind = d.kind;
    await api(path, { method: "PUT", json: body });
    toast("已保存为新版本");
    reload();
  });

  const stateButtons = h("div", { class: "buttons" });
  const reason = h("input", { name: "state_reason", maxlength: "500" });
  const act = (label, fn) => h("button", { type: "button", text: label, on: { click: async (e) => {
    e.target.disabled = true;
    try { await fn(reason.value.trim() || null); toast(`${label}：已完成`); reload(); } catch (err) { toast(err.message); e.target.disabled = false; }
  } } });
  if (m.status === "retired") stateButtons.append(act("恢复", (r) => api(`${path}/restore`, { method: "POST", json: { reason: r } })));
  else stateButtons.append(act("废止", (r) => api(`${path}${r ? `?reason=${encodeURIComponent(r)}` : ""}`, { method: "DELETE" })));
  if (m.status === "draft") stateButtons.append(act("发布", (r) => api(path, { method: "PUT", json: { status: "published", reason: r || "发布" } })));
  stateButtons.append(m.enabled ? act("停用", (r) => api(`${path}/enabled`, { method: "POST", json: { enabled: false, reason: r } }))
    : act("启用", (r) => api(`${path}/enabled`, { method: "POST", json: { enabled: true, reason: r } })));

  const left = select("left", versions.map((x) => [String(x.version), `v${x.version} ${fmtTime(x.at)}`]), { value: String(Math.max(1, m.version - 1)) });
  const right = select("right", versions.map((x) => [String(x.version), `v${x.version} ${fmtTime(x.at)}`]), { value: String(m.version) });
  const diffBox = h("div");
  const drawDiff = () => clear(diffBox).append(diffView(versions.find((x) => String(x.version) === left.value),
    versions.find((x) => String(x.version) === right.value)));
  left.addEventListener("change", drawDiff);
  right.addEventListener("change", drawDiff);
  drawDiff();

  const rows = versions.slice().reverse().map((x) => h("tr", {},
    h("td", { "data-label": "版本", text: `v${x.version}${x.version === m.version ? "（当前）" : ""}` }),
    h("td", { "data-label": "操作", text: x.action }), h("td", { "data-label": "操作人", text: x.actor }),
    h("td", { "data-label": "时间", text: fmtTime(x.at) }), h("td", { "data-label": "原因", text: x.reason || "—" }),
    h("td", { "data-label": "回滚" }, x.version === m.version ? "—" : h("button", { type: "button", class: "small-btn", text: `回滚到 v${x.version}`,
      on: { click: async (e) => {
        e.target.disabled = true;
        try { await api(`${path}/rollback`, { method: "POST", json: { version: x.version, reason: `回滚到 v${x.version}` } }); toast("已回滚"); reload(); }
        catch (err) { toast(err.message); e.target.disabled = false; }
      } } }))));

  return h("article", {},
    pageHeader(m.title, h("a", { href: "#/policies", class: "back", text: "← 返回政策库" })),
    h("p", {}, h("span", { class: "tag", text: STATUS[m.status] || m.status }), h("span", { class: "tag", text: m.enabled ? "已启用" : "已停用" }),
      m.kind ? h("span", { class: "tag", text: vocab.measure_kinds[m.kind] || m.kind }) : null, h("span", { class: "tag", text: `v${m.version}` }),
      h("span", { class: "muted", text: ` 来源：${m.source || m.doc_key || "—"}；命中 ${m.hits || 0} 次` })),
    h("div", { class: "grid-2" },
      h("section", { class: "card", "aria-labelledby": "edit-h" }, h("h2", { id: "edit-h", text: "编辑（生成新版本）" }), edit),
      h("section", { class: "card", "aria-labelledby": "state-h" }, h("h2", { id: "state-h", text: "状态" }), field("操作说明（可选）", reason), stateButtons,
        h("h2", { text: "当前内容" }), h("p", { class: "description", text: m.text }),
        h("dl", { class: "facts" }, ["how_to_apply", "contact", "redemption_mode", "deadline", "conditions"].map((f) =>
          [h("dt", { text: FIELD_LABELS[f] }), h("dd", { text: show(m[f]) })])))),
    h("section", { class: "card", "aria-labelledby": "ver-h" }, h("h2", { id: "ver-h", text: `版本历史（${versions.length}）` }),
      table(["版本", "操作", "操作人", "时间", "原因", "回滚"], rows, "版本历史")),
    h("section", { class: "card", "aria-labelledby": "diff-h" }, h("h2", { id: "diff-h", text: "版本对比" }),
      h("div", { class: "filters" }, field("左侧版本", left), field("右侧版本", right)), diffBox));
}

function previewView(p) {
  return h("div", {},
    p.warnings && p.warnings.length ? h("div", { class: "card warn", role: "note" }, h("h3", { text: `提示（${p.warnings.length}）` }),
      h("ul", {}, p.warnings.map((w) => h("li", { text: typeof w === "string" ? w : w.message || JSON.stringify(w) })))) : null,
    table(["#", "标题", "类型", "章节", "内容与字段"], p.items.map((it, i) => h("tr", { class: "preview-item" },
      h("td", { "data-label": "#", text: String(i + 1) }),
      h("td", { "data-label": "标题", text: it.title }),
      h("td", { "data-label": "类型" }, it.kind_label || it.kind || "—", it.kind_reason ? h("div", { class: "muted small", text: it.kind_reason }) : null),
      h("td", { "data-label": "章节", text: show(it.heading_path || it["heading path"]) }),
      h("td", { "data-label": "内容与字段" }, h("p", { class: "note", text: (it.text || "").slice(0, 200) + ((it.text || "").length > 200 ? "…" : "") }),
        it.fields ? h("dl", { class: "facts small" }, Object.entries(it.fields).filter(([, v]) => v !== null && v !== "" && !(Array.isArray(v) && !v.length))
          .map(([k, v]) => [h("dt", { text: FIELD_LABELS[k] || k }), h("dd", { text: show(v) })])) : null))), "将要导入的条目"));
}

export async function importDoc() {
  const file = h("input", { type: "file", name: "file", accept: ".txt,.md,.docx,.pdf", required: true });
  const result = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "card" }, field("政策文件", file, "支持 .txt、.md、.docx、.pdf，简体或繁体均可，不超过 20 MB。"),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary", text: "预览将导入的条目" })));
  const upload = () => { const fd = new FormData(); fd.append("file", file.files[0]); return fd; };
  async function publish() {
    const rep = await api("/policies/import", { method: "POST", form: upload() });
    if (!rep.measures) {
      clear(result).append(h("p", { class: "error", role: "alert", text: "该文件没有解析出任何政策条目，未导入。请检查文件内容或格式（如是否为扫描件）后重试。" }));
      return;
    }
    clear(result).append(h("div", { class: "card", role: "status" }, h("h2", { text: "已导入并发布" }),
      h("p", { text: `《${rep.title || rep.doc_key}》：共 ${rep.measures} 条，新增 ${rep.created}，更新 ${rep.updated}，未变 ${rep.unchanged}，废止 ${rep.retired}。` }),
      h("p", { class: "buttons" }, h("a", { href: "#/policies", text: "到政策库查看" }), " ", h("a", { href: "#/policies/hit-test", text: "做命中测试" }))));
    toast("已导入并发布");
  }
  onSubmit(form, async () => {
    clear(result);
    let preview = null;
    try {
      preview = await api("/policies/import/preview", { method: "POST", form: upload() });
    } catch (err) {
      if (!(err instanceof ApiError) || ![404, 405].includes(err.status)) throw err;
    }
    const publishBtn = h("button", { type: "submit", class: "primary", text: "确认导入并发布" });
    const confirm = onSubmit(h("form", { class: "buttons" }, publishBtn), publish);
    if (preview) {
      clear(result).append(h("section", { class: "card", "aria-labelledby": "pv-h" },
        h("h2", { id: "pv-h", text: `预览：将导入 ${preview.items.length} 条（尚未写入）` }), previewView(preview), confirm));
    } else {
      clear(result).append(h("section", { class: "card" }, h("h2", { text: "确认导入" }),
        h("p", { text: "本系统的导入预览接口尚未开通，将直接导入并发布；导入后可在政策库逐条查看、修改或废止。" }), confirm));
    }
  });
  return h("section", {}, pageHeader("导入政策文件"), subnav(), form, result);
}

export async function hitTest() {
  const q = h("textarea", { name: "query", rows: "2", required: true, maxlength: "512" });
  const mode = select("mode", [["hybrid", "混合检索（关键词+语义）"], ["bm25", "仅关键词"], ["dense", "仅语义"]]);
  const topK = h("input", { type: "number", name: "top_k", min: "1", max: "50", value: "10" });
  const result = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "card" }, field("问题", q, "按企业的说法输入一个问题，看政策库会返回哪些措施、为什么。"),
    h("div", { class: "filters" }, field("检索方式", mode), field("返回条数", topK)),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary", text: "测试" })));
  onSubmit(form, async () => {
    const r = await api("/policies/hit-test", { method: "POST", json: { query: q.value.trim(), mode: mode.value, top_k: Number(topK.value) || 10 } });
    clear(result).append(r.results.length ? table(["名次", "措施", "得分", "关键词名次", "语义名次", "命中关键词"], r.results.map((x, i) => h("tr", { class: "hit" },
      h("td", { "data-label": "名次", text: String(i + 1) }),
      h("td", { "data-label": "措施" }, h("a", { href: `#/policies/${encodeURIComponent(x.measure_id)}`, text: x.title }),
        h("div", { class: "muted small", text: x.source || "" }), h("p", { class: "note small", text: (x.passage_window ? "节选：" : "") + (x.text || "").slice(0, 160) })),
      h("td", { "data-label": "得分", text: String(x.score) }),
      h("td", { "data-label": "关键词名次", text: show(x.explanation && x.explanation.keyword_rank) }),
      h("td", { "data-label": "语义名次", text: show(x.explanation && x.explanation.dense_rank) }),
      h("td", { "data-label": "命中关键词", text: show(x.explanation && x.explanation.matched_keywords) }))), "命中结果")
      : empty("没有检索到措施。"));
  });
  return h("section", {}, pageHeader("命中测试"), subnav(), form, result);
}
