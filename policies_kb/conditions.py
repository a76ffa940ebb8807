"""Inferring a measure's conditions, redemption mode and topic tags from its text.

Conditions restrict who sees a measure, so inference is deliberately conservative: a wrong
restriction hides a measure from businesses it applies to, a missing one only shows it to a few
more. An industry is inferred only when the measure is *about* that industry — its title names
it, or the text names it at least three times and densely — never from a passing mention (a plan that lists
"网约车一件事" as one example of 一件事一次办 applies to every business). A size restriction
needs the title to name small businesses (中小企业, 小微企业): "支持民营企业" is ownership, not
size, and is not turned into a restriction. Regions come from the document (the store lets a
measure inherit its document's region), tags and validity are left for the admin to set.

Inference reads simplified text, so traditional documents get the same conditions.
"""
from __future__ import annotations

import re

from huiqi.text import normalize

# industry → phrases that name it (simplified). Order is the shared vocabulary's order.
INDUSTRY_TERMS: dict[str, tuple[str, ...]] = {
    "道路货运": ("货车", "货运车辆", "道路货运", "普通货运", "货物运输", "超限运输", "大件运输", "治超", "物流成本",
              "鲜活农产品运输"),
    "道路客运": ("道路客运", "客运班线", "班车客运", "旅客运输", "客运站", "定制客运", "包车客运"),
    "网约车/出租": ("网约车", "网络预约出租汽车", "网约出租车", "出租汽车", "出租车", "巡游车"),
    "公路工程": ("投标", "招标", "中标", "工程建设项目", "公路建设项目", "公路水运建设", "公路水运工程", "施工企业",
             "工程招投标", "交易担保"),
    "机动车维修": ("机动车维修", "汽车维修", "车辆维修", "维修企业", "维修经营"),
    "水路运输": ("水路运输", "水运企业", "船舶", "航运", "港口经营", "船员"),
    "危险货物运输": ("危险货物", "危货", "危化品", "危险化学品运输"),
    "物流仓储": ("物流", "仓储", "快递", "货运枢纽", "多式联运"),
    "驾驶员培训": ("驾驶员培训", "驾培", "驾校", "驾驶培训"),
}
# Longer phrases that contain an industry's term without being about that industry.
_MASK = {"道路货运": ("危险货物运输", "危险货物", "客货运输", "货运枢纽")}
SIZE_TERMS: dict[tuple[str, ...], tuple[str, ...]] = {  # checked in this order
    ("中", "小", "微"): ("中小企业", "中小微企业", "中小型企业"),
    ("小", "微"): ("小微企业", "小型微型企业"),
}
TEXT_MIN_MENTIONS = 3      # without a title mention, the text must name the industry this often …
TEXT_MAX_CHARS_PER = 70    # … and densely: at least once per this many characters

_NO_APPLICATION = re.compile(r"免申即享|免审即享|免申即办|无需申请|不需申请|无需申报|自动兑现|直接兑现|直达快享|主动兑现|不来即享")
_APPLICATION = re.compile(r"申请|申报|申办|申领|容缺|告知承诺|预约|备案|办理|办证|认定|网办|一网通办|掌上办|跨省通办")

# Topic tags: domain terms worth showing and filtering by (the jieba dictionary holds them too).
TAG_TERMS = ("不来即享", "免申即享", "容缺受理", "告知承诺", "两轻一免", "首违不罚", "柔性执法", "包容审慎", "电子证照",
             "一网通办", "跨省通办", "省内通办", "一件事一次办", "最多跑一次", "证照分离", "双随机、一公开", "互联网+监管",
             "信用修复", "信用监管", "好差评", "帮办代办", "包抓联", "一企一档", "减税降费", "通行费", "绿色通道",
             "ETC", "超限运输", "公平竞争审查", "招投标", "电子保函", "投标保证金", "网约车", "道路运输证", "从业资格",
             "12328", "12345", "政务服务", "数据共享", "行政许可", "民营经济", "中小企业", "融资", "新能源")


def _mask(text: str, industry: str) -> str:
    for phrase in _MASK.get(industry, ()):
        text = text.replace(phrase, "□")
    return text


def _mentions(text: str, terms: tuple[str, ...]) -> int:
    """Non-overlapping mentions, longest phrase first (网络预约出租汽车 counts once, not twice)."""
    count = 0
    for term in sorted(terms, key=len, reverse=True):
        count += text.count(term)
        text = text.replace(term, "□")
    return count


def infer_industries(title: str, text: str) -> list[str]:
    """Industries the measure is about: named in its title, or named often and densely in its text."""
    title, body = normalize(title), normalize(text)
    found = []
    for industry, terms in INDUSTRY_TERMS.items():
        in_title = _mentions(_mask(title, industry), terms)
        in_body = _mentions(_mask(body, industry), terms)
        if in_title or (in_body >= TEXT_MIN_MENTIONS and in_body * TEXT_MAX_CHARS_PER >= len(body)):
            found.append(industry)
    return found


def infer_sizes(title: str) -> list[str]:
    title = normalize(title)
    for sizes, terms in SIZE_TERMS.items():
        if any(w in title for w in terms):
            return list(sizes)
    return []


def infer_conditions(text: str, title: str | None = None) -> dict:
    """Conditions in the shared vocabulary; ``title`` (when known) weighs more than the text.

    Without a title, the first sentence of ``text`` serves as the title.
    """
    if title is None:
        title = re.split(r"[。；;\n]", text or "", maxsplit=1)[0]
    return {"industries": infer_industries(title, text or ""), "sizes": infer_sizes(title),
            "regions": [], "tags": [], "valid_from": None, "valid_to": None}


def infer_redemption_mode(text: str) -> str:
    """免申即享 when the text says benefits arrive without applying; 依申请 when it names an
    application, filing or online handling; otherwise 告知类 (information and duties)."""
    norm = normalize(text or "")
    if _NO_APPLICATION.search(norm):
        return "免申即享"
    if _APPLICATION.search(norm):
        return "依申请"
    return "告知类"


def infer_tags(text: str) -> list[str]:
    """Domain terms the text mentions, in TAG_TERMS order."""
    norm = normalize(text or "").upper()
    return [t for t in TAG_TERMS if t.upper() in norm]
