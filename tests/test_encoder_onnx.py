"""The ONNX export of the embedding model (huiqi/encoder_onnx.py) and the Rasa featurizer that uses it
(bot/rasa_ext/dense.py, run in .venv-rasa through a subprocess as in test_actions_rasa_ext.py)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from bot.rasa_ext.encoder import MANIFEST_FILE, MODEL_FILE, TOKENIZER_FILE, OnnxEncoder, read_manifest
from huiqi import botmodel, encoder_onnx
from huiqi.text import normalize

ROOT = Path(__file__).resolve().parent.parent
RASA_PY = ROOT / ".venv-rasa" / "bin" / "python"
TRADITIONAL = ["審批拖了兩個月了我要投訴", "計程車過路費有優惠嗎？", "請問道路運輸經營許可證怎麼辦理", "你好"]

try:
    SOURCE = encoder_onnx.model_dir()
except encoder_onnx.ExportError:
    SOURCE = None
pytestmark = pytest.mark.skipif(SOURCE is None, reason="needs the local embedding model (HUIQI_EMBED_MODEL)")


@pytest.fixture(scope="module")
def exported() -> Path:
    """The repository's export (made here when missing: about 10 s)."""
    return encoder_onnx.export(encoder_onnx.BUILD_DIR)


def test_onnx_embeddings_equal_sentence_transformers_after_normalisation(exported):
    from sentence_transformers import SentenceTransformer

    texts = [normalize(t) for t in TRADITIONAL]
    assert texts[0] == "审批拖了两个月了我要投诉"
    reference = SentenceTransformer(str(SOURCE), device="cpu").encode(
        texts, prompt_name="query", normalize_embeddings=True, convert_to_numpy=True)
    onnx = OnnxEncoder(exported).embed(texts)  # one padded batch of different lengths
    assert onnx.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1, atol=1e-5)
    cosines = (reference * onnx).sum(axis=1)
    assert cosines.min() > 0.999, cosines


def test_onnx_hidden_states_equal_torch(exported):
    import torch
    from transformers import AutoModel, AutoTokenizer

    text = "query: " + normalize(TRADITIONAL[0])
    tok = AutoTokenizer.from_pretrained(str(SOURCE))
    batch = tok([text], return_tensors="pt")
    with torch.no_grad():
        expected = AutoModel.from_pretrained(str(SOURCE)).eval()(**batch).last_hidden_state[0].numpy()
    got = OnnxEncoder(exported).encode([text])[0].hidden
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-3


def test_export_is_skipped_when_up_to_date(exported, monkeypatch, capsys):
    def no_export(*args):
        raise AssertionError("exported although the manifest matches")

    monkeypatch.setattr(encoder_onnx, "_export_onnx", no_export)
    before = (exported / MODEL_FILE).stat().st_mtime_ns
    assert encoder_onnx.export(exported) == exported
    assert "已是最新" in capsys.readouterr().out
    assert (exported / MODEL_FILE).stat().st_mtime_ns == before


def test_stale_or_unverified_export_is_redone(tmp_path, monkeypatch):
    out = tmp_path / "enc"
    out.mkdir()
    (out / MODEL_FILE).write_bytes(b"old")
    (out / TOKENIZER_FILE).write_bytes(b"old")
    (out / MANIFEST_FILE).write_text(json.dumps({"fingerprint": "stale", "sizes": {MODEL_FILE: 3, TOKENIZER_FILE: 3}}))
    calls = []
    monkeypatch.setattr(encoder_onnx, "_export_onnx", lambda source, target: calls.append(target) or target.write_bytes(b"onnx"))

    def bad(out, source):
        raise encoder_onnx.ExportError("不一致")

    monkeypatch.setattr(encoder_onnx, "verify", bad)
    with pytest.raises(encoder_onnx.ExportError):
        encoder_onnx.export(out)
    assert read_manifest(out)["fingerprint"] == "stale", "a failed check must not replace the old export"
    assert not (tmp_path / "enc.tmp").exists()

    monkeypatch.setattr(encoder_onnx, "verify", lambda out, source: 1.0)
    encoder_onnx.export(out)
    assert len(calls) == 2
    assert read_manifest(out)["fingerprint"] == encoder_onnx.expected_key(SOURCE)["fingerprint"]
    encoder_onnx.export(out)
    assert len(calls) == 2, "up to date now: no third export"


def test_bot_model_fingerprint_follows_the_encoder(tmp_path):
    (tmp_path / "config.yml").write_text("# config\n")
    base = botmodel.fingerprint(tmp_path)
    enc = tmp_path / botmodel.ENCODER_DIR
    enc.mkdir(parents=True)
    (enc / MANIFEST_FILE).write_text(json.dumps({"fingerprint": "a"}))
    with_a = botmodel.fingerprint(tmp_path)
    (enc / MANIFEST_FILE).write_text(json.dumps({"fingerprint": "b"}))
    assert len({base, with_a, botmodel.fingerprint(tmp_path)}) == 3


def test_bot_model_fingerprint_follows_trained_components_not_server_modules(tmp_path):
    ext = tmp_path / "bot" / "rasa_ext"
    ext.mkdir(parents=True)
    (ext / "svm_classifier.py").write_text("# a trained component\n")
    (ext / "tracker_store.py").write_text("# loaded by the server only\n")
    base = botmodel.fingerprint(tmp_path)
    (ext / "tracker_store.py").write_text("# loaded by the server only, changed\n")
    assert botmodel.fingerprint(tmp_path) == base, "a tracker store change must not retrain the bot"
    (ext / "svm_classifier.py").write_text("# a trained component, changed\n")
    assert botmodel.fingerprint(tmp_path) != base
    for name in botmodel.SERVER_ONLY:
        assert (botmodel.REPO_ROOT / name).is_file(), f"{name} is named as server-only but does not exist"


@pytest.mark.skipif(not RASA_PY.exists(), reason="needs .venv-rasa (make setup)")
def test_featurizer_adds_one_row_per_jieba_token_and_a_sentence_row(exported):
    code = """
import json, tempfile
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from bot.rasa_ext.normalizer import ChineseNormalizer
from bot.rasa_ext.dense import OnnxEncoderFeaturizer

storage = LocalModelStorage(tempfile.mkdtemp())
ctx = ExecutionContext(GraphSchema({}), "test", node_name="dense")
tokenizer = JiebaTokenizer.create({**JiebaTokenizer.get_default_config(), "dictionary_path": "bot/jieba"},
                                  storage, Resource("tok"), ctx)
featurizer = OnnxEncoderFeaturizer.create(OnnxEncoderFeaturizer.get_default_config(), storage, Resource("dense"), ctx)
texts = ["審批拖了兩個月了 我要投訴", "你好", "计程车过路费有优惠吗？请问要准备哪些材料，多久能办好"]

def pipeline(messages, training):
    ChineseNormalizer().process(messages)
    if training:
        data = TrainingData(messages)
        tokenizer.process_training_data(data)
        featurizer.process_training_data(data)
    else:
        tokenizer.process(messages)
        featurizer.process(messages)
    return messages

single = pipeline([Message.build(texts[0])], training=False)[0]
batch = pipeline([Message.build(t, intent="x") for t in texts], training=True)
seq, sent = single.get_dense_features("text")
tokens = single.get("text_tokens")
bseq, bsent = batch[0].get_dense_features("text")
scaled = OnnxEncoderFeaturizer.create({**OnnxEncoderFeaturizer.get_default_config(), "sentence_scale": 5.0},
                                      storage, Resource("d3"), ctx)
again = pipeline([Message.build(texts[0])], training=False)[0]
again.features = []
scaled.process([again])
try:
    OnnxEncoderFeaturizer.create({**OnnxEncoderFeaturizer.get_default_config(), "model_dir": "build/no-such-encoder"},
                                 storage, Resource("d2"), ctx)
    missing = ""
except InvalidConfigException as exc:
    missing = str(exc)
print(json.dumps({
    "text": single.get("text"), "tokens": [t.text for t in tokens],
    "seq_shape": list(seq.features.shape), "sent_shape": list(sent.features.shape),
    "zero_rows": int((~seq.features.any(axis=1)).sum()), "origins": [f.origin for f in single.features],
    "sentence": sent.features[0].tolist(),
    "batch_same": bool(np.allclose(seq.features, bseq.features, atol=1e-4) and np.allclose(sent.features, bsent.features, atol=1e-5)),
    "batch_rows": [len(m.get("text_tokens")) == m.get_dense_features("text")[0].features.shape[0] for m in batch],
    "scaled": bool(np.allclose(again.get_dense_features("text")[1].features, 5 * sent.features, atol=1e-5)),
    "missing": missing,
}, ensure_ascii=False))
"""
    proc = subprocess.run([str(RASA_PY), "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["text"] == "审批拖了两个月了 我要投诉"  # the featurizer saw the normalised text
    assert "投诉" in out["tokens"] and "审批" in out["tokens"]
    assert out["seq_shape"] == [len(out["tokens"]), 384]
    assert out["sent_shape"] == [1, 384]
    assert out["zero_rows"] == 0
    assert out["origins"] == ["dense", "dense"]  # alias defaults to the node name
    assert out["batch_same"], "batched training featurization must equal one message at a time"
    assert all(out["batch_rows"])
    assert out["scaled"], "sentence_scale multiplies the sentence row"
    assert "make encoder" in out["missing"] and "找不到" in out["missing"]
    # The sentence row is the e5 query embedding of the normalised text.
    expected = OnnxEncoder(exported).embed([out["text"]])[0]
    assert float(np.dot(expected, np.array(out["sentence"]))) > 0.9999
