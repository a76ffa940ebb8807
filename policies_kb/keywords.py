"""The keyword index: BM25 (bm25s, Lucene variant) over jieba tokens of normalised text.

Texts are normalised first (``huiqi.text.normalize``: full-width folding and traditional →
simplified), so a simplified query finds a traditional document. jieba loads the domain
dictionary ``policies_kb/dictionary.txt`` (不来即享, 容缺受理, 两轻一免 …) and cuts in search mode,
which also emits the shorter words inside a long one (行政许可基本清单 → 行政, 许可, 清单 …).

Tokens of each measure are computed once and stored with it, so the index is rebuilt from stored
tokens without re-tokenising; bm25s builds 10,000 measures in about 0.3 s (see
bench/bench_policies.py), cheap enough to rebuild after each change.
"""
from __future__ import annotations

import math
import re
import threading
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
from bm25s.tokenization import Tokenized

from huiqi.text import normalize

DICTIONARY = Path(__file__).with_name("dictionary.txt")

# Function words and question words that carry no topic; kept short and general on purpose.
STOPWORDS = frozenset("""
的 了 和 与 及 或 是 在 有 为 对 将 把 被 从 到 由 等 以 于 之 其 并 也 都 就 而 又 还 要 会 能 可 可以 能否 能不能
吗 呢 吧 啊 呀 么 什么 怎么 怎么样 怎样 如何 哪里 哪儿 哪些 哪个 多少 几 是否 是不是 有没有 有无 会不会 可不可以
我 我们 你 你们 他 她 它 他们 咱们 这 那 这个 那个 这些 那些 一个 一些 个 上 下 中 内 不 没 没有 很 更 最
请问 想 想要 需要 一下 一直 现在 已经 如果 因为 所以 但是 但 以及 进行 开展 相关 有关 方面 工作 情况
""".split())
_KEEP = re.compile(r"[0-9a-z\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def _tokenizer():
    import jieba

    tk = jieba.Tokenizer()
    tk.initialize()
    if DICTIONARY.exists():
        tk.load_userdict(str(DICTIONARY))
    return tk


def tokenize(text: str) -> list[str]:
    """Normalised, lower-cased jieba search-mode tokens without stopwords and punctuation."""
    norm = normalize(text or "").lower()
    out = []
    for tok in _tokenizer().cut_for_search(norm):
        tok = tok.strip()
        if tok and tok not in STOPWORDS and _KEEP.search(tok):
            out.append(tok)
    return out


class KeywordIndex:
    """BM25 over the published measures; ``nums`` maps bm25s rows back to measure nums."""

    def __init__(self):
        self._lock = threading.Lock()
        self.vocab: dict[str, int] = {}
        self.docs: dict[int, list[str]] = {}
        self._bm25 = None
        self._rows: list[int] = []
        self._dirty = True

    def _ids(self, toks: list[str]) -> list[int]:
        out = []
        for t in toks:
            i = self.vocab.get(t)
            if i is None:
                i = self.vocab[t] = len(self.vocab)
            out.append(i)
        return out

    def set_all(self, docs: dict[int, list[str]]) -> None:
        with self._lock:
            self.docs = dict(docs)
            self._dirty = True

    def update(self, add: dict[int, list[str]], remove=()) -> None:
        with self._lock:
            for n in remove:
                self.docs.pop(int(n), None)
            self.docs.update(add)
            self._dirty = True

    def rebuild(self) -> None:
        with self._lock:
            self._rebuild()

    def _rebuild(self) -> None:
        self._rows = list(self.docs)
        if self._rows:
            ids = [self._ids(self.docs[n]) or [self._ids(["\u0000"])[0]] for n in self._rows]
            bm = bm25s.BM25()
            bm.index(Tokenized(ids=ids, vocab=dict(self.vocab)), show_progress=False)
            self._bm25 = bm
        else:
            self._bm25 = None
        self._dirty = False

    def __len__(self) -> int:
        return len(self.docs)

    def search(self, query_tokens: list[str], k: int) -> list[tuple[int, float]]:
        """Top ``k`` (num, score) with a positive score."""
        with self._lock:
            if self._dirty:
                self._rebuild()
            bm, rows = self._bm25, self._rows
        known = [self.vocab[t] for t in dict.fromkeys(query_tokens) if t in self.vocab]
        if bm is None or not known:
            return []
        scores = bm.get_scores(known)
        k = min(k, len(rows))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(rows) else np.arange(len(rows))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(rows[i], float(scores[i])) for i in top if scores[i] > 0]

    def idf(self, tokens: list[str]) -> dict[str, float]:
        """BM25 idf of each token over the indexed items (a token no item holds gets the highest)."""
        with self._lock:
            if self._dirty:
                self._rebuild()
            bm, n = self._bm25, len(self._rows)
        if bm is None:
            return {t: 1.0 for t in tokens}
        indptr = bm.scores["indptr"]
        out = {}
        for t in tokens:
            i = self.vocab.get(t)
            df = int(indptr[i + 1] - indptr[i]) if i is not None and i + 1 < len(indptr) else 0
            out[t] = math.log(1 + (n - df + 0.5) / (df + 0.5))
        return out

    def matched(self, query_tokens: list[str], num: int) -> list[str]:
        doc = set(self.docs.get(num, ()))
        return [t for t in dict.fromkeys(query_tokens) if t in doc]
