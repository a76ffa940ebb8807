// 政策库 (admin): filled in below.
import { h } from "../dom.js";
export async function list() { return h("h1", { text: "政策库" }); }
export async function detail() { return h("h1", { text: "政策措施" }); }
export async function importDoc() { return h("h1", { text: "导入政策文件" }); }
export async function hitTest() { return h("h1", { text: "命中测试" }); }
