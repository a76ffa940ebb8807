// 驾驶舱: the leaders' dashboard. Headline numbers are GET /api/v1/stats's (through the workbench
// dashboard endpoint); charts by Apache ECharts (vendored, loaded on this page only).
import { api } from "../api.js";
import { h, table } from "../dom.js";
import { pageHeader } from "./common.js";

const ECHARTS = "/console/assets/vendor/echarts-6.1.0.common.min.js";
let loading = null;

function loadECharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = ECHARTS;
      s.onload = () => resolve(window.echarts);
      s.onerror = () => reject(new Error("图表组件加载失败，请刷新页面重试。"));
      document.head.append(s);
    });
  }
  return loading;
}

const pct = (x) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);
const num = (x) => (x === null || x === undefined ? "—" : String(x));
// Tooltips drawn on the canvas (richText), not as HTML: no inline style attributes, so a strict CSP holds.
const COLORS = ["#1f5fa8", "#2e7d32", "#b26a00", "#6a1b9a", "#00838f", "#c62828", "#455a64"];

function tile(label, value, key, note) {
  return h("div", { class: "tile" }, h("div", { class: "tile-label", text: label }),
    h("div", { class: "tile-value", dataset: { stat: key }, text: value }), note ? h("div", { class: "muted small", text: note }) : null);
}

function chartBox(id, title, dataTable) {
  return h("section", { class: "card chart-card", "aria-labelledby": `${id}-h` },
    h("h2", { id: `${id}-h`, text: title }),
    h("div", { class: "chart", id, role: "img", "aria-label": `${title}（图表，数据见下方表格）` }),
    h("details", {}, h("summary", { text: "查看数据表" }), dataTable));
}

function bar(el, labels, values, horizontal = false) {
  const chart = window.echarts.init(el, null, { renderer: "canvas" });
  const cat = { type: "category", data: labels, axisLabel: { interval: 0, width: 90, overflow: "truncate" } };
  const val = { type: "value", minInterval: 1 };
  chart.setOption({ color: COLORS, grid: { left: horizontal ? 110 : 40, right: 16, top: 16, bottom: 40 },
    tooltip: { trigger: "axis", renderMode: "richText" }, xAxis: horizontal ? val : cat, yAxis: horizontal ? cat : val,
    series: [{ type: "bar", data: values, label: { show: true, position: horizontal ? "right" : "top" } }] });
  return chart;
}

export async function view() {
  const [d] = await Promise.all([api("/workbench/dashboard"), loadECharts()]);
  const s = d.stats;
  const c = d.coverage;
  const t = d.timeline;
  const cats = Object.entries(s.by_category);
  const offices = Object.entries(s.by_office);
  const ratings = Object.entries(s.ratings);
  const stageKeys = Object.keys(d.stage_labels);
  const page = h("section", { class: "dashboard" },
    pageHeader("驾驶舱", h("span", { class: "muted", text: `统计日期 ${s.date}` })),
    h("div", { class: "tiles" },
      tile("诉求总数", num(s.total), "total"), tile("在办", num(s.open), "open"),
      tile("超期在办", num(s.overdue_open), "overdue_open"), tile("超期率", pct(s.overdue_rate), "overdue_rate", "超期在办与逾期答复占全部诉求"),
      tile("平均办理天数", num(s.mean_handling_days), "mean_handling_days", "受理至答复（自然日）"),
      tile("满意率", pct(s.satisfaction_rate), "satisfaction_rate", "满意与基本满意占已评价"),
      tile("包抓联覆盖率", pct(c.coverage_rate), "coverage_rate", `${c.paired}/${c.enterprises} 家企业已配对`)),
    h("div", { class: "grid-2" },
      chartBox("chart-timeline", "诉求趋势（按受理周、当前状态）",
        table(["受理周", ...Object.values(t.labels)], t.weeks.map((w, i) => h("tr", {}, h("td", { text: w }),
          Object.keys(t.labels).map((k) => h("td", { text: String(t.series[k][i]) })))))),
      chartBox("chart-status", "按状态", table(["状态", "件数"], Object.entries(s.by_status).map(([k, n]) =>
        h("tr", {}, h("td", { text: t.labels[k] }), h("td", { dataset: { status: k }, text: String(n) }))))),
      chartBox("chart-category", "按类别", table(["类别", "件数"], cats.map(([k, n]) => h("tr", {}, h("td", { text: k }), h("td", { text: String(n) }))))),
      chartBox("chart-office", "按责任科室", table(["科室", "件数"], offices.map(([k, n]) => h("tr", {}, h("td", { text: k }), h("td", { text: String(n) }))))),
      chartBox("chart-rating", "满意度", table(["评价", "件数"], ratings.map(([k, n]) => h("tr", {}, h("td", { text: k }), h("td", { text: String(n) }))))),
      chartBox("chart-coverage", "包抓联覆盖", table(["", "企业数"], [h("tr", {}, h("td", { text: "已配对" }), h("td", { text: String(c.paired) })),
        h("tr", {}, h("td", { text: "未配对" }), h("td", { text: String(c.unpaired) }))]))),
    h("section", { class: "card", "aria-labelledby": "funnel-h" }, h("h2", { id: "funnel-h", text: "政策兑现漏斗（按措施）" }),
      d.funnels.length ? [h("div", { class: "chart chart-tall", id: "chart-funnel", role: "img", "aria-label": "政策兑现漏斗图（数据见下方表格）" }),
        h("details", { open: window.matchMedia("(min-width: 821px)").matches }, h("summary", { text: `查看全部 ${d.funnels.length} 条措施的数据` }),
          table(["政策措施", ...stageKeys.map((k) => d.stage_labels[k])], d.funnels.map((f) => h("tr", { dataset: { measure: f.measure_id } },
            h("td", { "data-label": "政策措施", text: f.title }),
            stageKeys.map((k) => h("td", { "data-label": d.stage_labels[k], dataset: { stage: k }, text: String(f.stages[k]) })))), "政策兑现漏斗"))]
        : h("p", { class: "empty", text: "尚无政策推送。" })));

  // Charts are drawn once the page is in the document (ECharts needs the element's size).
  requestAnimationFrame(() => {
    const charts = [];
    const ec = window.echarts;
    const byId = (id) => page.querySelector(`#${id}`);
    const tl = ec.init(byId("chart-timeline"));
    tl.setOption({ color: COLORS, tooltip: { trigger: "axis", renderMode: "richText" }, legend: { bottom: 0 }, grid: { left: 40, right: 16, top: 16, bottom: 60 },
      xAxis: { type: "category", data: t.weeks }, yAxis: { type: "value", minInterval: 1 },
      series: Object.keys(t.labels).map((k) => ({ name: t.labels[k], type: "bar", stack: "all", data: t.series[k] })) });
    charts.push(tl);
    charts.push(bar(byId("chart-status"), Object.keys(s.by_status).map((k) => t.labels[k]), Object.values(s.by_status)));
    charts.push(bar(byId("chart-category"), cats.map((x) => x[0]), cats.map((x) => x[1]), true));
    charts.push(bar(byId("chart-office"), offices.map((x) => x[0]), offices.map((x) => x[1]), true));
    const pie = (el, data) => { const ch = ec.init(el); ch.setOption({ color: COLORS, tooltip: { renderMode: "richText" }, legend: { bottom: 0 },
      series: [{ type: "pie", radius: ["35%", "65%"], data, label: { formatter: "{b}: {c}" } }] }); return ch; };
    charts.push(pie(byId("chart-rating"), ratings.map(([name, value]) => ({ name, value }))));
    charts.push(pie(byId("chart-coverage"), [{ name: "已配对", value: c.paired }, { name: "未配对", value: c.unpaired }]));
    if (d.funnels.length) {
      const top = d.funnels.slice(0, 8);
      const fc = ec.init(byId("chart-funnel"));
      fc.setOption({ color: COLORS, tooltip: { trigger: "axis", renderMode: "richText" }, legend: { bottom: 0 }, grid: { left: 160, right: 16, top: 16, bottom: 60 },
        yAxis: { type: "category", data: top.map((f) => f.title), axisLabel: { width: 150, overflow: "truncate" } },
        xAxis: { type: "value", minInterval: 1 },
        series: stageKeys.map((k) => ({ name: d.stage_labels[k], type: "bar", data: top.map((f) => f.stages[k]) })) });
      charts.push(fc);
    }
    const resize = () => charts.forEach((ch) => ch.resize());
    window.addEventListener("resize", resize);
    window.addEventListener("hashchange", () => { window.removeEventListener("resize", resize); charts.forEach((ch) => ch.dispose()); }, { once: true });
  });
  return page;
}
