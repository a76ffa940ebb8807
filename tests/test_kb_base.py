"""Policy base: versions, re-import, retire/restore, traditional text, change hook, crash repair."""
from __future__ import annotations

import pytest

from huiqi.errors import Conflict, Invalid, NotFound
from huiqi.settings import Settings
from policies_kb.base import PolicyBase
from policies_kb.store import measure_id_for
from test_kb_helpers import document, ids, measure, new_base, sample_measures, traditional_doc

ETC = measure_id_for("test-doc", "3")  # 电子证照互认


@pytest.fixture
def base(tmp_path):
    return new_base(tmp_path)


def test_search_finds_measure_by_meaning_with_explanation(base):
    results = base.search("到外省经营，我们的电子证照认不认", top_k=3)
    assert results[0]["measure_id"] == ETC
    e = results[0]["explanation"]
    assert e["dense_rank"] >= 1 and e["keyword_rank"] >= 1
    assert "证照" in e["matched_keywords"]
    assert set(results[0]) >= {"measure_id", "title", "text", "score", "source", "heading_path", "lead_department"}


def test_every_edit_is_a_version_and_rollback_restores_content(base):
    base.update(ETC, {"text": "电子证照改为仅省内有效。"}, "admin1", reason="测试修改")
    base.rollback(ETC, 1, "admin2")
    m = base.get(ETC)
    assert "跨区域互认" in m["text"]
    history = base.versions(ETC)
    assert [(v["version"], v["action"], v["actor"]) for v in history] == [
        (1, "import", "tester"), (2, "edit", "admin1"), (3, "rollback", "admin2")]
    assert history[1]["reason"] == "测试修改" and all(v["at"] for v in history)
    assert history[1]["snapshot"]["text"] == "电子证照改为仅省内有效。"
    # the index follows the content: the rolled-back text is found again
    assert ETC in ids(base.search("跨区域互认", top_k=1))


def test_edit_without_change_makes_no_version(base):
    base.update(ETC, {"title": "电子证照互认"}, "admin")
    assert len(base.versions(ETC)) == 1


def test_reimport_same_document_updates_instead_of_duplicating(base):
    again = base.import_parsed(document(measures=sample_measures()), "tester")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 5)
    assert base.store.count() == 5
    changed = sample_measures()[:4]  # measure 5 dropped from the document
    changed[0].text += "（2024年修订）"
    rep = base.import_parsed(document(measures=changed), "tester")
    assert (rep["created"], rep["updated"], rep["unchanged"], rep["retired"]) == (0, 1, 3, 1)
    assert base.store.count() == 5
    assert len(base.versions(measure_id_for("test-doc", "1"))) == 2
    assert len(base.versions(measure_id_for("test-doc", "2"))) == 1
    assert base.get(measure_id_for("test-doc", "5"))["status"] == "retired"
    assert measure_id_for("test-doc", "5") not in ids(base.search("12328 服务监督电话", top_k=5))


def test_retire_removes_from_search_and_restore_brings_back(base):
    base.retire(ETC, "admin", "政策到期")
    assert ETC not in ids(base.search("电子证照跨区域互认", top_k=5))
    with pytest.raises(Conflict):
        base.retire(ETC, "admin")
    base.restore(ETC, "admin")
    assert ids(base.search("电子证照跨区域互认", top_k=1)) == [ETC]
    assert [v["action"] for v in base.versions(ETC)][-2:] == ["retire", "restore"]


def test_disabled_and_draft_measures_are_not_searchable(base):
    base.set_enabled(ETC, False, "admin")
    assert ETC not in ids(base.search("电子证照跨区域互认", top_k=5))
    base.set_enabled(ETC, True, "admin")
    draft = base.create({"title": "货车通行费优惠", "text": "ETC货车通行费享受九五折优惠。", "status": "draft"}, "admin")
    assert draft["status"] == "draft"
    assert draft["id"] not in ids(base.search("货车通行费打折", top_k=5))
    base.update(draft["id"], {"status": "published"}, "admin")
    assert ids(base.search("货车通行费打折", top_k=1)) == [draft["id"]]


def test_traditional_document_found_by_simplified_query(tmp_path):
    base = new_base(tmp_path, [document(measures=sample_measures()), traditional_doc()])
    top = base.search("企业注销能在网上办吗", top_k=1)[0]
    assert top["measure_id"] == measure_id_for("trad-doc", "1")
    assert "企业" in top["explanation"]["matched_keywords"] and "注销" in top["explanation"]["matched_keywords"]
    assert "企業注銷" in top["text"]  # the original text is kept for display


def test_bad_queries_and_ids(base):
    with pytest.raises(Invalid) as exc:
        base.search("   ")
    assert exc.value.code == "QUERY_EMPTY"
    long = base.search_detail("电子证照跨区域互认" * 1200, top_k=3)  # ~10,000 characters
    assert long["truncated"] is True and long["results"][0]["measure_id"] == ETC
    with pytest.raises(NotFound):
        base.retire("m-doesnotexist", "admin")
    with pytest.raises(Invalid):
        base.update(ETC, {"title": "  "}, "admin")


def test_change_hook_sees_every_change(base):
    events = []
    base.on_change.append(events.append)
    base.update(ETC, {"text": "新文本：电子证照全国互认。"}, "admin")
    base.retire(ETC, "admin")
    base.restore(ETC, "admin")
    assert [(e["action"], e["measure_ids"], e["actor"]) for e in events] == [
        ("edit", [ETC], "admin"), ("retire", [ETC], "admin"), ("restore", [ETC], "admin")]


def test_crash_inside_import_leaves_base_and_index_unchanged(tmp_path, monkeypatch):
    base = new_base(tmp_path)
    before = base.store.count()

    def boom(*a, **k):
        raise RuntimeError("断电")

    monkeypatch.setattr(base.store, "add_version", boom)
    extra = sample_measures() + [measure("6", "新增措施", "两轻一免：轻微违法行为不予处罚。")]
    with pytest.raises(RuntimeError):
        base.import_parsed(document(measures=extra), "tester")
    monkeypatch.undo()
    reopened = PolicyBase.open(Settings(data_dir=tmp_path))
    assert reopened.store.count() == before
    assert set(reopened.dense.hashes) == set(reopened.store.indexable())


def test_crash_after_store_write_is_repaired_on_open(tmp_path, monkeypatch):
    base = new_base(tmp_path)

    def boom(*a, **k):
        raise RuntimeError("进程被杀")

    monkeypatch.setattr(base, "_changed", boom)  # the store is committed, the index never hears of it
    extra = [measure("6", "两轻一免", "对轻微违法行为实行两轻一免，首次轻微违法不予处罚。")]
    with pytest.raises(RuntimeError):
        base.import_parsed(document(measures=sample_measures() + extra), "tester")
    reopened = PolicyBase.open(Settings(data_dir=tmp_path))
    assert reopened.last_repair == {"removed": 0, "added": 1}
    assert set(reopened.dense.hashes) == set(reopened.store.indexable())
    assert ids(reopened.search("首次轻微违法会不会罚款", top_k=1)) == [measure_id_for("test-doc", "6")]


def test_missing_index_file_is_rebuilt_from_store(tmp_path):
    base = new_base(tmp_path)
    base.dense.path.unlink()
    reopened = PolicyBase.open(Settings(data_dir=tmp_path))
    assert len(reopened.dense) == 5
    assert ids(reopened.search("电子证照跨区域互认", top_k=1)) == [ETC]
