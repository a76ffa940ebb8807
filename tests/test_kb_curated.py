"""The curated sample base (policies_kb/curated/measures.yaml) and its loader."""
from __future__ import annotations

from pathlib import Path

import pytest

from huiqi.errors import Invalid
from policies_kb.curated import INDUSTRIES, load_curated

GOOD = """
- id: cur-sample
  title: 示例措施
  text: 示例正文，说明谁能享受。
  summary: 一句话摘要
  source: 示例文件
  lead_department: 示例局
  conditions: {industries: [道路货运], regions: [甘肃省]}
  redemption_mode: 依申请
  how_to_apply: 到窗口办理
  contact: 12328交通运输服务监督电话
  tags: [示例]
"""


@pytest.fixture(scope="module")
def curated():
    return load_curated()


def _by_id(curated, item_id):
    return next(m for m in curated if m["id"] == item_id)


def test_at_least_30_complete_measures_with_unique_ids(curated):
    assert len(curated) >= 30
    ids = [m["id"] for m in curated]
    assert len(ids) == len(set(ids))
    for m in curated:
        for field in ("title", "text", "summary", "source", "lead_department", "how_to_apply", "contact"):
            assert m[field].strip(), (m["id"], field)
        assert m["redemption_mode"] in ("免申即享", "依申请", "告知类")
        assert set(m["conditions"]) == {"industries", "sizes", "regions", "tags", "valid_from", "valid_to"}


def test_texts_have_no_spaces_between_chinese_characters(curated):
    import re
    for m in curated:
        assert not re.search(r"[\u4e00-\u9fff，。；] [\u4e00-\u9fff]", m["text"]), m["id"]


def test_conditions_use_the_shared_vocabulary(curated):
    for m in curated:
        assert all(i in INDUSTRIES for i in m["conditions"]["industries"])
        assert all(s in ("大", "中", "小", "微") for s in m["conditions"]["sizes"])


def test_base_has_region_industry_and_size_limited_material(curated):
    regions = [m for m in curated if m["conditions"]["regions"]]
    assert any(m["conditions"]["regions"] == ["甘肃省"] for m in regions)
    assert any(m["conditions"]["regions"][0].startswith("四川省") for m in regions)
    assert any(m["conditions"]["industries"] == ["道路货运"] for m in curated)
    assert any(m["conditions"]["industries"] == ["机动车维修"] for m in curated)
    assert any(m["conditions"]["sizes"] for m in curated)
    covered = {i for m in curated for i in m["conditions"]["industries"]}
    assert covered >= {"道路货运", "道路客运", "网约车/出租", "公路工程", "机动车维修", "水路运输", "危险货物运输",
                       "物流仓储", "驾驶员培训"}
    assert sum(1 for m in curated if not any(m["conditions"][k] for k in ("industries", "sizes", "regions"))) >= 8


def test_key_facts(curated):
    etc = _by_id(curated, "cur-etc-freight-discount")
    assert "5%" in etc["text"] and "道路货运" in etc["conditions"]["industries"]
    green = _by_id(curated, "cur-green-channel-fresh-produce")
    assert "免收车辆通行费" in green["text"]
    assert _by_id(curated, "cur-bulai-jixiang")["redemption_mode"] == "免申即享"
    assert _by_id(curated, "cur-bid-bond-stop")["conditions"] == {
        "industries": ["公路工程"], "sizes": [], "regions": ["甘肃省"], "tags": [], "valid_from": None, "valid_to": None}
    assert _by_id(curated, "cur-new-energy-purchase-tax")["conditions"]["valid_to"] == "2027-12-31"


def test_contacts_only_use_public_hotlines_or_windows(curated):
    import re
    for m in curated:
        for number in re.findall(r"\d{5,}", m["contact"]):
            assert number in {"12328", "12345", "12366"}, m["id"]


def test_topics_the_assistant_is_asked_about_are_covered(curated):
    text = " ".join(m["title"] + m["text"] for m in curated)
    for term in ("ETC", "绿色通道", "集装箱", "电子证照", "网约车", "两轻一免", "首违不罚", "容缺受理", "不来即享",
                 "中小", "信用修复", "超限运输", "新能源", "驾驶员培训", "危险货物", "水路运输", "12328"):
        assert term in text, term


def test_loads_a_good_file(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(GOOD, encoding="utf-8")
    [m] = load_curated(path)
    assert m["id"] == "cur-sample" and m["conditions"]["regions"] == ["甘肃省"] and m["tags"] == ["示例"]


@pytest.mark.parametrize("change, field", [
    (("industries: [道路货运]", "industries: [卡车]"), "conditions.industries"),
    (("redemption_mode: 依申请", "redemption_mode: 自动"), "redemption_mode"),
    (("  summary: 一句话摘要\n", ""), "summary"),
    (("12328交通运输服务监督电话", "0931-1234567"), "contact"),
    (("id: cur-sample", "id: Sample 1"), "id"),
    (("regions: [甘肃省]}", "regions: [甘肃省], valid_to: 2024-13-01}"), "conditions.valid_to"),
])
def test_bad_entries_name_the_item_and_field(tmp_path, change, field):
    path = tmp_path / "m.yaml"
    path.write_text(GOOD.replace(*change), encoding="utf-8")
    with pytest.raises(Invalid) as info:
        load_curated(path)
    assert info.value.code == "CURATED_INVALID" and info.value.field == field
    assert "cur-sample" in info.value.message or "Sample 1" in info.value.message


def test_duplicate_ids_and_broken_yaml(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(GOOD + GOOD, encoding="utf-8")
    with pytest.raises(Invalid, match="重复"):
        load_curated(path)
    path.write_text("- id: [unclosed", encoding="utf-8")
    with pytest.raises(Invalid) as info:
        load_curated(path)
    assert info.value.code == "CURATED_INVALID" and "YAML" in info.value.message
    with pytest.raises(Invalid) as info:
        load_curated(Path(tmp_path / "missing.yaml"))
    assert info.value.code == "CURATED_NOT_FOUND"


def test_dictionary_file_is_well_formed_and_holds_domain_words():
    path = Path(__file__).resolve().parents[1] / "policies_kb" / "dictionary.txt"
    words = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, freq, pos = line.split(" ")
        assert int(freq) > 0 and pos.isalpha()
        words[word] = int(freq)
    for term in ("不来即享", "免申即享", "容缺受理", "两轻一免", "首违不罚", "道路运输证", "网约车", "一网通办", "跨省通办",
                 "放管服", "营商环境", "包抓联", "一企一档", "电子证照", "超限运输", "12328", "红黄牌", "告知承诺"):
        assert term in words, term


def test_dictionary_keeps_domain_words_whole_in_jieba():
    import jieba
    path = Path(__file__).resolve().parents[1] / "policies_kb" / "dictionary.txt"
    tk = jieba.Tokenizer()
    tk.load_userdict(str(path))
    tokens = tk.lcut("企业可以享受不来即享和容缺受理，两轻一免首违不罚")
    for word in ("不来即享", "容缺受理", "两轻一免", "首违不罚"):
        assert word in tokens
