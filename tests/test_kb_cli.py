"""CLI: search reads questions from stdin and prints JSON lines; eval prints its metrics."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from policies_kb.eval import load_cases
from policies_kb.store import measure_id_for
from test_kb_helpers import document, new_base, sample_measures, traditional_doc


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    new_base(d, [document(measures=sample_measures()), traditional_doc()])
    return d


def _run(data_dir, *args, stdin=""):
    env = {**os.environ, "HUIQI_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "policies_kb", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=300)


def test_search_reads_stdin_and_prints_one_json_line_per_query(data_dir):
    proc = _run(data_dir, "search", "--top-k", "2", "--json", stdin="电子证照到外省认吗\n\n企業注銷能網上辦嗎\n")
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [x["query"] for x in lines] == ["电子证照到外省认吗", "企業注銷能網上辦嗎"]
    assert all(len(x["results"]) == 2 for x in lines)
    assert lines[0]["results"][0]["measure_id"] == measure_id_for("test-doc", "3")
    assert lines[1]["results"][0]["measure_id"] == measure_id_for("trad-doc", "1")
    r = lines[0]["results"][0]
    assert {"measure_id", "title", "text", "score", "source", "heading_path", "lead_department", "explanation"} <= set(r)


def test_list_and_show_do_not_need_the_model(data_dir):
    proc = _run(data_dir, "list", "--json")
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 7
    proc = _run(data_dir, "show", "m-nope")
    assert proc.returncode == 2 and "未找到" in proc.stderr


def test_eval_reports_recall_and_mrr_for_three_modes(data_dir, tmp_path):
    qfile = tmp_path / "q.json"
    qfile.write_text(json.dumps({"cases": [
        {"q": "执法人员现场取证用什么", "any": ["移动执法"]},
        {"q": "异地就医能跨省备案吗", "any": ["異地就醫"]},
        {"q": "完全无关的问题", "any": ["不存在的短语"]},
    ]}, ensure_ascii=False))
    proc = _run(data_dir, "eval", str(qfile), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["cases"] == 3 and set(out["modes"]) == {"hybrid", "bm25", "dense"}
    for metrics in out["modes"].values():
        assert set(metrics) == {"recall@1", "recall@3", "recall@5", "recall@10", "mrr@10"}
        assert metrics["recall@10"] == pytest.approx(2 / 3, abs=1e-3)  # the third can never hit
    table = _run(data_dir, "eval", str(qfile))
    assert "Recall@5" in table.stdout and "MRR@10" in table.stdout and "bm25" in table.stdout


def test_eval_rejects_a_malformed_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(Exception) as exc:
        load_cases(bad)
    assert exc.value.code == "EVAL_FILE_INVALID"
