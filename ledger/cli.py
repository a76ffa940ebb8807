"""Command line for the ledger (honours HUIQI_DATA_DIR)."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from huiqi.errors import HuiqiError
from ledger.db import connect

app = typer.Typer(help="惠企通 台账（一企一档）命令行", no_args_is_help=True)


def _fail(exc: HuiqiError) -> None:
    typer.echo(f"错误 [{exc.code}]：{exc.message}", err=True)
    raise typer.Exit(1)


@app.command("seed-demo")
def seed_demo() -> None:
    """创建演示数据（仅演示模式，可重复执行）。"""
    from ledger.demo import demo_logins, seed_demo as seed
    try:
        created = seed(connect())
    except HuiqiError as exc:
        _fail(exc)
    typer.echo(json.dumps(created, ensure_ascii=False))
    for row in demo_logins():
        typer.echo(f"{row['role']:<10} {row['login']:<20} {row['password']:<12} {row['who']}")


@app.command()
def remind() -> None:
    """立即执行超期催办与督办升级。"""
    from ledger.reminders import run_reminders
    typer.echo(json.dumps(run_reminders(connect()), ensure_ascii=False))


@app.command("export-dossier")
def export_dossier(credit_code: str, path: Path) -> None:
    """导出一家企业的档案：PATH 以 .xlsx 结尾导出表格，否则导出 JSON。"""
    from ledger.dossier import dossier
    from ledger.workbook import save
    try:
        doc = dossier(connect(), credit_code)
    except HuiqiError as exc:
        _fail(exc)
    if path.suffix.lower() == ".xlsx":
        save(doc, path)
    else:
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    typer.echo(f"已导出：{path}")


if __name__ == "__main__":
    app()
