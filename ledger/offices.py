"""Responsible office (责任科室) by problem category — 按责转办.

Defaults below; a department overrides them with ``<data_dir>/category_offices.yaml``
(a mapping ``类别: 科室``).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

DEFAULT_CATEGORY_OFFICES = {
    "政策落实": "运输服务科",
    "审批服务": "行政审批科",
    "执法检查": "综合执法科",
    "收费": "财务审计科",
    "招投标": "建设管理科",
    "其他": "办公室",
}


def category_offices(settings) -> dict[str, str]:
    path = settings.data_dir / "category_offices.yaml"
    return _load(str(path), path.stat().st_mtime_ns if path.exists() else None)


@lru_cache(maxsize=8)
def _load(path: str, mtime: int | None) -> dict[str, str]:
    mapping = dict(DEFAULT_CATEGORY_OFFICES)
    if mtime is not None:
        mapping.update({str(k): str(v) for k, v in (yaml.safe_load(Path(path).read_text("utf-8")) or {}).items()})
    return mapping


def office_for(category: str, settings) -> str:
    mapping = category_offices(settings)
    return mapping.get(category, mapping["其他"])
