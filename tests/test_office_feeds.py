"""Atom feeds per office and per region, read with a feed parser, on both databases (the world of
tests/test_office_stats.py: 如皋 inspected E1 and, jointly with its 卫健, E2; 崇川 inspected E3;
the city bureau itself E5)."""
from __future__ import annotations

import feedparser
import pytest

from gongshi.ingest.pipeline import Options
from tests.factories import ingest, write_csv
from tests.test_office_stats import CHONGCHUAN, CITY, PUBLISHER, RUGAO, E, client  # noqa: F401 (fixture)


@pytest.fixture
def world(client):  # noqa: F811
    return client


def _offices(world) -> dict[str, int]:
    return {o["name"]: o["id"] for o in world.get("/api/v1/offices").get_json()["items"]}


def _feed(world, url: str):
    response = world.get(url)
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo and feed.version == "atom10"
    return feed


def _entities(feed) -> set[str]:
    return {e.title.split("：")[0] for e in feed.entries}


def test_an_office_feed_holds_its_results_and_not_another_offices(world):
    offices = _offices(world)
    rugao = _feed(world, f"/offices/{offices[RUGAO]}/feed.atom")
    assert _entities(rugao) == {"主体1", "主体2"} and rugao.feed.title == f"{RUGAO}的抽查结果"
    assert _entities(_feed(world, f"/offices/{offices[CHONGCHUAN]}/feed.atom")) == {"主体3"}
    assert _entities(_feed(world, f"/offices/{offices[CITY]}/feed.atom")) == {"主体5"}
    partner = _feed(world, f"/offices/{offices['如皋市卫生健康委员会']}/feed.atom")
    assert _entities(partner) == {"主体2"}  # a joint inspection is in each partner's feed
    page = world.get(f"/offices/{offices[RUGAO]}").get_data(as_text=True)
    link = f'href="/offices/{offices[RUGAO]}/feed.atom"'
    assert f'<link rel="alternate" type="application/atom+xml" title="{RUGAO}的抽查结果" {link}>' in page
    assert f'<a {link} type="application/atom+xml">订阅更新（Atom）</a>' in page


def test_a_region_feed_holds_its_counties_results(world):
    assert _entities(_feed(world, "/regions/320600/feed.atom")) == {"主体1", "主体2", "主体3", "主体5"}
    assert _entities(_feed(world, "/regions/320682/feed.atom")) == {"主体1", "主体2"}
    assert _entities(_feed(world, "/regions/320602/feed.atom")) == {"主体3"}
    assert _feed(world, "/regions/620422/feed.atom").entries == []  # a region without offices
    page = world.get("/regions/320682").get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml" title="江苏省南通市如皋市各机关的抽查结果" ' \
           'href="/regions/320682/feed.atom">' in page
    assert 'href="/regions/320682/feed.atom" type="application/atom+xml">订阅更新（Atom）</a>' in page


def test_a_corrected_result_updates_its_entry_in_office_and_region_feeds(world, db, settings, tmp_path):
    rugao = f"/offices/{_offices(world)[RUGAO]}/feed.atom"
    before = {e.id: e.title for e in _feed(world, rugao).entries}
    assert len(before) == 2 and len({*before}) == 2
    assert {e.id for e in _feed(world, rugao).entries} == set(before)  # stable across requests
    corrected = write_csv(tmp_path / "corrected.csv",
                          ["统一社会信用代码", "企业名称", "抽查任务编号", "抽查任务名称", "抽查机关", "检查事项", "检查结果",
                           "检查完成日期", "公示日期"],
                          [[E[1], "主体1", "T1", "企业公示信息抽查", RUGAO, "年报", "发现问题经责令已改正", "2021-09-01",
                            "2021-09-12"]])
    ingest(db, settings, str(corrected), Options(kind="result", publisher=PUBLISHER))
    for url in (rugao, "/regions/320600/feed.atom"):
        after = _feed(world, url).entries
        first = after[0]
        assert first.title.startswith("【更正】主体1：发现问题") and first.id in before
        assert {e.id for e in after} >= set(before)


@pytest.mark.parametrize("url", ["/offices/999999/feed.atom", "/offices/99999999999999/feed.atom",
                                 "/regions/999999/feed.atom", "/regions/32060/feed.atom",
                                 "/regions/３２０６００/feed.atom", "/regions/320600%00/feed.atom",
                                 "/regions/320600'%20OR%201=1/feed.atom", "/regions/..%2F..%2Fetc/feed.atom",
                                 f"/regions/{'3' * 5000}/feed.atom", "/regions/-32060/feed.atom"])
def test_unknown_offices_and_regions_are_a_chinese_404(world, url):
    response = world.get(url)
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "未找到此页面" in text and ("%2F" in url or "没有" in text and ("机关" in text or "行政区划" in text))
