"""The Rasa-side extensions (bot/rasa_ext) run inside .venv-rasa (Python 3.10): these tests run
real Rasa objects there through a subprocess and check the normalizer, the metadata REST channel
and the hand-off policy."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RASA_PY = ROOT / ".venv-rasa" / "bin" / "python"

pytestmark = pytest.mark.skipif(not RASA_PY.exists(), reason="needs .venv-rasa (make setup)")


def in_rasa(code: str) -> dict:
    proc = subprocess.run([str(RASA_PY), "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_normalizer_simplifies_and_keeps_entity_offsets():
    out = in_rasa("""
import json
from bot.rasa_ext.normalizer import normalize_same_length
samples = ["審批拖了兩個月了我要投訴", "電話１３９１２３４５６７８", "計程車過路費有優惠沒", ""]
print(json.dumps([normalize_same_length(s) for s in samples], ensure_ascii=False))
""")
    assert out[0] == "审批拖了两个月了我要投诉"
    assert out[1] == "电话13912345678"
    assert out[2].endswith("过路费有优惠没")
    samples = ["審批拖了兩個月了我要投訴", "電話１３９１２３４５６７８", "計程車過路費有優惠沒", ""]
    assert [len(s) for s in out] == [len(s) for s in samples]


def test_rest_channel_keeps_the_name_and_forwards_metadata():
    out = in_rasa("""
import json
from types import SimpleNamespace
from bot.rasa_ext.channels import MetadataRestInput
ch = MetadataRestInput()
req = SimpleNamespace(json={"sender": "a", "message": "你好", "metadata": {"token": "t"}})
bad = SimpleNamespace(json={"sender": "a", "message": "你好", "metadata": "x"})
print(json.dumps({"name": ch.name(), "meta": ch.get_metadata(req), "bad": ch.get_metadata(bad)}))
""")
    assert out == {"name": "rest", "meta": {"token": "t"}, "bad": None}


def test_handoff_policy_silences_the_bot_until_handed_back():
    out = in_rasa("""
import json
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
import tempfile
from bot.rasa_ext.handoff import HandoffPolicy

domain = Domain.load("bot/domain.yml")
storage = LocalModelStorage(tempfile.mkdtemp())
policy = HandoffPolicy.create(HandoffPolicy.get_default_config(), storage, Resource("handoff"),
                              ExecutionContext(GraphSchema({}), "x"))

def best(events):
    tracker = DialogueStateTracker.from_events("s", events, domain.slots)
    p = policy.predict_action_probabilities(tracker, domain)
    top = max(range(len(p.probabilities)), key=lambda i: p.probabilities[i])
    return domain.action_names_or_texts[top] if p.probabilities[top] > 0 else None

def user(intent):
    return [ActionExecuted("action_listen"), UserUttered("x", {"name": intent, "confidence": 1.0})]

on = [SlotSet("handoff_active", True)]
print(json.dumps({
    "quiet": best(on + user("greet")),
    "after_wait": best(on + user("greet") + [ActionExecuted("action_handoff_wait")]),
    "handback": best(on + user("EXTERNAL_handback")),
    "not_active": best(user("greet")),
}))
""")
    assert out == {"quiet": "action_handoff_wait", "after_wait": "action_listen", "handback": None,
                   "not_active": None}
