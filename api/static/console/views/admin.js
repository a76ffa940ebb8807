// 企业 and 人员 (admin): enterprises (create, edit, log-in, bulk import), staff accounts, and pairings
// (包抓联) with the tier rule and the unpaired list.
import { api, ApiError } from "../api.js";
import { clear, field, h, select, table } from "../dom.js";
import { empty, onSubmit, pageHeader, toast } from "./common.js";

const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));
const values = (form) => Object.fromEntries([...new FormData(form).entries()].map(([k, v]) => [k, String(v).trim()]));
const orNull = (v) => (v === "" || v === undefined ? null : v);

function subnav() {
  return h("p", { class: "buttons" }, h("a", { href: "#/admin/enterprises", text: "企业列表" }), " ",
    h("a", { href: "#/admin/enterprises/import", text: "批量导入企业" }), " ",
    h("a", { href: "#/admin/staff", text: "人员" }), " ", h("a", { href: "#/admin/pairings", text: "包抓联配对" }));
}

// The enterprise form: for a new enterprise (credit code editable) or an existing one.
export function enterpriseForm(vocab, e = null) {
  const input = (name, attrs = {}) => h("input", { name, value: e && e[name] ? String(e[name]) : "", ...attrs });
  return [
    e ? null : field("统一社会信用代码", input("credit_code", { required: true, maxlength: "18", autocomplete: "off" })),
    field("企业名称", input("name", { required: true })),
    field("行业", select("industry", vocab.industries, { value: e ? e.industry : "", required: true, empty: e ? null : "请选择" })),
    field("企业规模", select("size", vocab.sizes.map((s) => [s, `${s}型`]), { value: e ? e.size : "", required: true, empty: e ? null : "请选择" })),
    field("所在地区", input("region", { required: true, placeholder: "甘肃省/兰州市/城关区" }), "按“省/市/县”填写"),
    field("经济类型", input("ownership")),
    field("标签（用顿号分隔）", h("input", { name: "tags", value: e ? (e.tags || []).join("、") : "" })),
    field("成立日期", input("registered_on", { type: "date" })),
    field("联系人", input("contact_name")), field("联系电话", input("contact_phone", { type: "tel" })), field("地址", input("address")),
  ];
}

export function enterpriseBody(d) {
  return { ...d, tags: (d.tags || "").split(/[、,，;；\s]+/).filter(Boolean), registered_on: orNull(d.registered_on),
    contact_name: orNull(d.contact_name), contact_phone: orNull(d.contact_phone), address: orNull(d.address) };
}

export async function enterprises({ vocab }) {
  const data = await api("/workbench/enterprises");
  const search = h("input", { type: "search", name: "q", placeholder: "企业名称或统一社会信用代码" });
  const body = h("div");
  const render = () => {
    const q = search.value.trim().toLowerCase();
    const items = data.items.filter((e) => !q || `${e.name} ${e.credit_code}`.toLowerCase().includes(q));
    clear(body).append(items.length ? table(["企业", "行业·规模", "地区", "包抓干部", "在办诉求", "状态"], items.map((e) => h("tr", {},
      h("td", { "data-label": "企业" }, h("a", { href: `#/enterprises/${e.credit_code}`, text: e.name }), h("div", { class: "muted small", text: e.credit_code })),
      h("td", { "data-label": "行业·规模", text: `${e.industry}·${e.size}型` }), h("td", { "data-label": "地区", text: e.region }),
      h("td", { "data-label": "包抓干部", text: e.official ? `${e.official.name}（${e.official.office}）` : "未配对" }),
      h("td", { "data-label": "在办诉求", text: String(e.open_problems) }),
      h("td", { "data-label": "状态", text: e.active ? "正常" : "已停用" }))), "企业列表") : empty("没有符合条件的企业。"));
  };
  search.addEventListener("input", render);
  render();
  const create = h("form", {}, enterpriseForm(vocab), h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary", text: "建档" })));
  onSubmit(create, async () => {
    const made = await api("/enterprises", { method: "POST", json: enterpriseBody(values(create)) });
    toast(`已建档：${made.name}`);
    location.hash = `#/enterprises/${made.credit_code}`;
  });
  return h("section", {}, pageHeader("企业"), subnav(),
    h("details", { class: "card" }, h("summary", { text: "新建企业档案" }), create),
    h("form", { class: "filters", role: "search", on: { submit: (e) => e.preventDefault() } }, field("搜索企业", search)),
    h("p", { class: "muted", text: `共 ${data.items.length} 家企业。点企业名称查看档案、修改信息、开通登录和配对。` }), body);
}

// Admin-only sections of the enterprise page: edit, chat log-in, pairing.
export async function enterpriseAdmin(doc, vocab) {
  const e = doc.profile;
  const code = e.credit_code;
  const edit = h("form", {}, enterpriseForm(vocab, e),
    field("状态", select("active", [["true", "正常"], ["false", "停用"]], { value: e.active ? "true" : "false" })),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary", text: "保存修改" })));
  onSubmit(edit, async () => {
    const d = enterpriseBody(values(edit));
    d.active = d.active === "true";
    await api(`/enterprises/${code}`, { method: "PUT", json: d });
    toast("企业信息已保存");
    reload();
  });
  const account = h("form", {}, field("企业登录密码", h("input", { name: "password", type: "password", autocomplete: "new-password", required: true, minlength: "8" }),
    "企业用统一社会信用代码和此密码在网站智能客服登录；至少8位。"),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary", text: "开通或重置登录" })));
  onSubmit(account, async () => {
    await api(`/enterprises/${code}/account`, { method: "POST", json: values(account) });
    account.reset();
    toast("企业登录已开通/重置");
  });
  const staff = await api("/staff");
  const allowed = vocab.pairing_roles[e.size] || [];
  const officials = staff.filter((s) => s.active && allowed.includes(s.role));
  const pair = h("form", {}, field("包抓联干部", select("login", officials.map((s) => [s.login, `${s.name}（${vocab.roles[s.role]}·${s.office}）`]),
      { value: doc.official ? doc.official.login : "", required: true, empty: "请选择" }),
    `${e.size}型企业由${allowed.map((r) => vocab.roles[r]).join("或")}包抓`),
    field("说明（可选）", h("input", { name: "note" })),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary", text: "配对" })));
  onSubmit(pair, async () => {
    const d = values(pair);
    await api("/pairings", { method: "POST", json: { credit_code: code, login: d.login, note: orNull(d.note) } });
    toast("配对已保存");
    reload();
  });
  return h("section", { class: "card", "aria-labelledby": "adm-h" }, h("h2", { id: "adm-h", text: "管理（管理员）" }),
    h("div", { class: "grid-2" },
      h("div", {}, h("h3", { text: "修改企业信息" }), edit),
      h("div", {}, h("h3", { text: "包抓联配对" }), pair, h("h3", { text: "企业登录" }), account)));
}

async function downloadTemplate() {
  const r = await api("/workbench/enterprises/import-template.csv", { raw: true });
  const url = URL.createObjectURL(await r.blob());
  const a = h("a", { href: url, download: "企业批量导入模板.csv" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export async function importEnterprises({ vocab }) {
  const file = h("input", { type: "file", name: "file", accept: ".xlsx,.csv", required: true });
  const result = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "card" },
    h("p", {}, `第1行为表头：${vocab.import_columns.join("、")}；其中${vocab.import_required.join("、")}必填。`,
      h("button", { type: "button", class: "small-btn", text: "下载模板（CSV）", on: { click: () => downloadTemplate().catch((err) => toast(err.message)) } })),
    field("企业名单文件", file, "支持 .xlsx 或 .csv。任何一行有误时整批不导入，并逐行说明原因。"),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary", text: "导入" })));
  onSubmit(form, async () => {
    clear(result);
    const fd = new FormData();
    fd.append("file", file.files[0]);
    try {
      const rep = await api("/workbench/enterprises/import", { method: "POST", form: fd });
      result.append(h("div", { class: "card", role: "status" }, h("h2", { text: `已导入 ${rep.created} 家企业` }),
        h("p", {}, "新企业尚未配对，请到", h("a", { href: "#/admin/pairings", text: "包抓联配对" }), "为其指定干部。")));
      toast(`已导入 ${rep.created} 家企业`);
    } catch (err) {
      if (!(err instanceof ApiError) || !err.body.errors) throw err;
      result.append(h("section", { class: "card", "aria-labelledby": "rep-h" }, h("h2", { id: "rep-h", text: "逐行错误说明（本次未导入任何企业）" }),
        h("p", { class: "error", role: "alert", text: err.message }),
        table(["行号", "统一社会信用代码", "字段", "问题"], err.body.errors.map((x) => h("tr", { class: "report-error" },
          h("td", { "data-label": "行号", text: `第${x.row}行` }), h("td", { "data-label": "统一社会信用代码", text: x.credit_code || "—" }),
          h("td", { "data-label": "字段", text: x.field || "—" }), h("td", { "data-label": "问题", text: x.message }))), "逐行错误")));
    }
  });
  return h("section", {}, pageHeader("批量导入企业"), subnav(), form, result);
}

export async function staff({ vocab }) {
  const people = await api("/staff");
  const create = h("form", {},
    field("登录名", h("input", { name: "login", required: true, autocomplete: "off" }), "小写字母开头，3-32位"),
    field("姓名", h("input", { name: "name", required: true })),
    field("角色", select("role", Object.entries(vocab.roles), { required: true })),
    field("科室", h("input", { name: "office", required: true, list: "office-list" })),
    h("datalist", { id: "office-list" }, vocab.offices.map((o) => h("option", { value: o }))),
    field("电话", h("input", { name: "phone", type: "tel" })),
    field("初始密码", h("input", { name: "password", type: "password", required: true, minlength: "8", autocomplete: "new-password" }), "至少8位"),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary", text: "新增人员" })));
  onSubmit(create, async () => {
    const d = values(create);
    await api("/staff", { method: "POST", json: { ...d, phone: orNull(d.phone) } });
    toast(`已新增：${d.name}`);
    reload();
  });
  const rows = people.map((s) => {
    const edit = h("form", { class: "inline-form" },
      field(`${s.name}的角色`, select("role", Object.entries(vocab.roles), { value: s.role })),
      field(`${s.name}的科室`, h("input", { name: "office", value: s.office })),
      field(`${s.name}的电话`, h("input", { name: "phone", type: "tel", value: s.phone || "" })),
      field(`${s.name}的状态`, select("active", [["true", "在岗"], ["false", "停用"]], { value: s.active ? "true" : "false" })),
      field(`重置${s.name}的密码（留空不改）`, h("input", { name: "password", type: "password", minlength: "8", autocomplete: "new-password" })),
      h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary", text: "保存" })));
    onSubmit(edit, async () => {
      const d = values(edit);
      await api(`/staff/${s.login}`, { method: "PUT", json: { role: d.role, office: d.office, phone: orNull(d.phone),
        active: d.active === "true", password: orNull(d.password) } });
      toast(`已保存：${s.name}`);
      reload();
    });
    return h("tr", {}, h("td", { "data-label": "姓名", text: s.name }), h("td", { "data-label": "登录名", class: "mono", text: s.login }),
      h("td", { "data-label": "角色", text: vocab.roles[s.role] }), h("td", { "data-label": "科室", text: s.office }),
      h("td", { "data-label": "状态", text: s.active ? "在岗" : "停用" }),
      h("td", { "data-label": "修改" }, h("details", {}, h("summary", { text: "修改" }), edit)));
  });
  return h("section", {}, pageHeader("人员"), subnav(),
    h("details", { class: "card" }, h("summary", { text: "新增工作人员" }), create),
    table(["姓名", "登录名", "角色", "科室", "状态", "修改"], rows, "工作人员"));
}

export async function pairings({ vocab }) {
  const [coverage, people] = await Promise.all([api("/pairings/coverage"), api("/staff")]);
  const rows = coverage.unpaired.map((e) => {
    const allowed = vocab.pairing_roles[e.size] || [];
    const officials = people.filter((s) => s.active && allowed.includes(s.role));
    const form = h("form", { class: "inline-form" }, field(`${e.name}的包抓干部`, select("login",
      officials.map((s) => [s.login, `${s.name}（${vocab.roles[s.role]}·${s.office}）`]), { required: true, empty: "请选择" })),
      h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary", text: "配对" })));
    onSubmit(form, async () => {
      await api("/pairings", { method: "POST", json: { credit_code: e.credit_code, login: values(form).login } });
      toast(`已配对：${e.name}`);
      reload();
    });
    return h("tr", {}, h("td", { "data-label": "企业" }, h("a", { href: `#/enterprises/${e.credit_code}`, text: e.name }),
      h("div", { class: "muted small", text: e.credit_code })),
      h("td", { "data-label": "行业·规模", text: `${e.industry}·${e.size}型` }), h("td", { "data-label": "配对" }, form));
  });
  return h("section", {}, pageHeader("包抓联配对"), subnav(),
    h("p", {}, `覆盖率 ${(coverage.coverage_rate * 100).toFixed(1)}%：${coverage.paired}/${coverage.enterprises} 家在册企业已配对。大型企业由领导干部包抓，中小微企业由干部包抓。`),
    h("h2", { text: `未配对企业（${coverage.unpaired.length}）` }),
    rows.length ? table(["企业", "行业·规模", "配对"], rows, "未配对企业") : empty("全部企业均已配对（全覆盖）。"));
}
