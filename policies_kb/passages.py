"""Passages: the units a long item is retrieved by, and the sentences an answer cites.

An item whose text is at most ``PASSAGE_CHARS`` long is its own single passage. A longer item is
cut into windows of consecutive sentences (at most ``PASSAGE_CHARS`` characters each, a single
longer sentence stays whole) that overlap by one sentence, so a phrase that straddles two windows
lies whole in one of them. Each window is embedded with the item's title and heading path in
front (``window_embed_text``), so "which item" still counts when a window is matched alone.

Windows are derived from the item's text alone (deterministic), so only their vectors are stored.
"""
from __future__ import annotations

import re

from huiqi.text import normalize
from policies_kb.store import passage_text

PASSAGE_CHARS = 300      # items longer than this are retrieved and cited by window
MAX_WINDOWS = 31         # windows kept per item (ids are num * ID_STRIDE + 1 … MAX_WINDOWS)
ID_STRIDE = 32           # vector ids: num * ID_STRIDE (+0 the whole item, +i its i-th window)
_SENTENCE_END = re.compile(r"(?<=[。；;！!？?\n])")


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text or "") if s.strip()]


def windows(text: str, limit: int = PASSAGE_CHARS) -> list[str]:
    """The item's sentence windows; ``[]`` when the item is short enough to be its own passage."""
    text = (text or "").strip()
    if len(text) <= limit:
        return []
    sents = sentences(text)
    out: list[str] = []
    i = 0
    while i < len(sents) and len(out) < MAX_WINDOWS:
        j, size = i, 0
        while j < len(sents) and (j == i or size + len(sents[j]) <= limit):
            size += len(sents[j])
            j += 1
        out.append("".join(sents[i:j]).strip())
        if j >= len(sents):
            break
        i = j - 1 if j - i > 1 else j  # overlap one sentence with the next window
    return out if len(out) > 1 else []  # one long sentence: the item is its own passage


def window_embed_text(m: dict, window: str) -> str:
    """What the encoder sees of a window: the item's title and heading path, then the window (normalised)."""
    return normalize(passage_text({"title": m.get("title"), "heading_path": m.get("heading_path"), "text": window}))


def best_window(text: str, window_cos: list[float], query_tokens: list[str], idf: dict[str, float],
                keyword_weight: float) -> tuple[int, str]:
    """(index, text) of the window of ``text`` that answers best: its cosine with the question plus
    ``keyword_weight`` × the idf-weighted share of the question's keywords it holds. ``(-1, text)`` for
    a short item (its whole text is the passage)."""
    wins = windows(text)
    if not wins:
        return -1, (text or "").strip()
    tokens = [t for t in dict.fromkeys(query_tokens) if len(t) > 1 or not t.isascii()]
    # jieba's search mode also emits the pieces of a long word (出租车 → 出租, 租车): count the word once
    tokens = [t for t in tokens if not any(t != u and t in u for u in tokens)]
    norms = [normalize(w).lower() for w in wins]
    present = [t for t in tokens if any(t in n for n in norms)]
    total = sum(idf.get(t, 1.0) for t in present) or 1.0
    best, best_score = 0, float("-inf")
    for i, norm in enumerate(norms):
        cover = sum(idf.get(t, 1.0) for t in present if t in norm) / total
        score = (window_cos[i] if i < len(window_cos) else 0.0) + keyword_weight * cover
        if score > best_score:
            best, best_score = i, score
    return best, wins[best]
