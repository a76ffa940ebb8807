"""The vector index: FAISS ``IndexIDMap2`` over ``IndexFlatIP`` (normalised vectors → cosine).

An item has one vector for its whole text and one per passage window (``policies_kb.passages``):
FAISS ids are ``num * ID_STRIDE`` for the whole item and ``+ i`` for its i-th window, and an item's
dense score is its best vector's. The index is saved in one file together with the
model id and, for every id, the hash of the text its vector was computed from; the file is
replaced atomically (write to a temporary file, then rename). ``reconcile`` compares the index
with what the store says should be indexed and repairs the difference, so a crash between
writing the store and saving the index is healed on the next open.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import faiss
import numpy as np

from policies_kb.passages import ID_STRIDE

faiss.omp_set_num_threads(1)  # flat search of one query is memory-bound; threads only add overhead


LAYOUT = "item+windows-v1"   # what the ids mean; an index saved in another layout is rebuilt


class DenseIndex:
    def __init__(self, path: Path, model_id: str, dim: int = 384):
        self.path = path
        self.model_id = model_id
        self.dim = dim
        self.hashes: dict[int, str] = {}
        self.counts: dict[int, int] = {}   # num → how many vectors (1 + windows)
        self.index = self._new()
        self.rebuilt = False
        if path.exists():
            self._load()

    def _new(self):
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))

    def _load(self) -> None:
        try:
            with np.load(self.path, allow_pickle=False) as z:
                model_id = str(z["model_id"])
                ids, hashes = z["ids"], z["hashes"]
                layout = str(z["layout"]) if "layout" in z else ""
                counts = z["counts"] if "counts" in z else None
                index = faiss.deserialize_index(z["index"])
        except Exception:  # unreadable file: start empty, reconcile rebuilds it
            return
        if model_id != self.model_id or index.d != self.dim or layout != LAYOUT or counts is None:
            self.rebuilt = True  # another model or layout: reconcile rebuilds it from the store
            return
        self.index = index
        self.hashes = {int(i): str(h) for i, h in zip(ids, hashes)}
        self.counts = {int(i): int(c) for i, c in zip(ids, counts)}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        ids = np.array(list(self.hashes), dtype="int64")
        hashes = np.array([self.hashes[i] for i in ids.tolist()], dtype="U40")
        counts = np.array([self.counts.get(i, 1) for i in ids.tolist()], dtype="int64")
        with open(tmp, "wb") as fh:
            np.savez(fh, model_id=np.array(self.model_id), layout=np.array(LAYOUT), ids=ids, hashes=hashes,
                     counts=counts, index=faiss.serialize_index(self.index))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def __len__(self) -> int:
        """How many items (not vectors) are indexed."""
        return len(self.hashes)

    def remove(self, nums) -> None:
        nums = [int(n) for n in nums if int(n) in self.hashes]
        if nums:
            ids = [n * ID_STRIDE + i for n in nums for i in range(self.counts.get(n, 1))]
            self.index.remove_ids(np.array(ids, dtype="int64"))
            for n in nums:
                del self.hashes[n]
                self.counts.pop(n, None)

    def add(self, vectors: dict[int, np.ndarray], hashes: dict[int, str]) -> None:
        """Add or replace these items; ``vectors[num]`` is one vector or a matrix (whole item first, then
        its windows)."""
        if not vectors:
            return
        self.remove(vectors.keys())
        mats = {n: np.asarray(v, dtype="float32").reshape(-1, self.dim)[:ID_STRIDE] for n, v in vectors.items()}
        ids = np.array([n * ID_STRIDE + i for n, m in mats.items() for i in range(len(m))], dtype="int64")
        self.index.add_with_ids(np.vstack(list(mats.values())), ids)
        for n, m in mats.items():
            self.hashes[n] = hashes[n]
            self.counts[n] = len(m)

    def diff(self, expected: dict[int, str]) -> tuple[list[int], list[int]]:
        """(ids to remove, ids to (re)add) so that the index holds exactly ``expected``."""
        extra = [n for n in self.hashes if n not in expected]
        stale = [n for n, h in expected.items() if self.hashes.get(n) != h]
        return extra, stale

    def reconcile(self, expected: dict[int, str], vectors_for: Callable[[list[int]], dict[int, np.ndarray]]) -> dict:
        """Repair the index against the store; returns what was done (and saves when anything was)."""
        extra, stale = self.diff(expected)
        if extra:
            self.remove(extra)
        if stale:
            for i in range(0, len(stale), 256):
                chunk = stale[i:i + 256]
                self.add(vectors_for(chunk), {n: expected[n] for n in chunk})
        if extra or stale or self.rebuilt:
            self.save()
            self.rebuilt = False
        return {"removed": len(extra), "added": len(stale)}

    def search(self, qvec: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The ``k`` best items, each scored by its best vector (whole text or a window)."""
        depth = min(2 * k + 16, self.index.ntotal)
        if k <= 0 or depth <= 0:
            return []
        scores, ids = self.index.search(qvec.reshape(1, -1).astype("float32"), depth)
        out: dict[int, float] = {}
        for i, s in zip(ids[0].tolist(), scores[0].tolist()):
            if i >= 0:
                n = i // ID_STRIDE
                if n not in out:  # FAISS returns best first: the first vector of an item is its best
                    out[n] = s
                    if len(out) == k:
                        break
        return list(out.items())

    def window_scores(self, qvec: np.ndarray, num: int) -> list[float]:
        """Cosine of the query with each window of item ``num`` (``[]`` when it has none)."""
        count = self.counts.get(int(num), 1)
        if count <= 1:
            return []
        mat = np.vstack([self.index.reconstruct(int(num) * ID_STRIDE + i) for i in range(1, count)])
        return (mat @ qvec.reshape(-1)).tolist()
