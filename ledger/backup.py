"""Online backup and restore of the ledger (SQLite backup API), each copy verified.

``backup`` takes a consistent snapshot while the services keep writing (the backup API copies
the database page by page and restarts when a writer changes it), writes it under a temporary
name, checks it (``PRAGMA integrity_check``, schema version, readable core tables) and only then
gives it its final name, so a copy that exists is a copy that works. ``prune`` keeps the newest
``keep`` copies. ``restore`` checks a copy the same way and copies it back into the live ledger
through the same API (other connections see the restored data on their next read), then brings
its schema up to the current version.
"""
from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

from huiqi.errors import HuiqiError, Invalid
from ledger.db import BUSY_TIMEOUT_MS, connect
from ledger.schema import MIGRATIONS

PREFIX = "ledger-"
SUFFIX = ".sqlite3"
CORE_TABLES = ("enterprises", "staff", "problems", "events")


class BackupError(HuiqiError):
    """A backup could not be written or does not verify."""
    http_status = 500


def _open(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)


def verify(path: Path) -> dict:
    """Check a backup file; return its schema version and row counts, or raise BackupError."""
    if not Path(path).is_file():
        raise BackupError("BACKUP_MISSING", f"找不到备份文件 {path}，请核对路径。")
    conn = _open(path)
    try:
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            counts = {t: conn.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in CORE_TABLES}
        except sqlite3.DatabaseError as exc:
            raise BackupError("BACKUP_UNREADABLE", f"备份文件 {path} 无法读取（{exc}），请换一份备份。") from exc
    finally:
        conn.close()
    if result != "ok":
        raise BackupError("BACKUP_CORRUPT", f"备份文件 {path} 校验未通过（{result}），请换一份备份。")
    if not 1 <= version <= len(MIGRATIONS):
        raise BackupError("BACKUP_VERSION", f"备份文件 {path} 的台账版本为 {version}，本程序支持 1–{len(MIGRATIONS)}。")
    return {"path": str(path), "schema_version": version, "counts": counts}


def backup(source: Path, dest: Path) -> dict:
    """Back the ledger at ``source`` up to ``dest`` (a file, or a directory for a time-stamped name); verified."""
    if not Path(source).is_file():
        raise BackupError("LEDGER_MISSING", f"找不到台账数据库 {source}，请检查 HUIQI_DATA_DIR。")
    dest = Path(dest)
    if dest.is_dir() or str(dest).endswith(os.sep) or not dest.suffix:
        dest.mkdir(parents=True, exist_ok=True, mode=0o700)
        dest = dest / f"{PREFIX}{datetime.now().strftime('%Y%m%d-%H%M%S-%f')}{SUFFIX}"
    else:
        dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # owner-only from the first byte
    os.close(fd)
    _copy(source, partial)
    try:
        report = verify(partial)
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, dest)
    return {**report, "path": str(dest)}


def _copy(source: Path, target: Path) -> None:
    """Copy one SQLite database into another through SQLite's online backup API."""
    src, dst = _open(source), _open(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def prune(directory: Path, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` time-stamped backups in ``directory``; return what was deleted."""
    if keep < 1:
        raise Invalid("INVALID_KEEP", "保留份数至少为 1。", field="keep")
    copies = sorted(Path(directory).glob(f"{PREFIX}*{SUFFIX}"))
    removed = copies[:-keep]
    for path in removed:
        path.unlink()
    return [str(p) for p in removed]


def restore(source: Path, target: Path) -> dict:
    """Copy a verified backup into the ledger at ``target`` (online), then migrate it to the current schema."""
    report = verify(source)
    _copy(source, target)
    db = connect(target)
    try:
        report["schema_version_now"] = db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.conn.close()
    return report
