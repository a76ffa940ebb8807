"""Export the embedding model's transformer to ONNX for the Rasa featurizer (``.venv-rasa`` has no torch).

``python -m huiqi.encoder_onnx export`` (``make encoder``) writes ``build/encoder-onnx/``: ``model.onnx``
(inputs input_ids / attention_mask / token_type_ids, output last_hidden_state, dynamic batch and
sequence), the model's ``tokenizer.json`` and ``manifest.json`` with a hash of the source model files.
Nothing happens when the manifest already matches the source, so re-running is instant. Every export
is checked against sentence-transformers before its manifest is written.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import typer

from bot.rasa_ext.encoder import MANIFEST_FILE, MODEL_FILE, PREFIX, TOKENIZER_FILE, OnnxEncoder, read_manifest
from huiqi.settings import REPO_ROOT, get_settings

BUILD_DIR = REPO_ROOT / "build" / "encoder-onnx"
FORMAT = 1  # bump when the export procedure changes
OPSET = 17
MIN_COSINE = 0.999
# Checked after every export, normalised to simplified Chinese first as the bot does.
CHECK_SENTENCES = [
    "你好",
    "審批拖了兩個月了我要投訴",
    "計程車過路費有優惠嗎？",
    "我们是一家物流公司，想了解新能源货车购置补贴怎么申请，需要准备哪些材料，多久能到账",
    "ETC 通行费 95 折",
]

cli = typer.Typer(add_completion=False, help="Export the sentence encoder to ONNX for the Rasa pipeline.")


class ExportError(RuntimeError):
    """The encoder cannot be exported or does not match the source model."""


def model_dir(model: str | None = None) -> Path:
    """The local model folder (``HUIQI_EMBED_MODEL``); a hub id is refused: nothing is downloaded."""
    name = model or get_settings().embed_model
    path = Path(name).expanduser()
    path = path.resolve()
    if not (path / "config.json").is_file() or not (path / TOKENIZER_FILE).is_file():
        raise ExportError(
            f"找不到本地嵌入模型目录 {name}（需要 config.json 与 tokenizer.json）。"
            "请把模型放在 ../shared/models/multilingual-e5-small-zh，或用环境变量 HUIQI_EMBED_MODEL 指定本地模型目录；不会从网络下载。"
        )
    return path


def source_hash(source: Path) -> str:
    """sha256 over the relative path and bytes of every file of the source model."""
    digest = hashlib.sha256()
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(source)).encode())
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def expected_key(source: Path) -> dict:
    """What an up-to-date export must have been made from; ``fingerprint`` sums it up."""
    key = {"format": FORMAT, "opset": OPSET, "prefix": PREFIX, "source_sha256": source_hash(source),
           "torch": version("torch"), "transformers": version("transformers")}
    key["fingerprint"] = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return key


def up_to_date(out: Path, key: dict) -> bool:
    manifest = read_manifest(out)
    return bool(manifest) and manifest.get("fingerprint") == key["fingerprint"] and all(
        (out / name).is_file() and (out / name).stat().st_size == manifest.get("sizes", {}).get(name)
        for name in (MODEL_FILE, TOKENIZER_FILE)
    )


def _export_onnx(source: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(source), attn_implementation="eager").eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = tuple(torch.ones(2, 8, dtype=torch.long) for _ in names[:2]) + (torch.zeros(2, 8, dtype=torch.long),)
    axes = {name: {0: "batch", 1: "sequence"} for name in names + ["last_hidden_state"]}
    # The legacy TorchScript exporter works for BERT and warns about things that do not apply to
    # an encoder (deprecation, mask padding traced as constant); verify() checks the result instead.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(LastHiddenState(model), dummy, str(target), input_names=names,
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=OPSET, dynamo=False)


def verify(out: Path, source: Path, sentences: list[str] = CHECK_SENTENCES) -> float:
    """Lowest cosine between ONNX and sentence-transformers embeddings; raises below MIN_COSINE."""
    from sentence_transformers import SentenceTransformer

    from huiqi.text import normalize

    texts = [normalize(s) for s in sentences]
    reference = SentenceTransformer(str(source), device="cpu").encode(
        texts, prompt=PREFIX, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    exported = OnnxEncoder(out).embed(texts)
    cosines = (reference * exported).sum(axis=1)
    worst = float(cosines.min())
    if worst < MIN_COSINE:
        bad = texts[int(cosines.argmin())]
        raise ExportError(f"导出的 ONNX 编码器与原模型不一致：句子「{bad}」的余弦相似度只有 {worst:.5f}（要求 > {MIN_COSINE}）。"
                          "导出结果已删除，请检查 torch / transformers 版本后重新运行 make encoder。")
    return worst


def export(out: Path = BUILD_DIR, model: str | None = None, force: bool = False) -> Path:
    """Export when the source model or the export procedure changed; return the output directory."""
    source = model_dir(model)
    key = expected_key(source)
    if not force and up_to_date(out, key):
        print(f"ONNX 编码器已是最新：{out}（未改动，不重新导出）")
        return out
    print(f"导出 ONNX 编码器：{source} → {out}")
    started = time.monotonic()
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        _export_onnx(source, tmp / MODEL_FILE)
        shutil.copyfile(source / TOKENIZER_FILE, tmp / TOKENIZER_FILE)
        worst = verify(tmp, source)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    manifest = {**key, "source": str(source), "min_cosine": round(worst, 6),
                "sizes": {name: (tmp / name).stat().st_size for name in (MODEL_FILE, TOKENIZER_FILE)}}
    (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    print(f"导出完成，用时 {time.monotonic() - started:.0f} 秒；与 sentence-transformers 的最低余弦相似度 {worst:.6f}")
    return out


@cli.command("export")
def export_cmd(
    out: Path = typer.Option(BUILD_DIR, help="Output directory"),
    force: bool = typer.Option(False, help="Export even when the manifest matches"),
) -> None:
    try:
        export(out, force=force)
    except ExportError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        raise typer.Exit(1) from exc


@cli.command("check")
def check_cmd(out: Path = typer.Option(BUILD_DIR, help="Export directory")) -> None:
    """Compare an existing export with sentence-transformers again."""
    try:
        print(f"最低余弦相似度 {verify(out, model_dir()):.6f}")
    except ExportError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        raise typer.Exit(1) from exc


if __name__ == "__main__":
    cli()
