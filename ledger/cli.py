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


review_app = typer.Typer(help="复核队列：兜底回复、低置信度和用户纠正过的对话（已脱敏）", no_args_is_help=True)
app.add_typer(review_app, name="review")


@review_app.command("list")
def review_list(limit: int = typer.Option(20, help="最多列出几条"), as_json: bool = typer.Option(False, "--json")) -> None:
    """List the turns waiting for review, newest first, with the conversation around each."""
    from ledger import review

    items = review.queue(limit=limit)
    if as_json:
        typer.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    if not items:
        typer.echo("没有待复核的对话。")
    for it in items:
        alts = "、".join(f"{a['intent']} {a['confidence']:.2f}" for a in it["alternatives"][:3])
        typer.echo(f"#{it['id']} [{it['reason_label']}] “{it['text']}” → {it['predicted']} {it['confidence']:.2f}（候选：{alts}）")
        for line in it["context"]:
            typer.echo(f"    {'>' if line['this_turn'] else ' '} {line['who']}：{line['text'][:80]}")


@review_app.command("decide")
def review_decide(item_id: int, decision: str = typer.Argument(..., help="confirm / correct / dismiss"),
                  intent: str = typer.Option(None, help="纠正后的意图（correct 时必填）"),
                  login: str = typer.Option(..., help="复核人的工作人员账号（记录谁复核的）")) -> None:
    """Confirm, correct or dismiss one turn; confirmed and corrected turns go into bot/data/nlu/reviewed.yml."""
    from huiqi.errors import Forbidden
    from ledger import review
    from ledger.actors import Actor
    from ledger.staff import get_staff

    db = connect()
    try:
        actor = Actor.from_staff(get_staff(db, login))
        if actor.role != "admin":
            raise Forbidden("ADMIN_ONLY", "只有管理员（政策法规科）可以复核对话。")
        record = review.decide(actor, item_id, decision, intent)
    except HuiqiError as exc:
        _fail(exc)
    finally:
        db.conn.close()
    typer.echo(json.dumps(record, ensure_ascii=False))
