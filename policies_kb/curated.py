"""The curated sample base: enterprise-facing measures we wrote, kept in curated/measures.yaml.

``load_curated`` validates every entry against the shared vocabulary and returns plain measure
dicts; a bad entry stops the load with a Chinese message that names the entry's id and field,
so a typo in the YAML is caught before anything is imported.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import yaml

from huiqi.errors import Invalid
from huiqi.vocabulary import INDUSTRIES, REDEMPTION_MODES, SIZES

from .repair import repair_line

CURATED_PATH = Path(__file__).with_name("curated") / "measures.yaml"
SOURCE_NAME = "惠企政策精选（样例库）"
REQUIRED = ("id", "title", "text", "summary", "source", "lead_department", "redemption_mode", "how_to_apply", "contact")
_ID = re.compile(r"^cur-[a-z0-9]+(-[a-z0-9]+)*$")
_PHONE = re.compile(r"\d{5,}")
_PUBLIC_NUMBERS = {"12328", "12345", "12366"}


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as strings, so a bad date is reported with its item id."""


_Loader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def load_curated(path: Path | None = None) -> list[dict]:
    """Validated measure dicts from the YAML, in file order."""
    path = Path(path) if path else CURATED_PATH
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except FileNotFoundError:
        raise Invalid("CURATED_NOT_FOUND", f"找不到整理的措施文件 {path}：请检查路径。") from None
    except yaml.YAMLError as exc:
        raise Invalid("CURATED_INVALID", f"措施文件 {path.name} 不是有效的 YAML（{exc}）：请修正格式后重试。") from None
    if not isinstance(raw, list):
        raise Invalid("CURATED_INVALID", f"措施文件 {path.name} 应是一个措施列表（每项以“- id:”开头）：请修正格式。")
    seen: set[str] = set()
    out = []
    for index, item in enumerate(raw, start=1):
        measure = _validate(item, index)
        if measure["id"] in seen:
            _fail(measure["id"], "id", "与前面的措施重复，请改用唯一的 id")
        seen.add(measure["id"])
        out.append(measure)
    return out


def _fail(item_id: str, field: str, problem: str):
    raise Invalid("CURATED_INVALID", f"整理的措施“{item_id}”的 {field} {problem}。", field=field)


def _validate(item, index: int) -> dict:
    if not isinstance(item, dict):
        _fail(f"第{index}项", "内容", "应是键值对象")
    item_id = str(item.get("id") or f"第{index}项")
    for key in REQUIRED:
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            _fail(item_id, key, "缺失或为空，请填写")
    if not _ID.match(item_id):
        _fail(item_id, "id", "格式不对，应为 cur- 开头的小写英文和短横线，例如 cur-etc-freight-discount")
    if item["redemption_mode"] not in REDEMPTION_MODES:
        _fail(item_id, "redemption_mode", f"应为 {'、'.join(REDEMPTION_MODES)} 之一")
    for number in _PHONE.findall(item["contact"]):
        if number not in _PUBLIC_NUMBERS:
            _fail(item_id, "contact", f"含有号码 {number}，只允许公开热线（12328、12345、12366）或写“当地交通运输局政务服务窗口”")
    tags = item.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        _fail(item_id, "tags", "应为字符串列表")
    return {
        "id": item_id,
        "key": item_id,
        "title": item["title"].strip(),
        "text": repair_line(" ".join(item["text"].split())),  # YAML folding leaves spaces between lines
        "summary": item["summary"].strip(),
        "source": item["source"].strip(),
        "heading_path": [SOURCE_NAME, item["title"].strip()],
        "lead_department": item["lead_department"].strip(),
        "responsible_units": [],
        "deadline": None,
        "conditions": _conditions(item.get("conditions"), item_id),
        "redemption_mode": item["redemption_mode"],
        "how_to_apply": item["how_to_apply"].strip(),
        "contact": item["contact"].strip(),
        "tags": list(tags),
    }


def _conditions(cond, item_id: str) -> dict:
    cond = cond or {}
    if not isinstance(cond, dict):
        _fail(item_id, "conditions", "应为对象，例如 {industries: [道路货运]}")
    unknown = set(cond) - {"industries", "sizes", "regions", "tags", "valid_from", "valid_to"}
    if unknown:
        _fail(item_id, "conditions", f"含有未知条件 {'、'.join(sorted(unknown))}")
    out: dict = {}
    for key, allowed in (("industries", INDUSTRIES), ("sizes", SIZES), ("regions", None), ("tags", None)):
        values = cond.get(key) or []
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            _fail(item_id, f"conditions.{key}", "应为字符串列表")
        if allowed:
            bad = [v for v in values if v not in allowed]
            if bad:
                _fail(item_id, f"conditions.{key}", f"含有不认识的取值 {'、'.join(bad)}（可选：{'、'.join(allowed)}）")
        if key == "regions":
            values = [v.strip("/") for v in values]
        out[key] = list(values)
    for key in ("valid_from", "valid_to"):
        value = cond.get(key)
        if isinstance(value, date):
            value = value.isoformat()
        if value is not None:
            try:
                date.fromisoformat(str(value))
            except ValueError:
                _fail(item_id, f"conditions.{key}", "日期格式应为 YYYY-MM-DD")
        out[key] = value
    if out["valid_from"] and out["valid_to"] and out["valid_from"] > out["valid_to"]:
        _fail(item_id, "conditions", "的生效日期晚于失效日期")
    return out
