"""Search as a citizen meets it, on a real index built from a real store (SQLite and PostgreSQL):
ranking, codes, bad queries, facets, highlighting, and an index that follows the ingest."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from click.testing import CliRunner

from gongshi.cli import main
from gongshi.config import Settings
from gongshi.ingest.pipeline import Options
from gongshi.search import MAX_RESULTS, QueryError, SearchUnavailable, check, index_all, search, source, update
from gongshi.search import index as search_index
from gongshi.search.build import BuildError
from gongshi.search.index import read_pointer
from tests.factories import ingest, uscc, write_csv

ENTITY_HEADER = ["统一社会信用代码", "企业名称", "市场主体类型", "行政区划代码", "住所"]
RESULT_HEADER = ["统一社会信用代码", "企业名称", "抽查任务编号", "抽查任务名称", "抽查机关", "检查结果", "检查完成日期",
                 "公示日期"]


def entity(n: int, name: str, region="320602", kind="个体工商户", address="江苏省南通市崇川区工农路1号"):
    return [uscc(n, "92" if kind == "个体工商户" else "91", region), name, kind, region, address]


def inspected(n: int, name: str, on: str, region="320602", result="未发现问题"):
    return [uscc(n, "92", region), name, "320600-2024-SJ-001", "2024年度食品经营者抽查", "南通市崇川区市场监督管理局",
            result, on, on]


def load(db, settings, path, kind):
    return ingest(db, settings, str(path), Options(kind=kind))


@pytest.fixture
def shops(db, settings, tmp_path):
    """Five 和顺药房 and two other shops, some inspected, and an index of them."""
    load(db, settings, write_csv(tmp_path / "entities.csv", ENTITY_HEADER, [
        entity(1, "启东市和顺药房店", region="320681"),
        entity(2, "如皋市和顺药房", region="320682"),
        entity(3, "和顺药房连锁有限公司", kind="有限责任公司"),
        entity(4, "南通市崇川区和顺药房"),
        entity(5, "和顺药房"),
        entity(6, "南通市崇川区A&B<商贸>商行"),
        entity(7, "南通市崇川区狼山药房", address="江苏省南通市崇川区狼山镇街道和顺路8号"),
    ]), "entity")
    load(db, settings, write_csv(tmp_path / "results.csv", RESULT_HEADER, [
        inspected(2, "如皋市和顺药房", "2023-04-01", region="320682"),
        inspected(4, "南通市崇川区和顺药房", "2024-06-01", result="发现问题已责令改正"),
    ]), "result")
    index_all(db, settings.index_dir)
    return settings


def names(result):
    return [h.name for h in result.hits]


def test_exact_name_then_start_then_contains_newest_inspection_first(shops):
    result = search(shops.index_dir, "和顺药房")

    assert names(result) == ["和顺药房", "和顺药房连锁有限公司", "南通市崇川区和顺药房", "如皋市和顺药房", "启东市和顺药房店"]
    assert [h.extra["match"] for h in result.hits] == ["exact", "start", "name", "name", "name"]
    assert result.total == 5 and result.total_exact
    assert result.hits[2].extra["latest_inspection"] == "2024-06-01"


def test_any_two_character_piece_finds_the_shop_and_other_fields_come_after_names(shops):
    assert names(search(shops.index_dir, "狼山"))[0] == "南通市崇川区狼山药房"
    result = search(shops.index_dir, "和顺")
    # The 狼山药房 is found by its address (和顺路), after every name that contains 和顺.
    assert names(result)[-1] == "南通市崇川区狼山药房"
    assert result.hits[-1].extra["match"] == "other"
    assert "<mark>和顺</mark>路" in result.hits[-1].highlight


def test_a_full_uscc_in_any_form_goes_straight_to_the_entity(shops):
    code = uscc(4, "92", "320602")
    spaced = f" {code[:6].lower()} {code[6:12]}-{code[12:].lower()} "
    for query in (code, spaced, code.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})):
        result = search(shops.index_dir, query)
        assert result.exact is not None and result.exact.name == "南通市崇川区和顺药房", query
    assert search(shops.index_dir, code[:8]).exact is None  # a prefix lists, it does not jump
    for size in range(6, 18):  # between the indexed prefixes too, and never a code that differs after them
        assert names(search(shops.index_dir, code[:size]))[0] == "南通市崇川区和顺药房", size
    assert search(shops.index_dir, code[:9] + "Z").hits == []


def test_traditional_and_full_width_forms_match(shops):
    assert names(search(shops.index_dir, "和順藥房"))[0] == "和顺药房"
    assert names(search(shops.index_dir, "Ａ＆Ｂ商貿"))[0] == "南通市崇川区A&B<商贸>商行"


def test_highlight_marks_the_match_and_escapes_everything_else(shops):
    hit = search(shops.index_dir, "a&b商贸").hits[0]

    assert hit.highlight == "南通市崇川区<mark>A&amp;B&lt;商贸</mark>&gt;商行"


def test_one_wrong_character_still_finds_the_shop(shops):
    assert "南通市崇川区狼山药房" in names(search(shops.index_dir, "崇川区狼出药房"))[:5]


def test_no_result_offers_the_closest_names(shops):
    result = search(shops.index_dir, "狼山大酒店")

    assert result.hits == [] and result.total == 0
    assert "南通市崇川区狼山药房" in result.suggestions


@pytest.mark.parametrize("query", ["", "   ", "和" * 10_000, "name:(* OR", "和顺\x00药房", "\x1b[2J", "*?:()"])
def test_bad_queries_give_a_clear_message_or_an_empty_answer(shops, query):
    try:
        result = search(shops.index_dir, query)
    except QueryError as exc:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc))  # a Chinese message
    else:
        assert result.hits == []


def test_filters_and_facets(shops):
    result = search(shops.index_dir, "和顺药房")
    assert dict(result.facets["region"]) == {"崇川区": 3, "如皋市": 1, "启东市": 1}
    assert dict(result.facets["year"]) == {"2023": 1, "2024": 1}
    assert ("发现问题已责令改正", 1) in result.facets["result"]

    narrowed = search(shops.index_dir, "和顺药房", filters={"region": "崇川区", "entity_type": "个体工商户"})
    assert names(narrowed) == ["和顺药房", "南通市崇川区和顺药房"]
    with pytest.raises(QueryError, match="未知的筛选条件"):
        search(shops.index_dir, "和顺", filters={"colour": "red"})


def test_pages_do_not_repeat_and_depth_is_capped(shops):
    first, second = search(shops.index_dir, "和顺", per_page=3), search(shops.index_dir, "和顺", page=2, per_page=3)
    assert len(first.hits) == 3 and not set(names(first)) & set(names(second))
    assert first.pages == 2
    with pytest.raises(QueryError, match=str(MAX_RESULTS)):
        search(shops.index_dir, "和顺", page=MAX_RESULTS // 20 + 1)


def test_a_build_in_two_processes_answers_as_one_process_does(shops, db, monkeypatch):
    queries = ["和顺药房", "和顺", "药房", "店", "崇川区", uscc(4, "92", "320602")[:10]]
    before = {q: (names(r), r.total, r.facets) for q in queries for r in [search(shops.index_dir, q)]}
    monkeypatch.setattr(search_index, "PARALLEL_FROM", 0)
    monkeypatch.setattr(source, "BATCH", 2)  # four batches, shared by the two processes

    index_all(db, shops.index_dir)

    assert {q: (names(r), r.total, r.facets) for q in queries for r in [search(shops.index_dir, q)]} == before
    assert check(db, shops.index_dir).ok and check(db, shops.index_dir).segments == 2


def test_a_failed_build_keeps_the_index_that_answers(shops, db, monkeypatch):
    current = read_pointer(shops.index_dir)
    monkeypatch.setattr(search_index, "PARALLEL_FROM", 0)

    rows = source.rows

    def broken(session, kind, ids):  # rows read here, made into documents in the indexing processes
        for batch in rows(session, kind, ids):
            yield [row._replace(names=None) for row in batch] if kind == "enterprise" else batch
    monkeypatch.setattr(source, "rows", broken)

    with pytest.raises(BuildError, match="(?s)entity_doc.*TypeError"):
        index_all(db, shops.index_dir)

    assert read_pointer(shops.index_dir) == current and sorted(p.name for p in shops.index_dir.glob("v*")) == [current[0]]
    assert names(search(shops.index_dir, "狼山"))[0] == "南通市崇川区狼山药房"


def test_an_index_of_an_older_layout_asks_for_a_rebuild(shops, db):
    (shops.index_dir / read_pointer(shops.index_dir)[0] / "FORMAT").write_text("1")

    with pytest.raises(SearchUnavailable, match="旧的格式.*gongshi index --rebuild"):
        search(shops.index_dir, "和顺")
    assert "旧的格式" in check(db, shops.index_dir).summary()
    index_all(db, shops.index_dir)
    assert names(search(shops.index_dir, "狼山"))[0] == "南通市崇川区狼山药房"


def test_no_index_yet_says_how_to_build_it(settings):
    with pytest.raises(SearchUnavailable, match="gongshi index --rebuild"):
        search(settings.index_dir, "和顺")


def test_update_follows_exactly_the_changed_rows_and_check_finds_drift(shops, db, tmp_path):
    renamed = write_csv(tmp_path / "renamed.csv", ENTITY_HEADER, [entity(7, "南通市崇川区钟秀大药房")])
    report = load(db, shops, renamed, "entity")
    assert check(db, shops.index_dir).stale == [f"enterprise:{id_}" for id_ in report.changed["market_entity"]]

    assert update(db, shops.index_dir, report.changed) == 1

    assert check(db, shops.index_dir).ok
    hit = search(shops.index_dir, "狼山药房").hits[0]
    assert hit.name == "南通市崇川区钟秀大药房" and "曾用名：南通市崇川区<mark>狼山药房</mark>" in hit.highlight
    report = load(db, shops, write_csv(tmp_path / "new.csv", ENTITY_HEADER, [entity(8, "海安市和顺超市", "320621")]),
                  "entity")
    assert check(db, shops.index_dir).missing == [f"enterprise:{id_}" for id_ in report.changed["market_entity"]]


def test_a_rebuild_switches_readers_to_the_new_index_and_keeps_the_previous_one(shops, db, tmp_path):
    assert search(shops.index_dir, "钟秀").hits == []
    old = read_pointer(shops.index_dir)[0]
    load(db, shops, write_csv(tmp_path / "new.csv", ENTITY_HEADER, [entity(9, "南通市崇川区钟秀便利店")]), "entity")

    index_all(db, shops.index_dir)

    assert names(search(shops.index_dir, "钟秀")) == ["南通市崇川区钟秀便利店"]
    assert read_pointer(shops.index_dir)[0] != old and (shops.index_dir / old).is_dir()
    index_all(db, shops.index_dir)
    assert not (shops.index_dir / old).exists()


def test_threads_search_at_once_and_all_follow_a_rebuild(shops, db, tmp_path):
    """Each thread reads through its own searcher: many at once answer as one does, and every
    thread moves to the new index when the pointer changes under it."""
    expected = names(search(shops.index_dir, "和顺药房"))
    start, rebuilt = threading.Barrier(9), threading.Event()

    def reader() -> list[list[str]]:
        start.wait()
        answers = [names(search(shops.index_dir, "和顺药房")) for _ in range(20)]
        rebuilt.wait()
        return answers + [names(search(shops.index_dir, "钟秀"))]

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(reader) for _ in range(8)]
        load(db, shops, write_csv(tmp_path / "new.csv", ENTITY_HEADER, [entity(9, "南通市崇川区钟秀便利店")]), "entity")
        start.wait()
        index_all(db, shops.index_dir)
        rebuilt.set()
        for future in futures:
            *before, after = future.result()
            assert before == [expected] * 20 and after == ["南通市崇川区钟秀便利店"]


def test_cli_ingest_updates_the_index_and_index_commands_report_and_repair(tmp_path, monkeypatch):
    monkeypatch.setenv("GONGSHI_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.delenv("GONGSHI_DATABASE_URL", raising=False)
    monkeypatch.delenv("GONGSHI_INDEX_DIR", raising=False)
    run = lambda *args: CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)  # noqa: E731
    settings = Settings.from_env()
    first = write_csv(tmp_path / "a.csv", ENTITY_HEADER, [entity(1, "南通市崇川区和顺小吃店")])

    assert run("ingest", first, "--kind", "entity").exit_code == 0
    assert names(search(settings.index_dir, "和顺")) == ["南通市崇川区和顺小吃店"]
    assert run("index", "--check").exit_code == 0

    # An index that cannot be written: the ingest stays, the command says so, check sees it.
    broken = settings.index_dir / "vbroken"
    broken.mkdir()
    (settings.index_dir / "CURRENT").write_text("vbroken 0\n")
    second = write_csv(tmp_path / "b.csv", ENTITY_HEADER, [entity(2, "如皋市和顺面馆", "320682")])
    result = run("ingest", second, "--kind", "entity")
    assert result.exit_code == 0 and "搜索索引更新失败" in result.output and "index --rebuild" in result.output
    assert run("index", "--check").exit_code == 1

    result = run("index", "--rebuild")
    assert result.exit_code == 0 and "2 条" in result.output
    assert run("index", "--check").exit_code == 0
    assert set(names(search(settings.index_dir, "和顺"))) == {"南通市崇川区和顺小吃店", "如皋市和顺面馆"}


def test_several_words_find_every_piece_in_any_order(shops):
    both = {"南通市崇川区和顺药房"}
    assert set(names(search(shops.index_dir, "崇川 药房"))) >= both | {"南通市崇川区狼山药房"}
    assert set(names(search(shops.index_dir, "药房 崇川"))) == set(names(search(shops.index_dir, "崇川 药房")))
    assert names(search(shops.index_dir, "如皋 狼山")) == []  # every word must be there
    found = search(shops.index_dir, "和顺 南通")  # both in one name first, then 南通 in an address
    assert names(found)[0] == "南通市崇川区和顺药房" and [h.extra["match"] for h in found.hits[1:]] == ["other"] * 5
    # a word in the name, another in the address: still a hit, after those with both in the name
    assert names(search(shops.index_dir, "狼山 和顺路")) == ["南通市崇川区狼山药房"]
    assert names(search(shops.index_dir, "狼山 工农路")) == []


def test_a_phrase_match_ranks_before_words_apart(shops):
    result = search(shops.index_dir, "和顺 药房")
    assert names(result)[0] == "和顺药房"  # the exact name
    hit = next(h for h in result.hits if h.name == "南通市崇川区和顺药房")
    assert "<mark>" in hit.highlight
