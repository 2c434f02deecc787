"""Statistics per office (机关), through HTTP, on both databases.

The world (2021, Nantong, file published by the city): 南通市市场监督管理局 leads T1 (a city task
carried out by the counties' offices too); 如皋市市场监督管理局 leads T2, joint with 如皋's 卫健;
南通市崇川区市场监督管理局 leads T3, whose results were never loaded. The directory holds two
entities in 如皋, two in 崇川 and two in the city itself.

    T1  E1 (如皋)  by 如皋市市场监督管理局        未发现问题
    T1  E3 (崇川)  by 南通市崇川区市场监督管理局  发现问题经责令已改正
    T1  E5 (city)  by 南通市市场监督管理局        未发现问题
    T2  E2 (如皋)  by 如皋市市场监督管理局、如皋市卫生健康委员会  未发现问题
"""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from gongshi.app import create_app
from gongshi.ingest.pipeline import Options
from tests.conftest import SAMPLE
from tests.factories import ingest, uscc, write_csv

CITY, RUGAO, CHONGCHUAN = "南通市市场监督管理局", "如皋市市场监督管理局", "南通市崇川区市场监督管理局"
E = {n: uscc(800 + n, region=r) for n, r in zip(range(1, 7), ("320682", "320682", "320602", "320602", "320600",
                                                                "320600"))}
PUBLISHER = "南通市“双随机、一公开”监管联席会议办公室"


@pytest.fixture
def client(db, settings, tmp_path):
    entities = write_csv(tmp_path / "entities.csv", ["统一社会信用代码", "企业名称", "行政区划代码"],
                         [[E[n], f"主体{n}", E[n][2:8]] for n in E])
    tasks = write_csv(tmp_path / "tasks.csv", ["抽查任务编号", "抽查任务名称", "检查主体", "联合检查部门", "抽取数量", "完成时限"],
                      [["T1", "企业公示信息抽查", CITY, "", "4", "2021-10-31"],
                       ["T2", "餐饮联合抽查", RUGAO, "卫健", "1", "2021-10-31"],
                       ["T3", "计量器具检查", CHONGCHUAN, "", "5", "2021-12-31"]])
    results = write_csv(tmp_path / "results.csv",
                        ["统一社会信用代码", "企业名称", "抽查任务编号", "抽查任务名称", "抽查机关", "检查事项", "检查结果",
                         "检查完成日期", "公示日期"],
                        [[E[1], "主体1", "T1", "企业公示信息抽查", RUGAO, "年报", "未发现问题", "2021-09-01", "2021-09-10"],
                         [E[3], "主体3", "T1", "企业公示信息抽查", CHONGCHUAN, "年报", "发现问题经责令已改正", "2021-09-01",
                          "2021-09-10"],
                         [E[5], "主体5", "T1", "企业公示信息抽查", CITY, "年报", "未发现问题", "2021-09-01", "2021-09-10"],
                         [E[2], "主体2", "T2", "餐饮联合抽查", f"{RUGAO}、如皋市卫生健康委员会", "食品", "未发现问题",
                          "2021-09-01", "2021-09-10"]])
    for kind, path in (("entity", entities), ("task", tasks), ("result", results)):
        plan = {"plan_name": "南通市2021年度抽查计划", "year": 2021} if kind == "task" else {}
        ingest(db, settings, str(path), Options(kind=kind, publisher=PUBLISHER, **plan))
    return create_app(settings, database=db).test_client()


def _rows(client, **args) -> list[dict]:
    response = client.get("/api/v1/stats/coverage", query_string={"year": 2021, **args})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def _by_office(rows) -> dict[str, dict]:
    return {r["office"]["name"]: r for r in rows}


def test_two_offices_of_one_kind_in_two_counties_are_two_rows_that_sum_to_the_city(client):
    rows = _by_office(_rows(client, region="320600"))
    assert set(rows) == {CITY, RUGAO, CHONGCHUAN}
    rugao, chongchuan, city = rows[RUGAO], rows[CHONGCHUAN], rows[CITY]
    assert rugao["office"]["region"] == {"code": "320682", "name": "如皋市"} and rugao["office"]["level"] == "县"
    assert rugao["department"]["name"] == chongchuan["department"]["name"] == "市场监督管理局"
    assert (rugao["inspections"], chongchuan["inspections"], city["inspections"]) == (2, 1, 1)
    assert sum(r["inspections"] for r in rows.values()) == 4  # the city's whole figure
    # Rates that compare offices of different sizes.
    assert rugao["joint_share"] == 0.5 and rugao["meets_joint_target"] is True
    assert chongchuan["problem_share"] == 1.0 and rugao["problem_share"] == 0.0
    assert (rugao["directory_size"], chongchuan["directory_size"], city["directory_size"]) == (2, 2, 6)
    assert rugao["per_100_entities"] == 100.0 and chongchuan["per_100_entities"] == 50.0
    assert rugao["on_time_share"] == 1.0


def test_a_region_filter_keeps_a_citys_counties_and_a_county_alone(client):
    assert {r["office"]["name"] for r in _rows(client, region="320682")} == {RUGAO}
    assert {r["office"]["name"] for r in _rows(client, region="320000")} == {CITY, RUGAO, CHONGCHUAN}


def test_a_region_without_data_is_an_empty_list_and_a_malformed_one_a_problem(client):
    assert _rows(client, region="620422") == []
    assert _rows(client, region="999999") == []
    assert client.get("/api/v1/stats/coverage?region=abc").status_code == 400


def test_office_and_department_filters(client):
    offices = {o["name"]: o for o in client.get("/api/v1/offices?region=320600").get_json()["items"]}
    rugao = offices[RUGAO]
    assert rugao["placed"] is True and rugao["department"]["name"] == "市场监督管理局"
    assert [r["office"]["id"] for r in _rows(client, office=rugao["id"])] == [rugao["id"]]
    kind = rugao["department"]["id"]
    assert {r["office"]["name"] for r in _rows(client, department=kind)} == {CITY, RUGAO, CHONGCHUAN}
    assert client.get(f"/api/v1/offices/{rugao['id']}").get_json()["name"] == RUGAO


@pytest.mark.parametrize("name", [RUGAO, "如皋市市场监管局", " 如皋市市场监督管理局 "])
def test_every_office_filter_takes_the_office_by_name(client, name):
    rugao = next(o["id"] for o in client.get("/api/v1/offices").get_json()["items"] if o["name"] == RUGAO)
    for path in ("/api/v1/stats/coverage", "/api/v1/stats/attachment3", "/api/v1/stats/plans",
                 "/api/v1/stats/draw-audit"):
        by_name = client.get(path, query_string={"year": 2021, "office": name})
        assert by_name.status_code == 200, (path, by_name.get_json())
        assert by_name.get_json() == client.get(path, query_string={"year": 2021, "office": rugao}).get_json()
    assert {r["office"]["name"] for r in _rows(client, office=name)} == {RUGAO}
    assert {p["task_no"] for p in client.get("/api/v1/stats/plans", query_string={"office": name}).get_json()["items"]} \
        == {"T2"}
    page = client.get("/stats", query_string={"year": 2021, "office": name}).get_data(as_text=True)
    assert f'填报单位：<a href="/offices/{rugao}">{RUGAO}</a>' in page
    workbook = load_workbook(io.BytesIO(client.get("/stats/2021.xlsx", query_string={"office": name}).data))
    assert workbook.sheetnames == [RUGAO]


def test_an_unknown_office_name_finds_nothing(client):
    for path in ("/api/v1/stats/coverage", "/api/v1/stats/attachment3", "/api/v1/stats/plans",
                 "/api/v1/stats/draw-audit"):
        for name in ("海门区市场监督管理局", "市场监督管理局", "不存在的局", "²"):
            response = client.get(path, query_string={"office": name})
            assert response.status_code == 200 and response.get_json()["items"] == [], (path, name)
        assert client.get(path, query_string={"office": "x" * 65}).status_code == 400
    assert "没有这个名称的机关" in client.get("/stats?office=不存在的局").get_data(as_text=True)
    assert client.get("/stats/draw-audit?office=不存在的局").status_code == 200
    assert client.get("/stats/draw-audit?office=²&year=³").status_code == 400  # a digit to str.isdigit, not to int()
    spec = client.get("/api/v1/openapi.json").get_json()
    office = next(p for p in spec["paths"]["/api/v1/stats/coverage"]["get"]["parameters"] if p["name"] == "office")
    assert office["schema"]["type"] == "string" and "名称" in office["description"]


def test_attachment3_per_filing_office_takes_its_counties_as_lower_level(client):
    city = next(o for o in client.get("/api/v1/offices").get_json()["items"] if o["name"] == CITY)
    rows = client.get(f"/api/v1/stats/attachment3?year=2021&office={city['id']}").get_json()["items"]
    got = {(r["category"], r["level"]): (r["batches"], r["entities"]) for r in rows}
    assert got == {("系统内双随机抽查", "本级"): (1, 1), ("系统内双随机抽查", "下级"): (3, 2),
                   ("部门联合抽查", "本级"): (0, 0), ("部门联合抽查", "下级"): (1, 1)}
    workbook = load_workbook(io.BytesIO(client.get(f"/stats/2021.xlsx?office={city['id']}").data))
    assert workbook.sheetnames == [CITY]
    assert workbook[CITY]["A3"].value.startswith(f"填报单位：{CITY}")


def test_tasks_without_loaded_results_are_not_called_short_of_plan(client, settings, db):
    ingest(db, settings, str(SAMPLE / "jiangsu_2021_tasks.csv"),
           Options(kind="task", year=2021, publisher="江苏省市场监管领域部门联合“双随机、一公开”监管联席会议办公室"))
    plans = client.get("/api/v1/stats/plans?year=2021").get_json()["items"]
    jiangsu = [p for p in plans if p["task_no"] not in ("T1", "T2", "T3")]
    assert len(jiangsu) == 20 and {p["status"] for p in jiangsu} == {"no_results"}
    assert {p["status"] for p in plans if p["task_no"] == "T3"} == {"no_results"}
    assert {p["status"] for p in plans if p["task_no"] == "T1"} == {"under"}  # 3 of exactly 4
    page = client.get(f"/tasks/{jiangsu[0]['task_no']}").get_data(as_text=True)
    assert "结果未公示/未导入" in page and "未达到" not in page


def test_pages_name_the_offices(client):
    offices = {o["name"]: o["id"] for o in client.get("/api/v1/offices").get_json()["items"]}
    page = client.get("/departments").get_data(as_text=True)
    assert RUGAO in page and CHONGCHUAN in page
    office = client.get(f"/offices/{offices[RUGAO]}").get_data(as_text=True)
    assert "如皋市" in office and "餐饮联合抽查" in office and CHONGCHUAN in office  # compared within the city
    region = client.get("/regions/320600?year=2021&sort=per_100_entities").get_data(as_text=True)
    assert region.index(RUGAO) < region.index(CHONGCHUAN) < region.index(CITY)
    csv = client.get("/regions/320600.csv?year=2021").get_data(as_text=True)
    assert csv.startswith("\ufeff") and "每百户抽查户次" in csv and RUGAO in csv
    assert client.get("/regions/123").status_code == 404


def test_office_page_reads_in_a_few_queries(client, query_counter):
    offices = {o["name"]: o["id"] for o in client.get("/api/v1/offices").get_json()["items"]}
    query_counter.clear()
    assert client.get(f"/offices/{offices[CITY]}").status_code == 200
    assert len(query_counter) <= 25
