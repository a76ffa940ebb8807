"""Splitting a policy document into measures along its own numbering.

The outline is read from the numbering markers Chinese official documents use — 一、 /（一）/
1. /（1）/ ① — with a stack: a marker kind seen before closes everything below it, a new kind
opens a level below the current one. So the levels come from the document, not from a fixed
order (a plan may put 1. directly under 一、).

A measure is an outline item that carries substantive text of its own (besides its title), so
bare headings such as "二、重点任务" are only part of the heading paths below them. Its ``key`` is the numbering path ("二/（五）/19"), stable across
re-imports; ``heading_path`` lists the headings from the top down to the measure itself.

Responsibility blocks are lifted out of the text into fields, in the forms the seeds use:
"（牵头部门：厅法规处；责任部门：…；完成时限：…）", separate "牵头单位：…" lines, and
"〔局政策法规科牵头，…〕". Field values are simplified Chinese; text and titles keep the
document's own characters (the index normalises them).

Document metadata comes from the lines before the first numbered item (and the trailer after
"抄送"): the title, issuer, document number (e.g. 甘交政法〔2018〕17号), date and region.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from huiqi.text import normalize, to_simplified

from . import formats
from .conditions import infer_conditions, infer_redemption_mode, infer_tags
from .extract import read_text
from .kinds import infer_kind
from .repair import repair_text, typeset_punct


@dataclass
class ParsedMeasure:
    key: str
    title: str
    text: str
    heading_path: list[str]
    lead_department: str | None = None
    responsible_units: list[str] = field(default_factory=list)
    deadline: str | None = None
    conditions: dict = field(default_factory=dict)
    redemption_mode: str = "告知类"
    tags: list[str] = field(default_factory=list)
    beneficiaries: str | None = None     # 享受主体 / 受惠对象, as the document states it
    basis: str | None = None             # 政策依据
    how_to_apply: str | None = None
    contact: str | None = None
    kind: str = "measure"
    kind_reason: str = ""


@dataclass
class ParsedDocument:
    doc_key: str
    title: str
    issuer: str | None
    doc_number: str | None
    date: str | None
    region: str | None
    source: str
    measures: list[ParsedMeasure] = field(default_factory=list)
    source_url: str | None = None
    shape: str = "outline"               # outline | paragraphs | card | table | qa (how it was read)
    warnings: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ outline markers
_CN_NUM = "一二三四五六七八九十百零〇"
_MARKERS = (  # (kind, pattern); group 1 is the number
    ("cn", re.compile(rf"^([{_CN_NUM}]{{1,4}})\s*[、．.]\s*")),
    ("paren_cn", re.compile(rf"^[（(]\s*([{_CN_NUM}]{{1,4}})\s*[）)]\s*")),
    ("num", re.compile(r"^(\d{1,3})\s*[.．、](?!\d)\s*")),
    ("paren_num", re.compile(r"^[（(]\s*(\d{1,3})\s*[）)]\s*")),
    ("circled", re.compile(r"^([①-⑳])\s*")),
)
_LABEL = {"cn": "{}、", "paren_cn": "（{}）", "num": "{}.", "paren_num": "（{}）", "circled": "{}"}
_KEY = {"cn": "{}", "paren_cn": "（{}）", "num": "{}", "paren_num": "（{}）", "circled": "{}"}

MIN_TEXT_CHARS = 20      # an item needs this much text besides its title to be a measure

_TRAILER = re.compile(r"^(抄送|抄报|主题词|主送)[:：]|^\d{4}年\d{1,2}月\d{1,2}日印发$|^特此(公告|通告|通知|函告)|"
                      r"^附件\s*\d*\s*[:：]")
_PRINTED = re.compile(r"^(抄送|抄报|主题词|主送)[:：]|印发$")
_DATE_LINE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(印发|发布)?$")
_DOC_NUMBER = re.compile(r"^([\u4e00-\u9fffA-Za-z]{1,12})\s*[〔\[［【（(]\s*(\d{4})\s*[〕\]］】）)]\s*(\d{1,4})\s*号$")
_ORG_SUFFIX = re.compile(r"(交通运输厅|交通运输局|交通运输委员会|人民政府办公厅|人民政府办公室|人民政府|办公厅|办公室|委员会|厅|局)$")
_TITLE_SUFFIX = re.compile(r"(方案|要点|意见|办法|通知|规定|细则|计划|措施|清单|条例|决定|规划|指南|制度|公告|通告)$")
_PUNCT = re.compile(r"[。，,；;：:！？!?]")


@dataclass
class _Node:
    kind: str
    number: str
    rest: str                      # the heading line after its marker
    parent: "_Node | None" = None
    body: list[str] = field(default_factory=list)
    children: list["_Node"] = field(default_factory=list)

    @property
    def label(self) -> str:
        return _LABEL[self.kind].format(self.number)

    @property
    def key_part(self) -> str:
        return _KEY[self.kind].format(self.number)


def _marker(line: str) -> tuple[str, str, str] | None:
    for kind, pattern in _MARKERS:
        m = pattern.match(line)
        if m and line[m.end():].strip():
            return kind, m.group(1), line[m.end():].strip()
    return None


# ------------------------------------------------------------------ public API
def parse_file(path: Path) -> ParsedDocument:
    """read_text → repair_text → parse_document."""
    path = Path(path)
    return parse_document(repair_text(read_text(path)), path.name)


def parse_document(text: str, source: str) -> ParsedDocument:
    """Split repaired document text into items and read its metadata.

    The shape decides how: a key:value policy card, pipe tables (one row per item), a Q&A
    interview, a numbered outline, or running paragraphs (news, 一是……二是…… enumerations).
    A metadata block (文号, 索引号, 发布日期 …) fills the document's fields and yields no item.
    """
    lines, url, warnings = formats.clean_lines(text)
    lines, block = formats.split_metadata(lines)
    tables = formats.table_blocks(lines)
    table_lines = {i for a, b in tables for i in range(a, b)}
    rest = [ln for i, ln in enumerate(lines) if i not in table_lines]
    preamble, outline, trailer = _sections(rest)
    meta = _metadata(preamble, trailer, text, source)
    for key in ("doc_number", "date", "issuer"):
        if block.get(key) and not meta.get(key):
            meta[key] = block[key]
    if block.get("doc_number") and meta["doc_key"] == normalize(meta["title"]):
        meta["doc_key"] = block["doc_number"]
    title = meta["title"]
    pieces: list[formats.Piece] = []
    for t, (a, b) in enumerate(tables, start=1):
        found, warn = formats.table_pieces(lines[a:b], title, t)
        pieces += found
        warnings += warn
    shape = "table" if tables else "outline"
    if formats.is_card(rest):
        shape = "card"
        pieces += formats.card_pieces(rest, title)
    elif formats.is_qa(rest):
        shape = "qa"
        found, warn = formats.qa_pieces(rest, title)
        pieces += found
        warnings += warn
    elif outline:
        roots = _build_outline(outline)
        _drop_closing(roots)
        pieces += [_context(p, "文件导语（正文前的说明）")
                   for p in formats.paragraph_pieces(preamble, title, "导语", attach=_is_signature)]
        closing = [ln for ln in trailer if not _PRINTED.search(to_simplified(ln))]
        if closing and any(_is_signature(ln) for ln in closing):  # listed first: the items keep their order
            pieces.append(formats.Piece(key="落款", title=f"{title}（落款）"[:formats.TITLE_MAX + 6],
                                        text="\n".join(closing), heading_path=[title],
                                        kind=("context", "文件末尾的落款、附件说明")))
        pieces += _outline_pieces(roots)
    elif not tables:
        shape = "paragraphs"
        pieces += formats.paragraph_pieces(preamble, title, "段", attach=_is_signature)
        if pieces:
            warnings.append("未识别到“一、（一）1.”等编号层级：已按段落（及“一是……二是……”）切分，请在预览中核对。")
    measures = _to_measures(pieces)
    if measures and not re.search(r"[。！？!?；;”」）)\]】|]$|[日号]$", measures[-1].text.rstrip()):
        warnings.append("文件末尾不是完整的句子，可能被截断：请核对最后一条是否完整。")
    return ParsedDocument(measures=measures, source=source, source_url=url, shape=shape, warnings=warnings, **meta)


def _context(piece: formats.Piece, reason: str) -> formats.Piece:
    piece.kind = ("context", reason)
    return piece


def _to_measures(pieces: list[formats.Piece]) -> list[ParsedMeasure]:
    out: list[ParsedMeasure] = []
    seen: dict[str, int] = {}
    for p in pieces:
        kind, reason = p.kind or infer_kind(p.title, p.text, p.heading_path)
        f = {**formats.labelled_fields(p.text), **p.fields}  # what the item's own labelled lines say, unless set
        key = p.key
        if key in seen:  # a document that numbers two items alike (e.g. two "（三）")
            seen[key] += 1
            key = f"{key}#{seen[key]}"
        else:
            seen[key] = 1
        out.append(ParsedMeasure(
            key=key, title=typeset_punct(p.title), text=p.text, heading_path=[typeset_punct(h) for h in p.heading_path],
            lead_department=f.get("lead") and typeset_punct(f["lead"]),
            responsible_units=[typeset_punct(u) for u in f.get("units") or []], deadline=f.get("deadline"),
            conditions=infer_conditions(p.text, title=p.title), redemption_mode=infer_redemption_mode(p.text),
            tags=infer_tags(p.text), beneficiaries=f.get("beneficiaries"), basis=f.get("basis"),
            how_to_apply=f.get("how_to_apply"), contact=f.get("contact"), kind=kind, kind_reason=reason))
    return out


# ------------------------------------------------------------------ outline
def _sections(lines: list[str]) -> tuple[list[str], list[str], list[str]]:
    start = next((i for i, ln in enumerate(lines) if _marker(ln)), len(lines))
    end = next((i for i in range(start, len(lines)) if _TRAILER.search(lines[i])), len(lines))
    # the issuing office's name just above "抄送"/"印发" belongs to the trailer too
    while end > start and _is_signature(lines[end - 1]):
        end -= 1
    return lines[:start], lines[start:end], lines[end:]


def _is_signature(line: str) -> bool:
    simple = to_simplified(line)
    return bool(_DATE_LINE.match(simple)) or (len(simple) <= 25 and not _PUNCT.search(simple)
                                              and bool(_ORG_SUFFIX.search(simple)))


def _build_outline(lines: list[str]) -> list[_Node]:
    roots: list[_Node] = []
    stack: list[_Node] = []
    for line in lines:
        found = _marker(line)
        if not found:
            if stack and not _is_signature(line):
                stack[-1].body.append(line)
            continue
        kind, number, rest = found
        kinds = [n.kind for n in stack]
        if kind in kinds:
            del stack[kinds.index(kind):]
        node = _Node(kind, number, rest, parent=stack[-1] if stack else None)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


def _walk(nodes: list[_Node]):
    for node in nodes:
        yield node
        yield from _walk(node.children)


def _drop_closing(roots: list[_Node]) -> None:
    """Closing remarks addressed to the units ("各县(市)交通运输局……要……") after the last item."""
    nodes = list(_walk(roots))
    if nodes and nodes[-1].body and nodes[-1].body[-1].startswith("各") and (len(nodes[-1].body) > 1 or _has_title_text(nodes[-1])):
        nodes[-1].body.pop()


def _has_title_text(node: _Node) -> bool:
    return len(node.rest) > formats.TITLE_MAX or bool(re.search(r"[。；;]", node.rest[:-1]))


# ------------------------------------------------------------------ outline items
def _outline_pieces(roots: list[_Node]) -> list[formats.Piece]:
    return [p for p in (_piece(node) for node in _walk(roots)) if p is not None]


def _piece(node: _Node) -> formats.Piece | None:
    raw = "\n".join([node.rest] + node.body)
    text, fields = _split_fields(raw)
    title = formats.first_sentence_title(node.rest)  # a heading line: one line
    own = text[len(title):].lstrip("。；;：:，, \n") if text.startswith(title) else text
    # A heading with no body of its own is no item (it is part of its children's heading path);
    # a leaf whose heading line is itself a full sentence ("一、我单位不再为……办理《道路运输证》。") is one.
    sentence = not node.children and len(text) >= 12 and bool(re.search(r"[。；;！!]$", text))
    if len(own) < MIN_TEXT_CHARS and not sentence:
        return None
    path, keys = [], []
    n: _Node | None = node
    while n is not None:
        path.append(n.label + formats.first_sentence_title(n.rest))
        keys.append(n.key_part)
        n = n.parent
    path.reverse()
    keys.reverse()
    return formats.Piece(key="/".join(keys), title=title, text=text, heading_path=path, fields=fields)


# ------------------------------------------------------------------ responsibility fields
_LEAD_LABELS = ("牵头部门", "牵头单位", "牵头处室", "牵头科室")
_UNIT_LABELS = ("责任部门", "责任单位", "责任处室", "责任科室", "配合单位", "配合部门")
_DEADLINE_LABELS = ("完成时限", "完成时间", "时间节点", "办结时限")
_ALL_LABELS = _LEAD_LABELS + _UNIT_LABELS + _DEADLINE_LABELS
_LABEL_RE = "|".join(_ALL_LABELS)
_PAREN_BLOCK = re.compile(rf"[（(〔]\s*(?:{_LABEL_RE})\s*[:：]")
_LABEL_LINE = re.compile(rf"^(?:{_LABEL_RE})\s*[:：]")
_BRACKET_BLOCK = re.compile(r"〔([^〔〕]*?(?:牵头|负责)[^〔〕]*)〕\s*$")
_DUTY_SUFFIX = re.compile(r"(根据|按照?)职责分工(分别)?(牵头|负责)$|分别(牵头|负责)$")


def _split_fields(raw: str) -> tuple[str, dict]:
    """(text without its responsibility block, {"lead", "units", "deadline"})."""
    simple = to_simplified(raw)  # same length as raw for these documents' characters
    blocks: list[str] = []
    keep_lines: list[str] = []
    for line, sline in zip(raw.split("\n"), simple.split("\n")):
        if _LABEL_LINE.match(sline):
            blocks.append(sline)
            continue
        m = _last_match(_PAREN_BLOCK, sline)
        if m and len(sline) == len(line):
            blocks.append(sline[m.start() + 1:])
            line = line[:m.start()].rstrip()
        else:
            b = _BRACKET_BLOCK.search(sline)
            if b and len(sline) == len(line):
                blocks.append(_bracket_fields(b.group(1)))
                line = line[:b.start()].rstrip()
        if line:
            keep_lines.append(line)
    fields: dict = {}
    for block in blocks:
        _parse_block(block, fields)
    return "\n".join(keep_lines).strip(), fields


def _last_match(pattern: re.Pattern, text: str):
    found = None
    for found in pattern.finditer(text):
        pass
    return found


def _bracket_fields(inner: str) -> str:
    """"局政策法规科牵头，公路运输服务中心、…" → "牵头单位：局政策法规科；责任单位：…"."""
    if "牵头" in inner:
        lead, _, units = inner.partition("牵头")
        return f"牵头单位：{lead}；责任单位：{units.lstrip('，,、')}"
    return f"责任单位：{inner}"


def _parse_block(block: str, fields: dict) -> None:
    block = _strip_block_close(block.strip())
    for part in re.split(rf"[；;]\s*(?=(?:{_LABEL_RE})\s*[:：])|\s+(?=(?:{_LABEL_RE})\s*[:：])", block):
        m = re.match(rf"^\s*({_LABEL_RE})\s*[:：]\s*(.*)$", part.strip(), re.S)
        if not m:
            continue
        label, value = m.group(1), m.group(2).strip().rstrip("；;。")
        if label in _DEADLINE_LABELS:
            fields["deadline"] = value or None
            continue
        value = _DUTY_SUFFIX.sub("", value).strip("，,、 ")
        units = _split_units(value)
        if label in _LEAD_LABELS:
            fields["lead"] = "、".join(units) or None
        else:
            fields.setdefault("units", []).extend(u for u in units if u not in fields.get("units", []))


def _strip_block_close(block: str) -> str:
    """Drop the block's own closing bracket (the seeds sometimes omit it: "…交通运输局（委）")."""
    block = re.sub(r"[。.]\s*$", "", block)
    opens = sum(block.count(c) for c in "（(〔")
    closes = sum(block.count(c) for c in "）)〕")
    if closes > opens and block and block[-1] in "）)〕":
        block = block[:-1]
    return block


def _split_units(value: str) -> list[str]:
    """Split at 、，, outside parentheses ("各市（州、矿区）交通运输局" stays whole)."""
    out, depth, cur = [], 0, ""
    for ch in value:
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        if ch in "、，," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [u.strip() for u in (_DUTY_SUFFIX.sub("", u.strip()) for u in out) if u.strip()]


# ------------------------------------------------------------------ metadata
_PROVINCES = ("北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
              "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
              "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
              "宁夏回族自治区", "新疆维吾尔自治区")
# prefecture-level names (full and short) → region path; the seeds' areas and Gansu's cities.
_PREFECTURES = {
    "甘孜藏族自治州": "四川省/甘孜藏族自治州", "甘孜州": "四川省/甘孜藏族自治州",
    "阿坝藏族羌族自治州": "四川省/阿坝藏族羌族自治州", "凉山彝族自治州": "四川省/凉山彝族自治州",
    "成都市": "四川省/成都市", "兰州市": "甘肃省/兰州市", "兰州新区": "甘肃省/兰州新区", "嘉峪关市": "甘肃省/嘉峪关市",
    "金昌市": "甘肃省/金昌市", "白银市": "甘肃省/白银市", "天水市": "甘肃省/天水市", "武威市": "甘肃省/武威市",
    "张掖市": "甘肃省/张掖市", "平凉市": "甘肃省/平凉市", "酒泉市": "甘肃省/酒泉市", "庆阳市": "甘肃省/庆阳市",
    "定西市": "甘肃省/定西市", "陇南市": "甘肃省/陇南市", "临夏回族自治州": "甘肃省/临夏回族自治州",
    "甘南藏族自治州": "甘肃省/甘南藏族自治州",
}


def _short(province: str) -> str:
    return re.sub(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区)$", "", province)


def _region_of(name: str) -> str | None:
    for prefecture, path in _PREFECTURES.items():
        if prefecture in name:
            return path
    for province in _PROVINCES:
        if name.startswith(province) or name.startswith(_short(province)):
            return province
    return None


def _metadata(preamble: list[str], trailer: list[str], text: str, source: str) -> dict:
    simple_pre = [to_simplified(ln) for ln in preamble]
    simple_trail = [to_simplified(ln) for ln in trailer]
    doc_number = next((_format_number(m) for ln in simple_pre + simple_trail if (m := _DOC_NUMBER.match(ln))), None)
    date = _date(simple_pre, simple_trail)
    title = _doc_title(preamble) or Path(source).stem
    issuer = _issuer(simple_pre, simple_trail, to_simplified(title))
    simple_text = to_simplified(text)
    region = (_region_of(issuer) if issuer else None) or _region_of(to_simplified(title)) or _region_from_text(simple_text)
    doc_key = doc_number or normalize(title)
    return {"doc_key": doc_key, "title": title, "issuer": issuer, "doc_number": doc_number, "date": date,
            "region": region}


def _format_number(m: re.Match) -> str:
    return f"{m.group(1)}〔{m.group(2)}〕{m.group(3)}号"


def _date(pre: list[str], trail: list[str]) -> str | None:
    for line in pre + trail:
        m = _DATE_LINE.match(line)
        if m:
            y, mo, d = (int(g) for g in m.groups()[:3])
            if 1 <= mo <= 12 and 1 <= d <= 31:
                return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def _doc_title(preamble: list[str]) -> str | None:
    """The last title-like line (or pair of lines) before the body: the plan, not its cover notice."""
    candidates: list[str] = []
    i = 0
    while i < len(preamble):
        line = preamble[i]
        if _title_like(line):
            simple = to_simplified(line)
            joined = line
            if not _TITLE_SUFFIX.search(simple) and i + 1 < len(preamble) and _title_like(preamble[i + 1]) \
                    and _TITLE_SUFFIX.search(to_simplified(preamble[i + 1])):
                joined = line + preamble[i + 1]
                i += 1
            if _TITLE_SUFFIX.search(to_simplified(joined)):
                candidates.append(joined)
        i += 1
    if candidates:
        return candidates[-1]
    m = next((re.search(r"印发《(.+?)》", ln) for ln in preamble if "印发《" in ln), None)
    return m.group(1) if m else None


def _title_like(line: str) -> bool:
    simple = to_simplified(line)
    return 6 <= len(simple) <= 80 and not _PUNCT.search(simple) and not re.fullmatch(r"[（(].*[）)]", simple) and not _DATE_LINE.match(simple) \
        and not _DOC_NUMBER.match(simple) and not simple.endswith("文件")


def _issuer(pre: list[str], trail: list[str], title: str) -> str | None:
    # 1. the signature above the date in the cover notice
    for i, line in enumerate(pre):
        if _DATE_LINE.match(line) and i > 0 and _is_org(pre[i - 1]):
            return pre[i - 1]
    # 2. a letterhead "甘肃省交通运输厅文件", or an organisation line at the top
    for line in pre[:3]:
        if line.endswith("文件") and _is_org(line[:-2]):
            return line[:-2]
        if _is_org(line):
            return line
    # 3. the title's own prefix ("X市交通运输局优化……方案")
    m = re.match(r"^(?:\d{4}年)?(.{2,15}?(交通运输厅|交通运输局|交通运输委员会|人民政府办公厅|人民政府))", title)
    if m and not m.group(1).startswith(("关于", "全省", "全市")):
        return m.group(1)
    return None


def _is_org(line: str) -> bool:
    return 4 <= len(line) <= 25 and not _PUNCT.search(line) and bool(_ORG_SUFFIX.search(line)) \
        and not line.startswith(("关于", "各"))


def _region_from_text(text: str) -> str | None:
    """A document that speaks of "我省/全省" and names one province far more than any other."""
    if "我省" not in text and "全省" not in text:
        return None
    counts = sorted(((text.count(_short(p)), p) for p in _PROVINCES), reverse=True)
    (best, province), (second, _) = counts[0], counts[1]
    return province if best >= 3 and best >= 3 * max(second, 1) else None
