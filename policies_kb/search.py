"""Hybrid retrieval: dense (FAISS) and keyword (BM25) scores fused after z-score normalisation.

Each list (the top ``CANDIDATES`` of each retriever) is standardised on its own — (score − mean) /
standard deviation — so e5's cosines bunched between 0.8 and 0.95 and BM25's unbounded scores
count alike, and the fused score is ``DENSE_WEIGHT`` · dense + (1 − ``DENSE_WEIGHT``) · keyword; an
item missing from one list gets that list's lowest score. Chosen on the two development sets
(../shared/eval/retrieval_dev.json over the seeds, real_docs/questions.json over the real documents;
bench/bench_policies.py prints them): reciprocal-rank fusion (k=60) lost to BM25 alone on the seeds
(MRR@10 0.80 against 0.93) because it gives a weak dense list the same say as a sharp keyword list;
z-scores keep how sharp each list is. Weights from 0.4 to 0.5 all beat both retrievers on both sets;
0.45 is in the middle of that plateau.

Item kinds then shift the fused score (``KIND_PRIOR``, in standard deviations), per audience:
- ``all`` (the CLI, the admin hit test, evaluation): problem and context items a little lower;
- ``business`` (the chat and the open search API): problem-list entries are never returned,
  commitments rank below measures and only appear when they answer the question (among the top
  ``COMMITMENT_MAX_RANK`` of the fused ranking before kinds count), context comes last.

A long item is retrieved by passage: its dense score is the best of its whole-text vector and its
sentence windows' (``policies_kb.passages``), and ``answer_passage`` picks the window a result cites.

Each result explains itself: the query keywords it contains, its rank and raw score in each list
(``None`` when it was not in that list's candidates) and the fused score.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from huiqi.errors import Invalid
from huiqi.text import normalize
from policies_kb.dense import DenseIndex
from policies_kb.keywords import KeywordIndex, tokenize
from policies_kb.passages import best_window

RRF_K = 60               # reciprocal-rank fusion, used by matching (relevance with specificity)
CANDIDATES = 100          # depth of each ranked list fed into the fusion
DENSE_WEIGHT = 0.45       # share of the dense list in the fused score
MAX_QUERY_CHARS = 512     # longer queries are cut here (e5 reads at most 512 tokens anyway)
PASSAGE_KEYWORD_WEIGHT = 0.3  # choosing a long item's passage: cosine + this × share of the keywords it holds
MODES = ("hybrid", "bm25", "dense")
AUDIENCES = ("business", "all")
KIND_PRIOR = {"all": {"problem": -0.3, "context": -0.3},
              "business": {"commitment": -0.5, "context": -1.0}}
EXCLUDED = {"all": frozenset(), "business": frozenset({"problem"})}
COMMITMENT_MAX_RANK = 3   # a commitment is shown to a business only among the question's best answers


@dataclass
class Query:
    text: str             # normalised (simplified, half-width) and cut to MAX_QUERY_CHARS
    tokens: list[str]
    truncated: bool


def prepare(query: str | None) -> Query:
    """Validate and normalise a query. Empty → ``Invalid(QUERY_EMPTY)``; too long → truncated."""
    text = normalize(query or "")
    text = " ".join(text.replace("\ufeff", " ").split())
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


def _standardise(hits: list[tuple[int, float]]) -> dict[int, float]:
    if not hits:
        return {}
    scores = np.array([h[1] for h in hits], dtype="float64")
    sd = scores.std()
    z = (scores - scores.mean()) / sd if sd > 1e-9 else np.zeros_like(scores)
    return {n: float(v) for (n, _), v in zip(hits, z)}


def fuse(d_hits: list[tuple[int, float]], k_hits: list[tuple[int, float]],
         dense_weight: float = DENSE_WEIGHT) -> dict[int, float]:
    """Weighted sum of the two lists' z-scores; an item missing from a list gets its lowest z."""
    dz, kz = _standardise(d_hits), _standardise(k_hits)
    d_floor = min(dz.values()) if dz else 0.0
    k_floor = min(kz.values()) if kz else 0.0
    return {n: dense_weight * dz.get(n, d_floor) + (1 - dense_weight) * kz.get(n, k_floor) for n in dz.keys() | kz.keys()}


def retrieve(q: Query, qvec: np.ndarray | None, dense: DenseIndex, keywords: KeywordIndex,
             top_k: int, mode: str = "hybrid", depth: int = CANDIDATES, kinds: dict[int, str] | None = None,
             audience: str = "all", boosts: dict[int, float] | None = None,
             k_hits: list[tuple[int, float]] | None = None) -> list[tuple[int, float, dict]]:
    """Ranked ``(num, score, explanation)``; ``qvec`` is needed unless mode is ``bm25``.

    ``kinds`` maps nums to item kinds; with it the audience's ``KIND_PRIOR`` and exclusions apply.
    ``boosts`` shifts single items' fused scores (e.g. measures for the industry a question names).
    ``k_hits``: the keyword list when the caller already ran it (e.g. while the query was encoded).
    """
    if mode not in MODES:
        raise Invalid("MODE_INVALID", "检索方式只能是 hybrid、bm25 或 dense。", field="mode")
    if audience not in AUDIENCES:
        raise Invalid("AUDIENCE_INVALID", "检索对象只能是 business（企业）或 all（全部条目）。", field="audience")
    depth = max(depth, top_k)
    d_hits = dense.search(qvec, depth) if mode != "bm25" else []
    if k_hits is None:
        k_hits = keywords.search(q.tokens, depth) if mode != "dense" else []
    d_rank = {n: (r, s) for r, (n, s) in enumerate(d_hits, start=1)}
    k_rank = {n: (r, s) for r, (n, s) in enumerate(k_hits, start=1)}
    fused = fuse(d_hits, k_hits, {"hybrid": DENSE_WEIGHT, "dense": 1.0, "bm25": 0.0}[mode])
    kinds = kinds or {}
    prior = KIND_PRIOR[audience] if kinds else {}
    excluded = EXCLUDED[audience] if kinds else frozenset()
    best = set(heapq.nlargest(COMMITMENT_MAX_RANK, fused, key=fused.__getitem__)) if audience == "business" else ()
    boosts = boosts or {}
    scored = {}
    for n, f in fused.items():
        kind = kinds.get(n)
        if kind in excluded:
            continue
        if audience == "business" and kind == "commitment" and n not in best:
            continue
        scored[n] = f + prior.get(kind, 0.0) + boosts.get(n, 0.0)
    order = heapq.nsmallest(top_k, scored, key=lambda n: (-scored[n], d_rank.get(n, (10**9,))[0]))
    out = []
    for n in order:
        dr, kr = d_rank.get(n), k_rank.get(n)
        out.append((n, round(scored[n], 4), {
            "mode": mode,
            "audience": audience,
            "kind": kinds.get(n),
            "matched_keywords": keywords.matched(q.tokens, n),
            "dense_rank": dr[0] if dr else None,
            "dense_score": round(dr[1], 4) if dr else None,
            "keyword_rank": kr[0] if kr else None,
            "keyword_score": round(kr[1], 4) if kr else None,
            "fused_score": round(fused[n], 4),
            "dense_weight": DENSE_WEIGHT,
        }))
    return out


def answer_passage(text: str, q: Query, qvec: np.ndarray | None, num: int, dense: DenseIndex,
                   keywords: KeywordIndex) -> tuple[int, str]:
    """(window index or -1 for a short item, passage) that answers ``q`` in item ``num``'s ``text``."""
    cos = dense.window_scores(qvec, num) if qvec is not None else []
    return best_window(text, cos, q.tokens, keywords.idf(q.tokens), PASSAGE_KEYWORD_WEIGHT)
