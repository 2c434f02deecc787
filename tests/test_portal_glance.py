"""A portal people read at a glance: an entity's standing on top of its page and in the API,
outcome badges on search hits, money written as people write it."""
from __future__ import annotations

import re

import pytest

from gongshi.app import create_app
from gongshi.ingest.pipeline import Options
from gongshi.portal.web import money
from tests.factories import ingest, write_csv
from tests.test_portal_pages import CREDIT_HEADER, QUIET, SAMR, SHOP, _page, _text, city  # noqa: F401


@pytest.fixture
def listed(city, db, settings, tmp_path):  # noqa: F811
    """SHOP on both lists (the abnormal one lifted later), with a second fine of 2,000 元."""
    rows = [[SHOP, "南通市崇川区诚越百货商店", "列入经营异常名录", "2024-06-10", SAMR, "通过登记的住所无法联系", "", "", ""],
            [SHOP, "南通市崇川区诚越百货商店", "移出经营异常名录", "2024-08-10", SAMR, "已恢复正常", "", "", ""],
            [SHOP, "南通市崇川区诚越百货商店", "列入严重违法失信名单", "2024-07-15", SAMR, "被列入经营异常名录届满3年", "", "", ""],
            [SHOP, "南通市崇川区诚越百货商店", "行政处罚", "2024-07-01", SAMR, "未按规定公示", "通市监罚〔2024〕99号", "2000", ""]]
    ingest(db, settings, str(write_csv(tmp_path / "credit2.csv", CREDIT_HEADER, rows)), Options(kind="credit"))
    return create_app(settings, database=db).test_client()


def _standing(html: str) -> str:
    return _text(re.search(r'<section class="standing".*?</section>', html, re.S).group(0))


def test_the_standing_sits_on_top_and_links_to_each_fact(listed):
    html = _page(listed, f"/enterprises/{SHOP}")
    summary = _standing(html)
    assert html.index('class="standing"') < html.index('id="inspections"')  # above the history
    assert "严重违法失信名单 在名单中，2024年7月15日列入" in summary
    assert "经营异常名录 不在名单中（2024年6月10日列入，2024年8月10日移出）" in summary
    assert "行政处罚 2 次，罚款合计 7,000 元" in summary
    assert "最近一次抽查 2024年5月6日，发现问题" in summary
    assert "信用风险分类 B 类：一般风险" in summary
    block = re.search(r'<section class="standing".*?</section>', html, re.S).group(0)
    anchors = re.findall(r'href="#([\w-]+)"', block)
    assert len(anchors) >= 5 and all(f'id="{a}"' in html for a in anchors)  # each line leads to its fact


def test_a_penalty_links_to_the_inspection_that_led_to_it(listed):
    html = _page(listed, f"/enterprises/{SHOP}")
    row = re.search(r'<tr id="credit-\d+"><td data-label="日期">2024年6月1日</td>.*?</tr>', html, re.S).group(0)
    target = re.search(r'href="#(inspection-\d+)">源于 2024年5月6日的抽查', row).group(1)
    assert f'id="{target}"' in html


def test_an_entity_with_nothing_against_it_says_so(listed):
    summary = _standing(_page(listed, f"/enterprises/{QUIET}"))
    assert "经营异常名录 未列入" in summary and "行政处罚 无" in summary and "尚无抽查记录" in summary


def test_the_api_gives_the_same_standing(listed):
    standing = listed.get(f"/api/v1/enterprises/{SHOP}").get_json()["standing"]
    assert standing["serious_violation_list"]["listed"] is True
    assert standing["serious_violation_list"]["since"] == "2024-07-15"
    assert standing["abnormal_list"] == {"listed": False, "since": "2024-06-10", "removed_on": "2024-08-10",
                                         "credit_event_id": standing["abnormal_list"]["credit_event_id"]}
    assert standing["penalties"] == 2 and standing["fines_yuan"] == 7000.0
    assert standing["latest_inspection_on"] == "2024-05-06" and standing["latest_problems_found"] is True
    assert standing["risk_class"] == "B" and standing["risk_meaning"] == "一般风险"
    spec = listed.get("/api/v1/openapi.json").get_json()
    assert "standing" in spec["components"]["schemas"]["Enterprise"]["properties"]


@pytest.mark.parametrize("value, text", [(20000, "2 万元"), (12500, "1.25 万元"), (5000, "5,000 元"),
                                         (1234.5, "1,234.50 元"), (None, "—")])
def test_money_is_written_as_people_write_it(value, text):
    assert money(value) == text


def test_search_hits_show_outcome_badges_in_a_constant_number_of_queries(listed, query_counter):
    html = _page(listed, "/search?q=南通")
    hit = re.search(r'<li>\s*<a href="/enterprises/' + SHOP + r'">.*?</li>', html, re.S).group(0)
    badges = _text(re.search(r'<div class="badges">.*?</div>', hit, re.S).group(0))
    assert "严重违法失信名单" in badges and "行政处罚 2 次" in badges and "发现问题 1 次" in badges
    assert "经营异常名录" not in badges  # lifted on 2024-08-10
    assert sum(s.startswith("SELECT") for s in query_counter) <= 3  # one batch for the page's hits, not one query per hit


def test_search_shows_filters_with_few_hits_and_explains_an_empty_result(listed):
    html = _page(listed, "/search?q=南通")  # a few hits, far fewer than a page
    assert '<details class="filters" open>' in html and html.index("筛选") < html.index('class="hits"')
    text = _text(_page(listed, "/search?q=不存在的店铺名"))
    assert "没有找到结果，可以这样试试" in text and "用空格分开几个词" in text


def test_two_words_search_in_any_order(listed):
    html = _page(listed, "/search?q=诚越 崇川")
    assert "共找到 1 条" in _text(html) and f'href="/enterprises/{SHOP}"' in html
    assert "<mark>崇川</mark>" in html and "<mark>诚越</mark>" in html


def test_every_stacked_table_cell_keeps_its_column_name_for_phones(listed):
    from tests.test_portal_pages import PLAN, TASK

    for url in ("/", f"/enterprises/{SHOP}", f"/tasks/{TASK}", f"/plans/{PLAN}", "/check-items", "/data"):
        html = _page(listed, url)
        for table in re.findall(r'<table class="stack">.*?</table>', html, re.S):
            body = table.split("</thead>")[1]
            assert body.count("<td") == body.count('<td data-label="'), url


def test_charts_count_in_whole_numbers_and_are_left_out_when_empty(listed):
    import json

    html = _page(listed, f"/enterprises/{SHOP}")
    figure = json.loads(re.search(r'id="chart-history-data">(.*?)</script>', html, re.S).group(1))
    assert figure["layout"]["yaxis"]["dtick"] == 1 and figure["layout"]["yaxis"]["tickformat"] == ",d"
    from tests.test_portal_pages import JOINT_SHOP

    partner = re.search(r'href="/departments/(\d+)">南通市卫生健康委员会', _page(listed, f"/enterprises/{JOINT_SHOP}"))
    html = _page(listed, f"/departments/{partner.group(1)}")  # a partner that leads no task
    assert "data-chart=" not in html  # no empty 0–1 chart


def test_feeds_parse_with_stable_ids_and_absolute_links(listed, db, settings, tmp_path):
    import feedparser

    from tests.test_portal_pages import RESULT_HEADER, TASK

    home = _page(listed, "/")
    assert '<link rel="alternate" type="application/atom+xml" title="最新公示和更正的抽查结果" href="/feed.atom">' in home
    page = _page(listed, f"/enterprises/{SHOP}")
    assert f'type="application/atom+xml" title="南通市崇川区诚越百货商店的抽查结果" href="/enterprises/{SHOP}/feed.atom"' in page
    feed = feedparser.parse(listed.get(f"/enterprises/{SHOP}/feed.atom").get_data())
    assert not feed.bozo and feed.version == "atom10" and len(feed.entries) == 2
    assert all(e.id.startswith("tag:localhost,2026:inspection/") for e in feed.entries)
    assert all(e.link.startswith(f"http://localhost/enterprises/{SHOP}#inspection-") for e in feed.entries)
    before = {e.id: e.title for e in feed.entries}
    # the shop's 2024 result is corrected: the same entry, marked, first
    ingest(db, settings, str(write_csv(tmp_path / "results2.csv", RESULT_HEADER, [
        [SHOP, "南通市崇川区诚越百货商店", TASK, "2024年度食品经营者检查", SAMR, "食品销售者的检查", "未发现问题",
         "2024-05-06", "2024-05-10", ""]])), Options(kind="result", deadline_working_days=20))
    after = feedparser.parse(listed.get(f"/enterprises/{SHOP}/feed.atom").get_data()).entries
    assert set(before) == {e.id for e in after} and after[0].title.startswith("【更正】")
    site = feedparser.parse(listed.get("/feed.atom").get_data())
    assert not site.bozo and site.entries[0].id == after[0].id
    assert {link.rel for link in site.feed.links} == {"alternate", "self"}


def test_a_department_page_announces_its_feed(listed):
    import feedparser

    department = re.search(r'href="/departments/(\d+)"', _page(listed, f"/enterprises/{SHOP}")).group(1)
    assert f'href="/departments/{department}/feed.atom"' in _page(listed, f"/departments/{department}")
    feed = feedparser.parse(listed.get(f"/departments/{department}/feed.atom").get_data())
    assert not feed.bozo and feed.entries and feed.feed.title.endswith("的抽查结果")


def test_a_source_names_its_publisher_and_serves_the_archived_original(listed, settings):
    html = _page(listed, f"/enterprises/{SHOP}")
    link = re.search(r'来源：<a href="/sources/([0-9a-f]{64})"[^>]*>credit2.csv</a>', html)
    response = listed.get(f"/sources/{link.group(1)}")
    assert response.status_code == 200 and "通市监罚〔2024〕99号" in response.get_data().decode("utf-8-sig")
    assert "credit2.csv" in response.headers["Content-Disposition"]
    assert link.group(1) in _page(listed, "/data")  # the whole sha256, beside the file
    for bad in ("../../etc/passwd", "%2e%2e%2fgongshi.sqlite3", "A" * 64, "0" * 63, "0" * 64):
        assert listed.get(f"/sources/{bad}").status_code == 404, bad


def test_pages_link_a_favicon(listed):
    html = _page(listed, "/")
    icon = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', html).group(1)
    assert listed.get(icon).status_code == 200
