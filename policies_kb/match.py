"""Matching an enterprise to measures: hard conditions first, then relevance.

A measure is a candidate only when it is published and enabled and every hard condition holds:

- region: the enterprise's region path starts with one of the measure's regions (empty = any;
  a measure without its own regions inherits its document's region, e.g. a Ganzi document
  applies to Ganzi only);
- validity: today lies within valid_from .. valid_to (either may be open);
- industries / sizes: the enterprise's value is listed (empty = any);
- tags: the enterprise has at least one of them (empty = none needed).

The candidates are ranked by reciprocal-rank fusion of (a) hybrid retrieval with the needs and
profile as the query and (b) how specifically the measure targets this enterprise (conditions
that name its industry, size, region or tags count more than open ones).
"""
from __future__ import annotations

import re
from datetime import date

from huiqi.vocabulary import INDUSTRIES, SIZES

# How a business names its own trade in a question ("我们是货运公司", "修理厂") → industry.
QUERY_INDUSTRY_TERMS: dict[str, tuple[str, ...]] = {
    "道路货运": ("货运", "货车", "卡车", "拉货", "运货", "冷链", "普货", "挂车"),
    "道路客运": ("客运", "班车", "大巴", "客车", "包车"),
    "网约车/出租": ("网约车", "出租车", "出租汽车", "的士", "巡游车"),
    "机动车维修": ("修理厂", "维修厂", "汽修", "修车", "机动车维修", "汽车维修"),
    "水路运输": ("船舶", "航运", "水运", "船运", "渡船"),
    "危险货物运输": ("危险品", "危货", "危化"),
    "物流仓储": ("物流", "仓储", "快递", "冷链"),
    "驾驶员培训": ("驾校", "驾培", "驾驶培训"),
    "公路工程": ("施工企业", "投标", "招标", "工程建设"),
}


_BENEFIT_QUESTION = re.compile(r"(有什么|有哪些|有没有|哪些|什么样的|能享受|可以享受|适合).{0,8}(补贴|补助|优惠|扶持|奖补|奖励|减免|"
                               r"支持|惠企|政策)|(补贴|优惠|扶持|惠企)政策")


def asks_for_benefits(text: str) -> bool:
    """"有什么补贴" / "适合我们的政策" / "惠企政策": a question for the benefits there are, not about one."""
    return bool(_BENEFIT_QUESTION.search(text or ""))


BENEFIT_WORDS = ("补贴", "补助", "优惠", "减免", "奖补")  # one benefit question asks for all of them


def industries_in(text: str) -> list[str]:
    """Industries a question names (normalised simplified text), in vocabulary order."""
    return [ind for ind, terms in QUERY_INDUSTRY_TERMS.items() if any(t in (text or "") for t in terms)]


def _under(region: str, scope: str) -> bool:
    region, scope = (region or "").strip("/"), (scope or "").strip("/")
    return bool(scope) and (region == scope or region.startswith(scope + "/"))


def check(measure: dict, profile: dict, doc_region: str | None = None, today: date | None = None) -> tuple[bool, list[str], int]:
    """(all hard conditions hold, the reasons in Chinese, how many conditions were specific)."""
    today = today or date.today()
    cond = measure.get("conditions") or {}
    held: list[str] = []
    specific = 0
    if measure.get("status") != "published" or not measure.get("enabled", True):
        return False, ["该措施未发布或已停用"], 0

    regions = list(cond.get("regions") or []) or ([doc_region] if doc_region else [])
    if regions:
        hit = next((r for r in regions if _under(profile.get("region", ""), r)), None)
        if not hit:
            return False, [f"地区不符：限 {'、'.join(regions)}"], 0
        held.append(f"地区：{profile.get('region')} 属于 {hit}")
        specific += 1
    else:
        held.append("地区：不限")

    start, end = cond.get("valid_from"), cond.get("valid_to")
    iso = today.isoformat()
    if start and iso < str(start)[:10]:
        return False, [f"尚未生效：{start} 起施行"], 0
    if end and iso > str(end)[:10]:
        return False, [f"已过期：有效期至 {end}"], 0
    if start or end:
        held.append(f"有效期：{start or '不限'} 至 {end or '长期'}")

    industries = cond.get("industries") or []
    if industries:
        if profile.get("industry") not in industries:
            return False, [f"行业不符：限 {'、'.join(industries)}"], 0
        held.append(f"行业：{profile.get('industry')}")
        specific += 1
    sizes = cond.get("sizes") or []
    if sizes:
        if profile.get("size") not in sizes:
            return False, [f"规模不符：限 {'、'.join(sizes)}型企业"], 0
        held.append(f"企业规模：{profile.get('size')}型")
        specific += 1
    tags = cond.get("tags") or []
    if tags:
        have = [t for t in tags if t in (profile.get("tags") or [])]
        if not have:
            return False, [f"需具备：{'、'.join(tags)}"], 0
        held.append(f"企业标签：{'、'.join(have)}")
        specific += len(have)
    return True, held, specific


def profile_query(profile: dict, needs: str | None) -> str:
    """The text matched against measures: the needs first, then what the profile says."""
    parts = [needs or ""]
    if profile.get("industry") and profile["industry"] != "其他":
        parts.append(f"{profile['industry']}企业")
    if profile.get("size"):
        parts.append(f"{profile['size']}型企业")
    parts += list(profile.get("tags") or [])
    return " ".join(p for p in parts if p).strip() or "企业 惠企政策 支持措施"
