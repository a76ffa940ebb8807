"""Push computation for one new measure over 100,000 synthetic enterprises (target ≤ 2 s).

Prints, from the same run: the engine's plan time (p50/p95 over repeats, warm), the bare condition
filter and the similarity step inside it, one-off costs (grouping the enterprises, embedding the
distinct profile keys), and a naive per-enterprise baseline (match.check + embedding each
enterprise's profile text) measured on a sample and EXTRAPOLATED to 100,000.

    .venv/bin/python bench/bench_pushes.py [--n 100000] [--repeats 7] [--data-dir DIR]

Without --data-dir a temporary policy base is built from the curated measures (the relevance
reference distribution needs a realistic base); with it, that base is used (only its profile-key
cache file is written).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from huiqi.settings import Settings
from policies_kb import match, pushes
from policies_kb.base import PolicyBase

REGIONS = [f"甘肃省/{c}/{c[:2]}{k}区" for c in ("兰州市", "天水市", "白银市", "武威市", "定西市", "酒泉市", "张掖市",
                                             "平凉市", "庆阳市", "陇南市", "嘉峪关市", "金昌市")
           for k in range(1, 8)] + [f"四川省/甘孜藏族自治州/{x}" for x in ("康定市", "泸定县", "丹巴县", "九龙县")]
TAGS = ["冷链运输", "专精特新", "高新技术", "新注册", "新能源", "多式联运"]
INDUSTRY_WEIGHTS = [30, 10, 10, 8, 15, 3, 5, 10, 5, 4]
SIZE_WEIGHTS = [3, 12, 35, 50]

FREIGHT = {"id": "bench-freight", "version": 1, "status": "published", "enabled": True,
           "title": "道路货运企业新能源货车购置补贴",
           "text": "对道路货运企业新购置新能源货车的，按每辆车给予购置补贴，车辆登记后三个月内提交申请。",
           "conditions": {"industries": ["道路货运"], "sizes": [], "regions": ["甘肃省"], "tags": [],
                          "valid_from": None, "valid_to": None},
           "redemption_mode": "依申请", "how_to_apply": "车辆登记后三个月内向所在地交通运输局提交申请。",
           "tags": ["新能源", "道路货运"]}
OPEN = {"id": "bench-open", "version": 1, "status": "published", "enabled": True,
        "title": "网约车驾驶员从业资格证网上考试和换证一次办",
        "text": "网约车平台公司和网约车驾驶员可在网上报名从业资格考试，考试合格后网上申领网络预约出租汽车驾驶员证，全程网办。",
        "conditions": {"industries": [], "sizes": [], "regions": [], "tags": [], "valid_from": None, "valid_to": None},
        "redemption_mode": "依申请", "how_to_apply": "登录道路运输从业人员网上服务平台报名。",
        "tags": ["网约车", "从业资格"]}


def synthetic(n: int, seed: int = 7) -> list[dict]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        k = rnd.choices([0, 1, 2], weights=[70, 25, 5])[0]
        out.append({"credit_code": f"BENCH{i:013d}", "industry": rnd.choices(match.INDUSTRIES, INDUSTRY_WEIGHTS)[0],
                    "size": rnd.choices(match.SIZES, SIZE_WEIGHTS)[0], "region": rnd.choice(REGIONS),
                    "tags": sorted(rnd.sample(TAGS, k))})
    return out


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--sample", type=int, default=300, help="enterprises for the naive baseline")
    ap.add_argument("--data-dir", type=Path)
    args = ap.parse_args()

    tmp = None
    if args.data_dir:
        base = PolicyBase.open(Settings(data_dir=args.data_dir))
    else:
        tmp = tempfile.TemporaryDirectory()
        base = PolicyBase.open(Settings(data_dir=Path(tmp.name)))
        t = time.perf_counter()
        base.load_curated("bench")
        print(f"set-up: curated base loaded in {time.perf_counter() - t:.1f} s")
    engine = pushes.PushEngine(base, base.settings, deliver_async=False)
    _, reference = engine.reference()
    print(f"policy base: {len(reference)} live measures (relevance reference)")

    rows = synthetic(args.n)
    t = time.perf_counter()
    profiles = pushes.group_profiles(rows)
    t_group = time.perf_counter() - t
    print(f"enterprises: {len(profiles):,}  groups (industry,size,tags,region): {len(profiles.groups):,}  "
          f"relevance keys (industry,size,tags): {len(profiles.keys)}")

    vecs = {}
    for name, m in (("freight-only (targeted)", FREIGHT), ("ride-hailing, no conditions (open)", OPEN)):
        vecs[name] = base.embedder.passages([m["title"] + "\n" + m["text"]])[0]
    t = time.perf_counter()
    pushes.Relevance(lambda texts: base.embedder.queries(list(texts))).vectors(profiles.keys)
    t_keys = time.perf_counter() - t
    engine.relevance.vectors(profiles.keys)  # fills the engine's cache (and its file in the data dir)

    print("\none-off costs (cached afterwards)")
    print(f"  group 100k profiles ............ {t_group * 1000:8.1f} ms")
    print(f"  embed {len(profiles.keys):3d} profile keys (cold) . {t_keys * 1000:8.1f} ms")

    opted = {r["credit_code"]: {"资金补贴"} for r in rows[::20]}  # 5 % opted out of 资金补贴
    for name, m in (("freight-only (targeted)", FREIGHT), ("ride-hailing, no conditions (open)", OPEN)):
        totals, conds, sims = [], [], []
        plan = None
        for _ in range(args.repeats):
            t = time.perf_counter()
            plan = engine.plan(m, profiles, {}, opted, vecs[name], reference)
            totals.append(time.perf_counter() - t)
            conds.append(plan.timings["conditions_s"])
            sims.append(plan.timings["relevance_s"])
        print(f"\nmeasure: {name}")
        print(f"  qualifying {plan.qualifying:,}  relevant {plan.relevant:,}  opted out {plan.opted_out:,}  "
              f"pushes to create {len(plan.create):,}")
        print(f"  engine plan (warm) ............. p50 {statistics.median(totals) * 1000:8.1f} ms   "
              f"p95 {pct(totals, 95) * 1000:8.1f} ms   target ≤ 2000 ms")
        print(f"    bare condition filter ........ p50 {statistics.median(conds) * 1000:8.1f} ms "
              f"(match.check per group + spread)")
        print(f"    similarity step .............. p50 {statistics.median(sims) * 1000:8.1f} ms "
              f"(keys × measures, interaction z)")
        # after a restart: a fresh engine reads the profile-key vectors from its file
        cold_engine = pushes.PushEngine(base, base.settings, deliver_async=False)
        t = time.perf_counter()
        cold_engine.plan(m, profiles, {}, opted, vecs[name], reference)
        print(f"  engine plan (fresh engine after restart, key cache from disk)  {(time.perf_counter() - t) * 1000:8.1f} ms")

    # naive baseline: per enterprise, match.check and an embedding of its own profile text
    sample = random.Random(1).sample(rows, min(args.sample, len(rows)))
    t = time.perf_counter()
    for p in rows:
        match.check(FREIGHT, p)
    t_check_all = time.perf_counter() - t
    t = time.perf_counter()
    for p in sample:
        base.embedder.queries([match.profile_query(p, None)])
    t_embed = time.perf_counter() - t
    per = t_embed / len(sample)
    print("\nnaive per-enterprise baseline")
    print(f"  match.check on all {len(rows):,} (measured) ..... {t_check_all * 1000:8.1f} ms")
    print(f"  embed each profile: {len(sample)} measured, {per * 1000:.1f} ms each → "
          f"EXTRAPOLATED to {len(rows):,}: {per * len(rows):8.1f} s")
    print(f"  naive total (EXTRAPOLATED) .................. {t_check_all + per * len(rows):8.1f} s")
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
