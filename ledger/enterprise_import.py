"""Bulk import of enterprises (企业批量建档) from .xlsx or .csv: every row is checked with the same
rules as a single 建档; any bad row means nothing is written, and the report names each bad row."""
from __future__ import annotations

import csv
import io

import sqlite_utils
from openpyxl import load_workbook

from huiqi.errors import HuiqiError, Invalid
from huiqi.text import decode_text
from ledger import credit_code as cc
from ledger.actors import Actor
from ledger.db import transaction
from ledger.enterprises import create_enterprise

# Column header (as in the template) → field of ``create_enterprise``.
COLUMNS = {"统一社会信用代码": "credit_code", "企业名称": "name", "行业": "industry", "规模": "size",
           "所在地区": "region", "经济类型": "ownership", "标签": "tags", "成立日期": "registered_on",
           "联系人": "contact_name", "联系电话": "contact_phone", "地址": "address"}
REQUIRED = ("统一社会信用代码", "企业名称", "行业", "规模", "所在地区")
MAX_ROWS = 5000
TAG_SEPARATORS = ("，", ",", "；", ";", "、")


class _Rollback(Exception):
    """Raised inside the import transaction to undo it when any row failed."""


def template_csv() -> str:
    """The header line of the import template (UTF-8 with BOM opens correctly in Excel)."""
    return "\ufeff" + ",".join(COLUMNS) + "\r\n"


def read_rows(filename: str, data: bytes) -> list[dict]:
    """The data rows of an .xlsx or .csv file as {header: text}; the first row holds the headers."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise Invalid("IMPORT_UNREADABLE", "无法读取该 Excel 文件，请确认是 .xlsx 格式且未加密。", field="file") from exc
        table = [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
    elif name.endswith(".csv"):
        text = decode_text(data)
        if text is None:
            raise Invalid("IMPORT_UNREADABLE", "无法识别 CSV 文件的编码，请另存为 UTF-8 编码后重试。", field="file")
        table = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    else:
        raise Invalid("IMPORT_UNSUPPORTED_TYPE", "只支持 .xlsx 或 .csv 文件，请按模板整理后上传。", field="file")
    table = [row for row in table if any(row)]
    if not table:
        raise Invalid("IMPORT_EMPTY", "文件是空的，请按模板填写后上传。", field="file")
    headers = [h.strip() for h in table[0]]
    missing = [h for h in REQUIRED if h not in headers]
    if missing:
        raise Invalid("IMPORT_HEADERS", f"缺少列：{'、'.join(missing)}。请使用模板的表头（第1行）。", field="file")
    if len(table) - 1 > MAX_ROWS:
        raise Invalid("IMPORT_TOO_MANY_ROWS", f"一次最多导入{MAX_ROWS}家企业，请拆分文件后分批导入。", field="file")
    return [{h: (row[i] if i < len(row) else "") for i, h in enumerate(headers) if h in COLUMNS} for row in table[1:]]


def _fields(row: dict) -> dict:
    out = {COLUMNS[h]: v for h, v in row.items() if v != ""}
    tags = out.get("tags", "")
    for sep in TAG_SEPARATORS:
        tags = tags.replace(sep, " ")
    out["tags"] = tags.split()
    if "registered_on" in out:
        out["registered_on"] = out["registered_on"][:10]  # an Excel date cell reads as "2020-01-02 00:00:00"
    return out


def import_enterprises(db: sqlite_utils.Database, actor: Actor, rows: list[dict]) -> dict:
    """Create every row's enterprise, or none: ``{"created": n, "errors": [{"row", "credit_code", "field",
    "message"}]}`` (row numbers as in the spreadsheet, the header being row 1)."""
    errors: list[dict] = []
    created = 0
    seen: dict[str, int] = {}
    try:
        with transaction(db):
            for number, row in enumerate(rows, start=2):
                fields = _fields(row)
                code = fields.get("credit_code", "")
                missing = [h for h in REQUIRED if not row.get(h)]
                if missing:
                    errors.append({"row": number, "credit_code": code, "field": COLUMNS[missing[0]],
                                   "message": f"{'、'.join(missing)}未填写"})
                    continue
                key = cc.normalize(code)
                if key in seen:
                    errors.append({"row": number, "credit_code": code, "field": "credit_code",
                                   "message": f"与第{seen[key]}行的统一社会信用代码重复"})
                    continue
                seen[key] = number
                try:
                    create_enterprise(db, actor, **fields)
                    created += 1
                except HuiqiError as exc:
                    errors.append({"row": number, "credit_code": code, "field": exc.field, "message": exc.message})
            if errors:
                raise _Rollback
    except _Rollback:
        return {"created": 0, "rows": len(rows), "errors": errors}
    return {"created": created, "rows": len(rows), "errors": []}
