"""Fixed lists shared by the ledger, the policy base, the API and the bot: defined here once, imported everywhere.

- Enterprises: ``INDUSTRIES``, ``SIZES``, and the words a business uses for its trade (``INDUSTRY_WORDS``).
- Policy items: ``REDEMPTION_MODES``, the item kinds ``ITEM_KINDS`` / ``ITEM_KIND_LABELS``.
- Problems (诉求): ``PROBLEM_CATEGORIES`` and the words for each (``PROBLEM_CATEGORY_WORDS``), the statuses
  ``PROBLEM_STATUS_LABELS`` and which are open (``OPEN_PROBLEM_STATUSES``), the ticket number format
  (``ticket_number``, ``TICKET_PATTERN``, ``TICKET_NLU_REGEX``).
- Ratings: the three values a business can give an answered problem, and the words that mean each.

Where the bot needs a list in its NLU data, the file is generated from this module by
``python -m huiqi.vocabulary nlu`` (``bot/data/nlu/rating.yml``: the ``rating`` lookup table, its synonyms and
the ``rating_words`` regex feature; ``bot/data/nlu/vocabulary.yml``: the ``industry`` and ``category`` lookup
tables with their synonyms and the ``ticket_no`` regex). Unit tests fail when a file and this module disagree,
and when ``bot/domain.yml``'s category buttons differ from ``PROBLEM_CATEGORIES``, so a word is added in one place.
"""
from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

# ---- enterprises ------------------------------------------------------------------------------------------
INDUSTRIES = ("道路货运", "道路客运", "网约车/出租", "公路工程", "机动车维修", "水路运输", "危险货物运输",
              "物流仓储", "驾驶员培训", "其他")
SIZES = ("大", "中", "小", "微")

# Words a business uses for its trade in chat → industry: the NLU ``industry`` lookup table (the value, then
# its words) and synonyms. 其他 is no word anyone says.
INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "道路货运": ("货运", "普货", "货车", "大货车", "重卡", "挂车", "冷链", "冷藏车", "拉货", "跑货运", "跑车的"),
    "道路客运": ("客运", "大巴", "班车", "旅游包车", "包车", "公交"),
    "网约车/出租": ("网约车", "出租车", "出租", "的士", "计程车", "滴滴"),
    "公路工程": ("修路", "路桥", "公路施工"),
    "机动车维修": ("汽修", "修车", "修车厂", "维修厂", "汽车维修"),
    "水路运输": ("船运", "航运", "船舶", "渡口"),
    "危险货物运输": ("危险品运输", "危险品", "危货", "危化品", "油罐车"),
    "物流仓储": ("物流", "仓储", "快递", "货代"),
    "驾驶员培训": ("驾校", "驾培"),
}

# ---- policy items -----------------------------------------------------------------------------------------
REDEMPTION_MODES = ("免申即享", "依申请", "告知类")
ITEM_KINDS = ("measure", "commitment", "problem", "context")
ITEM_KIND_LABELS = {"measure": "惠企措施", "commitment": "本局承诺", "problem": "问题整改", "context": "背景说明"}

# ---- problems (诉求) ---------------------------------------------------------------------------------------
PROBLEM_CATEGORIES = ("政策落实", "审批服务", "执法检查", "收费", "招投标", "其他")
# Words for each category in chat: the NLU ``category`` lookup table (the value, then its words) and synonyms.
PROBLEM_CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "政策落实": ("政策不落实", "补贴没发", "补贴不到位"),
    "审批服务": ("审批", "办证", "许可", "年审", "窗口"),
    "执法检查": ("执法", "检查", "罚款", "乱罚款", "扣车", "路政"),
    "收费": ("乱收费", "多收费", "过路费"),
    "招投标": ("招标", "投标", "保证金"),
    "其他": (),
}
PROBLEM_STATUS_LABELS = {"received": "已受理", "assigned": "已交办", "in_progress": "办理中", "replied": "已答复",
                         "closed": "已办结", "rated": "已评价", "reopened": "重新办理"}
OPEN_PROBLEM_STATUSES = ("received", "assigned", "in_progress", "reopened")

# Ticket numbers: HQ-YYYYMMDD-NNNN as the ledger issues them; read back as people type them (any case, the
# dashes optional, a fifth counter digit once a day passes 9999).
TICKET_PATTERN = re.compile(r"HQ-?(\d{8})-?(\d{4,5})", re.I)
TICKET_NLU_REGEX = r"(?<![0-9A-Za-z])[Hh][Qq][- ]?\d{8}[- ]?\d{4,5}(?![0-9])"
TICKET_MASK = "HQ-20000101-0000"


def ticket_number(day: date, n: int) -> str:
    """The ticket number of the ``n``-th problem filed on ``day``."""
    return f"HQ-{day:%Y%m%d}-{n:04d}"


def ticket_in(text: str) -> str | None:
    """The first ticket number in ``text`` (spaces already removed by the caller), written as the ledger writes it."""
    m = TICKET_PATTERN.search(text or "")
    return f"HQ-{m.group(1)}-{m.group(2)}" if m else None


# ---- ratings ----------------------------------------------------------------------------------------------
RATINGS = ("满意", "基本满意", "不满意")

# Words that mean a rating wherever they stand: the NLU lookup table extracts them as the ``rating`` entity and
# maps each to its value. Keep them unambiguous outside a rating (no bare 好, 一般 only as a whole clause, see
# actions/rating.py).
RATING_ENTITY_WORDS: dict[str, tuple[str, ...]] = {
    "满意": ("非常满意", "很满意", "满意", "好评", "点赞"),
    "基本满意": ("基本满意", "还行", "一般", "凑合", "马马虎虎", "还算满意"),
    "不满意": ("不满意", "很不满意", "非常不满意", "不太满意", "不是很满意", "差评", "太差", "没解决"),
}

# Words that rate only as the answer to the rating question (好 or 不行 elsewhere mean nothing of the kind).
RATING_ANSWER_WORDS: dict[str, tuple[str, ...]] = {
    "满意": ("很好", "不错", "赞", "好"),
    "基本满意": ("还算", "还可以", "一般般"),
    "不满意": ("很差", "不好", "没有解决", "不行", "不咋地", "敷衍", "重新办", "重新处理"),
}

# Stars and scores as app stores ask for them: 4–5 满意, 3 基本满意, 1–2 不满意 (text is normalised first: digits
# half-width). The first group is the count.
RATING_STARS = r"([一二两三四五1-5])\s*[颗个]?星"
RATING_SCORES = r"打[一二两三四五1-5]分|满分"

# Words that tell the intent classifier a message is a rating (the ``rating_words`` regex feature), beside stars
# and scores: only those that rarely occur in anything else.
RATING_CUES = ("好评", "差评", "满意", "凑合", "马马虎虎", "一般般", "不咋地", "敷衍")


def rating_words(value: str) -> tuple[str, ...]:
    """Every word that means ``value``, longest first, so that a regex alternation prefers 不满意 to 满意."""
    words = RATING_ENTITY_WORDS[value] + RATING_ANSWER_WORDS[value]
    return tuple(sorted(dict.fromkeys(words), key=len, reverse=True))


def rating_nlu_yaml() -> str:
    """The Rasa NLU training data for ratings (``bot/data/nlu/rating.yml``), generated from the lists above."""
    out = [*_HEADER,
           "- regex: rating_words",
           "  examples: |",
           "    - " + "|".join((RATING_STARS.replace("(", "").replace(")", ""), RATING_SCORES) + RATING_CUES),
           "- lookup: rating",
           "  examples: |"]
    out += [f"    - {word}" for value in RATINGS for word in RATING_ENTITY_WORDS[value]]
    for value in RATINGS:
        synonyms = [w for w in RATING_ENTITY_WORDS[value] if w != value]
        if synonyms:
            out += [f"- synonym: {value}", "  examples: |"] + [f"    - {w}" for w in synonyms]
    return "\n".join(out) + "\n"



def _entity_yaml(entity: str, words: dict[str, tuple[str, ...]]) -> list[str]:
    """A lookup table of every value and its words, then one synonym block per value that has words."""
    out = [f"- lookup: {entity}", "  examples: |"]
    out += [f"    - {w}" for value, ws in words.items() for w in (value, *ws)]
    for value, ws in words.items():
        if ws:
            out += [f"- synonym: {value}", "  examples: |"] + [f"    - {w}" for w in ws]
    return out


def lists_nlu_yaml() -> str:
    """The Rasa NLU training data for industries, problem categories and ticket numbers
    (``bot/data/nlu/vocabulary.yml``), generated from the lists above."""
    out = [*_HEADER, "- regex: ticket_no", "  examples: |", f"    - {TICKET_NLU_REGEX}"]
    out += _entity_yaml("industry", INDUSTRY_WORDS) + _entity_yaml("category", PROBLEM_CATEGORY_WORDS)
    return "\n".join(out) + "\n"


_HEADER = ('version: "3.1"',
           "# Generated by `python -m huiqi.vocabulary nlu` from huiqi/vocabulary.py;",
           "# edit the lists there, not this file (tests/test_vocabulary.py checks they agree).",
           "nlu:")
NLU_DIR = Path(__file__).resolve().parent.parent / "bot" / "data" / "nlu"
NLU_FILES = {"rating.yml": rating_nlu_yaml, "vocabulary.yml": lists_nlu_yaml}


def write_nlu(nlu_dir: Path = NLU_DIR) -> list[Path]:
    """(Re)write the generated NLU files; returns those whose text changed."""
    changed = []
    for name, make in NLU_FILES.items():
        path, text = nlu_dir / name, make()
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    if sys.argv[1:] != ["nlu"]:
        sys.exit("用法：python -m huiqi.vocabulary nlu（由 huiqi/vocabulary.py 重新生成 bot/data/nlu 下的词表文件）")
    for written in write_nlu():
        print(f"written: {written}")
