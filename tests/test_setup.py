"""Set-up and run-time checks an operator relies on: clear messages for what they can fix."""
from __future__ import annotations

import socket
import subprocess
import time

import jwt
import pytest
import typer

from huiqi import tokens
from huiqi.botmodel import fingerprint, rasa_env
from huiqi.services import preflight, services
from huiqi.settings import REPO_ROOT, SHARED_MODEL, DataDirError, Settings
from huiqi.text import normalize


def test_missing_python_is_named_with_a_way_to_get_it():
    result = subprocess.run([str(REPO_ROOT / "scripts" / "find-python.sh"), "3.1"], capture_output=True, text=True)
    assert result.returncode != 0
    assert "找不到 Python 3.1" in result.stderr and "pyenv install 3.1" in result.stderr


def test_finds_the_interpreters_the_project_needs():
    for version in ("3.10", "3.11"):
        path = subprocess.run([str(REPO_ROOT / "scripts" / "find-python.sh"), version], capture_output=True, text=True).stdout.strip()
        out = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True)
        assert out.stdout.strip() == version


def test_port_in_use_names_the_port_and_the_variable(tmp_path, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        settings = Settings(data_dir=tmp_path, api_port=port, rasa_port=_free_port(), action_port=_free_port())
        with pytest.raises(typer.Exit):
            preflight(settings, services(settings))
    err = capsys.readouterr().err
    assert f"端口 {port} 已被占用" in err and "HUIQI_API_PORT" in err


def test_unwritable_data_dir_is_reported_with_the_variable(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings = Settings(data_dir=blocker / "data")
    with pytest.raises(DataDirError, match="HUIQI_DATA_DIR"):
        settings.ensure_data_dir()


def test_settings_come_from_huiqi_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HUIQI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HUIQI_API_PORT", "18123")
    s = Settings()
    assert s.data_dir == tmp_path and s.api_port == 18123
    assert s.ledger_path.parent == tmp_path
    if SHARED_MODEL.is_dir():
        assert s.embed_model == str(SHARED_MODEL)


def test_secret_key_is_generated_once_and_kept(tmp_path):
    s = Settings(data_dir=tmp_path)
    first = s.signing_key()
    assert len(first) >= 32
    assert Settings(data_dir=tmp_path).signing_key() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_tokens_round_trip_and_reject_tampering_and_expiry(tmp_path):
    s = Settings(data_dir=tmp_path, token_minutes=5)
    token = tokens.issue("91620100MA7XXXXXXX", "enterprise", settings=s)
    assert tokens.verify(token, settings=s)["sub"] == "91620100MA7XXXXXXX"
    other = Settings(data_dir=tmp_path / "other")
    with pytest.raises(tokens.TokenError, match="无效"):
        tokens.verify(token, settings=other)
    expired = jwt.encode({"sub": "x", "role": "admin", "exp": int(time.time()) - 10}, s.signing_key(), algorithm="HS256")
    with pytest.raises(tokens.TokenError, match="过期"):
        tokens.verify(expired, settings=s)


def test_traditional_and_full_width_input_is_normalised():
    assert normalize("甘肅省 一網通辦 ＥＴＣ") == "甘肃省 一网通办 ETC"


def test_model_fingerprint_follows_training_data(tmp_path):
    for name in ("config.yml", "bot/domain.yml", "bot/data/nlu.yml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"# {name}\n")
    before = fingerprint(tmp_path)
    (tmp_path / "bot/tests").mkdir()
    (tmp_path / "bot/tests/test_stories.yml").write_text("stories: []\n")
    assert fingerprint(tmp_path) == before, "test stories do not change the model"
    (tmp_path / "bot/data/nlu.yml").write_text("# changed\n")
    assert fingerprint(tmp_path) != before


def test_rasa_never_reports_to_rasa_servers(monkeypatch, tmp_path):
    # Rasa's telemetry would send usage data off the machine; it stays off even if the environment turns it on.
    monkeypatch.setenv("RASA_TELEMETRY_ENABLED", "true")
    monkeypatch.setenv("HUIQI_DATA_DIR", str(tmp_path))
    assert rasa_env(Settings())["RASA_TELEMETRY_ENABLED"] == "false"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
