// Pieces shared by the views: SLA badge, toasts, a busy/feedback form submit.
import { ApiError } from "../api.js";
import { h } from "../dom.js";

export function slaBadge(p) {
  if (p.days_left === null || p.days_left === undefined) return h("span", { class: "sla sla-none", text: "—" });
  if (p.overdue) return h("span", { class: "sla sla-overdue", text: `超期${Math.max(1, -p.days_left)}个工作日` });
  if (p.days_left <= 2) return h("span", { class: "sla sla-soon", text: `剩${p.days_left}个工作日` });
  return h("span", { class: "sla sla-ok", text: `剩${p.days_left}个工作日` });
}

export function toast(text) {
  const el = document.getElementById("toast");
  el.textContent = text;
  el.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el.classList.remove("show"), 4000);
}

// Submit handler: disables the button, shows the API's Chinese message in the form on failure.
export function onSubmit(form, action) {
  const error = h("p", { class: "error", role: "alert" });
  form.append(error);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    error.textContent = "";
    try {
      await action(e.submitter);
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : "操作失败，请稍后重试。";
      if (err instanceof ApiError && err.body && err.body.fields) {
        error.textContent += " " + err.body.fields.map((f) => f.message).filter((m) => !err.message.includes(m)).join("；");
      }
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
  return form;
}

export function pageHeader(title, ...extra) {
  return h("div", { class: "page-head" }, h("h1", { text: title }), extra);
}

export function empty(text) {
  return h("p", { class: "empty", text });
}
