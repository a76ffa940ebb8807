"""Fixed lists live once, in huiqi/vocabulary.py: the bot's NLU files are generated from it, the ledger, the
policy base, the API and the actions import it, so a value or a word added there counts the same everywhere."""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import yaml

from actions.rating import rating_clause, rating_from
from huiqi import vocabulary as vocab
from huiqi.errors import Invalid

ROOT = Path(__file__).resolve().parent.parent
NLU_FILE = ROOT / "bot" / "data" / "nlu" / "rating.yml"


def test_the_nlu_rating_file_is_the_one_generated_from_the_vocabulary():
    assert NLU_FILE.read_text(encoding="utf-8") == vocab.rating_nlu_yaml(), (
        "bot/data/nlu/rating.yml is stale: run `python -m huiqi.vocabulary nlu > bot/data/nlu/rating.yml`")


def test_no_other_nlu_file_keeps_its_own_rating_vocabulary():
    for path in sorted((ROOT / "bot" / "data").rglob("*.yml")):
        if path == NLU_FILE:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu") or []:
            assert item.get("lookup") != "rating" and item.get("regex") != "rating_words", path
            assert item.get("synonym") not in vocab.RATINGS, path


def test_the_lookup_maps_every_rating_word_to_its_value():
    data = yaml.safe_load(NLU_FILE.read_text(encoding="utf-8"))["nlu"]
    lookup = next(i for i in data if i.get("lookup") == "rating")["examples"]
    synonyms = {word.strip("- ").strip(): item["synonym"] for item in data if "synonym" in item
                for word in item["examples"].splitlines() if word.strip()}
    words = [w.strip("- ").strip() for w in lookup.splitlines() if w.strip()]
    assert set(words) == {w for ws in vocab.RATING_ENTITY_WORDS.values() for w in ws}
    for value, ws in vocab.RATING_ENTITY_WORDS.items():
        for word in ws:
            assert synonyms.get(word, word) == value, word


@pytest.mark.parametrize("value", vocab.RATINGS)
def test_every_word_of_a_value_rates_as_that_value_in_the_form(value):
    for word in vocab.rating_words(value):
        assert rating_from(word, None) == value, word
        assert rating_from(f"{word}，谢谢", None) == value, word


@pytest.mark.parametrize("text, value", [("五星", "满意"), ("给4颗星", "满意"), ("三星吧", "基本满意"),
                                         ("1星", "不满意"), ("两个星", "不满意")])
def test_stars_rate_like_an_app_store(text, value):
    assert rating_from(text, None) == value


def test_an_extracted_entity_wins_and_plain_questions_do_not_rate():
    assert rating_from("随便说说", "基本满意") == "基本满意"
    assert rating_from("有什么补贴政策", None) is None
    assert rating_clause("一般，有啥补贴")
    assert not rating_clause("一般纳税人有什么优惠")


# ---- the other fixed lists --------------------------------------------------------------------------------
LISTS_FILE = ROOT / "bot" / "data" / "nlu" / "vocabulary.yml"
ENTITY_WORDS = {"industry": vocab.INDUSTRY_WORDS, "category": vocab.PROBLEM_CATEGORY_WORDS}


def _nlu_items(path: Path) -> list[dict]:
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []


def _examples(item: dict) -> list[str]:
    return [line.strip()[2:].strip() for line in item["examples"].splitlines() if line.strip()]


@pytest.mark.parametrize("name", sorted(vocab.NLU_FILES))
def test_every_generated_nlu_file_is_current(name):
    assert (ROOT / "bot" / "data" / "nlu" / name).read_text(encoding="utf-8") == vocab.NLU_FILES[name](), (
        f"bot/data/nlu/{name} is stale: run `python -m huiqi.vocabulary nlu`")


def test_the_industry_and_category_lookups_map_every_word_to_a_value_of_the_list():
    items = _nlu_items(LISTS_FILE)
    synonyms = {word: item["synonym"] for item in items if "synonym" in item for word in _examples(item)}
    for entity, words in ENTITY_WORDS.items():
        lookup = _examples(next(i for i in items if i.get("lookup") == entity))
        assert set(lookup) == {w for value, ws in words.items() for w in (value, *ws)}
        for value, ws in words.items():
            for word in ws:
                assert synonyms[word] == value, word
    # Every value the bot can extract is one the ledger accepts.
    assert set(vocab.INDUSTRY_WORDS) <= set(vocab.INDUSTRIES)
    assert set(vocab.PROBLEM_CATEGORY_WORDS) == set(vocab.PROBLEM_CATEGORIES)
    ticket = next(i for i in items if i.get("regex") == "ticket_no")
    assert _examples(ticket) == [vocab.TICKET_NLU_REGEX]


def test_no_other_bot_file_keeps_its_own_industry_category_or_ticket_list():
    values = set(vocab.INDUSTRIES) | set(vocab.PROBLEM_CATEGORIES)
    for path in sorted((ROOT / "bot" / "data").rglob("*.yml")):
        if path == LISTS_FILE:
            continue
        for item in _nlu_items(path):
            assert item.get("lookup") not in ENTITY_WORDS and item.get("regex") != "ticket_no", path
            assert item.get("synonym") not in values, path


def test_the_category_buttons_of_the_complaint_form_are_the_ledger_categories():
    domain = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))
    buttons = domain["responses"]["utter_ask_complaint_category"][0]["buttons"]
    assert tuple(b["payload"] for b in buttons) == vocab.PROBLEM_CATEGORIES
    assert [b["title"] for b in buttons] == [b["payload"] for b in buttons]


# Copies of a list written out again in Python: the lists' own text, as a module would spell it.
COPIES = {'"道路货运", "道路客运"': "INDUSTRIES", '"免申即享", "依申请", "告知类"': "REDEMPTION_MODES",
          '"大", "中", "小", "微"': "SIZES", '"惠企措施", "commitment"': "ITEM_KIND_LABELS",
          '"政策落实", "审批服务"': "PROBLEM_CATEGORIES", '"已受理", "assigned"': "PROBLEM_STATUS_LABELS",
          "HQ-?": "TICKET_PATTERN"}


def test_no_module_writes_a_fixed_list_out_again():
    for folder in ("ledger", "policies_kb", "api", "actions", "huiqi"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "huiqi" / "vocabulary.py":
                continue
            text = path.read_text(encoding="utf-8")
            for copy, name in COPIES.items():
                assert copy not in text, f"{path.relative_to(ROOT)} writes out {name}: import it from huiqi.vocabulary"
    js = (ROOT / "api" / "static" / "console" / "views" / "policies.js").read_text(encoding="utf-8")
    assert "告知类" not in js  # the console reads the redemption modes from /workbench/vocabulary


def test_every_module_uses_the_same_lists():
    from ledger import enterprises, problems
    from policies_kb import curated, kinds, match, store

    assert enterprises.INDUSTRIES is match.INDUSTRIES is curated.INDUSTRIES is vocab.INDUSTRIES
    assert enterprises.SIZES is match.SIZES is curated.SIZES is vocab.SIZES
    assert store.REDEMPTION_MODES is curated.REDEMPTION_MODES is vocab.REDEMPTION_MODES
    assert kinds.KINDS is vocab.ITEM_KINDS and kinds.KIND_LABELS is vocab.ITEM_KIND_LABELS
    assert problems.CATEGORIES is vocab.PROBLEM_CATEGORIES and problems.STATUS_LABELS is vocab.PROBLEM_STATUS_LABELS


def test_the_database_constraint_allows_exactly_the_problem_statuses():
    from ledger import schema

    sql = " ".join(s for s in schema.__dict__.values() if isinstance(s, str))
    sql += " ".join(s for v in schema.__dict__.values() if isinstance(v, (list, tuple)) for s in v if isinstance(s, str))
    checked = re.search(r"status TEXT NOT NULL CHECK \(status IN\s*\(('received'[^)]*)\)", sql)
    assert checked and set(re.findall(r"'(\w+)'", checked.group(1))) == set(vocab.PROBLEM_STATUS_LABELS)


@pytest.fixture
def ledger_db(tmp_path, monkeypatch):
    from huiqi.settings import Settings
    from ledger.db import connect

    settings = Settings(data_dir=tmp_path)
    db = connect(settings=settings)
    yield db, settings
    db.close()


def _enterprise(db, industry: str, size: str = "小", seed: int = 1) -> dict:
    from ledger import credit_code as cc, enterprises
    from ledger.actors import SYSTEM

    return enterprises.create_enterprise(db, SYSTEM, credit_code=cc.generate("620102", random.Random(seed)),
                                         name=f"测试{seed}运输有限公司", industry=industry, size=size,
                                         region="甘肃省/兰州市/城关区")


def test_the_ledger_accepts_the_listed_industries_and_sizes_and_nothing_else(ledger_db):
    db, _ = ledger_db
    for i, industry in enumerate(vocab.INDUSTRIES):
        assert _enterprise(db, industry, vocab.SIZES[i % len(vocab.SIZES)], seed=i)["industry"] == industry
    with pytest.raises(Invalid) as err:
        _enterprise(db, "卡车运输", seed=99)
    assert err.value.code == "INVALID_INDUSTRY" and "道路货运" in err.value.message
    with pytest.raises(Invalid) as err:
        _enterprise(db, "道路货运", "特大", seed=98)
    assert err.value.code == "INVALID_SIZE"


def test_a_ticket_the_ledger_issues_is_read_back_by_the_bot_and_masked_in_review(ledger_db):
    from actions.context import find_ticket
    from ledger import problems, review

    db, settings = ledger_db
    code = _enterprise(db, "道路货运")["credit_code"]
    ticket = problems.file_problem(db, category=vocab.PROBLEM_CATEGORIES[0], description="补贴申请材料交了三个月没有回音",
                                   credit_code=code, settings=settings)["ticket_no"]
    assert re.fullmatch(r"HQ-\d{8}-\d{4}", ticket)  # the format people are told, checked independently
    typed = ticket.lower().replace("-", "")
    assert find_ticket(f"帮我查一下{typed}进度") == ticket
    assert find_ticket(f"工单 {ticket[:3]} {ticket[3:]}") == ticket
    assert ticket not in review.mask(f"我的工单{ticket}怎么样了") and vocab.TICKET_MASK in review.mask(ticket)
    assert re.search(vocab.TICKET_NLU_REGEX, f"工单{ticket}") and re.search(vocab.TICKET_NLU_REGEX, typed.upper())


def test_the_api_documents_and_enforces_the_same_choices(tmp_path, monkeypatch):
    from huiqi.settings import get_settings

    monkeypatch.setenv("HUIQI_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    from api.app import create_app

    try:
        app = create_app()
        enums: list[list] = []

        def walk(node):
            if isinstance(node, dict):
                if isinstance(node.get("enum"), list):
                    enums.append(node["enum"])
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)

        walk(app.openapi())
        # Each list by a value only it holds (其他 is both an industry and a category).
        lists = {"道路货运": vocab.INDUSTRIES, "微": vocab.SIZES, "告知类": vocab.REDEMPTION_MODES,
                 "commitment": vocab.ITEM_KINDS, "执法检查": vocab.PROBLEM_CATEGORIES,
                 "in_progress": tuple(vocab.PROBLEM_STATUS_LABELS)}
        for marker, values in lists.items():
            used = [e for e in enums if marker in e]
            assert used, f"no API field offers {values}"
            assert all(e == list(values) for e in used), values
    finally:
        get_settings.cache_clear()
