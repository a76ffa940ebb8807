"""Documents → measures: reading files, repairing extraction damage, splitting the seeds."""
from __future__ import annotations

import logging
from pathlib import Path

import docx
import jieba
import pytest
from pypdf import PdfWriter

from huiqi.errors import Invalid
from huiqi.text import normalize
from policies_kb import extract
from policies_kb.conditions import infer_conditions, infer_redemption_mode, infer_tags
from policies_kb.extract import read_text
from policies_kb.parse import parse_document, parse_file
from policies_kb.repair import repair_text
from tests.fixtures.make_pdf import write_pdf

jieba.setLogLevel(logging.WARNING)
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
PLAN_2018 = SEEDS / "gansu-transport-2018-four-ways-service-reform-plan.txt"
PLAN_2021 = SEEDS / "gansu-province-2021-business-environment-plan-traditional.txt"
PLAN_2023 = SEEDS / "gansu-transport-2023-reform-3.0-upgrade-plan.txt"
GANZI = SEEDS / "ganzi-transport-2024-government-service-key-points.txt"
XCITY = SEEDS / "x-city-transport-2024-rule-of-law-business-environment-rectification.txt"

pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason="seed documents not present")


@pytest.fixture(scope="module")
def docs():
    return {p: parse_file(p) for p in (PLAN_2018, PLAN_2021, PLAN_2023, GANZI, XCITY)}


def by_key(doc, key):
    return next(m for m in doc.measures if m.key == key)


# ------------------------------------------------------------------ seeds: measure counts
# Ranges from reading the documents: 2018 has 12 tasks + 4 principles + 5 steps + goals and
# requirements; 2021 has 21 numbered tasks + 5 arrangements + 3 guarantees; 2023 has 22 tasks
# + 3 guarantees + the general requirements; Ganzi has 17 （n） items + section 六; X city has
# 15 problems + 4 steps + 2 requirements + the goal. Each may add up to three context items:
# the cover notice and the introduction before the first numbered item, and the signature.
@pytest.mark.parametrize("path, low, high", [
    (PLAN_2018, 20, 33), (PLAN_2021, 24, 35), (PLAN_2023, 22, 31), (GANZI, 15, 23), (XCITY, 18, 28)])
def test_seed_measure_counts_are_plausible(docs, path, low, high):
    assert low <= len(docs[path].measures) <= high


def test_2023_numbered_tasks_are_all_measures_in_order(docs):
    numbers = [m.key.rsplit("/", 1)[-1] for m in docs[PLAN_2023].measures if m.key.startswith("二/")]
    assert numbers == [str(i) for i in range(1, 23)]


def test_2023_measure_19_heading_path_and_fields(docs):
    m = by_key(docs[PLAN_2023], "二/（五）/19")
    assert m.title == "深入推行“不来即享”"
    assert m.heading_path == ["二、重点任务", "（五）提升涉企服务水平", "19.深入推行“不来即享”"]
    assert m.lead_department == "厅法规处"
    assert "省运输发展中心" in m.responsible_units and "厅综规处" in m.responsible_units
    assert "各市（州）交通运输局（委）" in m.responsible_units
    assert "牵头部门" not in m.text and "精准推送向精准兑现转变" in m.text
    assert m.redemption_mode == "免申即享"
    assert "不来即享" in m.tags


def test_2023_other_lead_departments(docs):
    assert by_key(docs[PLAN_2023], "二/（三）/14").lead_department == "厅建设处"
    assert by_key(docs[PLAN_2023], "二/（二）/8").lead_department == "厅执法监督局"  # "厅执法  监督局" in the seed
    assert by_key(docs[PLAN_2023], "二/（四）/17").lead_department == "厅科技处"


def test_2018_metadata_and_field_lines(docs):
    doc = docs[PLAN_2018]
    assert doc.doc_number == "甘交政法〔2018〕17号"
    assert doc.doc_key == "甘交政法〔2018〕17号"
    assert doc.issuer == "甘肃省交通运输厅"
    assert doc.region == "甘肃省"
    assert doc.date == "2018-02-28"
    assert doc.title == "甘肃省交通运输厅推行“一窗办一网办简化办马上办”改革工作方案"
    m = by_key(doc, "三/（一）")
    assert m.lead_department == "厅政策法规处"
    assert m.responsible_units == ["厅机关相关处室", "厅属各行业主管局"]
    assert m.deadline.startswith("2018年3月底前公布")
    assert by_key(doc, "三/（三）").deadline == "2018年10月底前"
    assert by_key(doc, "三/（二）").deadline == "持续推进"
    hotline = by_key(doc, "三/（九）")
    assert "12328" in hotline.text and hotline.lead_department == "厅办公室"


def test_2018_trailer_is_not_a_measure(docs):
    last = docs[PLAN_2018].measures[-1]
    assert last.key == "四/（四）"
    assert "抄送" not in last.text and "印发" not in last.text and "办公室" not in last.text


def test_2018_page_break_inside_a_sentence_is_joined(docs):
    m = by_key(docs[PLAN_2018], "三/（四）")
    assert "甘肃政务服务网投资项目在线审批监管平台" in m.text


def test_ganzi_metadata_and_bracket_fields(docs):
    doc = docs[GANZI]
    assert doc.doc_number == "甘交函〔2024〕295号"
    assert doc.date == "2024-04-15"
    assert doc.issuer == "甘孜藏族自治州交通运输局"
    assert doc.region == "四川省/甘孜藏族自治州"
    m = by_key(doc, "五/（四）")
    assert m.title == "强化超限运输许可信用管理"
    assert m.lead_department == "局政策法规科"
    assert m.responsible_units == ["执法支队", "各县（市）交通运输局"]
    assert "〔" not in m.text
    assert by_key(doc, "六").lead_department == "局建管科"


def test_closing_remarks_are_not_part_of_the_last_measure(docs):
    assert "压紧压实工作责任" not in by_key(docs[GANZI], "六").text
    assert "工作臺賬" not in docs[PLAN_2021].measures[-1].text


def test_2021_traditional_plan_metadata_and_fields(docs):
    doc = docs[PLAN_2021]
    assert doc.date == "2021-03-08"
    assert doc.issuer == "甘肃省人民政府办公厅"
    assert doc.region == "甘肃省"
    assert normalize(doc.title) == "甘肃省深化“放管服”改革优化营商环境提质提标年工作方案"
    m = by_key(doc, "二/（三）/11")
    assert m.title == "推行“兩輕一免”柔性執法"  # original characters kept for display
    assert m.lead_department == "省司法厅、省市场监管局"  # fields are simplified
    assert "兩輕一免" in m.text


def test_2021_garbled_headings_are_repaired(docs):
    doc = docs[PLAN_2021]
    assert by_key(doc, "一/（一）").title == "線下與線上相結合，提升“一網通辦”能力"
    assert by_key(doc, "三/（一）").title == "強化調度機制"
    paths = {m.heading_path[1] for m in doc.measures if m.key.startswith("二/")}
    assert "（一）聚焦數字政府建設，補短板、疏堵點" in paths
    assert "（三）聚焦市場主體，減審批、柔監管" in paths
    assert not any("ㄒ" in m.text or "\ue7ed" in m.text for m in doc.measures)


def test_simplified_query_terms_find_traditional_text(docs):
    found = [m for m in docs[PLAN_2021].measures if "不来即享" in normalize(m.text)]
    assert any(m.key == "二/（四）/14" for m in found)
    assert any("企业注销" in normalize(m.text) for m in docs[PLAN_2021].measures)


def test_xcity_problem_items_keep_rectification_text(docs):
    doc = docs[XCITY]
    assert doc.region is None  # "X市" names no real place
    assert doc.issuer == "X市交通运输局"
    m = by_key(doc, "二/（七）/1")
    assert "容缺受理" in m.text and m.responsible_units == ["政策法规与审批股"]
    assert "责任部门" not in m.text
    keys = [m.key for m in doc.measures]
    assert len(keys) == len(set(keys))  # the document numbers two steps "（三）"


def test_2023_metadata_without_cover_page(docs):
    doc = docs[PLAN_2023]
    assert doc.title == "全省交通运输行业深化“放管服”改革优化营商环境3.0升级方案"
    assert doc.region == "甘肃省" and doc.doc_number is None
    assert doc.doc_key == normalize(doc.title)


def test_parsing_is_stable_for_reimport():
    a, b = parse_file(PLAN_2023), parse_file(PLAN_2023)
    assert a.doc_key == b.doc_key and [m.key for m in a.measures] == [m.key for m in b.measures]


# ------------------------------------------------------------------ conditions on the seeds
def test_inferred_industries_on_seeds_are_conservative(docs):
    assert by_key(docs[PLAN_2023], "二/（三）/14").conditions["industries"] == ["公路工程"]
    assert "道路货运" in by_key(docs[PLAN_2023], "二/（五）/20").conditions["industries"]
    assert by_key(docs[GANZI], "五/（四）").conditions["industries"] == ["道路货运"]
    # a general 掌上办 measure that cites 网约车 as one example applies to everyone
    assert by_key(docs[PLAN_2023], "二/（三）/13").conditions["industries"] == []
    # 支持民营企业 is ownership, not size: no restriction
    assert by_key(docs[PLAN_2023], "二/（五）/22").conditions["sizes"] == []
    assert by_key(docs[PLAN_2021], "二/（四）/15").conditions["sizes"] == ["中", "小", "微"]
    restricted = [m for d in docs.values() for m in d.measures if m.conditions["industries"]]
    total = sum(len(d.measures) for d in docs.values())
    assert len(restricted) <= total // 10


# ------------------------------------------------------------------ conditions unit
@pytest.mark.parametrize("title, text, industries", [
    ("网约车驾驶员证件办理", "网约车驾驶员从业资格证办理", ["网约车/出租"]),
    ("规范招标投标", "投标人可以自行选择交易担保方式", ["公路工程"]),
    ("ETC货车通行费优惠", "使用ETC的货车享受优惠", ["道路货运"]),
    ("危险货物运输企业检查", "道路危险货物运输企业综合检查", ["危险货物运输"]),
    ("机动车维修经营备案", "机动车维修经营实行备案", ["机动车维修"]),
    ("优化政务服务", "推进政务服务标准化，方便企业和群众办事", []),
])
def test_infer_industries(title, text, industries):
    assert infer_conditions(text, title=title)["industries"] == industries


def test_infer_conditions_shape_and_sizes():
    cond = infer_conditions("支持中小企业发展。对中小企业给予支持。")
    assert cond["sizes"] == ["中", "小", "微"]
    assert set(cond) == {"industries", "sizes", "regions", "tags", "valid_from", "valid_to"}
    assert infer_conditions("支持民营企业参与重点项目建设")["sizes"] == []


def test_infer_redemption_mode_and_tags():
    assert infer_redemption_mode("实现惠企政策免申即享") == "免申即享"
    assert infer_redemption_mode("對申請人實行容缺受理") == "依申请"  # traditional input
    assert infer_redemption_mode("加强组织领导，压实主体责任") == "告知类"
    assert infer_tags("推行兩輕一免和ETC") == ["两轻一免", "ETC"]


# ------------------------------------------------------------------ repair
def test_repair_spaces_inside_chinese_words_but_not_between_latin_words():
    out = repair_text("优化营商 环境 3.0 升级方案，推进 Open Data 平台")
    assert "优化营商环境3.0升级方案" in out
    assert "Open Data" in out


def test_repair_folds_letters_and_digits_but_keeps_the_documents_punctuation():
    out = repair_text("使用ＥＴＣ的货车（１２３）,享受优惠 ( 见附件 ) ;完成")
    assert "ETC" in out and "123" in out
    assert ",享受优惠(见附件);完成" in out  # a phrase copied from the document is found as written


def test_repair_shifted_gbk_mojibake_line():
    line = " ?。ㄒ唬┚€下與線上相結合,提升“一網通辦”能力。"
    assert repair_text(line).strip() == "（一）線下與線上相結合,提升“一網通辦”能力。"  # its own ASCII comma kept


def test_repair_leaves_unrecoverable_damage_alone():
    line = "實現結婚證、電子社??ǖ?0種高頻電子證照"
    assert repair_text(line).strip() == line


def test_repair_never_touches_a_normal_question_mark():
    assert repair_text("Is it OK? 是的").strip() == "Is it OK?是的"


@pytest.mark.parametrize("path", [PLAN_2018, PLAN_2021, PLAN_2023, GANZI, XCITY])
def test_repair_is_idempotent_on_seeds(path):
    once = repair_text(path.read_text(encoding="utf-8"))
    assert repair_text(once) == once


def test_repair_joins_a_sentence_broken_by_a_page_break():
    text = "（一）推进审批。按照要求，加强与省发展改革部门的沟通联系，进一步优化\n\n流程，提高效率。\n（二）下一项。"
    out = repair_text(text)
    assert "进一步优化流程，提高效率。" in out and "\n（二）下一项。" in out


# ------------------------------------------------------------------ generic parsing
def test_parse_document_four_levels_and_paren_numbers():
    text = ("关于印发《示例交通运输局惠企措施》的通知\n示例交通运输局\n2024年5月6日\n示例交通运输局惠企措施\n"
            "一、支持运输企业\n（一）降低成本\n1.通行费优惠。落实车辆通行费优惠政策，使用ETC的货车享受通行费优惠。\n"
            "（1）绿色通道。鲜活农产品运输车辆免收车辆通行费，经查验后放行，请提前预约。\n"
            "（2）集装箱。国际标准集装箱运输车辆按本省方案享受通行费优惠，咨询当地交通运输局。\n"
            "2.帮办代办。政务服务窗口为企业提供免费帮办代办服务，企业可在线申请。（牵头部门：局审批科；完成时限：长期坚持）\n")
    doc = parse_document(repair_text(text), "sample.txt")
    keys = [m.key for m in doc.measures]
    # item 1 has text of its own besides its sub-items, so it is a measure too
    assert keys == ["一/（一）/1", "一/（一）/1/（1）", "一/（一）/1/（2）", "一/（一）/2"]
    assert doc.measures[1].heading_path[-2:] == ["1.通行费优惠", "（1）绿色通道"]
    helper = doc.measures[-1]
    assert helper.lead_department == "局审批科" and helper.deadline == "长期坚持"
    assert helper.heading_path == ["一、支持运输企业", "（一）降低成本", "2.帮办代办"]
    assert doc.title == "示例交通运输局惠企措施" and doc.date == "2024-05-06"
    assert doc.issuer == "示例交通运输局" and doc.doc_number is None


# ------------------------------------------------------------------ files: good input
def test_read_and_parse_docx_with_table(tmp_path):
    path = tmp_path / "plan.docx"
    d = docx.Document()
    d.add_paragraph("甘肃省交通运输厅文件")
    d.add_paragraph("甘交政法〔2024〕9号")
    d.add_paragraph("甘肃省交通运输厅惠企服务工作方案")
    d.add_paragraph("一、重点任务")
    d.add_paragraph("（一）推行容缺受理。对信用良好、次要材料暂缺的企业实行容缺受理，材料后补。")
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "牵头部门：厅法规处"
    table.cell(0, 1).text = "完成时限：2024年12月底前"
    d.add_paragraph("（二）推行电子证照。道路运输证电子证照全面应用，办事免交纸质证照。")
    d.save(path)
    text = read_text(path)
    assert "容缺受理" in text and "牵头部门：厅法规处" in text
    doc = parse_file(path)
    assert doc.doc_number == "甘交政法〔2024〕9号" and doc.region == "甘肃省" and doc.source == "plan.docx"
    first = doc.measures[0]
    assert first.key == "一/（一）" and first.lead_department == "厅法规处" and first.deadline == "2024年12月底前"
    assert [m.key for m in doc.measures] == ["一/（一）", "一/（二）"]


def test_read_and_parse_pdf(tmp_path):
    path = write_pdf(tmp_path / "plan.pdf", [
        ["示例交通运输局惠企措施", "一、总体要求", "（一）推行容缺受理。对信用良好的企业实行容缺受理，次要材料可以后补。"],
        ["（二）优化营商 环境。推进政务服务一网通办，企业办事最多跑一次。"]])
    doc = parse_file(path)
    assert [m.key for m in doc.measures] == ["一/（一）", "一/（二）"]
    assert doc.measures[1].title == "优化营商环境"  # the space from extraction is repaired


def test_read_markdown_strips_markup(tmp_path):
    path = tmp_path / "plan.md"
    path.write_text("# 示例惠企措施\n\n## 一、重点任务\n\n- **（一）推行容缺受理。**对信用良好的企业实行容缺受理，次要材料后补。\n", encoding="utf-8")
    text = read_text(path)
    assert "#" not in text and "**" not in text
    doc = parse_file(path)
    assert doc.measures[0].key == "一/（一）" and doc.measures[0].title == "推行容缺受理"


def test_read_gb18030_and_bom_text(tmp_path):
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("一、推行容缺受理".encode("gb18030"))
    assert read_text(gbk) == "一、推行容缺受理"
    bom = tmp_path / "bom.txt"
    bom.write_bytes("\ufeff一、推行容缺受理".encode("utf-8"))
    assert read_text(bom) == "一、推行容缺受理"


# ------------------------------------------------------------------ files: bad input
def _code(path) -> Invalid:
    with pytest.raises(Invalid) as info:
        read_text(path)
    err = info.value
    assert any("\u4e00" <= c <= "\u9fff" for c in err.message) and "请" in err.message
    return err


def test_empty_file(tmp_path):
    (tmp_path / "e.txt").write_bytes(b"")
    assert _code(tmp_path / "e.txt").code == "DOC_EMPTY"
    (tmp_path / "blank.md").write_text(" \n\n ", encoding="utf-8")
    assert _code(tmp_path / "blank.md").code == "DOC_EMPTY"


def test_binary_file(tmp_path):
    (tmp_path / "b.txt").write_bytes(bytes(range(256)) * 10)
    assert _code(tmp_path / "b.txt").code == "DOC_BINARY"


def test_corrupt_docx_and_pdf(tmp_path):
    (tmp_path / "c.docx").write_bytes(b"PK\x03\x04 this is not really a zip")
    assert _code(tmp_path / "c.docx").code == "DOC_CORRUPT"
    (tmp_path / "c.pdf").write_bytes(b"%PDF-1.4\n1 0 obj garbage without xref")
    assert _code(tmp_path / "c.pdf").code == "DOC_CORRUPT"


def test_unsupported_type(tmp_path):
    (tmp_path / "x.xlsx").write_bytes(b"whatever")
    err = _code(tmp_path / "x.xlsx")
    assert err.code == "DOC_UNSUPPORTED_TYPE" and ".docx" in err.message


def test_scanned_pdf_without_text_is_empty(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with open(tmp_path / "scan.pdf", "wb") as fh:
        writer.write(fh)
    err = _code(tmp_path / "scan.pdf")
    assert err.code == "DOC_EMPTY" and "OCR" in err.message


def test_too_large_file_and_too_many_pages(tmp_path, monkeypatch):
    big = tmp_path / "big.txt"
    big.write_text("一、推行容缺受理。" * 100, encoding="utf-8")
    monkeypatch.setattr(extract, "MAX_BYTES", 100)
    assert _code(big).code == "DOC_TOO_LARGE"
    monkeypatch.setattr(extract, "MAX_BYTES", 50 * 1024 * 1024)
    pdf = write_pdf(tmp_path / "long.pdf", [["第一页"], ["第二页"], ["第三页"]])
    monkeypatch.setattr(extract, "MAX_PDF_PAGES", 2)
    err = _code(pdf)
    assert err.code == "DOC_TOO_LARGE" and "拆分" in err.message


# ------------------------------------------------------------------ how to apply, from labelled lines
def test_an_outline_items_labelled_lines_fill_how_to_apply_and_contact():
    """Issue #15: an item that says how to apply in a labelled line (申请方式/办理流程/咨询电话 …) gets
    that line as its how_to_apply and contact, not the chat's generic "向牵头单位咨询申请". None of the
    seeds or real_docs has such a line inside a numbered item, so the notice is written here in their form."""
    doc = parse_document(
        "关于开展2024年货运车辆更新补贴申报工作的通知\n"
        "一、补贴对象和标准\n"
        "（一）老旧营运货车提前淘汰更新补贴。对提前淘汰国三及以下排放标准营运货车并新购新能源货车的，按每辆最高8万元给予补贴。\n"
        "申请方式：企业登录甘肃政务服务网“交通运输”专栏在线提交申请，所在地交通运输局5个工作日内完成审核。\n"
        "咨询电话：0931-8888888\n"
        "（二）新能源营运货车购置补贴。對新購置新能源營運貨車的個體工商戶，每輛給予2萬元補貼。辦理流程：向縣級運輸服務中心窗口提交申請表和購車發票。\n"
        "（三）推进货运车辆年审网上办理。各地要明确办理条件、办理材料、办理流程，制定办事指南。\n",
        "notice.txt")
    by_title = {m.title[:6]: m for m in doc.measures}
    scrap = by_title["老旧营运货车"]
    assert scrap.how_to_apply == "企业登录甘肃政务服务网“交通运输”专栏在线提交申请，所在地交通运输局5个工作日内完成审核"
    assert scrap.contact == "0931-8888888"
    assert "申请方式" in scrap.text  # the line stays in the item's text, as the document has it
    assert by_title["新能源营运货"].how_to_apply == "向縣級運輸服務中心窗口提交申請表和購車發票"  # the document's script
    # words of a task ("明确办理条件、办理材料、办理流程") are no labelled line
    assert by_title["推进货运车辆"].how_to_apply is None


def test_a_measure_whose_document_says_how_to_apply_is_shown_that_way_in_the_chat():
    from actions.measures import detail, how_to_get

    doc = parse_document("通知\n一、对新购新能源货车的企业给予每辆2万元补贴，按年度集中拨付到位。\n"
                         "申报方式：每年3月底前向市交通运输局运输科报送申请表。\n", "n.txt")
    measure = {"title": doc.measures[0].title, "text": doc.measures[0].text, "how_to_apply": doc.measures[0].how_to_apply,
               "redemption_mode": doc.measures[0].redemption_mode}
    assert how_to_get(measure) == "每年3月底前向市交通运输局运输科报送申请表"
    assert "怎么享受：每年3月底前向市交通运输局运输科报送申请表" in detail(1, measure)
