import { h } from "../dom.js";
export async function enterprises() { return h("h1", { text: "企业" }); }
export async function importEnterprises() { return h("h1", { text: "企业批量导入" }); }
export async function staff() { return h("h1", { text: "人员" }); }
export async function pairings() { return h("h1", { text: "包抓联" }); }
