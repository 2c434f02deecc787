"""/api/v1/search and /api/v1/stats/coverage: the API over the search index and the statistics,
through HTTP, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from gongshi import search
from gongshi.app import create_app
from gongshi.store import stats
from tests.test_api import PROBLEM, city, city_files, walk  # noqa: F401  (fixtures)


@pytest.fixture
def indexed(city, settings):  # noqa: F811
    search.index_all(city, settings.index_dir)
    return create_app(settings, database=city).test_client()


def test_a_few_characters_find_the_shop_with_the_match_marked(indexed):
    shop = indexed.get("/api/v1/enterprises?entity_type=个体工商户&limit=1").get_json()["items"][0]
    fragment = shop["name"][-4:-1]
    body = indexed.get(f"/api/v1/search?q={fragment}&type=enterprise&limit=100").get_json()
    hit = next(h for h in body["items"] if h["uscc"] == shop["uscc"])
    assert hit["type"] == "enterprise" and hit["key"] == shop["uscc"] and hit["name"] == shop["name"]
    assert f"<mark>{fragment}</mark>" in hit["highlight"]
    assert indexed.get(hit["url"]).get_json()["uscc"] == shop["uscc"]  # the hit leads to the record
    assert {h["type"] for h in body["items"]} == {"enterprise"}


def test_search_pages_by_cursor_without_repeats(indexed):
    items, total = walk(indexed, "/api/v1/search?q=检查&type=task&limit=7")
    keys = [h["task_no"] for h in items]
    assert total > 7 and len(keys) == len(set(keys)) == total
    assert all(h["url"].endswith(h["task_no"]) for h in items)


def test_a_checklist_item_is_found_by_its_id(indexed):
    hit = indexed.get("/api/v1/search?q=年度报告&type=check_item").get_json()["items"][0]
    assert hit["id"] == int(hit["key"]) and hit["url"] is None and hit["task_no"] is None and hit["name"]


@pytest.mark.parametrize("query, parameter", [
    ("", "q"), ("q=%21%21%21", "q"), ("q=" + "南" * 101, "q"), ("q=南通&type=person", "type"),
    ("q=南通&limit=101", "limit"), ("q=南通&page=2", "page"),
])
def test_a_bad_search_is_a_400_naming_the_parameter(indexed, query, parameter):
    response = indexed.get(f"/api/v1/search?{query}")
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert response.get_json()["parameter"] == parameter


def test_search_without_an_index_says_so(city, settings):  # noqa: F811
    response = create_app(settings, database=city).test_client().get("/api/v1/search?q=南通")
    assert response.status_code == 503 and response.mimetype == PROBLEM and "搜索暂不可用" in response.get_json()["detail"]


def test_coverage_has_one_row_per_office_and_year(indexed, city):  # noqa: F811
    body = indexed.get("/api/v1/stats/coverage?year=2024").get_json()
    with city.session() as s:
        expected = stats.coverage(s, year=2024)
    assert body["total"] == len(expected) > 1 and body["next"] is None
    for row, want in zip(body["items"], expected):
        assert (row["office"]["id"], row["department"]["id"], row["year"], row["tasks"], row["inspections"],
                row["on_time"]) == (want.office_id, want.department_id, 2024, want.tasks, want.inspections,
                                    want.on_time)
        assert row["fines_yuan"] == round(float(want.fines_yuan), 2)
    one = body["items"][0]["department"]["id"]
    only = indexed.get(f"/api/v1/stats/coverage?department={one}").get_json()["items"]
    assert only and {r["department"]["id"] for r in only} == {one}
    assert indexed.get("/api/v1/stats/coverage?year=20x").status_code == 400
