"""Sentence embeddings for measures (``passage``) and questions (``query``).

The model named by ``settings.embed_model`` (a local folder or a hub id) is loaded once per
process, lazily, so commands that never embed never pay for it. Vectors are L2-normalised
float32, so an inner product is the cosine similarity.

Questions are encoded through ONNX Runtime with the export the bot already makes
(``build/encoder-onnx``, ``make encoder``; checked against sentence-transformers at cosine > 0.999)
whenever that export is up to date for the model (``get_query_encoder``): about 4x faster than
PyTorch for one short question on this 2-core host, and search never loads PyTorch. Passages (at
import) stay on sentence-transformers. Without a current export, queries fall back to PyTorch.
``HUIQI_QUERY_ENCODER=torch`` forces the fallback.
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


class OnnxQueryEncoder:
    """Query embeddings from the bot's ONNX export of the same model (one intra-op thread)."""

    def __init__(self, export_dir, model_id: str):
        from bot.rasa_ext.encoder import OnnxEncoder

        self.model_id = model_id
        self.encoder = OnnxEncoder(export_dir, threads=1)
        self.dim = DIM

    def queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        with _LOCK:
            vecs = self.encoder.embed(list(texts), prefix="query: ")
        return np.ascontiguousarray(vecs, dtype="float32")


@lru_cache(maxsize=4)
def onnx_export_for(model_id: str):
    """The ONNX export directory when it is up to date for ``model_id`` (a local folder), else None."""
    if os.environ.get("HUIQI_QUERY_ENCODER", "").lower() == "torch":
        return None
    try:
        from huiqi.encoder_onnx import BUILD_DIR, expected_key, model_dir, up_to_date

        source = model_dir(model_id)
        return BUILD_DIR if up_to_date(BUILD_DIR, expected_key(source)) else None
    except Exception:  # no local model folder, no export, onnxruntime missing: use PyTorch
        return None


@lru_cache(maxsize=4)
def get_query_encoder(model_id: str):
    """What encodes questions for ``model_id``: the ONNX export when current, else the PyTorch model."""
    export = onnx_export_for(model_id)
    if export is not None:
        return OnnxQueryEncoder(export, model_id)
    return get_embedder(model_id)
