"""The rating vocabulary lives once, in huiqi/vocabulary.py: the bot's NLU file is generated from it and the
rating form reads it, so a word added there rates the same everywhere."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from actions.rating import rating_clause, rating_from
from huiqi import vocabulary as vocab

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
