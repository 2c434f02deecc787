"""The relevance set (tests/relevance/queries.toml) as a regression test, on both backends: the
generated city and Jiangsu's 2021 joint-inspection tasks are ingested as a citizen's portal would have them, the
index is built from the store, and every case must hold."""
from __future__ import annotations

from gongshi.democity import generate_city
from gongshi.ingest.pipeline import Options
from gongshi.search import build, check, index_all, search
from gongshi.search import index as search_index
from gongshi.search.relevance import Answer, evaluate, load
from gongshi.search.text import fold
from tests.conftest import SAMPLE
from tests.factories import ingest, ingest_city


def load_city(db, settings, tmp_path, entities: int, seed: int) -> None:
    paths = generate_city(tmp_path / "city", entities=entities, seed=seed)
    ingest(db, settings, str(SAMPLE / "jiangsu_2021_tasks.csv"), Options(kind="task", year=2021))
    ingest(db, settings, str(SAMPLE / "nantong_checklist.csv"), Options(kind="checklist"))
    ingest_city(db, settings, paths)


def answer(settings, query: str) -> Answer:
    result = search(settings.index_dir, query)
    hits = [(h.type, h.name, [fold(t) for t in [h.name, *h.extra.get("former_names", []), h.extra.get("address"),
                                                  h.extra.get("region"), h.extra.get("field")] if t])
            for h in result.hits]
    return Answer(hits, result.exact.name if result.exact else None, result.suggestions)


def test_relevance_set(db, settings, tmp_path):
    city, cases = load()
    assert len(cases) >= 60
    load_city(db, settings, tmp_path, city["entities"], city["seed"])
    index_all(db, settings.index_dir)

    failures = evaluate(lambda q: answer(settings, q), cases)

    assert failures == {}


def test_common_pieces_rank_exact_names_first_and_count_many(db, settings, tmp_path):
    city, _ = load()
    load_city(db, settings, tmp_path, city["entities"], city["seed"])
    index_all(db, settings.index_dir)

    result = search(settings.index_dir, "南通市", per_page=50)

    assert result.total > 500
    matches = [h.extra["match"] for h in result.hits]
    assert matches == sorted(matches, key=["exact", "start", "name", "other"].index)
    assert result.facets["region"] and sum(n for _, n in result.facets["type"]) >= 50


def everything(settings, queries: list[str]) -> dict:
    """Each query's first hundred hits in order, its total, facets and suggestions."""
    return {q: ([(h.type, h.key, h.extra["match"]) for h in r.hits], r.total, r.facets, r.suggestions)
            for q in queries for r in [search(settings.index_dir, q, per_page=100)]}


def test_an_index_built_with_its_postings_spilled_to_disk_answers_as_before(db, settings, tmp_path, monkeypatch):
    """Postings spilled to disk every few kilobytes, in one process and in two: the same hits,
    in the same order, with the same totals and facets as the build that held them in memory."""
    city, cases = load()
    load_city(db, settings, tmp_path, city["entities"], city["seed"])
    queries = [case["query"] for case in cases] + ["南通市", "有限公司", "店", "2021"]
    index_all(db, settings.index_dir)
    in_memory = everything(settings, queries)
    monkeypatch.setattr(build, "POSTINGS_BOUND", 4096)

    index_all(db, settings.index_dir)
    assert everything(settings, queries) == in_memory

    monkeypatch.setattr(search_index, "PARALLEL_FROM", 0)
    index_all(db, settings.index_dir)
    assert everything(settings, queries) == in_memory
    assert check(db, settings.index_dir).ok
