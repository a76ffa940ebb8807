// The fixed lists (statuses, categories, offices, ...) come from the API, defined once in the ledger.
import { api } from "./api.js";

let cached = null;
export async function vocabulary() {
  if (!cached) cached = await api("/workbench/vocabulary");
  return cached;
}
