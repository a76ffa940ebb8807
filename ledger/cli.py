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


@app.command()
def backup(dest: Path = typer.Argument(..., help="备份文件路径，或目录（按时间命名）"),
           keep: int = typer.Option(0, help="DEST 为目录时只保留最新的 N 份（0 = 全部保留）")) -> None:
    """在线备份台账（服务运行中也可执行），并校验备份可用。"""
    from huiqi.settings import get_settings
    from ledger import backup as bk
    try:
        report = bk.backup(get_settings().ledger_path, dest)
        removed = bk.prune(Path(report["path"]).parent, keep) if keep else []
    except HuiqiError as exc:
        _fail(exc)
    typer.echo(f"已备份并校验：{report['path']}（台账版本 {report['schema_version']}，"
               f"诉求 {report['counts']['problems']} 件，事件 {report['counts']['events']} 条）")
    for path in removed:
        typer.echo(f"已删除较早的备份：{path}")


@app.command()
def restore(source: Path = typer.Argument(..., help="要恢复的备份文件"),
            yes: bool = typer.Option(False, "--yes", help="确认用备份覆盖当前台账")) -> None:
    """用备份恢复台账：先校验备份，再把当前台账另存一份，然后恢复。"""
    from huiqi.settings import get_settings
    from ledger import backup as bk
    settings = get_settings()
    if not yes:
        typer.echo("恢复会用备份覆盖当前台账。确认无误后请加 --yes 重新执行。", err=True)
        raise typer.Exit(2)
    try:
        bk.verify(source)
        saved = bk.backup(settings.ledger_path, settings.backup_dir / "before-restore") \
            if settings.ledger_path.exists() else None
        report = bk.restore(source, settings.ledger_path)
    except HuiqiError as exc:
        _fail(exc)
    if saved:
        typer.echo(f"恢复前的台账已另存：{saved['path']}")
    typer.echo(f"已从 {source} 恢复台账（诉求 {report['counts']['problems']} 件，事件 {report['counts']['events']} 条）。")


if __name__ == "__main__":
    app()
