"""Real document shapes import into sensible items with kinds and fields (no model needed).

The real public texts are read from ../shared/eval/real_docs/ (never copied into the repository),
the seeds from ../shared/seeds/.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from huiqi.errors import Invalid
from huiqi.settings import Settings
from huiqi.text import normalize
from policies_kb.base import PolicyBase
from policies_kb.kinds import KINDS, infer_kind
from policies_kb.parse import parse_document, parse_file
from policies_kb.repair import repair_text
from policies_kb.store import SCHEMA_VERSION, Store

SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL = SHARED / "eval" / "real_docs"
SEEDS = SHARED / "seeds"
FILES = sorted(REAL.glob("*.txt")) + sorted(SEEDS.glob("*.txt"))

needs_real = pytest.mark.skipif(not REAL.is_dir(), reason="real documents not present")


@pytest.fixture(scope="module")
def docs():
    return {p.name: parse_file(p) for p in FILES}


def item(doc, contains: str):
    """The item whose text contains ``contains`` (compared in simplified form)."""
    found = [m for m in doc.measures if normalize(contains) in normalize(m.text)]
    assert found, f"no item contains {contains!r}: {[m.title for m in doc.measures]}"
    return found[0]


@pytest.mark.skipif(not FILES, reason="documents not present")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_real_document_and_seed_yields_items_with_a_kind(docs, path):
    doc = docs[path.name]
    assert doc.measures, f"{path.name} yields no items"
    assert all(m.kind in KINDS and m.kind_reason for m in doc.measures)
    assert all(m.text.strip() and m.title.strip() for m in doc.measures)


@needs_real
def test_every_dev_answer_lies_in_an_item_of_its_document(docs):
    """What questions.json expects to find must survive parsing (in the text or the heading path)."""
    cases = json.loads((REAL / "questions.json").read_text(encoding="utf-8"))["cases"]
    for case in cases:
        doc = docs[case["doc"]]
        texts = [normalize("\n".join([m.title, " ".join(m.heading_path), m.text])) for m in doc.measures]
        assert any(normalize(a) in t for a in case["any"] for t in texts), case


@needs_real
def test_policy_card_fields(docs):
    doc = docs["yaan-freight-finance-relief-policy-card.txt"]
    assert doc.shape == "card" and len(doc.measures) == 1
    m = doc.measures[0]
    assert m.kind == "measure"
    assert "快递员" in m.beneficiaries and "货运司机" in m.beneficiaries
    assert m.deadline == "长期"
    assert "银保监办发〔2022〕40号" in m.basis
    assert "降低实际贷款利率" in m.text and "享受主体" in m.text


@needs_real
def test_policy_table_has_one_item_per_row_with_fields(docs):
    doc = docs["zhangzhou-transport-passenger-enterprise-policy-table.txt"]
    assert doc.shape == "table" and len(doc.measures) == 3
    fuel = doc.measures[0]
    assert "燃油补助" in fuel.title and fuel.kind == "measure"
    assert fuel.beneficiaries == "农村客运企业" and fuel.lead_department == "市交通运输局"
    assert "2123722" in fuel.contact and "向辖区运管所提出申请" in fuel.how_to_apply
    assert fuel.deadline == "2015-2019"
    assert any("列可能错位" in w for w in doc.warnings)  # row 3 lacks a column on the page itself


@needs_real
def test_enumeration_inside_a_paragraph_and_metadata_block(docs):
    doc = docs["qinghai-transport-2022-eight-relief-measures.txt"]
    titles = [m.title for m in doc.measures]
    for t in ("落实油价补贴政策", "实施高速公路通行费优惠减免政策", "实施营运车辆延保政策", "落实专项再贷款支持政策"):
        assert t in titles
    assert doc.date == "2022-06-17" and doc.issuer == "青海省交通运输厅"
    assert not any(m.text.startswith(("时间", "来源", "作者")) for m in doc.measures)
    assert item(doc, "按停运时长延保").kind == "measure"


@needs_real
def test_interview_answers_keep_their_question_and_points(docs):
    doc = docs["enshi-transport-2023-interview-qa-traditional.txt"]
    assert doc.shape == "qa"
    first = doc.measures[0]
    assert "支持政策" in normalize(first.title) and first.text.startswith("記者")
    assert any(h.startswith("问：") for h in first.heading_path)
    reward = item(doc, "30萬元、20萬元、10萬元")
    assert reward.kind == "measure" and reward.heading_path == first.heading_path
    assert not any("(yùn)" in m.text or "(bǔ)" in m.text for m in doc.measures)  # pinyin glosses removed


@needs_real
def test_notice_items_and_its_signature(docs):
    doc = docs["rudong-2019-light-truck-permit-cancellation-notice.txt"]
    assert doc.date == "2019-10-21"
    no_permit = item(doc, "不再为总质量4.5吨及以下普通货运车辆办理")
    assert no_permit.kind == "measure" and no_permit.key == "一"  # a one-sentence item is still an item
    signature = item(doc, "如东县运输管理处")
    assert signature.kind == "context"


@needs_real
def test_news_paragraphs_and_page_chrome(docs):
    mot = docs["mot-2019-logistics-cost-reduction-news.txt"]
    assert mot.shape == "paragraphs"
    assert item(mot, "三检合一").title == "深化“放管服”改革，降低制度性成本"
    assert item(mot, "三检合一").kind == "measure"
    sz = docs["shenzhen-taxi-2020-support-news-traditional.txt"]
    assert not any(m.text.startswith(("EN", "字號", "http")) for m in sz.measures)
    assert item(sz, "50元獎勵").kind == "measure"


@needs_real
def test_outline_with_parenthesised_responsibility_and_goals_as_context(docs):
    doc = docs["dongguan-transport-2023-enterprise-support-measures.txt"]
    service = item(doc, "一照通行")
    assert "市交通运输局" in service.responsible_units and "（责任单位" not in service.text
    assert item(doc, "到2025年").kind == "context"
    assert doc.issuer == "东莞市交通运输局" and doc.date == "2023-06-30"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed documents not present")
def test_problem_list_entries_are_problems_and_empty_headings_are_not_items(docs):
    doc = docs["x-city-transport-2024-rule-of-law-business-environment-rectification.txt"]
    rectification = [m for m in doc.measures if m.key.startswith("二/")]
    assert rectification and all(m.kind == "problem" for m in rectification)
    assert "审批加码" in item(doc, "审批加码").title
    # "（一）聚焦政策落实不到位问题" has no body: it is part of its children's heading path only
    assert not any(m.title == "聚焦政策落实不到位问题" for m in doc.measures)
    assert any("（一）聚焦政策落实不到位问题" in m.heading_path for m in doc.measures)


def test_metadata_block_goes_to_the_document_not_to_items():
    text = ("索引号：11320623/2024-00012\n文号：东交发〔2024〕8号\n发布日期：2024-03-05\n主题词：运输 补贴\n"
            "关于发放2024年农村客运补贴的通知\n"
            "一、补贴对象。在本县注册并从事农村客运的经营者，按核定座位数申领燃油补贴。\n"
            "二、申请方式。经营者于4月底前向县运输服务中心提交申请表和车辆清单。\n")
    doc = parse_document(repair_text(text), "notice.txt")
    assert doc.doc_number == "东交发〔2024〕8号" and doc.doc_key == "东交发〔2024〕8号"
    assert doc.date == "2024-03-05"
    assert [m.key for m in doc.measures] == ["一", "二"]
    assert not any("索引号" in m.text or "主题词" in m.text for m in doc.measures)


def test_kind_inference_reads_sections_and_words():
    assert infer_kind("审批加码", "擅自提高门槛。整改措施：严格审批。", ["二、整治内容", "（七）聚焦作风问题", "2.审批加码"])[0] == "problem"
    assert infer_kind("工作目标", "到2025年，行业高质量发展。", ["一、工作目标"])[0] == "context"
    assert infer_kind("通行费减免", "对鲜活农产品运输车辆免收车辆通行费。", ["二、措施", "1.通行费减免"])[0] == "measure"
    kind, reason = infer_kind("加强督查考核", "厅里定期开展督查，通报进展。", ["三、保障", "（一）加强督查考核"])
    assert kind in ("commitment", "context") and reason


def test_a_document_without_items_fails_loudly(tmp_path):
    empty = tmp_path / "cover.txt"
    empty.write_text("封面\n目录\n", encoding="utf-8")
    base = PolicyBase.open(Settings(data_dir=tmp_path / "data"))
    with pytest.raises(Invalid) as exc:
        base.preview(empty)
    assert exc.value.code == "DOC_NO_ITEMS" and "没有识别出任何政策条目" in exc.value.message
    report = base.import_paths([empty], "tester")[0]
    assert report["error"]["code"] == "DOC_NO_ITEMS"
    assert base.store.count() == 0


def test_store_upgrade_adds_kinds_to_existing_items(tmp_path):
    path = tmp_path / "policies.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("create table measures (id text primary key, num integer not null, doc_key text, key text, "
                 "title text, text text, heading_path text, status text not null, enabled integer not null, "
                 "version integer not null)")
    conn.execute("insert into measures values ('m-1', 1, 'd', '1', '审批加码', '擅自提高门槛。整改措施：严格审批。', "
                 "'[\"二、整治内容\", \"1.审批加码\"]', 'published', 1, 1)")
    conn.commit()
    conn.close()
    store = Store(path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    kind, reason = store.db.execute("select kind, kind_reason from measures where id = 'm-1'").fetchone()
    assert kind == "problem" and "整治内容" in reason


def test_long_items_are_cut_into_overlapping_sentence_windows_and_short_items_stay_whole():
    from policies_kb.passages import PASSAGE_CHARS, windows

    filler = "为进一步降低物流成本，现就有关事项通知如下。"
    answer = "货车司机个人住房按揭、信用卡等信贷还款安排可以合理延后。"
    text = filler * (PASSAGE_CHARS // len(filler)) + answer + "鼓励银行机构降低实际贷款利率，优化审批流程。" * 20
    wins = windows(text)
    assert len(wins) > 1 and all(len(w) <= PASSAGE_CHARS for w in wins)
    assert sum(answer in w for w in wins) >= 1 and not any(answer in w for w in wins[:1])
    assert "".join(wins).count("。") >= text.count("。")  # nothing is lost between windows
    assert windows("短条目。") == []


def test_the_passage_chosen_is_the_window_holding_the_question_words():
    from policies_kb.keywords import tokenize
    from policies_kb.passages import PASSAGE_CHARS, best_window, windows

    filler = "为进一步降低物流成本，现就有关事项通知如下。"
    text = (filler * (PASSAGE_CHARS // len(filler)) + "货车司机个人住房按揭、信用卡等信贷还款安排可以合理延后。"
            + "鼓励银行机构降低实际贷款利率，优化审批流程。" * 20)
    flat = [0.8] * len(windows(text))  # the encoder cannot tell the windows apart: the keywords decide
    index, passage = best_window(text, flat, tokenize("货车司机的房贷和信用卡还款能调整吗"), {}, 0.3)
    assert index > 0 and "信用卡" in passage and passage == windows(text)[index]
    assert best_window("短条目。", [], ["信用卡"], {}, 0.3) == (-1, "短条目。")


def test_cli_dry_run_shows_items_and_writes_nothing_and_fails_on_an_empty_document(tmp_path):
    import os
    import subprocess
    import sys

    card = tmp_path / "card.txt"
    card.write_text("享受主体:货运司机\n优惠内容:商业银行对还贷困难的货运司机给予延期、展期或续贷安排。\n执行期限:长期\n",
                    encoding="utf-8")
    empty = tmp_path / "cover.txt"
    empty.write_text("封面\n目录\n", encoding="utf-8")
    env = {**os.environ, "HUIQI_DATA_DIR": str(tmp_path / "data")}
    run = lambda *a: subprocess.run([sys.executable, "-m", "policies_kb", *a], capture_output=True, text=True,
                                    env=env, timeout=300)
    proc = run("import", "--dry-run", "--json", str(card))
    assert proc.returncode == 0, proc.stderr
    preview = json.loads(proc.stdout.splitlines()[0])
    assert preview["count"] == 1 and preview["items"][0]["kind"] == "measure"
    assert preview["items"][0]["beneficiaries"] == "货运司机" and preview["items"][0]["deadline"] == "长期"
    assert Store(tmp_path / "data" / "policies" / "policies.sqlite3").count() == 0
    proc = run("import", "--dry-run", str(empty))
    assert proc.returncode == 1 and "没有识别出任何政策条目" in proc.stderr
    proc = run("import", str(empty))
    assert proc.returncode == 1 and "没有识别出任何政策条目" in proc.stderr


def test_docx_policy_table_gives_one_item_per_row(tmp_path):
    import docx

    path = tmp_path / "list.docx"
    d = docx.Document()
    d.add_paragraph("惠企政策清单")
    table = d.add_table(rows=3, cols=4)
    for r, row in enumerate([("政策名称", "受惠对象", "优惠内容", "咨询电话"),
                             ("货车通行费优惠", "道路货运企业", "使用ETC的货车通行费享受九五折优惠。", "12328"),
                             ("农村客运燃油补贴", "农村客运企业", "按核定座位数发放燃油补贴，每年申报一次。", "12345")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.save(path)
    doc = parse_file(path)
    assert doc.shape == "table" and [m.title for m in doc.measures] == ["货车通行费优惠", "农村客运燃油补贴"]
    assert doc.measures[0].beneficiaries == "道路货运企业" and doc.measures[0].contact == "12328"
    assert all(m.kind == "measure" for m in doc.measures)
