"""The Rasa-side extensions (bot/rasa_ext) run inside .venv-rasa (Python 3.10): these tests run
real Rasa objects there through a subprocess and check the normalizer, the metadata REST channel,
the hand-off policy and the intent classifier."""
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


def test_the_channel_keeps_a_digest_of_the_log_in_token_never_the_token():
    """What reaches the dialogue (and so the tracker store) carries the token's digest; a digest sent by the
    client is dropped, so knowing one (e.g. from reading the tracker store) logs nobody in."""
    out = in_rasa("""
import asyncio, hashlib, json
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from bot.rasa_ext.channels import guarded
seen = []
async def handler(message):
    seen.append(message.metadata)
handle = guarded(handler)
async def main():
    for meta in ({"token": "tok-1", "token_digest": "forged"}, {"token_digest": "forged"}, None):
        await handle(UserMessage("你好", CollectingOutputChannel(), "s1", metadata=meta))
asyncio.run(main())
print(json.dumps({"seen": seen, "expected": hashlib.sha256(b"tok-1").hexdigest()}))
""")
    assert out["seen"] == [{"token_digest": out["expected"]}, {}, {}]


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
    "staff_reply": best(on + user("EXTERNAL_staff_reply")),
    "quiet_after_reply": best(on + user("EXTERNAL_staff_reply") + [ActionExecuted("action_staff_reply")]
                              + user("thank")),
    "not_active": best(user("greet")),
}))
""")
    # The official's message from the console is not silenced (the rules say it); the business's next one is.
    assert out == {"quiet": "action_handoff_wait", "after_wait": "action_listen", "handback": None,
                   "staff_reply": None, "quiet_after_reply": "action_handoff_wait", "not_active": None}


def test_triggered_messages_report_whether_an_open_chat_page_received_them():
    """Events triggered through Rasa's HTTP API go out through the channel's output: each message is emitted
    into the conversation's room and kept (returned by trigger_intent as ``messages``) only when a browser
    is in that room, so the API can tell the official the business's page was not open."""
    out = in_rasa("""
import asyncio, json
from rasa.core.channels.channel import CollectingOutputChannel
from bot.rasa_ext.channels import PersistentSocketIOInput

async def main():
    channel = PersistentSocketIOInput(bot_message_evt="bot_uttered", session_persistence=True)
    channel.blueprint(lambda message: None)
    sent = []
    async def send(eio_sid, packet):
        sent.append(eio_sid)
    channel.sio._send_eio_packet = send
    sid = await channel.sio.manager.connect("browser-1", "/")
    await channel.sio.manager.enter_room(sid, "/", "conv-open")   # the page's session_request joins its room
    out = {}
    for room in ("conv-open", "conv-gone"):
        output = channel.get_output_channel()
        await output.send_text_message(room, "工作人员（张伟）：您好\\n\\n材料已收到")
        out[room] = output.messages
    out["collecting"] = isinstance(output, CollectingOutputChannel)
    out["name"] = output.name()
    out["sent"] = sent
    print(json.dumps(out, ensure_ascii=False))

asyncio.run(main())
""")
    assert out["conv-open"] == [{"recipient_id": "conv-open", "text": "工作人员（张伟）：您好"},
                                {"recipient_id": "conv-open", "text": "材料已收到"}]
    assert out["conv-gone"] == []
    assert out["sent"] == ["browser-1", "browser-1"]  # emitted to the open page only, each part once
    assert out["collecting"] is True and out["name"] == "socketio"  # Rasa returns them; the name stays socketio


SVM_TRAINING = """
import json, sys, tempfile, asyncio
from pathlib import Path
from rasa.model_training import train_nlu
from rasa.core.agent import Agent

examples = {
    "greet": ["你好", "您好", "早上好", "嗨，在吗", "哈喽", "你好呀", "在不在"],
    "file_complaint": ["我要投诉", "审批拖了两个月了我要投诉", "反映个问题，补贴一直没发", "投诉执法人员态度差",
                       "检测站乱收费我要反映", "办证一直不给办，要投诉"],
    "ask_policy": ["过路费有优惠没", "冷链车有啥补贴", "新能源货车购置有补贴吗", "网约车驾驶员证怎么办",
                   "绿色通道政策是什么", "货车ETC能打几折"],
    "thank": ["谢谢", "多谢了", "感谢"],
}
examples.update(json.loads(sys.argv[1]))
work = Path(tempfile.mkdtemp())
(work / "nlu.yml").write_text("version: '3.1'\\nnlu:\\n" + "".join(
    f"- intent: {i}\\n  examples: |\\n" + "".join(f"    - {t}\\n" for t in ts) for i, ts in examples.items()),
    encoding="utf-8")
(work / "config.yml").write_text(\"\"\"recipe: default.v1
language: zh
assistant_id: svm-test
pipeline:
  - name: JiebaTokenizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 3
  - name: bot.rasa_ext.svm_classifier.LinearSvmIntentClassifier
policies: []
\"\"\", encoding="utf-8")
try:
    model = train_nlu(str(work / "config.yml"), str(work / "nlu.yml"), str(work / "models"))
except Exception as exc:
    print(json.dumps({"error": str(exc)}))
    raise SystemExit(0)
agent = Agent.load(model)   # loads the classifier from disk, as the server does
out = {}
for text in ["我想投诉，证一直办不下来", "您好，在吗", "冷链运输有优惠政策吗"]:
    parsed = asyncio.run(agent.parse_message(text))
    out[text] = {"intent": parsed["intent"]["name"], "confidence": parsed["intent"]["confidence"],
                 "ranking": [r["confidence"] for r in parsed["intent_ranking"]]}
print(json.dumps(out, ensure_ascii=False))
"""


def train_svm(extra: dict | None = None) -> dict:
    proc = subprocess.run([str(RASA_PY), "-c", SVM_TRAINING, json.dumps(extra or {}, ensure_ascii=False)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_svm_intent_classifier_survives_saving_and_loading_and_ranks_by_probability():
    # An intent with only 3 examples (thank) is fewer than the 5 calibration folds: training still works.
    out = train_svm()
    assert out["我想投诉，证一直办不下来"]["intent"] == "file_complaint"
    assert out["您好，在吗"]["intent"] == "greet"
    assert out["冷链运输有优惠政策吗"]["intent"] == "ask_policy"
    for parsed in out.values():
        ranking = parsed["ranking"]
        assert ranking == sorted(ranking, reverse=True) and ranking[0] == parsed["confidence"]
        assert 0 < parsed["confidence"] <= 1 and abs(sum(ranking) - 1) < 1e-6


def test_svm_stacked_folds_give_scikit_learns_calibrated_probabilities():
    """The classifier's one-product prediction equals CalibratedClassifierCV.predict_proba (which it replaces at
    prediction time) on sparse and dense features, 3 and 7 classes, for messages it has and has not seen."""
    out = in_rasa("""
import json
import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC
from bot.rasa_ext.svm_classifier import CalibratedScores

rng = np.random.default_rng(0)
result = []
for classes in (3, 7):
    y = np.repeat([f"intent_{i}" for i in range(classes)], 12)
    X = hstack([csr_matrix(rng.poisson(0.3, (len(y), 40)).astype(float)), csr_matrix(rng.normal(size=(len(y), 8)))]).tocsr()
    X[np.arange(len(y)), np.searchsorted(np.unique(y), y)] += 2.0  # learnable
    clf = CalibratedClassifierCV(LinearSVC(C=0.1, class_weight="balanced", dual=True, random_state=0), method="sigmoid",
                                 cv=5).fit(X, y)
    unseen = hstack([csr_matrix(rng.poisson(0.3, (9, 40)).astype(float)), csr_matrix(rng.normal(size=(9, 8)))]).tocsr()
    stacked = CalibratedScores(clf)
    result.append([CalibratedScores.supports(clf), list(stacked.classes_) == list(clf.classes_),
                   float(max(abs(stacked.predict_proba(m) - clf.predict_proba(m)).max() for m in (X, unseen)))])
binary = CalibratedClassifierCV(LinearSVC(dual=True), cv=2).fit(rng.normal(size=(8, 3)), [0, 1] * 4)
print(json.dumps([result, CalibratedScores.supports(binary)]))
""")
    result, binary_supported = out
    for supported, same_classes, max_difference in result:
        assert supported and same_classes and max_difference < 1e-12
    assert binary_supported is False, "a binary SVM has one decision column: scikit-learn's own path must be used"


def test_svm_intent_classifier_refuses_an_intent_with_one_example():
    out = train_svm({"goodbye": ["再见"]})
    assert "at least 2 examples" in out["error"]


def test_channel_guard_answers_empty_long_and_internal_messages_itself():
    out = in_rasa("""
import json
from rasa.shared.core.domain import Domain
from bot.rasa_ext.channels import MAX_MESSAGE_CHARS, refusal
domain = Domain.load("bot/domain.yml")
intents = domain.intents
cases = {"empty": "", "blank": "  \\n\\t ", "none": None, "number": 5, "long": "审" * (MAX_MESSAGE_CHARS + 1),
         "at_cap": "审" * MAX_MESSAGE_CHARS, "handback": "/EXTERNAL_handback", "restart": "/restart",
         "session": "/session_start", "entities": '/affirm{"enterprise_code": "91620102444491904B"}',
         "unknown": "/我要投诉", "button": "/affirm", "cancel_button": "/cancel", "text": "我要反映问题",
         "slash_inside": "路线 A/B 的补贴"}
answers = {k: refusal(v, intents) for k, v in cases.items()}
answers["responses"] = [r for r in ("utter_empty_message", "utter_message_too_long", "utter_internal_command",
                                     "utter_service_unavailable", "utter_complaint_already_filed")
                        if domain.responses.get(r)]
print(json.dumps(answers))
""")
    assert out == {"empty": "utter_empty_message", "blank": "utter_empty_message", "none": "utter_empty_message",
                   "number": "utter_empty_message", "long": "utter_message_too_long", "at_cap": None,
                   "handback": "utter_internal_command", "restart": "utter_internal_command",
                   "session": "utter_internal_command", "entities": "utter_internal_command",
                   "unknown": "utter_internal_command", "button": None, "cancel_button": None, "text": None,
                   "slash_inside": None,
                   "responses": ["utter_empty_message", "utter_message_too_long", "utter_internal_command",
                                 "utter_service_unavailable", "utter_complaint_already_filed"]}


def test_no_external_intent_of_the_domain_can_be_typed_into_the_chat():
    """Intents that staff trigger through Rasa's HTTP API (the hand-back, a push, an official's message) are
    refused when a user types them, with or without entities."""
    out = in_rasa("""
import json
from rasa.shared.core.domain import Domain
from bot.rasa_ext.channels import refusal
intents = Domain.load("bot/domain.yml").intents
external = [i for i in intents if i.startswith("EXTERNAL_")]
typed = {i: [refusal(t, intents) for t in ("/" + i, " /" + i, "/" + i + '{"staff_reply": "x", "staff_name": "y"}')]
         for i in external}
print(json.dumps({"external": external, "typed": typed}))
""")
    assert "EXTERNAL_staff_reply" in out["external"] and "EXTERNAL_handback" in out["external"]
    assert all(answers == ["utter_internal_command"] * 3 for answers in out["typed"].values()), out["typed"]


def test_rasa_launcher_takes_the_api_token_from_the_environment_not_the_command_line():
    out = in_rasa("""
import json
from huiqi.rasa_launcher import argv_with_token
print(json.dumps([argv_with_token(["rasa", "run"], {"HUIQI_RASA_AUTH_TOKEN": "t0k"}),
                  argv_with_token(["rasa", "run"], {})]))
""")
    assert out == [["rasa", "run", "--auth-token", "t0k"], ["rasa", "run"]]


def test_the_configured_tracker_store_is_sqlite_in_wal_mode_and_keeps_conversations(tmp_path):
    """bot/endpoints.yml names the WAL store; Rasa would fall back to memory silently if it did not load."""
    db = tmp_path / "tracker.sqlite3"
    out = in_rasa(f"""
import asyncio, json, os, sqlite3
os.environ.update(HUIQI_TRACKER_DB={str(db)!r}, HUIQI_ACTION_URL="http://127.0.0.1:1/webhook", HUIQI_ACTION_TOKEN="t")
from rasa.core.tracker_store import create_tracker_store
from rasa.core.utils import read_endpoints_from_path
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
domain = Domain.from_path("bot/domain.yml")
store = create_tracker_store(read_endpoints_from_path("bot/endpoints.yml").tracker_store, domain)
tracker = DialogueStateTracker.from_events("c1", [UserUttered("你好"), SlotSet("contact_name", "王经理")], domain.slots)
asyncio.run(store.save(tracker))
tracker.update(SlotSet("contact_phone", "13919191234"))
asyncio.run(store.save(tracker))  # only the new event is added

async def many():  # concurrent turns of 20 conversations, written from worker threads
    trackers = [DialogueStateTracker.from_events(f"m{{i}}", [UserUttered(f"第{{i}}条")], domain.slots) for i in range(20)]
    await asyncio.gather(*(store.save(t) for t in trackers))
    return [(await store.retrieve(f"m{{i}}")).latest_message.text for i in range(20)]

texts = asyncio.run(many())
again = asyncio.run(type(store)(domain=domain, dialect="sqlite", db={str(db)!r}).retrieve("c1"))
conn = sqlite3.connect({str(db)!r})
print(json.dumps([type(store).__name__, conn.execute("PRAGMA journal_mode").fetchone()[0],
                  again.get_slot("contact_name"), again.get_slot("contact_phone"), again.latest_message.text,
                  len(again.events), texts == [f"第{{i}}条" for i in range(20)]]))
""")
    assert out == ["WalSQLTrackerStore", "wal", "王经理", "13919191234", "你好", 3, True]


def test_the_tracker_store_reads_and_writes_as_rasas_own_sql_store_on_pooled_connections(tmp_path):
    """The plain-SQL reads and writes give the trackers Rasa's own SQLTrackerStore gives (latest session only,
    or every session; only new events appended), and a turn no longer opens (and closes) a connection."""
    db = tmp_path / "tracker.sqlite3"
    out = in_rasa(f"""
import asyncio, json, time
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from bot.rasa_ext.tracker_store import POOL_SIZE, WalSQLTrackerStore
domain = Domain.from_path("bot/domain.yml")
ours = WalSQLTrackerStore(domain=domain, dialect="sqlite", db={str(db)!r})
rasas = SQLTrackerStore(domain=domain, dialect="sqlite", db={str(db)!r})
opened = []
sa.event.listen(ours.engine, "connect", lambda *_: opened.append(1))
t0 = time.time()
first = [SessionStarted(timestamp=t0), UserUttered("旧会话", timestamp=t0 + 1), SlotSet("contact_name", "老王", timestamp=t0 + 2)]
second = [ActionExecuted("action_session_start", timestamp=t0 + 10), SessionStarted(timestamp=t0 + 11),
          UserUttered("新会话", timestamp=t0 + 12)]

def dump(tracker):
    return [e.as_dict() for e in tracker.events] if tracker else None

async def run():
    tracker = DialogueStateTracker.from_events("s1", first, domain.slots)
    for _ in range(30):
        await ours.save(tracker)  # nothing new after the first: nothing added
    tracker = DialogueStateTracker.from_events("s1", first + second, domain.slots)
    await ours.save(tracker)
    latest = [dump(await store.retrieve("s1")) for store in (ours, rasas)]
    full = [dump(await store.retrieve_full_tracker("s1")) for store in (ours, rasas)]
    await rasas.save(DialogueStateTracker.from_events("s2", second, domain.slots))  # written by Rasa, read by ours
    s2 = [dump(await store.retrieve("s2")) for store in (ours, rasas)]
    missing = [await store.retrieve("nobody") for store in (ours, rasas)]
    for i in range(40):
        await ours.save(DialogueStateTracker.from_events(f"p{{i}}", [UserUttered("你好")], domain.slots))
        await ours.retrieve(f"p{{i}}")
    return latest, full, s2, missing

latest, full, s2, missing = asyncio.run(run())
rows = sa.create_engine("sqlite:///{db}").connect().exec_driver_sql("SELECT count(*) FROM events WHERE sender_id = 's1'").scalar()
print(json.dumps([latest[0] == latest[1], [e["event"] for e in latest[0]], full[0] == full[1], len(full[0]), rows,
                  s2[0] == s2[1], missing, len(opened) <= POOL_SIZE]))
""")
    same_latest, latest_events, same_full, full_events, stored, same_s2, missing, pooled = out
    assert same_latest and latest_events == ["session_started", "user"], "only the latest session is read"
    assert same_full and full_events == 6 and stored == 6, "every session is kept, and each event stored once"
    assert same_s2 and missing == [None, None]
    assert pooled, "80 reads and writes must reuse the pool's connections"


def test_action_calls_reuse_one_kept_alive_connection():
    """Rasa's calls to the action server go over one kept-alive connection (not a new session and TCP connection
    per call), with the endpoint's token, and a new connection is made when the server has closed the old one."""
    out = in_rasa("""
import asyncio, json
from aiohttp import web
import huiqi.rasa_launcher  # noqa: F401  (patches EndpointConfig.session)
from rasa.utils.endpoints import EndpointConfig

async def main():
    peers, tokens = [], []

    async def webhook(request):
        peers.append(request.transport.get_extra_info("peername")[1])
        tokens.append(request.query.get("token"))
        return web.json_response({"events": [], "responses": [{"text": (await request.json())["n"]}]})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    endpoint = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook", token="s3cret")
    answers = [await endpoint.request(json={"n": str(i)}, method="post") for i in range(5)]
    await runner.cleanup()  # the server goes away (closing its connections) and comes back on the same port
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    answers.append(await endpoint.request(json={"n": "after restart"}, method="post"))
    await runner.cleanup()
    return [a["responses"][0]["text"] for a in answers], len(set(peers[:5])), peers[5] != peers[0], set(tokens)

texts, connections, reconnected, tokens = asyncio.run(main())
print(json.dumps([texts, connections, reconnected, sorted(tokens)]))
""")
    texts, connections, reconnected, tokens = out
    assert texts == ["0", "1", "2", "3", "4", "after restart"]
    assert connections == 1, "five calls in a row must share one connection"
    assert reconnected and tokens == ["s3cret"]


def test_rasa_checks_action_answers_against_its_schema_with_one_validator():
    """The launcher's validator is built once and accepts and refuses exactly the answers Rasa's own schema
    (with its oneOf over every event type) accepts and refuses."""
    out = in_rasa("""
import json
import jsonschema
from jsonschema import ValidationError
import huiqi.rasa_launcher as launcher
from rasa.core.actions.action import RemoteAction
schema = RemoteAction.action_response_format_spec()
rasa_own = jsonschema.validators.validator_for(schema)(schema)
action = RemoteAction("action_x", None)
good = {"events": [{"event": "slot", "name": "contact_name", "value": "王"}, {"event": "active_loop", "name": None}],
        "responses": [{"text": "好", "response": "utter_x", "buttons": []}]}
answers = [good, {}, {"events": [], "responses": []}, {"events": [{"event": "slot", "name": 5}]}, {"events": "x"},
           {"responses": [1]}, {"events": [{"event": "no_such_event"}]}, {"events": [{"name": "no type"}]},
           {"events": [{"event": 3}]}, {"events": [{"event": "slot", "name": "a"}]},
           {"events": [{"event": "action", "name": "x", "confidence": "high"}]},
           {"events": [{"event": "user", "text": "你好", "parse_data": {}}]}, {"events": [{"event": "bot", "text": "好"}]}]

def verdict(check, answer):
    try:
        check(answer)
        return True
    except ValidationError:
        return False

ours = [verdict(action._validate_action_result, a) for a in answers]
print(json.dumps([ours, [verdict(rasa_own.validate, a) for a in answers],
                  launcher.action_response_validator() is launcher.action_response_validator()]))
""")
    ours, rasa_own, built_once = out
    assert ours == rasa_own, "the launcher must accept and refuse what Rasa's schema does"
    assert ours[0] is True and ours.count(False) >= 6 and built_once


def test_events_are_read_back_as_the_same_classes_as_rasa_finds_them():
    out = in_rasa("""
import json
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
names = sorted({c.type_name for c in all_subclasses(Event)})
before = {n: Event.resolve_by_type(n).__name__ for n in names}
import huiqi.rasa_launcher  # noqa: F401  (patches the lookup)
after = {n: Event.resolve_by_type(n).__name__ for n in names}
try:
    Event.resolve_by_type("no_such_event")
    unknown = "found"
except ValueError:
    unknown = "ValueError"
print(json.dumps([len(names), before == after, unknown, Event.resolve_by_type("no_such", Event.resolve_by_type("slot")).__name__]))
""")
    assert out[0] > 10 and out[1:] == [True, "ValueError", "SlotSet"]
