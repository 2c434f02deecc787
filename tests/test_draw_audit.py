"""The randomness audit, through its page, its API and its CSV: a generated city whose 综合抽查
draws 个体工商户 at three times the rate is flagged; a fair one is not. Fixed seeds: the cities
are the same on every run, so these cannot flake."""
import csv
import io
import re
import time

import pytest

from gongshi.api.http import DATA_VERSION_TTL
from gongshi.app import create_app
from gongshi.democity import generate_city
from gongshi.ingest.pipeline import Options
from gongshi.store import draw_audit
from tests.factories import ingest, ingest_city

OFFICES = 7  # one district 市场监督管理局 per county of the generated city


@pytest.fixture(scope="module")
def cities(tmp_path_factory):
    def make(name, bias, years):
        return generate_city(tmp_path_factory.mktemp(name), entities=4000, years=years, seed=7, draw_bias=bias)
    # The fair city over two years, for the repeat and never-drawn rows; the biased one over one,
    # so that fewer tests share the Benjamini–Hochberg correction.
    return {"fair": make("fair", {}, range(2023, 2025)), "biased": make("biased", {"个体工商户": 3.0}, range(2024, 2025))}


def _client(db, settings, city, kinds=("entity", "task", "result")):
    ingest_city(db, settings, city, kinds)
    return create_app(settings, database=db).test_client()


def _audit(client, query=""):
    response = client.get(f"/api/v1/stats/draw-audit{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["items"]


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_planted_bias_is_flagged_with_its_size_and_chance(db, settings, cities, query_counter):
    client = _client(db, settings, cities["biased"])
    items = _audit(client, "?year=2024")
    individual = [i for i in items if i["dimension"] == "entity_type" and i["group"] == "个体工商户"]
    assert len(individual) == OFFICES
    flagged = [i for i in individual if i["flagged"]]
    assert len(flagged) >= 4 and all(i["ratio"] > 1.2 and i["q"] < 0.01 for i in flagged)
    assert all(i["observed"] > i["expected"] for i in individual)
    one = flagged[0]
    assert one["office"].endswith("市场监督管理局") and one["department"]["name"] == "市场监督管理局"
    assert one["finding"].startswith("个体工商户被抽中的比例") and "随机抽取出现这种差距的概率低于" in one["finding"]
    office = _audit(client, f"?office={one['office_id']}")
    assert office and {i["office"] for i in office} == {one["office"]}
    assert _audit(client, f"?office={one['office']}") == office  # by name too
    assert {i["scope"] for i in items} == {"全部市场主体"}  # the 综合抽查 draw every kind

    query_counter.clear()  # the office page's first view computes the audit, in a few queries
    page = client.get(f"/offices/{one['office_id']}").get_data(as_text=True)
    assert len(query_counter) <= 25
    assert 'id="draw-audit"' in page and one["finding"] in page
    assert f'href="/stats/draw-audit?office={one["office_id"]}"' in page

    text = client.get("/stats/draw-audit").get_data(as_text=True)
    assert "个体工商户被抽中的比例是企业的" in text and "明显偏离随机抽取" in text
    rows = list(csv.reader(io.StringIO(client.get("/stats/draw-audit.csv?year=2024").get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    assert rows[0][:4] == ["机关", "年度", "名录库户数", "抽中户数"]
    assert sum(r[-2] == "明显偏离随机抽取" for r in rows[1:]) == sum(i["flagged"] for i in items)


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)  # the other backend than the biased city's
def test_a_fair_draw_flags_nothing_and_small_groups_are_not_tested(db, settings, cities):
    client = _client(db, settings, cities["fair"])
    items = _audit(client)
    assert items and not any(i["flagged"] for i in items)
    assert {i["dimension"] for i in items} == {"entity_type", "age", "industry", "repeat_last_year",
                                                "repeat_same_year", "never"}
    small = [i for i in items if i["too_small"]]
    assert small and all(i["p"] is None and i["q"] is None and not i["flagged"] for i in small)
    assert all(i["expected"] < 5 for i in small if i["dimension"] == "entity_type")
    text = client.get("/stats/draw-audit").get_data(as_text=True)
    assert "没有发现明显偏离随机抽取的分组" in text and "样本太少" in text and "明显偏离随机抽取</span>" not in text
    page = client.get(f"/offices/{items[0]['office_id']}").get_data(as_text=True)
    assert "未发现明显偏离随机的差异" in page and f'href="/stats/draw-audit?office={items[0]["office_id"]}"' in page


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_the_audit_is_computed_once_for_every_worker_until_the_data_changes(db, settings, cities, monkeypatch):
    """A crowd after an ingest, or each of several workers, must not each run a whole-store audit."""
    first = _client(db, settings, cities["biased"])
    items = _audit(first)
    runs = []
    real = draw_audit.compute
    monkeypatch.setattr(draw_audit, "compute", lambda session: runs.append(1) or real(session))
    second = create_app(settings, database=db).test_client()  # another worker: its own process cache
    assert _audit(second) == items and "个体工商户被抽中的比例" in second.get("/stats/draw-audit").get_data(as_text=True)
    assert runs == []
    ingest(db, settings, str(cities["fair"]["entity"]), Options(kind="entity"))  # new data: a new audit
    time.sleep(DATA_VERSION_TTL)
    assert _audit(second) != items and runs == [1]
    assert _audit(first) == _audit(second) and runs == [1]


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_without_a_directory_the_page_says_so_and_counts_repeats_only(db, settings, cities):
    client = _client(db, settings, cities["biased"], kinds=("task", "result"))
    assert _audit(client) == []
    text = client.get("/stats/draw-audit").get_data(as_text=True)
    assert "尚未导入检查对象名录库" in text and "重复抽中" in text
    office = re.search(r'href="/stats/draw-audit\?office=(\d+)"', text).group(1)
    page = client.get(f"/offices/{office}").get_data(as_text=True)
    assert "未导入名录库，只能核查重复抽取" in page and "未发现明显偏离" not in page


def test_the_demo_city_audits_each_scope_apart_and_flags_nothing(db, settings, tmp_path):
    """`gongshi demo`'s city: its 不定向 tasks draw one kind each (全市个体工商户, 全市企业、农民专业合作社,
    全市企业（用人单位）), so each scope is audited against its own kinds, and a fair draw is fair."""
    client = _client(db, settings, generate_city(tmp_path / "demo", entities=3000))
    items = _audit(client)
    assert items and not any(i["flagged"] for i in items)
    assert {i["scope"] for i in items} == {"个体工商户", "企业", "企业、农民专业合作社"}
    types = {(i["scope"], i["group"]) for i in items if i["dimension"] == "entity_type"}
    assert types == {("企业、农民专业合作社", "企业"), ("企业、农民专业合作社", "农民专业合作社")}
    rows = list(csv.reader(io.StringIO(client.get("/stats/draw-audit.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][4] == "抽查对象" and {r[4] for r in rows[1:]} == {i["scope"] for i in items}


def test_the_method_is_on_the_about_page_and_bad_filters_are_refused(db, settings):
    client = create_app(settings, database=db).test_client()
    about = client.get("/about").get_data(as_text=True)
    assert 'id="draw-audit"' in about and "Benjamini–Hochberg" in about and "Fisher 精确检验" in about
    assert client.get("/stats/draw-audit?region=崇川").status_code == 400
    assert client.get("/api/v1/stats/draw-audit?year=abc").status_code == 400
    assert "尚无可审计的抽查结果" in client.get("/stats/draw-audit").get_data(as_text=True)
