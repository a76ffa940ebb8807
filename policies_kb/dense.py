"""The vector index: FAISS ``IndexIDMap2`` over ``IndexFlatIP`` (normalised vectors → cosine).

FAISS ids are the measures' integer ``num``. The index is saved in one file together with the
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

faiss.omp_set_num_threads(1)  # flat search of one query is memory-bound; threads only add overhead


class DenseIndex:
    def __init__(self, path: Path, model_id: str, dim: int = 384):
        self.path = path
        self.model_id = model_id
        self.dim = dim
        self.hashes: dict[int, str] = {}
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
                index = faiss.deserialize_index(z["index"])
        except Exception:  # unreadable file: start empty, reconcile rebuilds it
            return
        if model_id != self.model_id or index.d != self.dim:
            self.rebuilt = True  # another model: everything is re-embedded by reconcile
            return
        self.index = index
        self.hashes = {int(i): str(h) for i, h in zip(ids, hashes)}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        ids = np.array(list(self.hashes), dtype="int64")
        hashes = np.array([self.hashes[i] for i in ids.tolist()], dtype="U40")
        with open(tmp, "wb") as fh:
            np.savez(fh, model_id=np.array(self.model_id), ids=ids, hashes=hashes,
                     index=faiss.serialize_index(self.index))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def __len__(self) -> int:
        return self.index.ntotal

    def remove(self, nums) -> None:
        nums = [int(n) for n in nums if int(n) in self.hashes]
        if nums:
            self.index.remove_ids(np.array(nums, dtype="int64"))
            for n in nums:
                del self.hashes[n]

    def add(self, vectors: dict[int, np.ndarray], hashes: dict[int, str]) -> None:
        """Add or replace these ids."""
        if not vectors:
            return
        self.remove(vectors.keys())
        ids = np.array(list(vectors), dtype="int64")
        mat = np.vstack([vectors[i] for i in ids.tolist()]).astype("float32")
        self.index.add_with_ids(mat, ids)
        for i in ids.tolist():
            self.hashes[i] = hashes[i]

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
        k = min(k, self.index.ntotal)
        if k <= 0:
            return []
        scores, ids = self.index.search(qvec.reshape(1, -1).astype("float32"), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def scores_for(self, qvec: np.ndarray, nums: list[int]) -> dict[int, float]:
        """Cosine of the query with each of ``nums`` that is in the index."""
        have = [n for n in nums if n in self.hashes]
        if not have:
            return {}
        mat = np.vstack([self.index.reconstruct(int(n)) for n in have])
        sims = mat @ qvec.reshape(-1)
        return {n: float(s) for n, s in zip(have, sims)}
