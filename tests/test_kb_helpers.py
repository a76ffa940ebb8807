"""Small hand-written policy documents for the policy-base tests (real store, model and indexes)."""
from __future__ import annotations

from types import SimpleNamespace

from huiqi.settings import Settings
from policies_kb.base import PolicyBase


def measure(key, title, text, **kw):
    return SimpleNamespace(key=key, title=title, text=text, heading_path=kw.get("heading_path", ["二、重点任务"]),
                           lead_department=kw.get("lead_department"), responsible_units=kw.get("responsible_units", []),
                           deadline=kw.get("deadline"), conditions=kw.get("conditions", {}),
                           redemption_mode=kw.get("redemption_mode"), tags=kw.get("tags", []))


def document(doc_key="test-doc", region="甘肃省", measures=None, title="测试文件"):
    return SimpleNamespace(doc_key=doc_key, title=title, issuer="甘肃省交通运输厅", doc_number="甘交测〔2024〕1号",
                           date="2024-01-01", region=region, source=f"{doc_key}.txt", measures=measures or [])


def sample_measures():
    return [
        measure("1", "推行不来即享", "深入推行“不来即享”，对符合条件的企业免申即享惠企政策，牵头部门：厅法规处。",
                lead_department="厅法规处"),
        measure("2", "网约车许可", "网约车平台公司和驾驶员的经营许可、运输证实行网上办理，一次办结。",
                conditions={"industries": ["网约车/出租"]}),
        measure("3", "电子证照互认", "推进道路运输电子证照跨区域互认，企业到外省经营无需再办纸质证件。"),
        measure("4", "移动执法", "全面推行移动执法，执法人员使用执法终端现场取证、全程记录。"),
        measure("5", "服务热线", "畅通12328交通运输服务监督电话，及时回应企业诉求。"),
    ]


def traditional_doc():
    return document("trad-doc", region="甘肃省", title="甘肅省優化營商環境方案", measures=[
        measure("1", "企業注銷", "推行企業注銷「一網通辦」，企業可在網上辦理注銷登記。"),
        measure("2", "異地就醫", "推進異地就醫直接結算，備案可跨省網上辦理。"),
    ])


def new_base(tmp_path, docs=None) -> PolicyBase:
    base = PolicyBase.open(Settings(data_dir=tmp_path))
    for d in docs if docs is not None else [document(measures=sample_measures())]:
        base.import_parsed(d, "tester")
    return base


def ids(results):
    return [r["measure_id"] for r in results]
