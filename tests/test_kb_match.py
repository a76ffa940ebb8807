"""Enterprise matching: hard conditions exclude, relevant measures come first, with reasons."""
from __future__ import annotations

from datetime import date

import pytest

from policies_kb.store import measure_id_for
from test_kb_helpers import document, ids, measure, new_base

LANZHOU_TAXI = {"credit_code": "91620100MA00000001", "name": "兰州顺达出租汽车有限公司", "industry": "网约车/出租",
                "size": "小", "region": "甘肃省/兰州市/城关区", "ownership": "民营", "tags": ["专精特新"],
                "registered_on": "2019-05-01"}


def _docs():
    gansu = document("gansu", region="甘肃省", measures=[
        measure("taxi", "网约车许可网上办", "网约车经营许可、车辆运输证网上办理。", conditions={"industries": ["网约车/出租"]}),
        measure("freight", "货运车辆年审", "道路货运车辆年审与综合性能检测合并办理。", conditions={"industries": ["道路货运"]}),
        measure("expired", "2020年运费补贴", "网约车企业运费补贴。", conditions={"valid_to": "2020-12-31"}),
        measure("future", "2099年网约车补贴", "网约车企业补贴。", conditions={"valid_from": "2099-01-01"}),
        measure("large", "大型企业专项", "网约车大型企业专项扶持。", conditions={"sizes": ["大"]}),
        measure("srdi", "专精特新奖励", "专精特新企业一次性奖励。", conditions={"tags": ["专精特新"]}),
        measure("general", "惠企政策免申即享", "符合条件的企业免申即享各项惠企政策。"),
        measure("retired", "已废止的网约车措施", "网约车经营许可旧办法。"),
    ])
    ganzi = document("ganzi", region="四川省/甘孜藏族自治州", measures=[
        measure("g1", "甘孜网约车许可", "甘孜州网约车经营许可办理。", conditions={"industries": ["网约车/出租"]})])
    return [gansu, ganzi]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    b = new_base(tmp_path_factory.mktemp("match"), _docs())
    b.retire(measure_id_for("gansu", "retired"), "admin")
    return b


def test_only_measures_whose_hard_conditions_hold(base):
    got = ids(base.match(LANZHOU_TAXI, "网约车经营许可怎么办", top_k=50))
    expected = {measure_id_for("gansu", k) for k in ("taxi", "srdi", "general")}
    assert set(got) == expected  # not: other industry, expired, not yet valid, other size, retired, other region


def test_needs_and_profile_rank_the_specific_measure_first_with_reasons(base):
    results = base.match(LANZHOU_TAXI, "网约车经营许可怎么办", top_k=3)
    assert results[0]["measure_id"] == measure_id_for("gansu", "taxi")
    assert "行业：网约车/出租" in results[0]["reasons"]
    assert any(r.startswith("地区：") and "甘肃省" in r for r in results[0]["reasons"])


def test_region_from_document_excludes_other_provinces(base):
    ganzi_taxi = dict(LANZHOU_TAXI, region="四川省/甘孜藏族自治州/康定市")
    got = ids(base.match(ganzi_taxi, "网约车许可", top_k=50))
    assert got == [measure_id_for("ganzi", "g1")]


def test_validity_is_checked_against_the_given_day(base):
    got = ids(base.match(LANZHOU_TAXI, "运费补贴", top_k=50, today=date(2020, 6, 1)))
    assert measure_id_for("gansu", "expired") in got
