"""Hybrid retrieval: reciprocal-rank fusion (k=60) of dense (FAISS) and keyword (BM25) rankings.

RRF uses ranks only, so the bunched cosine scores of e5 (0.8–0.95) and unbounded BM25 scores need
no calibration. Each result explains itself: the query keywords it contains, its rank in each
list (``None`` when it was not in that list's candidates) and both raw scores.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from huiqi.errors import Invalid
from huiqi.text import normalize
from policies_kb.dense import DenseIndex
from policies_kb.keywords import KeywordIndex, tokenize

RRF_K = 60
CANDIDATES = 100          # depth of each ranked list fed into the fusion
MAX_QUERY_CHARS = 512     # longer queries are cut here (e5 reads at most 512 tokens anyway)
MODES = ("hybrid", "bm25", "dense")


@dataclass
class Query:
    text: str             # normalised (simplified, half-width) and cut to MAX_QUERY_CHARS
    tokens: list[str]
    truncated: bool


def prepare(query: str | None) -> Query:
    """Validate and normalise a query. Empty → ``Invalid(QUERY_EMPTY)``; too long → truncated."""
    text = normalize(query or "")
    text = " ".join(text.split())
    if not text:
        raise Invalid("QUERY_EMPTY", "请输入要查询的问题，例如“网约车经营许可怎么办理”。", field="query")
    truncated = len(text) > MAX_QUERY_CHARS
    if truncated:
        text = text[:MAX_QUERY_CHARS]
    return Query(text=text, tokens=tokenize(text), truncated=truncated)


def rrf(rankings: list[list[int]], k: int = RRF_K) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, num in enumerate(ranking, start=1):
            fused[num] = fused.get(num, 0.0) + 1.0 / (k + rank)
    return fused


def retrieve(q: Query, qvec: np.ndarray | None, dense: DenseIndex, keywords: KeywordIndex,
             top_k: int, mode: str = "hybrid", depth: int = CANDIDATES) -> list[tuple[int, float, dict]]:
    """Ranked ``(num, score, explanation)``; ``qvec`` is needed unless mode is ``bm25``."""
    if mode not in MODES:
        raise Invalid("MODE_INVALID", "检索方式只能是 hybrid、bm25 或 dense。", field="mode")
    depth = max(depth, top_k)
    d_hits = dense.search(qvec, depth) if mode != "bm25" else []
    k_hits = keywords.search(q.tokens, depth) if mode != "dense" else []
    d_rank = {n: (r, s) for r, (n, s) in enumerate(d_hits, start=1)}
    k_rank = {n: (r, s) for r, (n, s) in enumerate(k_hits, start=1)}
    fused = rrf([[n for n, _ in d_hits], [n for n, _ in k_hits]])
    order = sorted(fused, key=lambda n: (-fused[n], d_rank.get(n, (10**9,))[0]))[:top_k]
    out = []
    for n in order:
        dr, kr = d_rank.get(n), k_rank.get(n)
        out.append((n, round(fused[n], 6), {
            "mode": mode,
            "matched_keywords": keywords.matched(q.tokens, n),
            "dense_rank": dr[0] if dr else None,
            "dense_score": round(dr[1], 4) if dr else None,
            "keyword_rank": kr[0] if kr else None,
            "keyword_score": round(kr[1], 4) if kr else None,
            "rrf_k": RRF_K,
        }))
    return out
