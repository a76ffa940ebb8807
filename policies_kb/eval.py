"""Retrieval quality on a question file (format of ../shared/eval/retrieval_dev.json).

A case is ``{"q": question, "any": [phrases]}`` (optionally ``"doc"``: the file the answer must come
from, as in real_docs/questions.json). A result is scored on exactly what ``search --json`` prints in
its ``text`` field (for a long item, the passage that answers, not the whole item): it is a hit when
that text contains a phrase as written, or in simplified form (a traditional document, a simplified
phrase). Widths are not folded: a phrase copied from the document must be found as the CLI prints it.
For each mode (hybrid, bm25, dense): Recall@1/3/5/10 (share of questions with a hit in the top k)
and MRR@10 (mean of 1/rank of the first hit, 0 when none in the top 10).
"""
from __future__ import annotations

import json
from pathlib import Path

from huiqi.errors import Invalid
from huiqi.text import to_simplified
from policies_kb.search import MODES

KS = (1, 3, 5, 10)


def load_cases(path: str | Path) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Invalid("EVAL_FILE_INVALID", f"无法读取评测文件 {path}（{exc}），请提供 retrieval_dev.json 格式的 JSON 文件。",
                      field="file") from None
    cases = data.get("cases") if isinstance(data, dict) else data
    if not isinstance(cases, list) or not all(isinstance(c, dict) and c.get("q") and c.get("any") for c in cases):
        raise Invalid("EVAL_FILE_INVALID", "评测文件应包含 cases 列表，每条有 q（问题）和 any（期望短语列表）。", field="file")
    return cases


def is_hit(result: dict, phrases: list[str]) -> bool:
    text = result.get("text") or ""
    simple = to_simplified(text)
    return any(p in text or to_simplified(p) in simple for p in phrases)


def first_hit_rank(results: list[dict], phrases: list[str], doc: str | None = None) -> int | None:
    """Rank of the first result containing a phrase (and, when ``doc`` names a file, from that file)."""
    for rank, r in enumerate(results, start=1):
        if doc and Path(str(r.get("file") or "")).name != doc:
            continue
        if is_hit(r, phrases):
            return rank
    return None


def evaluate(base, cases: list[dict], modes=MODES, k: int = 10, **search_args) -> dict:
    """``{"cases": n, "modes": {mode: {"recall@1", …, "mrr@10"}}, "ranks": {mode: [rank|None, …]}}``."""
    out = {"cases": len(cases), "modes": {}, "ranks": {}}
    for mode in modes:
        ranks = [first_hit_rank(base.search(c["q"], top_k=k, mode=mode, **search_args), c["any"], c.get("doc"))
                 for c in cases]
        n = max(len(ranks), 1)
        metrics = {f"recall@{kk}": round(sum(1 for r in ranks if r and r <= kk) / n, 4) for kk in KS if kk <= k}
        metrics[f"mrr@{k}"] = round(sum(1 / r for r in ranks if r) / n, 4)
        out["modes"][mode] = metrics
        out["ranks"][mode] = ranks
    return out
