"""``PolicyBase``: the one entry point to the policy base (store + indexes + search + matching).

Write order (crash safety): embeddings and tokens are computed first, then the store is written
in one SQLite transaction, then the indexes are updated from the store. ``open`` checks the
vector index against the store and repairs it, and rebuilds the keyword index from the stored
tokens, so a crash at any point leaves at worst an index that the next open repairs.

Every publish / edit / retire / restore / rollback / enable / import goes through
``_changed``, which updates both indexes for the touched measures and then calls each callback
in ``on_change`` with ``{"action", "measure_ids", "actor"}`` (pushes hang on it).
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import uuid
from datetime import date
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from huiqi.errors import Conflict, HuiqiError, Invalid
from huiqi.settings import Settings, get_settings
from policies_kb import match as matching
from policies_kb import search as searching
from policies_kb.dense import DenseIndex
from policies_kb.keywords import KeywordIndex, tokenize
from policies_kb.kinds import KIND_LABELS, infer_kind
from policies_kb.passages import window_embed_text, windows
from policies_kb.store import (
    CONTENT_FIELDS, Store, content_hash, embed_text, measure_id_for, normalize_conditions, now_iso,
    snapshot_of, validate_fields,
)

log = logging.getLogger(__name__)

CURATED_DOC_KEY = "curated"
# Passages are embedded in normalised (simplified) form: measured on the dev questions, dense
# Recall@10 on the traditional-Chinese document went from misses to hits (queries are simplified).
EMBED_SCHEME = "passage-normalized-v1"
# Fused-score shift (standard deviations) for a business whose question names its trade.
INDUSTRY_BOOST = 1.0
# … and for measures that say how to claim them, when the question asks which benefits there are.
CLAIMABLE_BOOST = 0.5
ProgressFn = Callable[[str, int, int], None]  # (what, done, total)


def _import_hash(fields: dict) -> str:
    return hashlib.sha1(json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


class PolicyBase:
    def __init__(self, settings: Settings, embedder=None):
        self.settings = settings
        settings.ensure_data_dir()
        self.dir = Path(settings.policy_dir)
        self.store = Store(self.dir / "policies.sqlite3")
        self._embedder = embedder
        self._query_encoder = None
        self._files: tuple[int, dict] | None = None
        self.model_name = embedder.model_id if embedder is not None else str(settings.embed_model)
        # What a stored vector depends on: the model and how passages are prepared for it.
        self.model_id = f"{self.model_name}|{EMBED_SCHEME}"
        self.dense = DenseIndex(self.dir / "dense.npz", self.model_id)
        self.keywords = KeywordIndex()
        self.kinds: dict[int, str] = {}                  # num → item kind (for ranking by audience)
        self.industries: dict[int, tuple[str, ...]] = {}  # num → industries the measure is limited to
        self.claimable: set[int] = set()                  # measures that say how to claim them
        self.on_change: list[Callable[[dict], None]] = []
        self.lock = threading.RLock()
        self._data_version = None
        self.last_repair: dict = {}

    # ---- opening and repair -------------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings | None = None, embedder=None) -> "PolicyBase":
        """Open the base under ``settings.policy_dir`` and repair the indexes against the store."""
        base = cls(settings or get_settings(), embedder)
        base.check_indexes()
        return base

    @property
    def query_encoder(self):
        """What encodes questions: ONNX Runtime on the bot's export when it is current for this model
        (``policies_kb.embed.get_query_encoder``), else the passage model. A model handed in that is not
        the settings' model (e.g. a quantised one in the bench) encodes its own queries."""
        if self._query_encoder is None:
            from policies_kb.embed import get_query_encoder

            if self._embedder is not None and self._embedder.model_id != str(self.settings.embed_model):
                self._query_encoder = self._embedder
            else:
                self._query_encoder = get_query_encoder(self.model_name)
        return self._query_encoder

    @property
    def embedder(self):
        """The sentence-transformers model, loaded on first use only."""
        if self._embedder is None:
            from policies_kb.embed import get_embedder

            self._embedder = get_embedder(self.model_name)
        return self._embedder

    def check_indexes(self) -> dict:
        """Make both indexes agree with the store (vectors from the store; the model only if missing)."""
        with self.lock:
            expected = self.store.indexable()
            self.last_repair = self.dense.reconcile(expected, self._vectors_for)
            self.keywords.set_all(self.store.tokens())
            self._load_facets()
            self._data_version = self._db_version()
            return self.last_repair

    def _load_facets(self) -> None:
        facets = self.store.facets()
        self.kinds = {n: k for n, (k, _, _) in facets.items()}
        self.industries = {n: inds for n, (_, inds, _) in facets.items() if inds}
        self.claimable = {n for n, (k, _, c) in facets.items() if c and k == "measure"}

    def _business_boosts(self, text: str) -> dict[int, float]:
        """Shifts for a business's question: when it names its trade, measures limited to that trade go up
        and those limited to other trades go down; when it asks which benefits there are ("有什么补贴"),
        measures that say how to claim them go up."""
        boosts: dict[int, float] = {}
        named = set(matching.industries_in(text))
        if named:
            for n, inds in self.industries.items():
                boosts[n] = INDUSTRY_BOOST if named & set(inds) else -INDUSTRY_BOOST
        if matching.asks_for_benefits(text):
            for n in self.claimable:
                boosts[n] = boosts.get(n, 0.0) + CLAIMABLE_BOOST
        return boosts

    def _document_files(self) -> dict[str, str | None]:
        """doc_key → the imported file's name (cached until the base changes)."""
        version = self._db_version()
        if self._files is None or self._files[0] != version:
            self._files = (version, {d["doc_key"]: Path(str(d.get("source") or "")).name or None
                                     for d in self.store.documents()})
        return self._files[1]

    def _db_version(self) -> int:
        return self.store.db.execute("PRAGMA data_version").fetchone()[0]

    def refresh_if_changed(self) -> None:
        """Another process (e.g. the CLI) wrote the base: reload the saved index and re-check."""
        if self._db_version() != self._data_version:
            with self.lock:
                self.dense = DenseIndex(self.dense.path, self.model_id)
                self.check_indexes()

    def _vectors_for(self, nums: list[int]) -> dict[int, np.ndarray]:
        """num → vector matrix (whole text, then passage windows), computed and stored when missing."""
        have = self.store.vector_sets(nums, self.model_id)
        missing = [n for n in nums if n not in have]
        if missing:
            items = self.store.passages_for(missing)
            order = [n for n in missing if n in items]
            vecs = self._encode([items[n] for n in order])
            with self.store.transaction():
                for n, v in zip(order, vecs):
                    cols = Store.vector_columns(v)
                    self.store.db.execute("update measures set vector = ?, passage_vectors = ?, vector_model = ? "
                                          "where num = ?", [cols["vector"], cols["passage_vectors"], self.model_id, n])
                    have[n] = v
        return have

    def _encode(self, items: list[dict]) -> list[np.ndarray]:
        """Vector matrices of measures (fields title, heading_path, text): the whole text's vector, then
        one per passage window (``policies_kb.passages``), all encoded in one batch."""
        texts, spans = [], []
        for m in items:
            start = len(texts)
            texts.append(embed_text(m))
            texts += [window_embed_text(m, w) for w in windows(m.get("text") or "")]
            spans.append((start, len(texts)))
        vecs = self.embedder.passages(texts) if texts else np.zeros((0, self.dense.dim), dtype="float32")
        return [vecs[a:b] for a, b in spans]

    def reindex(self, reembed: bool = False, progress: ProgressFn | None = None) -> dict:
        """Rebuild both indexes from the store; ``reembed`` recomputes every vector with the model."""
        with self.lock:
            if reembed:
                with self.store.transaction():
                    self.store.db.execute("update measures set vector = null, vector_model = null")
            self.dense.path.unlink(missing_ok=True)
            self.dense = DenseIndex(self.dense.path, self.model_id)
            expected = self.store.indexable()
            nums = list(expected)
            for i in range(0, len(nums), 64):
                chunk = nums[i:i + 64]
                self.dense.add(self._vectors_for(chunk), {n: expected[n] for n in chunk})
                if progress:
                    progress("reindex", min(i + 64, len(nums)), len(nums))
            self.dense.save()
            self.keywords.set_all(self.store.tokens())
            self.keywords.rebuild()
            return {"indexed": len(self.dense), "keyword_docs": len(self.keywords)}

    # ---- the single change hook ---------------------------------------------------------
    def _changed(self, measure_ids: Iterable[str], action: str, actor: str) -> None:
        """Bring the indexes in line with the store for these measures, then notify ``on_change``."""
        measure_ids = list(measure_ids)
        if not measure_ids:
            return
        marks = ",".join("?" * len(measure_ids))
        rows = self.store.db.execute(
            f"select num, status, enabled, content_hash from measures where id in ({marks})", measure_ids).fetchall()
        live = {n: h for n, s, e, h in rows if s == "published" and e}
        gone = [n for n, s, e, h in rows if not (s == "published" and e)]
        stale = [n for n, h in live.items() if self.dense.hashes.get(n) != h]
        self.dense.remove(gone)
        if stale:
            self.dense.add(self._vectors_for(stale), {n: live[n] for n in stale})
        if gone or stale:
            self.dense.save()
        self.keywords.update(self.store.tokens(live), remove=gone)
        self._load_facets()
        self._data_version = self._db_version()
        event = {"action": action, "measure_ids": measure_ids, "actor": actor}
        for callback in list(self.on_change):
            try:
                callback(event)
            except Exception:  # a failing subscriber must not undo or block the change itself
                log.exception("on_change callback failed for %s", action)

    # ---- writing measures ---------------------------------------------------------------
    def _write_new(self, mid: str, fields: dict, *, doc_key: str | None, key: str | None, actor: str,
                   action: str, reason: str | None, status: str, vec: np.ndarray | None,
                   import_hash: str | None = None) -> None:
        at = now_iso()
        row = {f: fields.get(f) for f in CONTENT_FIELDS}
        row["conditions"] = normalize_conditions(row.get("conditions"))
        for f in ("heading_path", "responsible_units", "tags"):
            row[f] = list(row.get(f) or [])
        enabled = bool(fields.get("enabled", True))
        self.store.insert_measure({
            "id": mid, "num": self.store.next_num(), "doc_key": doc_key, "key": key, **row,
            "status": status, "enabled": int(enabled), "version": 1, "hits": 0,
            "created_at": at, "created_by": actor, "updated_at": at, "updated_by": actor,
            "content_hash": content_hash(row), "tokens": " ".join(tokenize(embed_text(row))),
            **Store.vector_columns(vec), "vector_model": self.model_id if vec is not None else None,
            "import_hash": import_hash,
        })
        self.store.add_version(mid, 1, action, actor, reason, snapshot_of(row), status, enabled, at)

    def _write_change(self, current: dict, changes: dict, *, actor: str, action: str, reason: str | None,
                      vec: np.ndarray | None = None, extra: dict | None = None) -> dict:
        """Apply ``changes`` (content and/or status/enabled) as a new version; returns the new row."""
        at = now_iso()
        new = {**current, **changes}
        snap = snapshot_of(new)
        version = int(current["version"]) + 1
        fields = {f: new[f] for f in CONTENT_FIELDS}
        fields.update({"status": new["status"], "enabled": int(bool(new["enabled"])), "version": version,
                       "updated_at": at, "updated_by": actor, **(extra or {})})
        new_hash = content_hash(new)
        if new_hash != current.get("content_hash") or "content_hash" not in current:
            fields["content_hash"] = new_hash
            fields["tokens"] = " ".join(tokenize(embed_text(new)))
            fields.update(Store.vector_columns(vec))
            fields["vector_model"] = self.model_id if vec is not None else None
        self.store.update_measure(current["id"], fields)
        self.store.add_version(current["id"], version, action, actor, reason, snap, new["status"],
                               bool(new["enabled"]), at)
        return new

    def _current(self, measure_id: str) -> dict:
        m = self.store.get(measure_id)
        m["content_hash"] = self.store.db.execute(
            "select content_hash from measures where id = ?", [measure_id]).fetchone()[0]
        return m

    def _embed_if_published(self, fields: dict, status: str, enabled: bool = True) -> np.ndarray | None:
        if status == "published" and enabled:
            return self._encode([fields])[0]
        return None

    def create(self, fields: dict, actor: str, reason: str | None = None) -> dict:
        """A new measure (status ``published`` unless ``status: draft`` is given)."""
        fields = validate_fields(fields, creating=True)
        if fields.get("kind"):
            fields.setdefault("kind_reason", f"由 {actor} 新建时设定")
        else:
            fields["kind"], fields["kind_reason"] = infer_kind(fields["title"], fields["text"], fields.get("heading_path"))
        status = fields.pop("status", "published")
        vec = self._embed_if_published(fields, status, fields.get("enabled", True))
        mid = f"a-{uuid.uuid4().hex[:12]}"
        with self.lock:
            with self.store.transaction():
                self._write_new(mid, fields, doc_key=None, key=None, actor=actor, action="create",
                                reason=reason, status=status, vec=vec)
            self._changed([mid], "create", actor)
        return self.get(mid)

    def update(self, measure_id: str, fields: dict, actor: str, reason: str | None = None) -> dict:
        """Edit content and/or publish a draft; an edit that changes nothing makes no version."""
        fields = validate_fields(fields, creating=False)
        with self.lock:
            current = self._current(measure_id)
            if current["status"] == "retired" and fields.get("status"):
                raise Conflict("MEASURE_RETIRED", "该措施已废止，请先恢复后再修改状态。")
            changes = {k: v for k, v in fields.items() if current.get(k) != v}
            if not changes:
                return self.get(measure_id)
            if "kind" in changes and "kind_reason" not in fields:
                changes["kind_reason"] = f"由 {actor} 人工改为“{KIND_LABELS[changes['kind']]}”" + (f"：{reason}" if reason else "")
            new = {**current, **changes}
            vec = None
            if content_hash(new) != current["content_hash"]:
                vec = self._embed_if_published(new, new["status"], new["enabled"])
            with self.store.transaction():
                self._write_change(current, changes, actor=actor, action="edit", reason=reason, vec=vec)
            self._changed([measure_id], "edit", actor)
            return self.get(measure_id)

    def _set_state(self, measure_id: str, actor: str, action: str, reason: str | None, **state) -> dict:
        with self.lock:
            current = self._current(measure_id)
            with self.store.transaction():
                self._write_change(current, state, actor=actor, action=action, reason=reason)
            self._changed([measure_id], action, actor)
            return self.get(measure_id)

    def retire(self, measure_id: str, actor: str, reason: str | None = None) -> dict:
        """Retire (never delete): out of search and matching, kept with its history."""
        if self.store.get(measure_id)["status"] == "retired":
            raise Conflict("MEASURE_ALREADY_RETIRED", "该措施已经废止，无需重复操作。")
        return self._set_state(measure_id, actor, "retire", reason, status="retired")

    def restore(self, measure_id: str, actor: str, reason: str | None = None) -> dict:
        """Bring a retired measure back as published."""
        if self.store.get(measure_id)["status"] != "retired":
            raise Conflict("MEASURE_NOT_RETIRED", "只有已废止的措施才能恢复。")
        return self._set_state(measure_id, actor, "restore", reason, status="published")

    def set_enabled(self, measure_id: str, enabled: bool, actor: str, reason: str | None = None) -> dict:
        """Enable or disable a measure in search and matching without retiring it."""
        if self.store.get(measure_id)["enabled"] == bool(enabled):
            return self.get(measure_id)
        return self._set_state(measure_id, actor, "enable" if enabled else "disable", reason, enabled=bool(enabled))

    def rollback(self, measure_id: str, version: int, actor: str, reason: str | None = None) -> dict:
        """A new version whose content is that of ``version`` (status and enabled stay as they are)."""
        target = self.store.version(measure_id, version)["snapshot"]
        with self.lock:
            current = self._current(measure_id)
            changes = {f: target.get(f) for f in CONTENT_FIELDS}
            new = {**current, **changes}
            vec = self._embed_if_published(new, current["status"], current["enabled"]) \
                if content_hash(new) != current["content_hash"] else None
            with self.store.transaction():
                self._write_change(current, changes, actor=actor, action="rollback",
                                   reason=reason or f"回滚到第 {version} 版", vec=vec)
            self._changed([measure_id], "rollback", actor)
            return self.get(measure_id)

    # ---- importing documents and the curated base ---------------------------------------
    def _sync_items(self, doc_key: str, items: list[tuple[str, str | None, dict]], actor: str,
                    progress: ProgressFn | None = None, label: str = "") -> dict:
        """Make the store hold exactly ``items`` (id, key, fields) for ``doc_key``.

        New → created; changed since their last import → new version; unchanged → nothing;
        measures of this document no longer present → retired. One transaction.
        """
        report = {"created": 0, "updated": 0, "unchanged": 0, "retired": 0, "restored": 0}
        plan = []
        for mid, key, fields in items:
            h = _import_hash(fields)
            row = self.store.db.execute(
                "select import_hash, status from measures where id = ?", [mid]).fetchone()
            if row is None:
                plan.append(("new", mid, key, fields, h))
            elif row[0] != h or row[1] == "retired" and self._retired_by_import(mid):
                plan.append(("changed", mid, key, fields, h))
            else:
                report["unchanged"] += 1
        # Embed before writing: the store is only written once everything it needs is ready.
        vecs: dict[str, np.ndarray] = {}
        todo = [p for p in plan]
        for i in range(0, len(todo), 64):
            chunk = todo[i:i + 64]
            for p, v in zip(chunk, self._encode([p[3] for p in chunk])):
                vecs[p[1]] = v
            if progress:
                progress(label, min(i + 64, len(todo)), len(todo))
        keep = {mid for mid, _, _ in items}
        touched = []
        with self.store.transaction():
            for kind, mid, key, fields, h in plan:
                if kind == "new":
                    self._write_new(mid, fields, doc_key=doc_key, key=key, actor=actor, action="import",
                                    reason=None, status="published", vec=vecs[mid], import_hash=h)
                    report["created"] += 1
                else:
                    current = self._current(mid)
                    changes = {f: fields.get(f) for f in CONTENT_FIELDS if f in fields}
                    if str(current.get("kind_reason") or "").startswith("由 "):  # a person set the kind: keep it
                        changes.pop("kind", None)
                        changes.pop("kind_reason", None)
                    if current["status"] == "retired":
                        changes["status"] = "published"
                        report["restored"] += 1
                    else:
                        report["updated"] += 1
                    self._write_change(current, changes, actor=actor, action="import", reason="重新导入文件",
                                       vec=vecs[mid], extra={"import_hash": h, "key": key})
                touched.append(mid)
            for mid in self.store.ids_for_doc(doc_key):
                if mid not in keep:
                    current = self._current(mid)
                    if current["status"] != "retired":
                        self._write_change(current, {"status": "retired"}, actor=actor, action="import_retire",
                                           reason="重新导入的文件中已无此条")
                        report["retired"] += 1
                        touched.append(mid)
        self._changed(touched, "import", actor)
        return report

    def _retired_by_import(self, mid: str) -> bool:
        row = self.store.db.execute(
            "select action from measure_versions where measure_id = ? order by version desc limit 1", [mid]).fetchone()
        return bool(row) and row[0] == "import_retire"

    def import_paths(self, paths: Iterable[str | Path], actor: str, progress: ProgressFn | None = None) -> list[dict]:
        """Import documents; one report per path (``error`` holds code and message when it failed)."""
        from policies_kb.parse import parse_file

        reports = []
        for path in paths:
            path = Path(path)
            try:
                rep = {"path": str(path), **self.import_parsed(parse_file(path), actor, progress, label=path.name)}
            except HuiqiError as exc:
                rep = {"path": str(path), "error": exc.to_dict()}
            reports.append(rep)
        return reports

    def import_parsed(self, doc, actor: str, progress: ProgressFn | None = None, label: str = "") -> dict:
        """Store a parsed document (``policies_kb.parse.ParsedDocument``) and its measures."""
        if not doc.measures:
            raise no_items_error(doc)
        items = [(measure_id_for(doc.doc_key, m.key), m.key, item_fields(doc, m)) for m in doc.measures]
        with self.lock:
            with self.store.transaction():
                self.store.upsert_document({
                    "doc_key": doc.doc_key, "title": doc.title, "issuer": doc.issuer,
                    "doc_number": doc.doc_number, "date": doc.date, "region": doc.region,
                    "source": str(doc.source or label), "imported_at": now_iso(), "imported_by": actor,
                })
            rep = self._sync_items(doc.doc_key, items, actor, progress, label=label or doc.doc_key)
        return {"doc_key": doc.doc_key, "title": doc.title, "measures": len(items), **rep}

    def preview(self, path: str | Path) -> dict:
        """What importing ``path`` would do, without writing anything: the document's metadata, its
        items (title, text, kind and why, fields, heading path), whether each is new, changed or
        unchanged in the base, and warnings. Raises like an import (``DOC_NO_ITEMS`` included)."""
        from policies_kb.parse import parse_file

        doc = parse_file(Path(path))
        if not doc.measures:
            raise no_items_error(doc)
        items = []
        for m in doc.measures:
            mid = measure_id_for(doc.doc_key, m.key)
            fields = item_fields(doc, m)
            row = self.store.db.execute("select import_hash from measures where id = ?", [mid]).fetchone()
            change = "new" if row is None else ("unchanged" if row[0] == _import_hash(fields) else "changed")
            items.append({"measure_id": mid, "key": m.key, "change": change, **fields,
                          "kind_label": KIND_LABELS[fields["kind"]]})
        kept = {i["measure_id"] for i in items}
        retire = [mid for mid in self.store.ids_for_doc(doc.doc_key)
                  if mid not in kept and self.store.get(mid)["status"] != "retired"]
        kinds = {k: sum(1 for i in items if i["kind"] == k) for k in KIND_LABELS}
        return {"document": {"doc_key": doc.doc_key, "title": doc.title, "issuer": doc.issuer,
                             "doc_number": doc.doc_number, "date": doc.date, "region": doc.region,
                             "source": str(doc.source), "source_url": doc.source_url, "shape": doc.shape},
                "items": items, "count": len(items), "kinds": kinds, "would_retire": retire,
                "warnings": list(doc.warnings)}

    def import_one(self, path: str | Path, actor: str, progress: ProgressFn | None = None) -> dict:
        """Import one document; raises the domain error when it cannot be read."""
        rep = self.import_paths([path], actor, progress)[0]
        if "error" in rep:
            err = rep["error"]
            raise Invalid(err["code"], err["message"], field="file")
        return rep

    def load_curated(self, actor: str, path: str | Path | None = None, progress: ProgressFn | None = None) -> dict:
        """Load the curated sample base (YAML) as document ``curated``; re-loading updates it."""
        from policies_kb.curated import load_curated

        items = []
        for c in load_curated(path):
            fields = {f: c.get(f) for f in CONTENT_FIELDS if f in c}
            fields["conditions"] = normalize_conditions(c.get("conditions"))
            for f in ("heading_path", "responsible_units", "tags"):
                fields[f] = list(fields.get(f) or [])
            fields.setdefault("kind", "measure")
            fields.setdefault("kind_reason", "精选惠企措施：逐条写明企业可享受的内容和办理方式")
            items.append((str(c["id"]), str(c["id"]), fields))
        with self.lock:
            with self.store.transaction():
                self.store.upsert_document({"doc_key": CURATED_DOC_KEY, "title": "惠企政策精选（样例库）",
                                            "source": "policies_kb/curated/measures.yaml",
                                            "imported_at": now_iso(), "imported_by": actor})
            rep = self._sync_items(CURATED_DOC_KEY, items, actor, progress, label="curated")
        rep["measures"] = len(items)
        return rep

    # ---- reading ------------------------------------------------------------------------
    def get(self, measure_id: str) -> dict:
        m = self.store.get(measure_id)
        doc = self.store.document(m["doc_key"]) if m.get("doc_key") else None
        m["document"] = {k: doc.get(k) for k in ("doc_key", "title", "issuer", "doc_number", "date", "region")} \
            if doc else None
        return m

    def list(self, **filters) -> list[dict]:
        return self.store.list(**filters)

    def versions(self, measure_id: str) -> list[dict]:
        return self.store.versions(measure_id)

    # ---- search and matching ------------------------------------------------------------
    def search(self, query: str, top_k: int = 5, mode: str = "hybrid", record_hits: bool = False,
               audience: str = "business") -> list[dict]:
        """Ranked measures for a question, each with ``explanation``; see ``search_detail``."""
        return self.search_detail(query, top_k, mode, record_hits, audience)["results"]

    def search_detail(self, query: str, top_k: int = 5, mode: str = "hybrid", record_hits: bool = False,
                      audience: str = "business") -> dict:
        """``{"query", "truncated", "results"}``. Queries over 512 characters are cut (``truncated``).

        ``audience="business"`` (the chat, the open API) answers with measures first, commitments only
        when they answer, never a problem-list entry; ``"all"`` (CLI, hit test) ranks every kind."""
        if not 1 <= int(top_k) <= 100:
            raise Invalid("TOP_K_INVALID", "返回条数 top_k 应在 1 到 100 之间。", field="top_k")
        q = searching.prepare(query)
        if audience == "business" and matching.asks_for_benefits(q.text):
            q = searching.Query(q.text, q.tokens + [w for w in matching.BENEFIT_WORDS if w not in q.tokens],
                                q.truncated)
        self.refresh_if_changed()
        qvec = self.query_encoder.queries([q.text])[0] if mode != "bm25" else None
        with self.lock:
            boosts = self._business_boosts(q.text) if audience == "business" else {}
            ranked = searching.retrieve(q, qvec, self.dense, self.keywords, int(top_k), mode, kinds=self.kinds,
                                        audience=audience, boosts=boosts)
            rows = self.store.result_rows([n for n, _, _ in ranked])
        files = self._document_files()
        results = []
        for n, score, expl in ranked:
            m = rows.get(n)
            if m is None:
                continue
            r = self._result(m, score, expl)
            r["file"] = files.get(m.get("doc_key"))
            self._cite(r, m, q, qvec, n)
            results.append(r)
        if record_hits:
            self.store.add_hits([r["measure_id"] for r in results])
        return {"query": query, "truncated": q.truncated, "results": results}

    def _cite(self, r: dict, m: dict, q, qvec, num: int) -> None:
        """Put the passage that answers in the result's ``text`` (also ``passage``); the whole item stays
        in ``item_text``, ``passage_window`` is the window's number (0: the item is short, cited whole)."""
        if self.dense.counts.get(num, 1) > 1:  # a long item (short ones are their own passage)
            window, passage = searching.answer_passage(m["text"], q, qvec, num, self.dense, self.keywords)
        else:
            window, passage = -1, m["text"]
        r.update(text=passage, passage=passage, item_text=m["text"], passage_window=window + 1)

    @staticmethod
    def _result(m: dict, score: float, expl: dict) -> dict:
        return {
            "measure_id": m["id"], "title": m["title"], "text": m["text"], "score": score,
            "source": m.get("source"), "heading_path": m.get("heading_path") or [],
            "lead_department": m.get("lead_department"), "redemption_mode": m.get("redemption_mode"),
            "how_to_apply": m.get("how_to_apply"), "contact": m.get("contact"), "kind": m.get("kind"),
            "kind_label": KIND_LABELS.get(m.get("kind") or "", None), "beneficiaries": m.get("beneficiaries"),
            "deadline": m.get("deadline"), "basis": m.get("basis"), "doc_key": m.get("doc_key"),
            "explanation": expl,
        }

    def match(self, profile: dict, needs: str | None = None, top_k: int = 10, today: date | None = None) -> list[dict]:
        """Measures whose hard conditions hold for ``profile``, best first, each with ``reasons``."""
        if not isinstance(profile, dict) or not profile.get("region"):
            raise Invalid("PROFILE_REGION_REQUIRED", "企业信息缺少所在地区（如 甘肃省/兰州市/城关区），请补充后重试。",
                          field="profile.region")
        self.refresh_if_changed()
        regions = {d["doc_key"]: d.get("region") for d in self.store.documents()}
        with self.lock:
            live = self.store.by_nums(self.store.indexable())
        eligible: dict[int, tuple[list[str], int]] = {}
        for n, m in live.items():
            if m.get("kind") in ("problem", "context"):  # only what a business can act on is matched
                continue
            ok, held, specific = matching.check(m, profile, regions.get(m.get("doc_key")), today)
            if ok:
                eligible[n] = (held, specific)
        if not eligible:
            return []
        q = searching.prepare(matching.profile_query(profile, needs))
        qvec = self.query_encoder.queries([q.text])[0]
        with self.lock:
            ranked = searching.retrieve(q, qvec, self.dense, self.keywords, len(self.dense) or 1, "hybrid",
                                        depth=max(len(self.dense), 1), kinds=self.kinds)
        relevance = [n for n, _, _ in ranked if n in eligible]
        seen = set(relevance)
        relevance += [n for n in eligible if n not in seen]
        position = {n: i for i, n in enumerate(relevance)}
        expl = {n: e for n, _, e in ranked}
        specificity = sorted(eligible, key=lambda n: (-eligible[n][1], position[n]))
        fused = searching.rrf([relevance, specificity])
        order = sorted(fused, key=lambda n: (live[n].get("kind") != "measure", -fused[n]))[:top_k]  # measures first
        out = []
        for n in order:
            r = self._result(live[n], round(fused[n], 6), {**expl.get(n, {}), "specific_conditions": eligible[n][1]})
            self._cite(r, live[n], q, qvec, n)
            r["reasons"] = eligible[n][0]
            r["conditions"] = live[n].get("conditions")
            out.append(r)
        return out


def item_fields(doc, m) -> dict:
    """The stored fields of one parsed item (``policies_kb.parse.ParsedMeasure``) of ``doc``."""
    kind = getattr(m, "kind", None)
    reason = getattr(m, "kind_reason", None)
    if not kind:
        kind, reason = infer_kind(m.title, m.text, m.heading_path)
    return {
        "title": m.title, "text": m.text, "heading_path": list(m.heading_path or []),
        "lead_department": m.lead_department, "responsible_units": list(m.responsible_units or []),
        "deadline": m.deadline, "conditions": normalize_conditions(m.conditions),
        "redemption_mode": m.redemption_mode, "tags": list(m.tags or []),
        "source": doc.title or doc.source, "kind": kind, "kind_reason": reason,
        **{f: getattr(m, f, None) for f in ("beneficiaries", "basis", "how_to_apply", "contact")},
    }


def no_items_error(doc) -> Invalid:
    """A document from which no item could be read: refused, never imported as nothing."""
    return Invalid("DOC_NO_ITEMS",
                   f"文件 {Path(str(doc.source)).name} 中没有识别出任何政策条目（标题、正文均未找到可用的条款、段落、"
                   "表格行或问答）：请确认上传的是政策正文，而不是封面、目录或扫描图片；正文应为“一、（一）1.”编号条款、"
                   "完整段落、“享受主体：…优惠内容：…”卡片或“|”分隔的表格。", field="file")
