"""The dossier as a Chinese .xlsx workbook for archive and inspection (一企一档，以备督导检查).

Every text cell goes through ``safe_cell``: text that a spreadsheet would run as a formula (leading
``= + - @``, tab or carriage return) is written with a leading apostrophe, as plain text, and control
characters a worksheet cannot hold are dropped. Any other
export of user-written text (CSV included) must use it too.
"""
from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from ledger.actors import ROLE_LABELS
from ledger.events import EVENT_LABELS
from ledger.problems import CHANNELS

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A cell value that cannot execute and can be stored: control characters a worksheet cannot hold
    are dropped, and text starting like a formula gets a leading apostrophe."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


SHEETS = ("企业概况", "包抓联记录", "诉求记录", "办理过程", "走访记录", "政策推送")
CLAIMED_SHEET = "自报诉求（未核验）"  # staff copies only: see ledger.dossier.claimed_problems


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list], first: bool = False):
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(["" if v is None else safe_cell(v) for v in r])
    for i, _ in enumerate(header, start=1):
        letter = ws.cell(row=1, column=i).column_letter
        width = max([len(str(c.value or "")) for c in ws[letter]] + [6])
        ws.column_dimensions[letter].width = min(60, width * 1.6 + 2)
    ws.freeze_panes = "A2"
    for row in ws.iter_rows(min_row=2):
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    return ws


def build(d: dict) -> Workbook:
    p = d["profile"]
    wb = Workbook()
    official = d["official"]
    _sheet(wb, "企业概况", ["项目", "内容"], [
        ["企业名称", p["name"]], ["统一社会信用代码", p["credit_code"]], ["行业", p["industry"]],
        ["规模", p["size"]], ["所在地区", p["region"]], ["经济类型", p["ownership"]],
        ["标签", "、".join(p["tags"])], ["成立日期", p["registered_on"]], ["联系人", p["contact_name"]],
        ["联系电话", p["contact_phone"]], ["地址", p["address"]],
        ["包抓联干部", f"{official['name']}（{official['office']}）" if official else "未配对"],
        ["诉求总数", len(d["problems"])],
        *([["自报为本企业的未核验诉求", len(d["claimed_problems"])]] if "claimed_problems" in d else []),
        ["退订推送类别", "、".join(d["opt_outs"])], ["生成时间", d["generated_at"]],
    ], first=True)
    _sheet(wb, "包抓联记录", ["干部", "角色", "科室", "开始时间", "结束时间", "备注"], [
        [x["name"], ROLE_LABELS.get(x["role"], x["role"]), x["office"], x["started_at"], x["ended_at"], x["note"]]
        for x in d["pairings"]])
    _sheet(wb, "诉求记录", ["诉求编号", "类别", "性质", "渠道", "问题描述", "状态", "责任科室", "承办人", "受理时间",
                        "办理时限", "答复", "评价", "评价意见"], [
        [x["ticket_no"], x["category"], x["kind_label"], CHANNELS.get(x["channel"], x["channel"]), x["description"],
         x["status_label"], x["office"], x["assignee"]["name"] if x["assignee"] else "", x["filed_at"], x["due_on"],
         x["reply"], x["rating"], x["rating_comment"]] for x in d["problems"]])
    _sheet(wb, "办理过程", ["诉求编号", "时间", "环节", "操作人", "角色", "由", "至", "说明"], [
        [x["ticket_no"], e["at"], EVENT_LABELS.get(e["type"], e["type"]), e["actor_name"],
         ROLE_LABELS.get(e["actor_role"], e["actor_role"]), e["from_value"], e["to_value"], e["note"]]
        for x in d["problems"] for e in x["events"]])
    _sheet(wb, "走访记录", ["走访日期", "事由", "走访干部", "走访情况"], [
        [v["visited_on"], v["occasion"], v["official"], v["notes"]] for v in d["visits"]])
    _sheet(wb, "政策推送", ["政策编号", "版本", "政策名称", "状态", "推送时间", "更新时间", "说明"], [
        [x["measure_id"], x["measure_version"], x["measure_title"], x["status_label"], x["created_at"],
         x["updated_at"], x["reason"]] for x in d["pushes"]])
    if "claimed_problems" in d:
        _sheet(wb, CLAIMED_SHEET, ["诉求编号", "自报统一社会信用代码（未核验）", "反映人", "联系电话", "类别", "性质",
                                   "问题描述", "状态", "责任科室", "承办人", "受理时间", "办理时限"], [
            [x["ticket_no"], x["claimed_credit_code"], x["claimant_name"], x["claimant_phone"], x["category"],
             x["kind_label"], x["description"], x["status_label"], x["office"],
             x["assignee"]["name"] if x["assignee"] else "", x["filed_at"], x["due_on"]]
            for x in d["claimed_problems"]])
    return wb


def to_bytes(d: dict) -> bytes:
    buf = io.BytesIO()
    build(d).save(buf)
    return buf.getvalue()


def save(d: dict, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build(d).save(path)
    return path
