"""The sentence encoder exported to ONNX (``make encoder``), run with onnxruntime and tokenizers.

No torch and no Rasa here: the Rasa featurizer (``bot.rasa_ext.dense``) uses it in ``.venv-rasa``
and ``huiqi.encoder_onnx`` uses it in ``.venv`` to check an export against sentence-transformers.
Embeddings are those of the e5 model: ``"query: " + text``, mean over all pieces, L2-normalised.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MANIFEST_FILE = "manifest.json"
PREFIX = "query: "
MAX_LENGTH = 512


def read_manifest(model_dir: Path) -> Optional[dict]:
    """The export manifest, or None when the directory holds no finished export."""
    try:
        return json.loads((Path(model_dir) / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@dataclass
class Encoded:
    """One text's last hidden states (no padding) and each piece's character span in that text."""

    hidden: np.ndarray  # [pieces, dim]
    offsets: List[Tuple[int, int]]

    def sentence(self) -> np.ndarray:
        """Mean over every piece (prefix and special tokens included, as sentence-transformers does), L2-normalised."""
        vec = self.hidden.mean(axis=0)
        return (vec / max(float(np.linalg.norm(vec)), 1e-12)).astype(np.float32)

    def spans(self, spans: Sequence[Tuple[int, int]], shift: int = 0) -> np.ndarray:
        """One row per character span: the mean of the pieces overlapping it (zeros when none does,
        e.g. past the truncation). ``shift`` is where the spanned text starts in the encoded text."""
        out = np.zeros((len(spans), self.hidden.shape[1]), dtype=np.float32)
        starts = np.array([s for s, _ in self.offsets])
        ends = np.array([e for _, e in self.offsets])
        real = ends > starts  # special tokens have empty spans
        for row, (start, end) in enumerate(spans):
            hit = real & (starts < end + shift) & (ends > start + shift)
            if hit.any():
                out[row] = self.hidden[hit].mean(axis=0)
        return out


class OnnxEncoder:
    """The ONNX transformer plus its tokenizer, loaded from an export directory."""

    def __init__(self, model_dir: Path, threads: int = 1, max_length: int = MAX_LENGTH):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(model_dir / MODEL_FILE), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length)
        pad = self.tokenizer.token_to_id("<pad>")
        self.pad_id = 1 if pad is None else pad
        self.input_names = {i.name for i in self.session.get_inputs()}

    def encode(self, texts: Sequence[str]) -> List[Encoded]:
        """Run one batch (texts as given: add the prefix yourself)."""
        if not texts:
            return []
        encodings = self.tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(texts), width), self.pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(["last_hidden_state"], {k: v for k, v in feeds.items() if k in self.input_names})[0]
        return [Encoded(hidden[row, : len(e.ids)].astype(np.float32), list(e.offsets)) for row, e in enumerate(encodings)]

    def embed(self, texts: Sequence[str], prefix: str = PREFIX, batch_size: int = 32) -> np.ndarray:
        """Sentence embeddings [n, dim] of ``prefix + text``, like the app's ``Embedder.queries``."""
        rows = []
        for start in range(0, len(texts), batch_size):
            rows += [e.sentence() for e in self.encode([prefix + t for t in texts[start : start + batch_size]])]
        return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)
