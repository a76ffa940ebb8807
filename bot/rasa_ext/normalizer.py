"""NLU pipeline component: fold full-width characters and convert traditional to simplified Chinese.

Runs before the tokenizer so that "審批拖了兩個月" and "审批拖了两个月" reach the featurizers as the
same text. The conversion keeps the text length, so entity offsets of training examples stay valid.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text

import opencc
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_VALUE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _fold(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 else char


def normalize_same_length(text: str) -> str:
    """Full-width → half-width and traditional → simplified, without changing the length."""
    if not text:
        return text
    folded = "".join(_fold(c) for c in text)
    converted = _t2s().convert(folded)
    if len(converted) == len(folded):
        return converted
    # A phrase conversion changed the length: fall back to character by character.
    out = []
    for c in folded:
        s = _t2s().convert(c)
        out.append(s if len(s) == 1 else c)
    return "".join(out)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class ChineseNormalizer(GraphComponent):
    """Rewrites each message's text to simplified Chinese with half-width ASCII."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ChineseNormalizer":
        return cls()

    @staticmethod
    def required_packages() -> Optional[List[Text]]:
        return ["opencc"]

    def _normalize(self, message: Message) -> None:
        text = message.get(TEXT)
        if isinstance(text, str) and text:
            message.set(TEXT, normalize_same_length(text))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalize(example)
            # An annotated value written in traditional characters ("[電話](field)") would otherwise differ from
            # its now simplified text, and EntitySynonymMapper would learn the synonym 电话 → 電話, overriding the
            # lookup synonyms (电话 → contact_phone, 收费 → 收费 …): annotated values are normalised the same way.
            for entity in example.get(ENTITIES) or []:
                value = entity.get(ENTITY_ATTRIBUTE_VALUE)
                if isinstance(value, str):
                    entity[ENTITY_ATTRIBUTE_VALUE] = normalize_same_length(value)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalize(message)
        return messages
