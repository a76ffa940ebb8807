"""NLU pipeline component: Rasa's ResponseSelector, run only on messages classified as its retrieval intent.

Rasa's ResponseSelector predicts a response for every message, though its prediction is read only when the
message's intent is the selector's retrieval intent (``faq`` here: the processor completes ``faq`` to
``faq/office_hours`` and ``utter_faq`` utters that response). For every other message its TensorFlow model
ran for nothing: about a tenth of Rasa's CPU per turn under 30 concurrent conversations (py-spy, README
"Chat latency"). Here the intent classifier, earlier in the pipeline, decides: a message classified as the
retrieval intent gets the selector's prediction exactly as before; any other message gets none, which the
processor and ``utter_faq`` already treat as no response selected. Training is Rasa's, unchanged.
"""
from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class RetrievalIntentResponseSelector(ResponseSelector):
    """ResponseSelector whose ``process`` skips messages classified as another intent."""

    def process(self, messages: List[Message]) -> List[Message]:
        if not self.retrieval_intent:  # a selector over all retrieval intents: Rasa's behaviour
            return super().process(messages)
        asked = [m for m in messages if (m.get(INTENT) or {}).get(INTENT_NAME_KEY) == self.retrieval_intent]
        if asked:
            super().process(asked)
        return messages
