"""Every page of the portal and its error cases, through Flask's test client, on SQLite and
PostgreSQL, with data loaded from published-style files by the real ingest."""
from __future__ import annotations

import csv
import gzip
import io
import re

import plotly.offline
import pytest
from openpyxl import load_workbook

from gongshi import search
from gongshi.app import create_app
from gongshi.ingest.pipeline import Options
from tests.factories import ingest, uscc, write_csv

SHOP, JOINT_SHOP, QUIET, XSS = uscc(1), uscc(2), uscc(3), uscc(4)
TASK, JOINT_TASK, PLAN = "320600-2024-SJ-001", "320600-2024-LH-001", "320600-2024-SJ"

ENTITY_HEADER = ["统一社会信用代码", "企业名称", "市场主体类型", "行政区划代码", "住所", "行业", "成立日期", "登记状态", "登记机关"]
TASK_HEADER = ["抽查计划编号", "抽查计划名称", "抽查任务编号", "抽查任务名称", "抽查类型", "抽查事项类别", "部门联合抽查事项",
               "抽查依据", "抽查对象范围", "检查主体", "联合检查部门", "抽取比例", "抽取数量", "计划抽取日期", "完成时限"]
RESULT_HEADER = ["统一社会信用代码", "企业名称", "抽查任务编号", "抽查任务名称", "抽查机关", "检查事项", "检查结果",
                 "检查完成日期", "公示日期", "后续处置"]
CREDIT_HEADER = ["统一社会信用代码", "企业名称", "信用信息类别", "决定日期", "决定机关", "事由", "决定书文号", "罚款金额（元）", "风险等级"]
CHECKLIST_HEADER = ["事项编码", "部门", "抽查类别", "抽查事项", "抽查子项", "事项类别", "抽查依据", "抽查主体", "抽查对象",
                    "检查内容", "抽查比例", "抽查频次", "抽查方式", "参与部门", "备注"]
SAMR = "南通市市场监督管理局"
CHECKLIST = [["3206-SJ-001", SAMR, "企业公示信息检查", "企业公示信息抽查", "年度报告公示信息的检查", "一般检查事项",
              "《企业信息公示暂行条例》第十四条", "市场监督管理局", "辖区内企业", "年度报告", "3%", "1次/年", "书面检查", "", ""],
             ["3206-SJ-002", SAMR, "食品安全检查", "食品经营者检查", "餐饮服务提供者的检查", "重点检查事项",
              "《食品安全法》", "市场监督管理局", "餐饮服务提供者", "食品安全", "不设上限", "1次/年", "实地核查", "", ""]]


def _load(db, settings, tmp_path, name, header, rows, **options):
    return ingest(db, settings, str(write_csv(tmp_path / name, header, rows)), Options(**options))


@pytest.fixture
def city(db, settings, tmp_path):
    """Four entities (one never inspected, one with a <script> name), a plan of two tasks (one
    joint), their results, a penalty and a risk class, a checklist; and the search index."""
    _load(db, settings, tmp_path, "entities.csv", ENTITY_HEADER, [
        [SHOP, "南通市崇川区诚越百货商店", "个体工商户", "320602", "南通市崇川区人民路1号", "零售业", "2015-03-01", "存续", SAMR],
        [JOINT_SHOP, "南通市通州区新源饭店", "个体工商户", "320612", "南通市通州区世纪大道3号", "餐饮业", "2010-01-01", "存续", SAMR],
        [QUIET, "海安市阳凯房产经纪有限公司", "有限责任公司", "320685", "海安市人民路296号", "房地产业", "2001-02-20", "存续", SAMR],
        [XSS, "<script>alert(1)</script>商行", "个体工商户", "320602", "南通市崇川区", "零售业", "2020-01-01", "存续", SAMR],
    ], kind="entity")
    _load(db, settings, tmp_path, "tasks.csv", TASK_HEADER, [
        [PLAN, "南通市市场监督管理局2024年度抽查计划", TASK, "2024年度食品经营者检查", "定向", "一般检查", "", "《食品安全法》",
         "全市食品经营者", SAMR, "", "5%", "约3", "2024-03-01", "2024-08-30"],
        [PLAN, "南通市市场监督管理局2024年度抽查计划", JOINT_TASK, "2024年度餐饮联合检查", "定向", "一般检查", "餐饮安全",
         "《食品安全法》", "全市餐饮服务提供者", SAMR, "南通市卫生健康委员会", "3%", "不少于5", "2024-04-01", "2024-09-30"],
    ], kind="task", publisher=SAMR)
    _load(db, settings, tmp_path, "results.csv", RESULT_HEADER, [
        [SHOP, "南通市崇川区诚越百货商店", TASK, "2024年度食品经营者检查", SAMR, "食品销售者的检查", "未发现问题",
         "2024-05-06", "2024-05-10", ""],
        [SHOP, "南通市崇川区诚越百货商店", TASK, "2024年度食品经营者检查", SAMR, "食品标签的检查", "发现问题，已责令改正",
         "2024-05-06", "2024-05-10", "责令改正"],
        [XSS, "<script>alert(1)</script>商行", TASK, "2024年度食品经营者检查", SAMR, "食品销售者的检查", "未发现问题",
         "2024-06-03", "2024-09-30", ""],
        [JOINT_SHOP, "南通市通州区新源饭店", JOINT_TASK, "2024年度餐饮联合检查", f"{SAMR}、南通市卫生健康委员会",
         "餐饮服务提供者的检查", "未发现问题", "2024-07-01", "2024-07-05", ""],
        [SHOP, "南通市崇川区诚越百货商店（曾用名）", JOINT_TASK, "2024年度餐饮联合检查", SAMR, "餐饮服务提供者的检查",
         "未发现问题", "2023-07-01", "2023-07-05", ""],
    ], kind="result", deadline_working_days=20)
    _load(db, settings, tmp_path, "credit.csv", CREDIT_HEADER, [
        [SHOP, "南通市崇川区诚越百货商店", "行政处罚", "2024-06-01", SAMR, "销售标签不合格的食品", "通市监罚〔2024〕88号", "5000", ""],
        [SHOP, "南通市崇川区诚越百货商店", "信用风险分类", "2024-03-25", SAMR, "企业信用风险分类结果", "", "", "B"],
    ], kind="credit")
    _load(db, settings, tmp_path, "checklist.csv", CHECKLIST_HEADER, CHECKLIST, kind="checklist")
    search.index_all(db, settings.index_dir)
    return create_app(settings, database=db).test_client()


def _page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def _text(html: str) -> str:
    """The page's visible text in one line, tags removed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- entity -----------------------------------------------------------------------------------

def test_entity_page_shows_history_newest_first_with_items_credit_and_sources(city):
    html = _page(city, f"/enterprises/{SHOP}")
    text = _text(html)
    assert "南通市崇川区诚越百货商店" in text and SHOP in text and "江苏省南通市崇川区" in text
    assert "曾用名" in text and "南通市崇川区诚越百货商店（曾用名）" in text
    assert text.index("2024年5月6日") < text.index("2023年7月1日")  # newest first
    assert "食品标签的检查 发现问题，已责令改正" in text and "责令改正" in text
    assert f'href="/tasks/{TASK}"' in html and f'href="/tasks/{JOINT_TASK}"' in html
    assert "按时" in text and "时限 20 个工作日" in text
    assert "通市监罚〔2024〕88号" in text and "5,000 元" in text and "B 类" in text
    assert "来源： results.csv ，第 1 行" in text and "来源： credit.csv ，第 1 行" in text and "来源： entities.csv" in text
    assert f'href="/api/v1/enterprises/{SHOP}"' in html and f'href="/enterprises/{SHOP}.csv"' in html
    assert 'data-chart="chart-history"' in html  # the chart, with its table beside it
    assert re.search(r"<th scope=\"row\">2024</th><td class=\"num\">0</td><td class=\"num\">1</td>", html)


def test_joint_inspection_is_marked_with_all_its_departments(city):
    text = _text(_page(city, f"/enterprises/{JOINT_SHOP}"))
    assert "部门联合抽查" in text and "南通市卫生健康委员会" in text


def test_an_entity_never_inspected_says_so_plainly(city):
    text = _text(_page(city, f"/enterprises/{QUIET}"))
    assert "该市场主体目前没有被抽查的公示记录" in text and "没有公示的行政处罚" in text


def test_names_from_published_files_are_escaped_everywhere(city):
    for url in (f"/enterprises/{XSS}", f"/tasks/{TASK}", "/", "/search?q=商行"):
        html = _page(city, url)
        assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_entity_record_downloads_as_csv_with_every_item_and_credit_outcome(city):
    response = city.get(f"/enterprises/{SHOP.lower()}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["类别", "日期", "抽查任务编号", "抽查任务名称"]
    assert sum(r[0] == "抽查结果" for r in rows) == 3 and any("通市监罚〔2024〕88号" in r for r in rows)
    assert all(r[-2] for r in rows[1:])  # every row names its source file


# --- search -----------------------------------------------------------------------------------

def test_search_by_two_characters_lists_entities_first_with_facets(city):
    html = _page(city, "/search?q=诚越")
    text = _text(html)
    assert f'href="/enterprises/{SHOP}"' in html and "<mark>诚越</mark>" in html
    assert "共找到 1 条" in text and "筛选" in text and "崇川区" in text


def test_search_with_a_uscc_goes_straight_to_the_entity(city):
    response = city.get(f"/search?q={SHOP}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/enterprises/{SHOP}")


def test_search_lists_tasks_and_checklist_items_in_their_own_sections(city):
    html = _page(city, "/search?q=食品")
    assert html.index('id="h-task"') < html.index(f'href="/tasks/{TASK}"')
    assert html.index('id="h-check_item"') < html.index('href="/check-items/')


def test_bad_search_parameters_give_a_chinese_400_page(city):
    assert "参数 type 只能是" in _page(city, "/search?q=店&type=person", 400)
    assert "参数 page 应为" in _page(city, "/search?q=店&page=0", 400)
    assert "查询过长" in _page(city, "/search?q=" + "店" * 101, 400)


# --- tasks, plans -------------------------------------------------------------------------------

def test_task_page_shows_fields_planned_against_actual_results_and_entities(city):
    html = _page(city, f"/tasks/{TASK}")
    text = _text(html)
    assert "2024年度食品经营者检查" in text and "全市食品经营者" in text and "约3" in text and "5%" in text
    assert "实际检查 2 户 未达到计划数量" in text  # 约3 allows ±10%, so 2 is short
    assert 'data-chart="chart-results"' in html and f'href="/enterprises/{SHOP}"' in html
    assert f'href="/api/v1/tasks/{TASK}"' in html and f'href="/plans/{PLAN}"' in html


def test_task_csv_lists_every_inspected_item(city):
    response = city.get(f"/tasks/{TASK}.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "统一社会信用代码" and len(rows) == 4 and {r[0] for r in rows[1:]} == {SHOP, XSS}


def test_plan_page_lists_its_tasks_with_what_was_inspected(city):
    text = _text(_page(city, f"/plans/{PLAN}"))
    assert "2024年度食品经营者检查" in text and "2024年度餐饮联合检查" in text and "不少于5" in text
    assert "未达到" in text
    rows = list(csv.reader(io.StringIO(city.get(f"/plans/{PLAN}.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert [r[1] for r in rows[1:]] == [TASK, JOINT_TASK]


# --- departments, checklists, statistics ---------------------------------------------------------

def _department_id(client) -> str:
    return re.search(r'href="/departments/(\d+)">南通市市场监督管理局', _page(client, f"/tasks/{TASK}")).group(1)


def test_department_page_lists_its_offices_and_an_office_page_has_charts_with_tables(city):
    dept = _department_id(city)
    html = _page(city, f"/departments/{dept}")
    text = _text(html)
    assert "联合占比" in text and "10%" in text and "按时公示率" in text and "每百户抽查户次" in text
    office = re.search(r'href="/offices/(\d+)">南通市市场监督管理局', html).group(1)
    office_html = _page(city, f"/offices/{office}")
    assert 'data-chart="chart-inspections"' in office_html and 'data-chart="chart-shares"' in office_html
    assert "南通市" in _text(office_html) and "计划与实际" in _text(office_html)
    assert "企业公示信息抽查" in text and "南通市市场监督管理局2024年度抽查计划" in text
    assert "2024年度餐饮联合检查" in text and f"/downloads/coverage.csv?department={dept}" in html


def test_check_items_filter_by_class_and_show_withdrawn_items(city, db, settings, tmp_path):
    text = _text(_page(city, "/check-items?item_class=重点检查事项"))
    assert "餐饮服务提供者的检查" in text and "年度报告公示信息的检查" not in text
    _load(db, settings, tmp_path, "checklist-v2.csv", CHECKLIST_HEADER, CHECKLIST[1:], kind="checklist")
    text = _text(_page(city, "/check-items"))
    assert "移除 企业公示信息抽查：年度报告公示信息的检查" in text


def test_statistics_page_fills_the_official_form_and_downloads_it(city):
    text = _text(_page(city, "/stats?year=2024"))
    assert "市政府有关部门本级开展抽查信息" in text and "市场监督管理局" in text
    response = city.get("/stats/2024.xlsx")
    workbook = load_workbook(io.BytesIO(response.get_data()))
    assert "合计" in workbook.sheetnames
    assert "没有 1999 年度的统计数据" in _page(city, "/stats?year=1999", 404)


def test_data_and_about_pages_describe_datasets_sources_and_definitions(city):
    html = _page(city, "/data")
    assert "/downloads/inspections.csv" in html and "统一社会信用代码" in html and "results.csv" in html
    text = _text(_page(city, "/about"))
    assert "国发〔2019〕5号" in text and "按时公示" in text and "联合抽查占比" in text


# --- errors, headers -----------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/enterprises/91320602MA00000000", "/tasks/无此任务", "/plans/none",
                                 "/departments/999999", "/check-items/999999", "/nope", "/check-items?page=99",
                                 "/offices/999999", "/regions/999999", "/regions/abc"])
def test_unknown_ids_give_a_friendly_chinese_404(city, url):
    html = _page(city, url, 404)
    assert 'lang="zh-CN"' in html and "未找到此页面" in html and "Traceback" not in html


@pytest.mark.parametrize("url", ["/check-items?department=abc", "/check-items?item_class=特别", "/stats?year=x",
                                 "/departments/1?page=-1"])
def test_bad_parameters_give_a_chinese_400(city, url):
    html = _page(city, url, 400)
    assert "请求参数有误" in html and "参数" in html


def test_a_failing_page_shows_no_stack_trace(city, monkeypatch):
    from gongshi.store import pages

    monkeypatch.setattr(pages, "stat_years", lambda session: 1 / 0)
    city.application.config["PROPAGATE_EXCEPTIONS"] = False
    html = _page(city, "/stats", 500)
    assert "服务器内部错误" in html and "ZeroDivisionError" not in html


def test_pages_send_csp_without_inline_scripts_cache_headers_and_canonical_url(city):
    response = city.get(f"/tasks/{TASK}?page=1")
    csp = response.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "unsafe-inline" not in script_src and "'self'" in script_src
    assert "max-age" in response.headers["Cache-Control"] and response.headers["ETag"]
    assert f'<link rel="canonical" href="http://localhost/tasks/{TASK}">' in response.get_data(as_text=True)
    again = city.get(f"/tasks/{TASK}?page=1", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    html = response.get_data(as_text=True)
    assert all(not s.strip() for s in re.findall(r"<script(?![^>]*\b(?:src|type=\"application/json\"))[^>]*>(.*?)</script>",
                                                 html, re.S))


def test_plotly_is_served_by_the_portal_itself_under_a_hashed_name_gzipped_and_immutable(city):
    html = _page(city, f"/tasks/{TASK}")
    assert "cdn" not in html.lower()
    src = re.search(r'<script src="(/static/vendor/plotly-basic\.min\.[0-9a-f]{12}\.js)">', html).group(1)
    plain = city.get(src)
    # The figures' JSON is written by the plotly package for its own plotly.js version (`make plotly-basic`).
    version = plotly.offline.get_plotlyjs_version()
    assert plain.status_code == 200 and f"plotly.js (basic - minified) v{version}".encode() in plain.get_data()[:2000]
    assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    zipped = city.get(src, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.get_data()) == plain.get_data()
    again = city.get(src, headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304


def test_static_files_are_linked_by_hashed_names_and_plain_names_still_answer(city):
    html = _page(city, f"/tasks/{TASK}")
    assert re.search(r'href="/static/portal\.[0-9a-f]{12}\.css"', html)
    assert re.search(r'src="/static/charts\.[0-9a-f]{12}\.js"', html)
    plain = city.get("/static/charts.js")
    assert plain.status_code == 200 and "immutable" not in plain.headers["Cache-Control"]
    assert city.get("/static/charts.000000000000.js").status_code == 404


def test_long_lists_are_paginated(db, settings, tmp_path):
    rows = [[uscc(100 + i), f"南通市测试商店{i}", TASK, "2024年度食品经营者检查", SAMR, "食品销售者的检查", "未发现问题",
             f"2024-05-{1 + i % 28:02d}", "", ""] for i in range(55)]
    _load(db, settings, tmp_path, "r.csv", RESULT_HEADER, rows, kind="result")
    client = create_app(settings, database=db).test_client()
    first, second = _text(_page(client, f"/tasks/{TASK}")), _text(_page(client, f"/tasks/{TASK}?page=2"))
    assert "第 1 / 2 页，共 55 条" in first and "第 2 / 2 页" in second
    assert sum(f"南通市测试商店{i} " in first + second for i in range(55)) == 55
