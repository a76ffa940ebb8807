"""Document shapes other than a numbered outline: cleaning, metadata blocks, key:value cards,
tables, Q&A interviews, 一是……二是…… enumerations and plain paragraphs (news reports).

Each reader returns ``Piece`` objects (title, text, heading path, fields); ``parse`` turns them
into measures. Texts keep the document's own characters; labels and keys are matched on the
simplified form so traditional documents read the same.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from huiqi.text import to_simplified

TITLE_MAX = 40


@dataclass
class Piece:
    key: str
    title: str
    text: str
    heading_path: list[str]
    fields: dict = field(default_factory=dict)   # lead, units, deadline, beneficiaries, basis, how_to_apply, contact
    kind: tuple[str, str] | None = None           # (kind, reason) when the shape decides it


def first_sentence_title(text: str) -> str:
    """The first sentence, cut to TITLE_MAX characters at a comma or 、."""
    first = re.split(r"[。；;！？!?\n]", text.strip(), maxsplit=1)[0].strip()
    first = re.sub(r"[：:，,]$", "", first)
    if len(first) <= TITLE_MAX:
        return first
    for stops in ("，,", "、"):
        cut = max(first.rfind(c, 0, TITLE_MAX) for c in stops)
        if cut >= 8:
            return first[:cut]
    return first[:TITLE_MAX]


# ------------------------------------------------------------------ cleaning
_SOURCE_LINE = re.compile(r"^#?\s*(source|来源网址|原文链接)\s*[:：]\s*(https?://\S+)\s*$", re.I)
_URL_LINE = re.compile(r"^\s*(https?://|www\.)\S*\s*$")
_CHROME = re.compile(r"^(EN|中文|English|打印|关闭|分享|收藏|返回顶部|【?打印本页】?|【?关闭窗口】?)$|^字[号號]\s*[:：]|"
                     r"^[（(]?[资資]料[图圖]片[)）]?$|^分享到")
_PINYIN = "a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü"
_GLOSS = re.compile(rf"(?<=[\u4e00-\u9fff])[(（][{_PINYIN}]{{1,7}}[)）]|\?[{_PINYIN}]{{1,7}}[)）]")


def clean_lines(text: str) -> tuple[list[str], str | None, list[str]]:
    """(lines, source URL, warnings): page chrome, URL lines and pinyin glosses ("運(yùn)") removed."""
    url, warnings, out = None, [], []
    glossed = 0
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        m = _SOURCE_LINE.match(line)
        if m:
            url = m.group(2)
            continue
        if _URL_LINE.match(line) or _CHROME.search(to_simplified(line)):
            continue
        line, n = _GLOSS.subn("", line)
        glossed += n
        if line.strip():
            out.append(line.strip())
    if glossed:
        warnings.append(f"已去掉正文中的 {glossed} 处拼音注音（如“运(yùn)”）。")
    return out, url, warnings


# ------------------------------------------------------------------ metadata block
_META_KEYS = {
    "doc_number": ("文号", "发文字号", "发文文号"),
    "date": ("发布日期", "发文日期", "成文日期", "印发日期", "发布时间", "时间", "日期"),
    "issuer": ("发布机构", "发文机关", "发文单位", "发布单位", "来源", "信息来源"),
    "other": ("索引号", "主题词", "主题分类", "公开方式", "公开范围", "有效性", "生效日期", "作者", "浏览次数", "点击数",
              "分类", "体裁分类", "组配分类", "名称"),
}
_META_LINE = re.compile(r"^(%s)\s*[:：]\s*(.*)$" % "|".join(k for ks in _META_KEYS.values() for k in ks))
# a web page's time stamp ("2020-03-19 13:26 来源: 新华社"); "2024年5月6日" lines are signatures, read by parse
_STAMP_LINE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(\s+\d{1,2}:\d{2}(:\d{2})?)?\s*(来源\s*[:：]\s*(.+))?$")


def parse_date(value: str) -> str | None:
    m = re.search(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", value or "")
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else None


def split_metadata(lines: list[str]) -> tuple[list[str], dict]:
    """Lines of a notice's metadata block (文号, 索引号, 发布日期, 来源 …) → fields; not items.

    Only short lines are read as metadata, and only in the document's head (before the first
    long paragraph) or as a run of at least two such lines anywhere.
    """
    meta: dict = {}
    keep: list[str] = []
    head = True
    for i, line in enumerate(lines):
        simple = to_simplified(line)
        m = _META_LINE.match(simple) if len(simple) <= 80 else None
        near = any(_META_LINE.match(to_simplified(x)) for x in lines[max(0, i - 1):i] + lines[i + 1:i + 2])
        if m and (head or near) and (m.group(1) != "名称" or near):
            key, value = m.group(1), m.group(2).strip()
            for name, keys in _META_KEYS.items():
                if key in keys:
                    if name == "date":
                        value = parse_date(value) or None
                    if value and name != "other":
                        meta.setdefault(name, value)
                    if value:
                        meta.setdefault("block", {})[key] = m.group(2).strip()
            continue
        s = _STAMP_LINE.match(simple) if len(simple) <= 60 else None
        if s and head:
            meta.setdefault("date", parse_date(simple))
            if s.group(7):
                meta.setdefault("issuer", s.group(7).strip())
            continue
        if len(simple) > 60:
            head = False
        keep.append(line)
    return keep, meta


# ------------------------------------------------------------------ key:value cards
_CARD_FIELDS = {
    "title": ("政策名称", "事项名称", "项目名称", "措施名称", "标题"),
    "beneficiaries": ("享受主体", "适用对象", "支持对象", "受惠对象", "惠企对象", "申报主体", "适用范围"),
    "content": ("优惠内容", "政策内容", "支持内容", "扶持内容", "补贴标准", "支持标准", "主要内容", "政策要点", "惠企内容"),
    "conditions": ("申报条件", "申请条件", "享受条件", "受惠条件"),
    "deadline": ("执行期限", "有效期", "有效期限", "执行时间", "政策期限", "申报时间"),
    "basis": ("政策依据", "文件依据", "依据"),
    "how_to_apply": ("办理流程", "申报流程", "办理方式", "申报方式", "申报材料", "办理地点", "受理单位", "兑现方式", "申请材料",
                     "申请方式", "申请流程", "如何申请", "办理渠道", "申请渠道", "申报渠道", "办理途径", "申请途径"),
    "contact": ("咨询电话", "联系电话", "联系方式", "咨询方式", "咨询热线", "服务热线"),
    "lead": ("主管部门", "牵头部门", "责任单位", "实施部门", "牵头主办部门"),
}
_CARD_KEY = {k: name for name, keys in _CARD_FIELDS.items() for k in keys}
_CARD_LINE = re.compile(r"^(%s)\s*[:：]\s*(.*)$" % "|".join(sorted(_CARD_KEY, key=len, reverse=True)))


# A labelled line or sentence inside an item's body ("申请方式：登录…办理。", "咨询电话：0931-…").
_LABELLED = re.compile(r"(?:^|(?<=[。；;！!\n]))\s*(%s)\s*[:：]\s*([^\n]+?)\s*(?=[。；;]\s*(?:\S{2,6}\s*[:：]|$)|\n|$)"
                       % "|".join(sorted(_CARD_FIELDS["how_to_apply"] + _CARD_FIELDS["contact"], key=len, reverse=True)),
                       re.M)


def labelled_fields(text: str) -> dict:
    """``how_to_apply`` and ``contact`` from labelled lines of an item's body, as the document words them
    (all labelled ways to apply joined in order, e.g. 申请方式 then 申请材料); {} when there is none."""
    found: dict[str, list[tuple[str, str]]] = {}
    simple = to_simplified(text or "")  # same length: values are cut from the document's own text
    for m in _LABELLED.finditer(simple):
        value = text[m.start(2):m.end(2)].strip().rstrip("。；;，,")
        if value:
            found.setdefault(_CARD_KEY[m.group(1)], []).append((text[m.start(1):m.end(1)], value))
    return {name: pairs[0][1] if len(pairs) == 1 else "；".join(f"{label}：{value}" for label, value in pairs)
            for name, pairs in found.items()}


def is_card(lines: list[str]) -> bool:
    hits = [ln for ln in lines if _CARD_LINE.match(to_simplified(ln))]
    names = {_CARD_KEY[_CARD_LINE.match(to_simplified(ln)).group(1)] for ln in hits}
    return len(hits) >= 2 and len(names) >= 2 and ("content" in names or "beneficiaries" in names) \
        and len(hits) * 2 >= len(lines) - 1


def card_pieces(lines: list[str], doc_title: str | None) -> list[Piece]:
    """One item per card; a key seen again starts the next card. Lines without a key continue the last value."""
    cards: list[list[tuple[str, str, str]]] = [[]]
    for line in lines:
        m = _CARD_LINE.match(to_simplified(line))
        if m:
            name = _CARD_KEY[m.group(1)]
            if any(n == name for n, _, _ in cards[-1]):
                cards.append([])
            cards[-1].append((name, line, line[m.start(2):].strip()))
        elif cards[-1]:
            n, raw, value = cards[-1][-1]
            cards[-1][-1] = (n, raw + "\n" + line, value + line)
    out = []
    for i, card in enumerate(c for c in cards if c):
        values = {}
        for name, _, value in card:
            values.setdefault(name, value)
        text = "\n".join(raw for _, raw, _ in card)
        title = values.get("title") or first_sentence_title(values.get("content") or values.get("conditions")
                                                            or text.split("\n")[0])
        fields = {k: values[k] for k in ("beneficiaries", "deadline", "basis", "how_to_apply", "contact") if values.get(k)}
        if values.get("lead"):
            fields["lead"] = values["lead"]
        out.append(Piece(key=f"card/{i + 1}", title=title, text=text,
                         heading_path=[doc_title] if doc_title else [], fields=fields,
                         kind=("measure", "政策卡片写明了享受主体和优惠内容") if values.get("content") else None))
    return out


# ------------------------------------------------------------------ tables
def _cells(line: str) -> list[str]:
    parts = [c.strip() for c in line.strip().strip("|").split("|")]
    return parts


def table_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(start, end) of runs of at least two pipe-separated lines whose first line names a known column."""
    blocks, i = [], 0
    while i < len(lines):
        if lines[i].count("|") >= 2:
            j = i
            while j < len(lines) and lines[j].count("|") >= 2:
                j += 1
            header = [re.sub(r"\s+", "", to_simplified(c)) for c in _cells(lines[i])]
            if j - i >= 2 and any(_column(h) for h in header):
                blocks.append((i, j))
            i = j
        else:
            i += 1
    return blocks


_COLUMNS = (  # (field, header fragments), first match wins
    ("title", ("政策名称", "事项名称", "项目名称", "措施名称", "政策标题")),
    ("category", ("政策类别", "类别", "政策类型")),
    ("beneficiaries", ("受惠对象", "享受主体", "适用对象", "支持对象", "申报主体")),
    ("conditions", ("受惠条件", "申报条件", "享受条件", "适用条件", "标准")),
    ("content", ("优惠内容", "政策内容", "支持内容", "主要内容", "政策解读", "扶持内容")),
    ("basis", ("政策依据", "文件依据")),
    ("lead", ("牵头", "主办部门", "主管部门", "责任单位")),
    ("office", ("承办科室", "承办单位", "经办", "受理单位")),
    ("deadline", ("执行期限", "有效期", "执行时间")),
    ("how_to_apply", ("办理流程", "申报流程", "办理方式", "申报方式")),
    ("forms", ("申报表格", "申请表")),
    ("materials", ("申报材料", "申请材料")),
    ("contact", ("咨询电话", "联系电话", "联系方式")),
    ("level", ("政策层级", "层级")),
    ("number", ("序号", "编号")),
)


def _column(header: str) -> str | None:
    for name, frags in _COLUMNS:
        if any(f in header for f in frags):
            return name
    return None


def table_pieces(lines: list[str], doc_title: str | None, index: int) -> tuple[list[Piece], list[str]]:
    header_raw = _cells(lines[0])
    header = [re.sub(r"\s+", "", c) for c in header_raw]
    cols = [_column(to_simplified(h)) for h in header]
    pieces, warnings = [], []
    for r, line in enumerate(lines[1:], start=1):
        cells = _cells(line)
        while cells and not cells[-1]:
            cells.pop()
        if not any(cells):
            continue
        if len(cells) != len([h for h in header if h]):
            warnings.append(f"表格第 {r} 行有 {len(cells)} 列，表头有 {len([h for h in header if h])} 列："
                            "列可能错位，请在预览中核对该条的字段。")
        values: dict[str, str] = {}
        parts = []
        for h, col, cell in zip(header, cols, cells):
            cell = cell.strip().strip('"')
            if not cell or col == "number":
                continue
            parts.append(f"{h}：{cell}")
            if col:
                values.setdefault(col, cell)
        if not parts:
            continue
        title = values.get("title") or "、".join(v for v in (values.get("category"), values.get("beneficiaries")) if v) \
            or first_sentence_title(values.get("content") or parts[0])
        fields: dict = {}
        for name in ("beneficiaries", "deadline", "basis", "lead", "contact"):
            if values.get(name):
                fields[name] = values[name]
        how = "；".join(v for v in (values.get("how_to_apply"), values.get("materials") and f"申报材料：{values['materials']}",
                                    values.get("forms") and f"申报表格：{values['forms']}") if v)
        if how:
            fields["how_to_apply"] = how
        if values.get("office"):
            fields["units"] = [values["office"]]
            if "电话" in values["office"] and not fields.get("contact"):
                fields["contact"] = values["office"]
        pieces.append(Piece(key=f"table{index}/{r}", title=title[:TITLE_MAX], text="\n".join(parts),
                            heading_path=[doc_title] if doc_title else [], fields=fields,
                            kind=("measure", "政策清单表格中的一行：写明受惠对象和政策内容")
                            if values.get("beneficiaries") else None))
    return pieces, warnings


# ------------------------------------------------------------------ Q&A interviews
_QUESTION = re.compile(r"^(问|記者|记者|主持人|网友|网民|提问|Q)\s*\d*\s*[:：]\s*")
_ANSWER = re.compile(r"^(答|A|[\u4e00-\u9fff]{2,4})\s*[:：]\s*")


def is_qa(lines: list[str]) -> bool:
    qs = [i for i, ln in enumerate(lines) if _QUESTION.match(to_simplified(ln))]
    return bool(qs) and any(i + 1 < len(lines) and _ANSWER.match(to_simplified(lines[i + 1]))
                            and not _QUESTION.match(to_simplified(lines[i + 1])) for i in qs)


def qa_pieces(lines: list[str], doc_title: str | None) -> tuple[list[Piece], list[str]]:
    """Each answer is an item (its question kept in the text and the heading path); an answer that
    enumerates (一是……二是……) also gives one item per point."""
    pieces: list[Piece] = []
    lead: list[str] = []
    i, n = 0, 0
    while i < len(lines):
        q = _QUESTION.match(to_simplified(lines[i]))
        if not q:
            if not pieces:
                lead.append(lines[i])
            i += 1
            continue
        question = lines[i]
        j = i + 1
        answer: list[str] = []
        while j < len(lines) and not _QUESTION.match(to_simplified(lines[j])):
            answer.append(lines[j])
            j += 1
        i = j
        if not answer:
            continue
        n += 1
        qtext = question[q.end():].strip()
        body = [answer[0][_ANSWER.match(to_simplified(answer[0])).end():] if _ANSWER.match(to_simplified(answer[0]))
                else answer[0]] + answer[1:]
        asked = re.split(r"[请請]问|[请請]問", qtext)
        qtitle = first_sentence_title(asked[-1] if len(asked) > 1 and len(asked[-1]) >= 6 else qtext)
        path = ([doc_title] if doc_title else []) + [f"问：{qtitle}"]
        pieces.append(Piece(key=f"qa/{n}", title=qtitle, text=question + "\n" + "\n".join(answer), heading_path=path))
        for k, (etitle, etext) in enumerate(enumeration("\n".join(body)) or [], start=1):
            pieces.append(Piece(key=f"qa/{n}/{k}", title=etitle, text=etext, heading_path=path))
    return pieces, []


# ------------------------------------------------------------------ 一是……二是……
_ENUM = re.compile(r"(?:^|(?<=[。；;！!？?：:\n]))\s*(?:第)?([一二三四五六七八九十]{1,3})(?:是|要|方面)[，,：:]?")
_CN_DIGITS = "一二三四五六七八九十"


def enumeration(paragraph: str) -> list[tuple[str, str]] | None:
    """Points of an 一是……二是…… paragraph, as (title, text); None unless it counts 一, 二 … in order."""
    marks = list(_ENUM.finditer(paragraph))
    expected, keep = 1, []
    for m in marks:
        if m.group(1) == _CN_DIGITS[min(expected, 10) - 1] if expected <= 10 else False:
            keep.append(m)
            expected += 1
    if len(keep) < 2:
        return None
    out = []
    for a, b in zip(keep, keep[1:] + [None]):
        text = paragraph[a.start():b.start() if b else len(paragraph)].strip()
        body = paragraph[a.end():b.start() if b else len(paragraph)].strip()
        if len(body) >= 6:
            out.append((first_sentence_title(body), text))
    return out


def enumeration_intro(paragraph: str) -> str:
    marks = list(_ENUM.finditer(paragraph))
    return paragraph[:marks[0].start()].strip() if marks else paragraph


# ------------------------------------------------------------------ paragraphs (news, preambles)
_SENTENCE = re.compile(r"[。！？!?；;]")


def is_paragraph(line: str) -> bool:
    """A line of running text (not a headline, signature or label)."""
    return len(line) >= 20 and bool(_SENTENCE.search(line) or line.count("，") + line.count(",") >= 2)


def paragraph_pieces(lines: list[str], doc_title: str | None, prefix: str,
                     attach: callable = None) -> list[Piece]:
    """Paragraph items: each running-text paragraph is an item, an 一是……二是…… paragraph one per
    point (with its lead-in as its own item when substantial). Short lines that ``attach`` accepts
    (signatures, dates) are appended to the paragraph before them; a short headline-like line
    becomes the heading of the paragraphs that follow it."""
    pieces: list[Piece] = []
    heading: list[str] = [doc_title] if doc_title else []
    section: str | None = None
    n = 0
    for line in lines:
        if not is_paragraph(line):
            if pieces and attach and attach(line):
                pieces[-1].text += "\n" + line
            elif 2 <= len(line) <= TITLE_MAX and not _SENTENCE.search(line) and (not doc_title or
                                                                                  to_simplified(line) != to_simplified(doc_title)):
                section = line
            continue
        path = heading + ([section] if section else [])
        points = enumeration(line)
        if points:
            intro = enumeration_intro(line)
            if len(intro) >= 20:
                n += 1
                pieces.append(Piece(key=f"{prefix}/{n}", title=first_sentence_title(intro), text=intro, heading_path=path))
            for title, text in points:
                n += 1
                pieces.append(Piece(key=f"{prefix}/{n}", title=title, text=text, heading_path=path))
            continue
        n += 1
        pieces.append(Piece(key=f"{prefix}/{n}", title=first_sentence_title(line), text=line, heading_path=path))
    return pieces
