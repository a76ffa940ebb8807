"""How a problem reads in the chat."""
from __future__ import annotations

from actions.context import month_day


def problem_line(p: dict) -> str:
    parts = [f"{p['ticket_no']}｜{p['category']}｜{p['status_label']}"]
    if p.get("days_left") is not None:
        if p.get("overdue"):
            parts.append(f"应于{month_day(p['due_on'])}前答复，已超期，我们会督办")
        else:
            parts.append(f"将于{month_day(p['due_on'])}前答复您（还有{p['days_left']}个工作日）")
    if p.get("assignee"):
        parts.append(f"经办：{p['assignee']['name']}（{p['assignee']['office']}）")
    line = "；".join(parts)
    if p.get("reply") and p["status"] in ("replied", "closed", "rated"):
        line += f"\n   答复：{p['reply']}"
    if p["status"] in ("replied", "closed"):
        line += "\n   对办理结果满意吗？回复“评价”告诉我们。"
    return line
