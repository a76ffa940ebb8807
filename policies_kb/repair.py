"""Repairing the damage that text extraction does to Chinese documents.

``repair_text`` is idempotent and never makes text worse: every step only touches patterns that
cannot be right in Chinese prose.

1. GBK mojibake with a one-byte shift. A GBK document decoded one byte off turns every
   two-byte character into a different one until a single-byte character (ASCII, or 0x80 shown as
   "€") re-synchronises the stream; the lost leading byte shows up as "?". Such a run
   (" ?。ㄒ唬┚€下…") is re-encoded (with the legacy GB18030-2000 private-use mappings the
   original decoder used), the lost byte (0xA1 of the indentation space "　") put back, and
   decoded again. Only runs at a line start are repaired (there the lost byte is known: the
   first byte of the indentation space); the repair is kept only when the result starts with
   that space and is plain CJK text, and the run ends where the text is normal again. A character whose second byte was lost is guessed only
   when the guess forms a dictionary word with its neighbour; otherwise the "?" stays.
2. Line breaks inside a sentence (PDF page or column breaks) are joined.
3. Spaces between Chinese characters or between Chinese and Latin/digits are removed
   ("营商 环境" → "营商环境", "2023 年" → "2023年"); spaces between two Latin/digit words stay.
4. Width folding: full-width letters and digits become half-width. Punctuation keeps the width the
   document wrote it in ("执行期限:长期" stays as written), so a phrase copied from the document is
   found in the stored text; everything that compares text (keywords, hit tests, evaluation) folds
   widths through ``huiqi.text.normalize`` first, so a question matches whichever width it is typed in.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# ---------------------------------------------------------------- character classes
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCT = r"\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2018-\u201f\u2026\u2014\u00b7"
_CJK_ANY = _CJK + _CJK_PUNCT


def _is_cjk(ch: str) -> bool:
    return bool(re.match(f"[{_CJK}]", ch))


def _suspicious(ch: str) -> bool:
    """Characters that plain Chinese prose does not contain but shifted GBK decoding produces."""
    o = ord(ch)
    return (0xE000 <= o <= 0xF8FF or 0x3100 <= o <= 0x312F or 0x2500 <= o <= 0x257F
            or 0x00C0 <= o <= 0x02FF or 0x2FF0 <= o <= 0x2FFF or ch in "€\ufffd?")


# ---------------------------------------------------------------- 1. shifted GBK mojibake
# GB18030-2000 mapped these GBK codes to private-use characters (GB18030-2005 remapped them).
_LEGACY_PUA = {}
for _start, _codes in ((0xE78D, [0xA6D9, 0xA6DA, 0xA6DB, 0xA6DC, 0xA6DD, 0xA6DE, 0xA6DF, 0xA6EC, 0xA6ED, 0xA6F3]),
                       (0xE7C7, [0xA8BC]), (0xE7C8, [0xA8BF]),
                       (0xE7E7, list(range(0xA989, 0xA996)))):
    for _i, _code in enumerate(_codes):
        _LEGACY_PUA[chr(_start + _i)] = _code.to_bytes(2, "big")


def _char_bytes(ch: str) -> bytes | None:
    """The bytes a legacy GBK/GB18030 decoder turned into ``ch`` (None if not a GBK character)."""
    if ch == "€":
        return b"\x80"
    if ch in _LEGACY_PUA:
        return _LEGACY_PUA[ch]
    try:
        data = ch.encode("gb18030")
    except UnicodeEncodeError:
        return None
    return data if len(data) <= 2 else None


def _plausible(text: str) -> bool:
    return bool(text) and not any(_suspicious(c) for c in text) and all(
        re.match(f"[{_CJK_ANY}]", c) or c.isascii() and c.isprintable() for c in text)


@lru_cache(maxsize=1)
def _word_freq() -> dict:
    import jieba

    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer.FREQ


def _guess_char(lead: int, previous: str) -> str | None:
    """The character with lead byte ``lead`` that best forms a word with ``previous``."""
    from huiqi.text import to_simplified

    freq = _word_freq()
    best, best_freq = None, 0
    for trail in list(range(0x40, 0x7F)) + list(range(0x80, 0xFF)):
        try:
            ch = bytes([lead, trail]).decode("gb18030")
        except UnicodeDecodeError:
            continue
        if not _is_cjk(ch):
            continue
        word = to_simplified(previous + ch)
        f = freq.get(word, 0)
        if f > best_freq:
            best, best_freq = ch, f
    return best if best_freq >= 100 else None


def _repair_run(run: str, previous: str) -> tuple[str, int] | None:
    """Repair a shifted run that follows a "?"; (repaired text, characters consumed) or None."""
    data = bytearray(b"\xa1")  # the lost first byte: the ideographic indentation space "　"
    consumed = 0
    dangling = False
    for ch in run:
        if ch in "?\ufffd":  # an undecodable byte pair: its second byte is lost
            dangling = True
            consumed += 1
            break
        encoded = _char_bytes(ch)
        if encoded is None:
            return None
        data += encoded
        consumed += 1
        if len(encoded) == 1:  # a single byte re-synchronises the stream
            break
    else:
        return None  # the run never re-synchronised within the line: leave it alone
    tail = ""
    if len(data) % 2:  # an odd count means the last character lost its second byte
        if not dangling:
            return None
        lead = data.pop()
        try:
            head = data.decode("gb18030")
        except UnicodeDecodeError:
            return None
        guess = _guess_char(lead, (previous + head)[-1:])
        tail = guess or "?"
    else:
        try:
            head = data.decode("gb18030")
        except UnicodeDecodeError:
            return None
        if dangling:
            tail = "?"
    if not head.startswith("\u3000"):  # the restored byte must complete the indentation space
        return None
    fixed = head + tail
    check = fixed.replace("?", "") if tail == "?" else fixed
    if not _plausible(check):
        return None
    return fixed, consumed


def repair_mojibake(text: str) -> str:
    """Undo one-byte-shifted GBK decoding in the damaged runs only."""
    if "?" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if ch == "?" and nxt and _at_line_start(text, i) and _suspicious_start(text, i + 1):
            end = text.find("\n", i + 1)
            run = text[i + 1:end if end >= 0 else len(text)]
            result = _repair_run(run, "".join(out)[-1:])
            if result:
                fixed, consumed = result
                out.append(fixed)
                i += 1 + consumed
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def _at_line_start(text: str, pos: int) -> bool:
    """The lost byte is only known at a line start: the first byte of the indentation "　"."""
    start = text.rfind("\n", 0, pos) + 1
    return not text[start:pos].strip(" \t\u3000")


def _suspicious_start(text: str, pos: int) -> bool:
    """A shifted run shows a suspicious character within its first few characters."""
    window = text[pos:pos + 4]
    return any(_suspicious(c) and c != "?" for c in window)


# ---------------------------------------------------------------- 2. broken lines
_TERMINAL = "。；;：:！!？?）)”』」〕】"
_NUMBERED = re.compile(r"^\s*([一二三四五六七八九十]+[、．.]|[（(]\s*[一二三四五六七八九十\d]+\s*[）)]|\d{1,3}\s*[.．、](?!\d)|[①-⑳])")
_FIELD = re.compile(r"^\s*(牵头|責任|责任|配合|完成|时限|整改措施|牽頭|抄送|附件)")


def join_broken_lines(text: str) -> str:
    """Join a body line that stops mid-sentence with the line that continues it."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j < len(lines) and _continues(line, lines[j]):
            lines[j] = line.rstrip() + lines[j].strip()
            i = j
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def _continues(line: str, following: str) -> bool:
    body = line.strip()
    if len(body) < 20 or body[-1] in _TERMINAL or not re.search(r"[。，,]", body) or body.count("|") >= 2:
        return False  # (a table row ends where its line ends)
    head = following.strip()
    return bool(head) and not _NUMBERED.match(head) and not _FIELD.match(head) \
        and bool(re.match(f"[{_CJK}“《]", head))


# ---------------------------------------------------------------- 3. spaces, 4. widths
_SPACE_CJK = re.compile(f"(?<=[{_CJK_ANY}])[ \t\u00a0\u2002\u2003]+(?=[^\\s])|(?<=[^\\s])[ \t\u00a0\u2002\u2003]+(?=[{_CJK_ANY}])")
_FULLWIDTH_ALNUM = re.compile(r"[０-９Ａ-Ｚａ-ｚ]")
_SPACE_AROUND_PUNCT = re.compile(f"(?<=[{_CJK_ANY}),:;!?])\\s+(?=[,:;!?()])|(?<=[,:;!?(])\\s+(?=[{_CJK_ANY}])")


_PUNCT = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "!": "！"}
_PUNCT_NEAR_CJK = re.compile(f"(?<=[{_CJK_ANY}])\\s*([,:;!(])\\s*|([(])\\s*(?=[{_CJK}])|\\s*(?<=[{_CJK}])([)])")


def typeset_punct(line: str) -> str:
    """ASCII , : ; ( ) ! next to Chinese in their full-width forms, for what the system writes from a
    document (an item's title, its heading path); the item's text keeps the document's own widths."""
    line = _PUNCT_NEAR_CJK.sub(lambda m: _PUNCT[next(g for g in m.groups() if g)], line)
    # a closing ")" whose "(" became "（" (e.g. "（州、矿区)") follows it
    return re.sub(r"（([^（）()\n]{0,40})\)", r"（\1）", line)


def fold_widths(line: str) -> str:
    line = _FULLWIDTH_ALNUM.sub(lambda m: unicodedata.normalize("NFKC", m.group()), line)
    return _SPACE_AROUND_PUNCT.sub("", line)  # "优惠 ( 见附件 )" → "优惠(见附件)"


def repair_line(line: str) -> str:
    for _ in range(4):  # each pass can expose a neighbour for the next; stop at the fixed point
        fixed = fold_widths(_SPACE_CJK.sub("", line.strip(" \t\u3000\u00a0")))
        if fixed == line:
            break
        line = fixed
    return line


def repair_text(text: str) -> str:
    """Repair extraction damage; idempotent (repair_text(repair_text(t)) == repair_text(t))."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = repair_mojibake(text)
    text = "\n".join(repair_line(line) for line in text.split("\n"))
    text = join_broken_lines(text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
