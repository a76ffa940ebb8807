"""NLU pipeline component: dense features from the department's sentence encoder (e5, exported to ONNX).

``make encoder`` exports the model to ``build/encoder-onnx``; this featurizer runs it with onnxruntime
(``.venv-rasa`` has no torch). For each message text it adds
- a sentence feature: the e5 query embedding (``"query: " + text``, mean pooled, L2-normalised),
  times ``sentence_scale``;
- sequence features: one row per token of the tokenizer before it (JiebaTokenizer), the mean of the
  hidden states of the subword pieces overlapping that token's characters, as LanguageModelFeaturizer does.
The text is the normalised one (ChineseNormalizer runs first).
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.rasa_ext import encoder as encoder_module
from bot.rasa_ext.encoder import MODEL_FILE, PREFIX, OnnxEncoder, read_manifest

REPO_ROOT = Path(__file__).resolve().parents[2]


def resolve_model_dir(path: Text) -> Path:
    """``model_dir`` as configured: absolute, or relative to the repository root."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else REPO_ROOT / p


@lru_cache(maxsize=2)
def _load(model_dir: Path, threads: int) -> OnnxEncoder:
    # One session per process and directory: Rasa creates the component for training and for inference.
    return OnnxEncoder(model_dir, threads=threads)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class OnnxEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Sentence and per-token features from the ONNX export of the e5 embedding model."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # Export directory (model.onnx, tokenizer.json, manifest.json), relative to the repo root.
            "model_dir": "build/encoder-onnx",
            # onnxruntime intra-op threads; 1 is fastest for one short message on the shared 2-core host.
            "intra_op_threads": 1,
            # Messages per onnxruntime call while featurizing the training data.
            "batch_size": 32,
            # The sentence feature is the unit-length e5 embedding times this. The count vectors and the
            # per-token hidden states (norm about 5) are larger: at 1 the embedding adds little (see config.yml).
            "sentence_scale": 1.0,
        }

    @staticmethod
    def required_packages() -> Optional[List[Text]]:
        return ["onnxruntime", "tokenizers"]

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        for key in ("intra_op_threads", "batch_size"):
            if not isinstance(config.get(key), int) or config[key] < 1:
                raise InvalidConfigException(f"{cls.__name__} 的参数 {key} 必须是正整数，现为 {config.get(key)!r}。")
        scale = config.get("sentence_scale")
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
            raise InvalidConfigException(f"{cls.__name__} 的参数 sentence_scale 必须是正数，现为 {scale!r}。")

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        # Rasa's training cache keys on this class's source and config only: a new export or a change
        # to the encoder module must invalidate the cached features too.
        manifest = read_manifest(resolve_model_dir({**cls.get_default_config(), **config}["model_dir"])) or {}
        code = hashlib.sha256(Path(encoder_module.__file__).read_bytes()).hexdigest()[:16]
        return f"{manifest.get('fingerprint')}:{code}"

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "OnnxEncoderFeaturizer":
        return cls(execution_context.node_name, config)

    def __init__(self, name: Text, config: Dict[Text, Any]) -> None:
        super().__init__(name, config)
        model_dir = resolve_model_dir(config["model_dir"])
        if not (model_dir / MODEL_FILE).is_file() or read_manifest(model_dir) is None:
            raise InvalidConfigException(
                f"找不到句向量编码器 {model_dir / MODEL_FILE}（或其 manifest.json）。"
                "请先在仓库根目录运行 make encoder 导出 ONNX 编码器，再训练或启动 Rasa。"
            )
        self.encoder = _load(model_dir, config["intra_op_threads"])
        self.batch_size = config["batch_size"]
        self.sentence_scale = float(config["sentence_scale"])

    def _featurize(self, messages: List[Message]) -> None:
        """Add features to messages that have a text and its tokens, one onnxruntime call per batch."""
        todo = [m for m in messages if m.get(TEXT) and m.get(TOKENS_NAMES[TEXT])]
        todo.sort(key=lambda m: len(m.get(TEXT)))  # similar lengths per batch: less padding
        for start in range(0, len(todo), self.batch_size):
            batch = todo[start : start + self.batch_size]
            encoded = self.encoder.encode([PREFIX + m.get(TEXT) for m in batch])
            for message, enc in zip(batch, encoded):
                spans = [(t.start, t.end) for t in message.get(TOKENS_NAMES[TEXT])]
                self.add_features_to_message(
                    sequence=enc.spans(spans, shift=len(PREFIX)),
                    sentence=enc.sentence()[np.newaxis, :] * self.sentence_scale,
                    attribute=TEXT,
                    message=message,
                )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages
