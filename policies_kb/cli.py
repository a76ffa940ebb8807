"""Command line of the policy base: ``python -m policies_kb COMMAND`` (honours HUIQI_DATA_DIR)."""
from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from huiqi.errors import HuiqiError
from huiqi.settings import get_settings

app = typer.Typer(help="惠企通政策库：导入政策文件、检索、管理措施与评测检索质量。", no_args_is_help=True,
                  add_completion=False)
out = Console()
err = Console(stderr=True)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


def _base(push: bool = False):
    """The policy base; with ``push`` every change it makes also updates the enterprises' pushes
    (不来即享), exactly as a change made through the API does."""
    from policies_kb.base import PolicyBase

    base = PolicyBase.open(get_settings())
    if push:
        from policies_kb.pushes import wire

        wire(base)
    return base


def _fail(exc: HuiqiError, code: int = 2):
    err.print(f"[red]错误[/red]（{exc.code}）：{exc.message}")
    raise typer.Exit(code)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=False)


def _dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


@app.command("import")
def import_(paths: List[Path] = typer.Argument(..., help="政策文件（.txt .md .docx .pdf）"),
            actor: str = typer.Option(None, help="操作人（默认当前系统用户）"),
            dry_run: bool = typer.Option(False, "--dry-run", help="只预览将生成的条目、类型、字段和提示，不写入"),
            as_json: bool = typer.Option(False, "--json", help="预览以 JSON 输出（每个文件一行）")):
    """导入政策文件并更新索引；重复导入同一文件会更新而不会重复。识别不出任何条目的文件会报错（退出码 1）。"""
    if dry_run:
        _preview(paths, as_json)
        return
    base = _base(push=True)
    failed = 0
    with _progress() as bar:
        files = bar.add_task("文件", total=len(paths))
        measures = bar.add_task("向量化措施", total=None)

        def progress(label, done, total):
            bar.update(measures, description=f"向量化 {label}", completed=done, total=total)

        for p in paths:
            rep = base.import_paths([p], actor or _actor(), progress)[0]
            bar.advance(files)
            if "error" in rep:
                failed += 1
                err.print(f"[red]失败[/red] {p}：{rep['error']['message']}")
            else:
                err.print(f"[green]完成[/green] {p.name}：共 {rep['measures']} 条措施，新增 {rep['created']}，"
                          f"更新 {rep['updated'] + rep['restored']}，未变 {rep['unchanged']}，废止 {rep['retired']}")
    if failed:
        raise typer.Exit(1)


def _preview(paths: List[Path], as_json: bool) -> None:
    from policies_kb.kinds import KIND_LABELS

    base = _base()
    failed = 0
    for p in paths:
        try:
            rep = base.preview(p)
        except HuiqiError as exc:
            failed += 1
            if as_json:
                print(_dump({"path": str(p), "error": exc.to_dict()}), flush=True)
            err.print(f"[red]失败[/red] {p}：{exc.message}")
            continue
        if as_json:
            print(_dump({"path": str(p), **rep}), flush=True)
            continue
        d = rep["document"]
        out.print(f"[bold]{d['title']}[/bold]（{p.name}；{d['shape']}；文号 {d['doc_number'] or '无'}；"
                  f"日期 {d['date'] or '无'}；发布 {d['issuer'] or '无'}）")
        table = Table(title=f"将生成 {rep['count']} 条（" + "，".join(
            f"{KIND_LABELS[k]} {n}" for k, n in rep["kinds"].items() if n) + "）")
        for col in ("#", "类型", "标题", "章节", "字段", "变化", "类型依据"):
            table.add_column(col)
        for i, it in enumerate(rep["items"], 1):
            fields = "；".join(f"{label}：{it[key] if isinstance(it[key], str) else '、'.join(it[key])}"
                              for label, key in (("牵头", "lead_department"), ("责任", "responsible_units"),
                                                 ("期限", "deadline"), ("享受主体", "beneficiaries"),
                                                 ("办理", "how_to_apply"), ("依据", "basis")) if it.get(key))
            table.add_row(str(i), it["kind_label"], it["title"], " › ".join(it["heading_path"][:-1]),
                          fields, it["change"], it["kind_reason"])
        out.print(table)
        for w in rep["warnings"]:
            out.print(f"[yellow]提示[/yellow] {w}")
        if rep["would_retire"]:
            out.print(f"[yellow]提示[/yellow] 重新导入将废止原有的 {len(rep['would_retire'])} 条（新文件中已无）。")
    if failed:
        raise typer.Exit(1)


@app.command("load-curated")
def load_curated(path: Optional[Path] = typer.Option(None, help="YAML 文件（默认 policies_kb/curated/measures.yaml）"),
                 actor: str = typer.Option(None, help="操作人")):
    """载入精选惠企措施样例库（YAML），重复载入会更新。"""
    base = _base(push=True)
    try:
        with _progress() as bar:
            task = bar.add_task("向量化精选措施", total=None)
            rep = base.load_curated(actor or _actor(), path,
                                    lambda label, done, total: bar.update(task, completed=done, total=total))
    except HuiqiError as exc:
        _fail(exc)
    err.print(f"[green]完成[/green] 精选措施 {rep['measures']} 条：新增 {rep['created']}，更新 {rep['updated']}，"
              f"未变 {rep['unchanged']}，废止 {rep['retired']}")


@app.command()
def search(query: Optional[str] = typer.Argument(None, help="问题；省略时从标准输入每行读一个问题"),
           top_k: int = typer.Option(5, "--top-k", "-k", help="返回条数"),
           as_json: bool = typer.Option(False, "--json", help="每个问题输出一行 JSON"),
           mode: str = typer.Option("hybrid", help="hybrid | bm25 | dense"),
           audience: str = typer.Option("all", help="all：全部条目（含本局承诺、背景、问题整改）| business：按企业端规则")):
    """检索政策措施（每条结果带 kind：measure 惠企措施 / commitment 本局承诺 / problem 问题整改 / context 背景说明）。"""
    base = _base()
    queries = [query] if query is not None else [line.strip() for line in sys.stdin if line.strip()]
    for q in queries:
        try:
            results = base.search(q, top_k=top_k, mode=mode, audience=audience)
        except HuiqiError as exc:
            if query is None:  # a bad line in a batch: report it in its own JSON line, go on
                print(_dump({"query": q, "error": exc.to_dict(), "results": []}), flush=True)
                continue
            _fail(exc)
        if as_json or query is None:
            print(_dump({"query": q, "results": results}), flush=True)
        else:
            table = Table(title=f"检索：{q}")
            for col in ("#", "编号", "类型", "标题", "得分", "向量名次", "关键词名次", "命中关键词"):
                table.add_column(col)
            for i, r in enumerate(results, 1):
                e = r["explanation"]
                table.add_row(str(i), r["measure_id"], r.get("kind_label") or "", r["title"], f"{r['score']:.4f}",
                              str(e["dense_rank"] or "-"),
                              str(e["keyword_rank"] or "-"), "、".join(e["matched_keywords"]))
            out.print(table)


@app.command("list")
def list_(status: Optional[str] = typer.Option(None, help="draft | published | retired"),
          doc: Optional[str] = typer.Option(None, help="文件键 doc_key"),
          q: Optional[str] = typer.Option(None, help="标题或正文包含"),
          kind: Optional[str] = typer.Option(None, help="measure | commitment | problem | context"),
          limit: int = typer.Option(100), as_json: bool = typer.Option(False, "--json")):
    """列出政策措施。"""
    rows = _base().list(status=status, doc_key=doc, q=q, kind=kind, limit=limit)
    if as_json:
        for r in rows:
            print(_dump(r))
        return
    table = Table(title=f"政策措施（{len(rows)} 条）")
    for col in ("编号", "类型", "标题", "状态", "启用", "版本", "牵头部门", "命中"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["id"], r.get("kind") or "", r["title"], r["status"], "是" if r["enabled"] else "否",
                      str(r["version"]),
                      r.get("lead_department") or "", str(r.get("hits") or 0))
    out.print(table)


@app.command()
def show(measure_id: str, versions: bool = typer.Option(False, "--versions", help="同时列出历史版本"),
         as_json: bool = typer.Option(False, "--json")):
    """查看一条措施（可含历史版本）。"""
    base = _base()
    try:
        m = base.get(measure_id)
        if versions:
            m["versions"] = base.versions(measure_id)
    except HuiqiError as exc:
        _fail(exc)
    if as_json:
        print(_dump(m))
        return
    out.print(f"[bold]{m['title']}[/bold]（{m['id']}，第 {m['version']} 版，{m['status']}）")
    out.print(" › ".join(m.get("heading_path") or []))
    out.print(m["text"])
    for label, key in (("牵头部门", "lead_department"), ("完成时限", "deadline"), ("兑现方式", "redemption_mode"),
                       ("办理方式", "how_to_apply"), ("联系方式", "contact"), ("来源", "source")):
        if m.get(key):
            out.print(f"{label}：{m[key]}")
    out.print(f"适用条件：{_dump(m.get('conditions'))}")
    for v in m.get("versions", []):
        out.print(f"  第 {v['version']} 版  {v['at']}  {v['actor']}  {v['action']}  {v['reason']}")


@app.command()
def retire(measure_id: str, reason: str = typer.Option("", help="废止原因"), actor: str = typer.Option(None)):
    """废止一条措施（保留历史，不再被检索和匹配）。"""
    try:
        m = _base(push=True).retire(measure_id, actor or _actor(), reason or None)
    except HuiqiError as exc:
        _fail(exc)
    err.print(f"已废止：{m['title']}（{m['id']}）")


@app.command()
def restore(measure_id: str, reason: str = typer.Option("", help="恢复原因"), actor: str = typer.Option(None)):
    """恢复一条已废止的措施。"""
    try:
        m = _base(push=True).restore(measure_id, actor or _actor(), reason or None)
    except HuiqiError as exc:
        _fail(exc)
    err.print(f"已恢复：{m['title']}（{m['id']}）")


@app.command("push-sync")
def push_sync():
    """按当前政策与企业档案同步全部推送（补推新符合的企业，撤回已废止或过期政策的推送）。"""
    from policies_kb.pushes import PushEngine

    base = _base()
    engine = PushEngine(base, get_settings())
    reports = engine.sync_all()
    engine.wait_deliveries()
    created = sum(r["created"] for r in reports)
    withdrawn = sum(r["withdrawn"] for r in reports)
    err.print(f"已同步 {len(reports)} 条措施：新推送 {created} 条，撤回 {withdrawn} 条。")


@app.command()
def reindex(reembed: bool = typer.Option(False, "--reembed", help="用当前模型重新计算全部向量")):
    """从政策库重建向量索引与关键词索引。"""
    base = _base()
    with _progress() as bar:
        task = bar.add_task("重建索引", total=None)
        rep = base.reindex(reembed, lambda label, done, total: bar.update(task, completed=done, total=total))
    err.print(f"索引已重建：向量 {rep['indexed']} 条，关键词 {rep['keyword_docs']} 条")


@app.command("eval")
def eval_(file: Path, top_k: int = typer.Option(10, "--top-k"), as_json: bool = typer.Option(False, "--json")):
    """评测检索质量：混合、仅BM25、仅向量的 Recall@1/3/5/10 与 MRR@10。"""
    from policies_kb.eval import evaluate, load_cases

    try:
        cases = load_cases(file)
        result = evaluate(_base(), cases, k=top_k, audience="all")
    except HuiqiError as exc:
        _fail(exc)
    if as_json:
        print(_dump(result))
        return
    names = list(next(iter(result["modes"].values())))
    table = Table(title=f"检索评测（{result['cases']} 个问题）")
    table.add_column("方式")
    for n in names:
        table.add_column(n.replace("recall", "Recall").replace("mrr", "MRR"), justify="right")
    for mode, metrics in result["modes"].items():
        table.add_row(mode, *[f"{metrics[n]:.3f}" for n in names])
    out.print(table)
