"""Sentence embeddings for measures (``passage``) and questions (``query``).

The model named by ``settings.embed_model`` (a local folder or a hub id) is loaded once per
process, lazily, so commands that never embed never pay for it. Vectors are L2-normalised
float32, so an inner product is the cosine similarity.
"""
from __future__ import annotations

import os
import threading
from functools import lru_cache

import numpy as np

DIM = 384
_LOCK = threading.Lock()


def _threads(kind: str) -> int:
    """Torch threads per call kind.

    A short query is fastest on one thread here (measured on the 2-core host: p95 23 ms on one
    thread vs 45 ms on two, because the cores are shared); batches of passages use up to 4 cores.
    ``HUIQI_TORCH_THREADS`` overrides both.
    """
    env = os.environ.get("HUIQI_TORCH_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return 1 if kind == "query" else max(1, min(4, os.cpu_count() or 1))


class Embedder:
    """A loaded sentence-transformers model plus the id it was loaded from."""

    def __init__(self, model_id: str, quantize: bool = False):
        import torch
        from sentence_transformers import SentenceTransformer

        self.model_id = model_id
        self.model = SentenceTransformer(model_id, device="cpu")
        self.model.eval()
        if quantize:
            self.model = torch.ao.quantization.quantize_dynamic(self.model, {torch.nn.Linear}, dtype=torch.qint8)
            self.model_id = f"{model_id}#int8"
        self.dim = self.model.get_embedding_dimension() or DIM

    def _encode(self, texts: list[str], prompt_name: str, batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        import torch

        with _LOCK:  # one encode at a time: thread count is process-wide in torch
            torch.set_num_threads(_threads(prompt_name))
            vecs = self.model.encode(
                texts, prompt_name=prompt_name, batch_size=batch_size,
                normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False,
            )
        return np.ascontiguousarray(vecs, dtype="float32")

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query", batch_size=32)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage", batch_size=16)


@lru_cache(maxsize=4)
def get_embedder(model_id: str, quantize: bool = False) -> Embedder:
    """The process-wide embedder for ``model_id`` (loaded on first use)."""
    return Embedder(model_id, quantize=quantize)
