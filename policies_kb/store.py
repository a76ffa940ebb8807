"""The policy base on disk: documents, measures and every version of every measure (SQLite).

The store is the source of truth. The search indexes (``dense``, ``keywords``) are derived from
it and are checked against it whenever the base is opened. Each measure also keeps its passage
vector (with the model id and the hash of the text it was computed from), so an index can be
repaired or a measure restored without loading the model.

Nothing is deleted: retiring sets ``status='retired'``; every change (create, edit, import,
retire, restore, rollback, enable/disable) writes a row into ``measure_versions`` with who, when
and why, holding a full snapshot of the measure's content.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import numpy as np
import sqlite_utils

from huiqi.errors import Invalid, NotFound
from huiqi.text import normalize
from huiqi.vocabulary import REDEMPTION_MODES
from policies_kb.kinds import KINDS, infer_kind

STATUSES = ("draft", "published", "retired")
# Content fields: what a version snapshots and what an edit may change.
CONTENT_FIELDS = (
    "title", "text", "summary", "heading_path", "lead_department", "responsible_units", "deadline",
    "conditions", "redemption_mode", "how_to_apply", "contact", "tags", "source", "kind", "kind_reason",
    "beneficiaries", "basis",
)
JSON_FIELDS = ("heading_path", "responsible_units", "conditions", "tags")
# Schema versions of the policy store (``PRAGMA user_version``); each step upgrades in place.
#   1: ``measures.kind`` and ``kind_reason`` (item kinds), filled by inference for existing rows;
#      ``beneficiaries`` (享受主体) and ``basis`` (政策依据) as documents state them.
#   2: ``measures.passage_vectors``: the vectors of a long item's passage windows (``policies_kb.passages``),
#      float32 rows one after another (empty for a short item); null until computed (the next open does).
SCHEMA_VERSION = 2
EMPTY_CONDITIONS = {"industries": [], "sizes": [], "regions": [], "tags": [], "valid_from": None, "valid_to": None}


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def measure_id_for(doc_key: str, key: str) -> str:
    """Stable id of an imported measure: the same document key and measure key give the same id."""
    digest = hashlib.sha1(f"{doc_key}\x00{key}".encode("utf-8")).hexdigest()[:12]
    return f"m-{digest}"


def passage_text(m: dict) -> str:
    """What the indexes see of a measure: title, heading path and text."""
    path = " › ".join(p for p in (m.get("heading_path") or []) if p)
    parts = [m.get("title") or "", path, m.get("text") or ""]
    return "\n".join(p for p in parts if p)


def embed_text(m: dict) -> str:
    """What the encoder sees: the passage text normalised (simplified, half-width)."""
    return normalize(passage_text(m))


def content_hash(m: dict) -> str:
    return hashlib.sha1(passage_text(m).encode("utf-8")).hexdigest()


def normalize_conditions(cond: dict | None) -> dict:
    out = dict(EMPTY_CONDITIONS)
    for k, v in (cond or {}).items():
        if k in ("valid_from", "valid_to"):
            out[k] = str(v) if v else None
        elif k in out:
            out[k] = [str(x) for x in (v or [])]
        else:
            out[k] = v  # extra keys A1's inference may add are kept as they are
    return out


class Store:
    """SQLite tables ``documents``, ``measures``, ``measure_versions`` under ``policy_dir``."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Autocommit connection: writes are grouped by ``transaction()`` (BEGIN IMMEDIATE … COMMIT),
        # never by sqlite-utils' own write helpers, which commit on their own.
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=5000")
        self._ensure_schema()

    # ---- schema -------------------------------------------------------------------------
    def _ensure_schema(self) -> None:
        db = self.db
        if "documents" not in db.table_names():
            db["documents"].create({
                "doc_key": str, "title": str, "issuer": str, "doc_number": str, "date": str, "region": str,
                "source": str, "file_hash": str, "imported_at": str, "imported_by": str,
            }, pk="doc_key")
        if "measures" not in db.table_names():
            db["measures"].create({
                "id": str, "num": int, "doc_key": str, "key": str,
                "title": str, "text": str, "summary": str, "heading_path": str, "lead_department": str,
                "responsible_units": str, "deadline": str, "conditions": str, "redemption_mode": str,
                "how_to_apply": str, "contact": str, "tags": str, "source": str, "kind": str, "kind_reason": str,
                "beneficiaries": str, "basis": str, "status": str, "enabled": int, "version": int, "hits": int,
                "created_at": str, "created_by": str, "updated_at": str, "updated_by": str,
                "content_hash": str, "vector": bytes, "vector_model": str, "tokens": str, "import_hash": str,
                "passage_vectors": bytes,
            }, pk="id", not_null={"num", "status", "enabled", "version"}, defaults={"hits": 0, "enabled": 1})
            db["measures"].create_index(["num"], unique=True)
            db["measures"].create_index(["doc_key"])
            db["measures"].create_index(["status", "enabled"])
        if "measure_versions" not in db.table_names():
            db["measure_versions"].create({
                "id": int, "measure_id": str, "version": int, "action": str, "status": str, "enabled": int,
                "snapshot": str, "actor": str, "at": str, "reason": str,
            }, pk="id")
            db["measure_versions"].create_index(["measure_id", "version"], unique=True)
        self._migrate()

    def _migrate(self) -> None:
        """Upgrade an older store to ``SCHEMA_VERSION`` (one transaction per step)."""
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version < 1:
            with self.transaction():
                cols = {c.name for c in self.db["measures"].columns}
                for col in ("kind", "kind_reason", "beneficiaries", "basis"):
                    if col not in cols:
                        self.db.execute(f"ALTER TABLE measures ADD COLUMN {col} TEXT")
                rows = self.db.execute(
                    "select id, doc_key, title, text, heading_path from measures where kind is null").fetchall()
                for mid, doc_key, title, text, path in rows:
                    kind, reason = ("measure", "精选惠企措施：逐条写明企业可享受的内容和办理方式") if doc_key == "curated" \
                        else infer_kind(title or "", text or "", json.loads(path) if path else [])
                    self.db.execute("update measures set kind = ?, kind_reason = ? where id = ?", [kind, reason, mid])
                self.db.execute("PRAGMA user_version = 1")
        if version < 2:
            with self.transaction():
                if "passage_vectors" not in {c.name for c in self.db["measures"].columns}:
                    self.db.execute("ALTER TABLE measures ADD COLUMN passage_vectors BLOB")
                self.db.execute("PRAGMA user_version = 2")

    @contextlib.contextmanager
    def transaction(self):
        """All writes inside happen together or not at all; nested calls join the outer one."""
        conn = self.db.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _insert(self, table: str, row: dict, replace: bool = False) -> None:
        cols = list(row)
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        self.db.execute(f"{verb} INTO {table} ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                        [row[c] for c in cols])

    # ---- rows ---------------------------------------------------------------------------
    @staticmethod
    def _decode(row: dict, with_vector: bool = False) -> dict:
        out = dict(row)
        for f in JSON_FIELDS:
            out[f] = json.loads(out[f]) if out.get(f) else ([] if f != "conditions" else dict(EMPTY_CONDITIONS))
        out["enabled"] = bool(out.get("enabled"))
        if not with_vector:
            out.pop("vector", None)
            out.pop("tokens", None)
        return out

    @staticmethod
    def _encode_fields(fields: dict) -> dict:
        out = {}
        for k, v in fields.items():
            if k in JSON_FIELDS:
                if k == "conditions":
                    v = normalize_conditions(v)
                out[k] = json.dumps(v if v is not None else [], ensure_ascii=False)
            else:
                out[k] = v
        return out

    def get(self, measure_id: str, with_vector: bool = False) -> dict:
        rows = list(self.db["measures"].rows_where("id = ?", [measure_id]))
        if not rows:
            raise NotFound("MEASURE_NOT_FOUND", f"未找到编号为 {measure_id} 的政策措施，请核对编号后重试。")
        return self._decode(rows[0], with_vector)

    def exists(self, measure_id: str) -> bool:
        return bool(self.db.execute("select 1 from measures where id = ?", [measure_id]).fetchone())

    def by_nums(self, nums: Iterable[int]) -> dict[int, dict]:
        nums = [int(n) for n in nums]
        if not nums:
            return {}
        marks = ",".join("?" * len(nums))
        cols = "id,num,doc_key,key,title,text,summary,heading_path,lead_department,responsible_units,deadline," \
               "conditions,redemption_mode,how_to_apply,contact,tags,source,kind,kind_reason,beneficiaries,basis,status,enabled,version,hits," \
               "created_at,created_by,updated_at,updated_by"
        rows = self.db.execute(f"select {cols} from measures where num in ({marks})", nums)
        names = [d[0] for d in rows.description]
        return {r[1]: self._decode(dict(zip(names, r))) for r in rows.fetchall()}

    RESULT_COLUMNS = ("id", "num", "doc_key", "title", "text", "source", "heading_path", "lead_department",
                      "redemption_mode", "how_to_apply", "contact", "kind", "beneficiaries", "deadline", "basis")

    def result_rows(self, nums: Iterable[int]) -> dict[int, dict]:
        """The columns a search result shows, for these nums (lighter than ``by_nums``)."""
        nums = [int(n) for n in nums]
        if not nums:
            return {}
        rows = self.db.execute(f"select {','.join(self.RESULT_COLUMNS)} from measures where num in "
                               f"({','.join('?' * len(nums))})", nums).fetchall()
        out = {}
        for r in rows:
            m = dict(zip(self.RESULT_COLUMNS, r))
            m["heading_path"] = json.loads(m["heading_path"]) if m["heading_path"] else []
            out[m["num"]] = m
        return out

    def list(self, *, status: str | None = None, doc_key: str | None = None, q: str | None = None,
             enabled: bool | None = None, kind: str | None = None, limit: int = 100, offset: int = 0) -> list[dict]:
        where, args = [], []
        if kind:
            where.append("kind = ?"); args.append(kind)
        if status:
            where.append("status = ?"); args.append(status)
        if doc_key:
            where.append("doc_key = ?"); args.append(doc_key)
        if enabled is not None:
            where.append("enabled = ?"); args.append(int(enabled))
        if q:
            where.append("(title like ? or text like ?)"); args += [f"%{q}%", f"%{q}%"]
        rows = self.db["measures"].rows_where(
            " and ".join(where) or None, args, order_by="doc_key, num", limit=limit, offset=offset,
            select="id,num,doc_key,key,title,text,summary,heading_path,lead_department,responsible_units,deadline,"
                   "conditions,redemption_mode,how_to_apply,contact,tags,source,kind,kind_reason,beneficiaries,basis,status,enabled,"
                   "version,hits,created_at,created_by,updated_at,updated_by")
        return [self._decode(r) for r in rows]

    def count(self, status: str | None = None) -> int:
        if status:
            return self.db.execute("select count(*) from measures where status = ?", [status]).fetchone()[0]
        return self.db["measures"].count

    def ids_for_doc(self, doc_key: str) -> list[str]:
        return [r[0] for r in self.db.execute("select id from measures where doc_key = ?", [doc_key]).fetchall()]

    def indexable(self) -> dict[int, str]:
        """num → content hash of every measure that belongs in the indexes (published and enabled)."""
        rows = self.db.execute("select num, content_hash from measures where status = 'published' and enabled = 1")
        return {n: h for n, h in rows.fetchall()}

    def facets(self) -> dict[int, tuple[str, tuple[str, ...], bool]]:
        """num → (kind, industries of its conditions, says how to claim it) of every measure in the indexes."""
        rows = self.db.execute("select num, kind, conditions, how_to_apply, redemption_mode from measures "
                               "where status = 'published' and enabled = 1")
        return {n: (k, tuple((json.loads(c) if c else {}).get("industries") or ()), bool(h) or r == "免申即享")
                for n, k, c, h, r in rows.fetchall()}

    def vectors(self, nums: Iterable[int], model_id: str) -> dict[int, np.ndarray]:
        """Stored whole-text vectors computed by ``model_id`` for the current text of these measures."""
        return {n: m[0] for n, m in self.vector_sets(nums, model_id, need_windows=False).items()}

    def vector_sets(self, nums: Iterable[int], model_id: str, need_windows: bool = True) -> dict[int, np.ndarray]:
        """Stored vectors computed by ``model_id`` for the current text of these measures: one matrix per
        measure, its whole text's vector first, then its passage windows' (only when those are stored too,
        unless ``need_windows`` is false)."""
        nums = list(nums)
        out: dict[int, np.ndarray] = {}
        for i in range(0, len(nums), 500):
            chunk = nums[i:i + 500]
            marks = ",".join("?" * len(chunk))
            for n, blob, windows, model in self.db.execute(
                    f"select num, vector, passage_vectors, vector_model from measures where num in ({marks})",
                    chunk).fetchall():
                if blob and model == model_id and (windows is not None or not need_windows):
                    out[n] = np.frombuffer(blob + (windows or b""), dtype="float32").reshape(-1, len(blob) // 4)
        return out

    @staticmethod
    def vector_columns(vecs: np.ndarray | None) -> dict:
        """``vector`` and ``passage_vectors`` column values for a measure's vector matrix (None: not embedded)."""
        if vecs is None:
            return {"vector": None, "passage_vectors": None}
        vecs = np.asarray(vecs, dtype="float32").reshape(-1, vecs.shape[-1])
        return {"vector": vecs[0].tobytes(), "passage_vectors": vecs[1:].tobytes()}

    def tokens(self, nums: Iterable[int] | None = None) -> dict[int, list[str]]:
        """Stored keyword tokens (space-joined in the table)."""
        if nums is None:
            rows = self.db.execute(
                "select num, tokens from measures where status = 'published' and enabled = 1").fetchall()
        else:
            nums = list(nums)
            rows = []
            for i in range(0, len(nums), 500):
                chunk = nums[i:i + 500]
                rows += self.db.execute(
                    f"select num, tokens from measures where num in ({','.join('?' * len(chunk))})", chunk).fetchall()
        return {n: (t.split(" ") if t else []) for n, t in rows}

    def passages_for(self, nums: Iterable[int]) -> dict[int, dict]:
        """num → the fields a measure's vectors are computed from (title, heading path, text)."""
        return {m["num"]: {k: m.get(k) for k in ("title", "heading_path", "text")} for m in self.by_nums(nums).values()}

    def next_num(self) -> int:
        row = self.db.execute("select coalesce(max(num), 0) from measures").fetchone()
        return int(row[0]) + 1

    # ---- writes (callers wrap them in ``with store.transaction():``) -----------------------
    def upsert_document(self, doc: dict) -> None:
        self._insert("documents", doc, replace=True)

    def document(self, doc_key: str) -> dict | None:
        rows = list(self.db["documents"].rows_where("doc_key = ?", [doc_key]))
        return rows[0] if rows else None

    def documents(self) -> list[dict]:
        return list(self.db["documents"].rows)

    def insert_measure(self, row: dict) -> None:
        self._insert("measures", self._encode_fields(row))

    def update_measure(self, measure_id: str, fields: dict) -> None:
        enc = self._encode_fields(fields)
        sets = ", ".join(f"{c} = ?" for c in enc)
        self.db.execute(f"UPDATE measures SET {sets} WHERE id = ?", [*enc.values(), measure_id])

    def add_version(self, measure_id: str, version: int, action: str, actor: str, reason: str | None,
                    snapshot: dict, status: str, enabled: bool, at: str) -> None:
        self._insert("measure_versions", {
            "measure_id": measure_id, "version": version, "action": action, "status": status,
            "enabled": int(enabled), "snapshot": json.dumps(snapshot, ensure_ascii=False),
            "actor": actor, "at": at, "reason": reason or "",
        })

    def versions(self, measure_id: str) -> list[dict]:
        self.get(measure_id)
        rows = self.db["measure_versions"].rows_where("measure_id = ?", [measure_id], order_by="version")
        out = []
        for r in rows:
            r = dict(r)
            r["snapshot"] = json.loads(r["snapshot"])
            r["enabled"] = bool(r["enabled"])
            r.pop("id", None)
            out.append(r)
        return out

    def version(self, measure_id: str, version: int) -> dict:
        rows = list(self.db["measure_versions"].rows_where(
            "measure_id = ? and version = ?", [measure_id, int(version)]))
        if not rows:
            raise NotFound("VERSION_NOT_FOUND", f"政策措施 {measure_id} 没有第 {version} 版，请先查看版本列表。")
        r = dict(rows[0])
        r["snapshot"] = json.loads(r["snapshot"])
        return r

    def add_hits(self, measure_ids: list[str]) -> None:
        if not measure_ids:
            return
        with self.transaction():
            self.db.conn.executemany("update measures set hits = hits + 1 where id = ?", [(i,) for i in measure_ids])


def snapshot_of(m: dict) -> dict:
    return {f: m.get(f) for f in CONTENT_FIELDS}


def validate_fields(fields: dict, *, creating: bool) -> dict:
    """Check editable fields; raise ``Invalid`` with a Chinese message naming the field."""
    unknown = set(fields) - set(CONTENT_FIELDS) - {"status", "enabled"}
    if unknown:
        name = sorted(unknown)[0]
        raise Invalid("FIELD_UNKNOWN", f"不能修改字段 {name}，请只提交政策措施的内容字段。", field=name)
    out = dict(fields)
    for f in ("title", "text"):
        if f in out or creating:
            v = (out.get(f) or "").strip()
            if not v:
                label = "标题" if f == "title" else "正文"
                raise Invalid("FIELD_REQUIRED", f"请填写政策措施的{label}。", field=f)
            out[f] = v
    if "status" in out and out["status"] not in ("draft", "published"):
        raise Invalid("STATUS_INVALID", "状态只能是 draft（草稿）或 published（已发布）；停用请用“废止”操作。",
                      field="status")
    if "kind" in out and out["kind"] not in KINDS:
        raise Invalid("KIND_INVALID", "类型只能是 measure（惠企措施）、commitment（本局承诺）、problem（问题整改）"
                      "或 context（背景说明）。", field="kind")
    if out.get("redemption_mode") and out["redemption_mode"] not in REDEMPTION_MODES:
        raise Invalid("REDEMPTION_MODE_INVALID", f"兑现方式只能是 {'、'.join(REDEMPTION_MODES[:-1])} 或 {REDEMPTION_MODES[-1]}。", field="redemption_mode")
    if "conditions" in out:
        cond = out["conditions"] or {}
        if not isinstance(cond, dict):
            raise Invalid("CONDITIONS_INVALID", "适用条件应为对象，例如 {\"regions\": [\"甘肃省\"]}。", field="conditions")
        for k in ("valid_from", "valid_to"):
            v = cond.get(k)
            if v:
                try:
                    datetime.strptime(str(v)[:10], "%Y-%m-%d")
                except ValueError:
                    raise Invalid("DATE_INVALID", f"{k} 日期格式应为 YYYY-MM-DD。", field=f"conditions.{k}") from None
        out["conditions"] = normalize_conditions(cond)
    for f in ("heading_path", "responsible_units", "tags"):
        if f in out and out[f] is not None and not isinstance(out[f], list):
            raise Invalid("FIELD_INVALID", f"{f} 应为列表。", field=f)
    return out
