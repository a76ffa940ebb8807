"""Policy base benchmark: quality, latency, import throughput and edit cost. Prints numbers.

Runs on throw-away data dirs (never the live base):
1. imports ../shared/seeds (throughput, measures/s) and the real documents of
   ../shared/eval/real_docs, and evaluates retrieval per dev set (retrieval_dev.json over the
   seeds, real_docs/questions.json over the real documents, a hit must come from the question's
   document and its ``text`` as the CLI prints it, the passage, must hold a phrase): R@1, R@5 and
   MRR@10 for hybrid beside BM25-only and dense-only (the baselines);
2. single warm query latency p50/p95 on the seed base, beside the bare query encode (ONNX Runtime,
   as search uses it; PyTorch for reference) + FAISS cost measured in the same run, and the ratio;
3. a synthetic 10,000-measure base (texts recombined from the real measures, random unit vectors
   for the items and their passage windows; queries real): the same latency table, index open/repair time, the
   cost of one edit (encode + store + FAISS remove/add + save) and of the BM25 rebuild it triggers.
"""
from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from huiqi.settings import REPO_ROOT, Settings, get_settings  # noqa: E402
from policies_kb.base import PolicyBase  # noqa: E402
from policies_kb.embed import get_embedder  # noqa: E402
from policies_kb.eval import evaluate, load_cases  # noqa: E402
from policies_kb.keywords import tokenize  # noqa: E402
from policies_kb.passages import PASSAGE_CHARS, windows  # noqa: E402
from policies_kb.search import prepare  # noqa: E402
from policies_kb.store import Store, content_hash, embed_text, now_iso  # noqa: E402

SEEDS = REPO_ROOT.parent / "shared" / "seeds"
DEV = REPO_ROOT.parent / "shared" / "eval" / "retrieval_dev.json"
REAL = REPO_ROOT.parent / "shared" / "eval" / "real_docs"
REAL_DEV = REAL / "questions.json"
SYNTH_N = 10_000


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] * 1000


def timed(fn, reps):
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def quality_table(title, result):
    print(f"\n{title} ({result['cases']} questions; CLI ranking: every kind, audience=all; a hit is a result "
          f"whose `text` as `search --json` prints it, the passage, holds a phrase)")
    names = ("recall@1", "recall@5", "mrr@10")
    print(f"  {'mode':8}" + "".join(f"{n:>11}" for n in names))
    for mode, m in result["modes"].items():
        print(f"  {mode:8}" + "".join(f"{m[n]:>11.3f}" for n in names))
    h = result["modes"]["hybrid"]
    beats = all(h[n] >= result["modes"][b][n] for b in ("bm25", "dense") for n in ("recall@5", "mrr@10"))
    print(f"  hybrid ≥ BM25 and ≥ dense on R@5 and MRR@10: {'yes' if beats else 'NO'}; "
          f"targets R@5 ≥ 0.95: {'met' if h['recall@5'] >= 0.95 else 'MISSED'}, "
          f"MRR@10 ≥ 0.85: {'met' if h['mrr@10'] >= 0.85 else 'MISSED'}")


def latency(base, queries, reps=5):
    for q in queries[:3]:
        base.search(q, top_k=10)  # warm
    enc_model = base.query_encoder
    # Interleaved, query by query: a search, then the bare encode + FAISS of the same query, so that a
    # change in the machine's load (it is shared) hits both columns alike.
    full, enc, bare = [], [], []
    for _ in range(reps):
        for q in queries:
            full += timed(lambda: base.search(q, top_k=10), 1)
            t0 = time.perf_counter()
            qv = enc_model.queries([prepare(q).text])[0]
            t1 = time.perf_counter()
            base.dense.search(qv, 100)
            t2 = time.perf_counter()
            enc.append(t1 - t0)
            bare.append(t2 - t0)
    qv = enc_model.queries([prepare(queries[0]).text])[0]
    faiss_t = timed(lambda: base.dense.search(qv, 100), 50)
    toks = prepare(queries[0]).tokens
    bm = timed(lambda: base.keywords.search(toks, 100), 50)
    print(f"  search (hybrid, top 10)      p50 {pct(full, 50):6.1f} ms   p95 {pct(full, 95):6.1f} ms   n={len(full)}")
    print(f"  bare query encode ({type(enc_model).__name__})  p50 {pct(enc, 50):6.1f} ms   p95 {pct(enc, 95):6.1f} ms")
    print(f"  bare FAISS top-100           p50 {pct(faiss_t, 50):6.2f} ms   p95 {pct(faiss_t, 95):6.2f} ms")
    print(f"  bare BM25 top-100            p50 {pct(bm, 50):6.2f} ms   p95 {pct(bm, 95):6.2f} ms")
    print(f"  bare encode + FAISS          p50 {pct(bare, 50):6.1f} ms   p95 {pct(bare, 95):6.1f} ms")
    print(f"  → search / bare: p50 {pct(full, 50) / pct(bare, 50):.2f}x, p95 {pct(full, 95) / pct(bare, 95):.2f}x "
          f"(target p95 ≤ 1.2x; p50 ≤ 15 ms at 10,000 items)")
    return full


def passage_counts(base: PolicyBase) -> str:
    counts = base.dense.counts
    return (f"{len(counts)} items → {sum(counts.values())} vectors "
            f"({sum(1 for c in counts.values() if c > 1)} long items cut into {sum(c - 1 for c in counts.values() if c > 1)} "
            f"passage windows of ≤ {PASSAGE_CHARS} characters)")


def synth_base(real: PolicyBase, root: Path) -> PolicyBase:
    rnd = random.Random(7)
    rows = real.store.list(status="published", limit=100000)
    sentences = [s for r in rows for s in r["text"].replace("；", "。").split("。") if len(s) > 8]
    base = PolicyBase(Settings(data_dir=root), embedder=real.embedder)
    dim = real.dense.dim
    at = now_iso()
    with base.store.transaction():
        for i in range(SYNTH_N):
            text = "。".join(rnd.sample(sentences, 3)) + "。"
            m = {"title": f"合成措施{i}", "text": text, "heading_path": ["合成"]}
            vec = np.random.default_rng(i).standard_normal((1 + len(windows(text)), dim)).astype("float32")
            vec /= np.linalg.norm(vec, axis=1, keepdims=True)
            base.store._insert("measures", base.store._encode_fields({
                "id": f"s-{i}", "num": i + 1, "doc_key": "synthetic", "key": str(i), "title": m["title"],
                "text": text, "heading_path": m["heading_path"], "conditions": {}, "kind": "measure", "status": "published",
                "enabled": 1, "version": 1, "hits": 0, "created_at": at, "created_by": "bench", "updated_at": at,
                "updated_by": "bench", "content_hash": content_hash(m), **Store.vector_columns(vec),
                "vector_model": base.model_id, "tokens": " ".join(tokenize(embed_text(m))),
            }))
    return base


def main() -> None:
    print(f"policy base benchmark — model {get_settings().embed_model}")
    files = sorted(SEEDS.glob("*.txt"))
    cases = load_cases(DEV)
    queries = [c["q"] for c in cases]
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        emb = get_embedder(str(get_settings().embed_model))
        print(f"\nmodel load {time.perf_counter() - t:.1f} s")
        base = PolicyBase.open(Settings(data_dir=Path(tmp) / "real"), embedder=emb)
        t = time.perf_counter()
        reps = base.import_paths(files, "bench")
        dt = time.perf_counter() - t
        n = sum(r.get("measures", 0) for r in reps)
        print(f"import {len(files)} documents, {n} items in {dt:.1f} s → {n / dt:.1f} items/s")
        t = time.perf_counter()
        base.import_paths(files, "bench")
        print(f"re-import unchanged documents: {time.perf_counter() - t:.2f} s (no new versions)")
        quality_table("retrieval quality, retrieval_dev.json over the seeds", evaluate(base, cases, audience="all"))
        if REAL_DEV.exists():
            rbase = PolicyBase.open(Settings(data_dir=Path(tmp) / "real-docs"), embedder=emb)
            rreps = rbase.import_paths(sorted(REAL.glob("*.txt")), "bench")
            print(f"\nreal documents: {len(rreps)} files → items per file "
                  + ", ".join(str(r.get("measures", r.get("error", {}).get("code"))) for r in rreps))
            quality_table("retrieval quality, real_docs/questions.json over the real documents",
                          evaluate(rbase, load_cases(REAL_DEV), audience="all"))
        print(f"\nlatency, seed base ({passage_counts(base)}; single warm queries)")
        latency(base, queries)
        torch_enc = [t for q in queries for t in timed(lambda: emb.queries([prepare(q).text]), 3)]
        print(f"  (PyTorch query encode, before this change: p50 {pct(torch_enc, 50):.1f} ms, "
              f"p95 {pct(torch_enc, 95):.1f} ms)")

        root = Path(tmp) / "synth"
        t = time.perf_counter()
        sb = synth_base(base, root)
        print(f"\nsynthetic base: {SYNTH_N} measures written in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        sb.check_indexes()
        print(f"  open + repair (FAISS from stored vectors, BM25 from stored tokens): {time.perf_counter() - t:.2f} s")
        print(f"  {passage_counts(sb)}")
        sb.keywords.rebuild()
        t = time.perf_counter()
        sb.keywords.rebuild()
        bm25_rebuild = time.perf_counter() - t
        latency(sb, queries)
        edits = []
        for i in range(5):
            t = time.perf_counter()
            sb.update(f"s-{i * 37}", {"text": f"修改后的措施正文第{i}版：推行电子证照跨区域互认。"}, "bench")
            edits.append(time.perf_counter() - t)
        after = timed(lambda: sb.search("电子证照到外省能认吗", top_k=10), 1)[0]
        print(f"  one edit at {SYNTH_N}: p50 {pct(edits, 50):.0f} ms, max {max(edits) * 1000:.0f} ms "
              f"(+ BM25 rebuild on the next search {bm25_rebuild * 1000:.0f} ms; first search after edit "
              f"{after * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
