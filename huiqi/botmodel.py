"""The trained Rasa model: named by a content hash of what shapes it, trained only when missing.

``python -m huiqi.botmodel train`` trains when ``config.yml``, ``bot/domain.yml``, ``bot/data/``, the
custom components in ``bot/rasa_ext/`` or the ONNX sentence encoder (``build/encoder-onnx``, exported
first when missing or stale) changed since the last training; ``path`` prints the model file.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import typer

from bot.rasa_ext.encoder import read_manifest
from huiqi import encoder_onnx
from huiqi.settings import REPO_ROOT, Settings, get_settings

RASA = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL_INPUTS = ("config.yml", "bot/domain.yml", "bot/data", "bot/rasa_ext", "bot/jieba")
# Modules of bot/rasa_ext that only the running server loads (channels in credentials.yml, the tracker store in
# endpoints.yml): no trained component reads them, so changing them does not call for a new model.
SERVER_ONLY = ("bot/rasa_ext/channels.py", "bot/rasa_ext/tracker_store.py")
ENCODER_DIR = encoder_onnx.BUILD_DIR.relative_to(REPO_ROOT)  # the OnnxEncoderFeaturizer's model_dir in config.yml
KEEP_MODELS = 3

cli = typer.Typer(add_completion=False, help="Train and locate the Rasa model.")


def fingerprint(root: Path = REPO_ROOT) -> str:
    """sha256 over the relative path and bytes of every file that shapes the model."""
    digest = hashlib.sha256()
    for name in MODEL_INPUTS:
        base = root / name
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                                                      and p.relative_to(root).as_posix() not in SERVER_ONLY)
        for path in files:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    # The encoder is too big to hash each time: its manifest's fingerprint stands for it.
    manifest = read_manifest(root / ENCODER_DIR)
    if manifest:
        digest.update(f"encoder:{manifest.get('fingerprint')}".encode())
    return digest.hexdigest()[:16]


def model_path(settings: Settings | None = None) -> Path:
    s = settings or get_settings()
    return s.models_dir / f"bot-{fingerprint()}.tar.gz"


def rasa_env(settings: Settings) -> dict:
    """Environment for every Rasa command: endpoints.yml reads these with ${VAR} substitution."""
    env = dict(os.environ)
    env["HUIQI_ACTION_URL"] = settings.action_url
    env["HUIQI_ACTION_TOKEN"] = settings.action_token()
    env["HUIQI_TRACKER_DB"] = str(settings.tracker_store_path.resolve())
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "bot")])
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    # Rasa's usage telemetry and error reports go to Rasa's own servers; nothing of the department's leaves the
    # machine, whatever the environment says.
    env["RASA_TELEMETRY_ENABLED"] = "false"
    return env


def train(settings: Settings | None = None, force: bool = False) -> Path:
    s = settings or get_settings()
    s.ensure_data_dir()
    try:
        encoder_onnx.export()  # instant when up to date
    except encoder_onnx.ExportError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        raise typer.Exit(1) from exc
    target = model_path(s)
    if target.exists() and not force:
        print(f"Rasa 模型已是最新：{target.name}（未改动，不重新训练）")
        return target
    print(f"训练 Rasa 模型 → {target}")
    started = time.monotonic()
    cmd = [str(RASA), "train", "--config", "config.yml", "--domain", "bot/domain.yml", "--data", "bot/data",
           "--out", str(s.models_dir), "--fixed-model-name", target.name.removesuffix(".tar.gz")]
    result = subprocess.run(cmd, cwd=REPO_ROOT, env=rasa_env(s))
    if result.returncode != 0 or not target.exists():
        print("错误：Rasa 模型训练失败，请查看上面的输出。", file=sys.stderr)
        raise typer.Exit(1)
    print(f"训练完成，用时 {time.monotonic() - started:.0f} 秒")
    _prune(s.models_dir, keep=target)
    return target


def _prune(models_dir: Path, keep: Path) -> None:
    old = sorted((p for p in models_dir.glob("bot-*.tar.gz") if p != keep), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in old[KEEP_MODELS - 1:]:
        path.unlink()


@cli.command("train")
def train_cmd(force: bool = typer.Option(False, help="Train even when nothing changed")) -> None:
    train(force=force)


def test_stories(settings: Settings | None = None) -> int:
    """``rasa test core`` on bot/tests; non-zero when any story is mispredicted."""
    s = settings or get_settings()
    out = s.data_dir / "rasa-test-results"
    cmd = [str(RASA), "test", "core", "--stories", "bot/tests", "--model", str(train(s)),
           "--endpoints", "bot/endpoints.yml", "--out", str(out), "--fail-on-prediction-errors"]
    return subprocess.run(cmd, cwd=REPO_ROOT, env=rasa_env(s)).returncode


@cli.command("test")
def test_cmd() -> None:
    """Run the bot's test stories against the current model (trained first if needed)."""
    raise typer.Exit(test_stories())


@cli.command("path")
def path_cmd() -> None:
    print(model_path())


if __name__ == "__main__":
    cli()
