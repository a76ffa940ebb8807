// The API client: the bearer token from the log-in, kept in localStorage so a reload keeps the session.

const KEY = "huiqi.console.session";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || "请求失败，请稍后重试。");
    this.status = status;
    this.code = body && body.code;
    this.body = body || {};
  }
}

export function session() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) || "null");
    if (s && s.expires_at > Date.now()) return s;
  } catch (e) { /* a damaged entry is treated as logged out */ }
  localStorage.removeItem(KEY);
  return null;
}

export function forget() {
  localStorage.removeItem(KEY);
}

export async function logIn(login, password) {
  const body = new URLSearchParams({ username: login, password });
  const r = await fetch("/api/v1/auth/token", { method: "POST", body });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(r.status, data);
  if (!["cadre", "leader", "admin"].includes(data.role)) throw new ApiError(403, { message: "工作台只对工作人员开放，企业请在首页登录。" });
  const s = { token: data.access_token, login: data.login, name: data.name, role: data.role, office: data.office,
              expires_at: Date.now() + data.expires_in * 1000 };
  localStorage.setItem(KEY, JSON.stringify(s));
  return s;
}

let onUnauthenticated = () => {};
export function whenLoggedOut(fn) { onUnauthenticated = fn; }

export async function api(path, { method = "GET", json, form, raw = false } = {}) {
  const s = session();
  const headers = {};
  if (s) headers.Authorization = `Bearer ${s.token}`;
  let body;
  if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  if (form !== undefined) body = form;
  let r;
  try {
    r = await fetch(`/api/v1${path}`, { method, headers, body });
  } catch (e) {
    throw new ApiError(0, { code: "NETWORK", message: "无法连接服务器，请检查网络后重试。" });
  }
  if (raw && r.ok) return r;
  const data = r.status === 204 ? null : await r.json().catch(() => null);
  if (r.status === 401) { forget(); onUnauthenticated(); }
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

export const ROLE_LABELS = { cadre: "干部", leader: "领导干部", admin: "管理员" };
