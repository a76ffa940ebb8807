"""Dialogue policy that keeps the bot quiet while a paired official has the conversation.

When the slot ``handoff_active`` is true, every user message (except external events such as
``EXTERNAL_handback``) is answered by ``action_handoff_wait``, which says nothing until the hand-off
times out; then the bot listens again. The official hands back by triggering the intent
``EXTERNAL_handback`` on the conversation (``POST /conversations/{id}/trigger_intent``).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

WAIT_ACTION = "action_handoff_wait"
ACTIVE_SLOT = "handoff_active"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class HandoffPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"priority": 7}

    def train(
        self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        return self._resource  # nothing to learn

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        if not tracker.get_slot(ACTIVE_SLOT) or WAIT_ACTION not in domain.action_names_or_texts:
            return self._prediction(probabilities)
        intent = (tracker.latest_message.intent or {}).get("name") or "" if tracker.latest_message else ""
        if tracker.latest_action_name == ACTION_LISTEN_NAME:
            if not intent.startswith("EXTERNAL_"):
                probabilities[domain.index_for_action(WAIT_ACTION)] = 1.0
        elif tracker.latest_action_name == WAIT_ACTION:
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        return self._prediction(probabilities)
