"""The open-data API v1 through HTTP (Flask's test client), on SQLite and PostgreSQL, over a
synthetic city loaded by the real ingest: entities, tasks, results, credit, a checklist and
Jiangsu's 2021 joint-inspection task table."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gongshi.api.http import DATA_VERSION_TTL
from gongshi.app import create_app
from gongshi.democity import generate_city
from gongshi.ingest.pipeline import Options
from gongshi.store.db import Database
from gongshi.store.models import CreditEvent, Inspection, MarketEntity
from tests.conftest import SAMPLE
from tests.factories import ingest, uscc, write_csv

PROBLEM = "application/problem+json"
ENTITY_HEADER = ["统一社会信用代码", "企业名称", "市场主体类型", "行政区划代码", "住所"]


@pytest.fixture(scope="session")
def city_files(tmp_path_factory) -> dict[str, Path]:
    return generate_city(tmp_path_factory.mktemp("city"), entities=120, years=range(2023, 2025), seed=11)


def load_city(db, settings, files) -> None:
    for kind in ("entity", "task", "result", "credit"):
        ingest(db, settings, str(files[kind]))
    ingest(db, settings, str(SAMPLE / "nantong_checklist.csv"))
    ingest(db, settings, str(SAMPLE / "jiangsu_2021_tasks.csv"), Options(year=2021, deadline_working_days=10))


@pytest.fixture
def city(db, settings, city_files):
    load_city(db, settings, city_files)
    return db


@pytest.fixture
def client(city, settings):
    return create_app(settings, database=city).test_client()


def add_entities(db, settings, path: Path, names: list[str], start: int = 900) -> list[str]:
    codes = [uscc(start + i) for i in range(len(names))]
    rows = [[code, name, "有限责任公司", "320602", "江苏省南通市崇川区工农路1号"] for code, name in zip(codes, names)]
    ingest(db, settings, str(write_csv(path, ENTITY_HEADER, rows)))
    return codes


def walk(client, url: str) -> tuple[list[dict], int]:
    """Every item of a list, following `next` to the end."""
    items, total = [], None
    while url:
        body = client.get(url).get_json()
        items += body["items"]
        total = body["total"] if total is None else total
        url = body["next"]
    return items, total


def busiest_entity(db, quietest: bool = False) -> str:
    """The entity with the most inspections (or the fewest, at least one)."""
    count = func.count() if quietest else func.count().desc()
    with db.session() as s:
        return s.scalar(select(MarketEntity.uscc).join(Inspection, Inspection.entity_id == MarketEntity.id)
                        .group_by(MarketEntity.uscc).order_by(count, MarketEntity.uscc).limit(1))


# --- the entity record ----------------------------------------------------------------------


def test_entity_record_holds_inspections_credit_and_provenance(client, city):
    with city.session() as s:
        penalty = s.scalars(select(CreditEvent).where(CreditEvent.amount_yuan.is_not(None))).first()
        code = s.get(MarketEntity, penalty.entity_id).uscc
    body = client.get(f"/api/v1/enterprises/{code}").get_json()
    assert body["uscc"] == code and body["region"]["code"] and body["region"]["name"]
    event = next(e for e in body["credit_events"] if e["decision_no"] == penalty.decision_no)
    assert event["amount_yuan"] == float(penalty.amount_yuan) and isinstance(event["amount_yuan"], float)
    assert event["source"]["name"] == "credit.csv" and event["source"]["row"] == penalty.source_row
    for inspection in body["inspections"]:
        assert inspection["task"]["task_no"] and inspection["findings"]
        assert inspection["source"]["name"] == "results.csv"
        assert inspection["lead_department"]["name"] and all(d["published_name"] for d in inspection["departments"])
    assert {"entities.csv", "credit.csv"} <= {s["name"] for s in body["sources"]}


def test_entity_record_reports_timeliness_in_working_days(client, city, settings, tmp_path):
    """2024-09-13 (Fri) + 1 working day: the 14th is a 调休 Saturday worked, so publication on
    the 14th is on time and on the 18th (after the Mid-Autumn holiday) it is not."""
    header = ["统一社会信用代码", "企业名称", "抽查任务编号", "抽查任务名称", "抽查机关", "检查结果", "检查完成日期", "公示日期"]
    rows = [[uscc(801), "南通市准时商店", "T-1", "测试任务", "南通市市场监督管理局", "未发现问题", "2024-09-13", "2024-09-14"],
            [uscc(802), "南通市迟到商店", "T-1", "测试任务", "南通市市场监督管理局", "未发现问题", "2024-09-13", "2024-09-18"]]
    ingest(city, settings, str(write_csv(tmp_path / "r.csv", header, rows)), Options(deadline_working_days=1))
    on_time = [client.get(f"/api/v1/enterprises/{uscc(n)}").get_json()["inspections"][0]["on_time"] for n in (801, 802)]
    assert on_time == [True, False]


def test_entity_record_costs_the_same_queries_however_long(client, city, query_counter):
    def selects(code: str) -> int:
        query_counter.clear()
        assert client.get(f"/api/v1/enterprises/{code}").status_code == 200
        return len([q for q in query_counter if q.lstrip().upper().startswith("SELECT")])

    client.get("/api/v1/departments")  # the data version, read at most once a second, is now known
    assert selects(busiest_entity(city)) == selects(busiest_entity(city, quietest=True)) <= 10


def test_former_names_are_listed(client, city, settings, tmp_path):
    code = add_entities(city, settings, tmp_path / "a.csv", ["南通市旧名商贸有限公司"])[0]
    add_entities(city, settings, tmp_path / "b.csv", ["南通市新名商贸有限公司"])
    body = client.get(f"/api/v1/enterprises/{code}").get_json()
    assert body["name"] == "南通市新名商贸有限公司" and body["former_names"] == ["南通市旧名商贸有限公司"]


# --- lists, filters and pages ---------------------------------------------------------------


def test_a_list_pages_by_cursor_to_its_total_without_repeats(client):
    items, total = walk(client, "/api/v1/enterprises?limit=7")
    codes = [i["uscc"] for i in items]
    assert total == 120 and len(codes) == len(set(codes)) == total
    assert client.get("/api/v1/enterprises").get_json()["items"][:7] == items[:7]  # default limit 50, same order


def test_cursor_neither_skips_nor_repeats_while_an_ingest_adds_rows(client, city, settings, tmp_path):
    first = client.get("/api/v1/enterprises?limit=50").get_json()
    new = add_entities(city, settings, tmp_path / "new.csv", ["南通市后来商店", "南通市又来商店"])
    rest, total = walk(client, first["next"])
    codes = [i["uscc"] for i in first["items"] + rest]
    assert len(codes) == len(set(codes)) == first["total"] + 2 == total
    assert codes[-2:] == new


@pytest.mark.parametrize("query, check", [
    ("joint=true", lambda i, _: i["joint"] is True),
    ("year=2024", lambda i, _: i["completed_on"].startswith("2024")),
    ("result=发现问题经责令已改正", lambda i, _: any(f["result"] == "发现问题经责令已改正" for f in i["findings"])),
    ("problems_found=false", lambda i, _: not i["problems_found"]),
    ("department=7", lambda i, _: 7 in [d["id"] for d in i["departments"]]),
])
def test_inspection_filters_return_only_matching_results(client, query, check):
    items, total = walk(client, f"/api/v1/inspections?limit=200&{query}")
    everything = client.get("/api/v1/inspections?limit=1").get_json()["total"]
    assert 0 < total < everything and len(items) == total and all(check(i, query) for i in items)


def test_inspections_of_an_entity_and_of_a_task(client, city):
    code = busiest_entity(city)
    items, _ = walk(client, f"/api/v1/inspections?uscc={code}")
    assert len(items) >= 2 and {i["entity"]["uscc"] for i in items} == {code}
    task_no = items[0]["task"]["task_no"]
    by_task, _ = walk(client, f"/api/v1/inspections?task_no={task_no}&limit=1000")
    assert by_task and {i["task"]["task_no"] for i in by_task} == {task_no}


def test_enterprise_filters(client):
    shops, total = walk(client, "/api/v1/enterprises?entity_type=个体工商户&limit=1000")
    assert 0 < total < 120 and {e["entity_type"] for e in shops} == {"个体工商户"}
    region = shops[0]["region"]["code"]
    assert {e["region"]["code"] for e in walk(client, f"/api/v1/enterprises?region={region}&limit=1000")[0]} == {region}
    fragment = shops[0]["name"][2:5]
    found = walk(client, f"/api/v1/enterprises?q={fragment}&limit=1000")[0]
    assert shops[0]["uscc"] in [e["uscc"] for e in found] and all(fragment in e["name"] for e in found)
    assert [e["uscc"] for e in walk(client, f"/api/v1/enterprises?q={shops[0]['uscc'][:10].lower()}")[0]]


def test_tasks_keep_the_published_text_beside_the_numbers(client):
    tasks, _ = walk(client, "/api/v1/tasks?year=2021&limit=100")
    assert len(tasks) == 20 and all(t["joint"] and t["deadline_working_days"] == 10 for t in tasks)
    approx = next(t for t in tasks if t["planned_count_text"] == "约1000")
    assert approx["planned_count"] == 1000 and approx["planned_count_approximate"] is True
    detail = client.get(f"/api/v1/tasks/{approx['task_no']}").get_json()
    assert detail == approx and detail["source"]["name"] == "jiangsu_2021_tasks.csv"
    plan = client.get(f"/api/v1/plans/{detail['plan']['plan_no']}").get_json()
    assert len(plan["tasks"]) == 20 and approx["task_no"] in [t["task_no"] for t in plan["tasks"]]
    assert [p["plan_no"] for p in walk(client, "/api/v1/plans?year=2021")[0]] == [plan["plan_no"]]


def test_check_items_and_departments(client):
    items, total = walk(client, "/api/v1/check-items?department=1&limit=1000")
    assert total > 0 and {i["department"]["id"] for i in items} == {1} and all(i["source"]["row"] for i in items)
    departments, _ = walk(client, "/api/v1/departments")
    agriculture = next(d for d in departments if d["name"] == "农业农村局")
    assert "农村农业" in client.get(f"/api/v1/departments/{agriculture['id']}").get_json()["aliases"]


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url, parameter", [
    ("/api/v1/enterprises?limit=0", "limit"), ("/api/v1/enterprises?limit=1001", "limit"),
    ("/api/v1/enterprises?limit=十", "limit"), ("/api/v1/enterprises?cursor=abc", "cursor"),
    ("/api/v1/enterprises?region=3206", "region"), ("/api/v1/enterprises?colour=red", "colour"),
    ("/api/v1/enterprises?q=%00", "q"), ("/api/v1/inspections?year=1800", "year"),
    ("/api/v1/inspections?year=二〇二四", "year"), ("/api/v1/inspections?department=-1", "department"),
    ("/api/v1/inspections?result=还行", "result"), ("/api/v1/inspections?joint=maybe", "joint"),
    ("/api/v1/inspections?uscc=123", "uscc"), ("/api/v1/check-items?status=old", "status"),
    ("/api/v1/departments?limit=-5", "limit"), ("/api/v1/tasks/T1?x=1", "x"),
])
def test_a_bad_parameter_is_a_400_problem_naming_it(client, url, parameter):
    response = client.get(url)
    body = response.get_json()
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert body["status"] == 400 and body["parameter"] == parameter and f"参数 {parameter} 无效" in body["detail"]


@pytest.mark.parametrize("url", [
    f"/api/v1/enterprises/{uscc(424242)}", "/api/v1/enterprises/not-a-code", "/api/v1/tasks/no-such-task",
    "/api/v1/plans/no-such-plan", "/api/v1/departments/99999", "/api/v1/departments/99999999999999999999",
    "/api/v1/tasks/%00", "/api/v1/no-such-list",
])
def test_an_unknown_id_is_a_404_problem(client, url):
    response = client.get(url)
    assert response.status_code == 404 and response.mimetype == PROBLEM
    assert "未找到" in response.get_json()["detail"] or "没有" in response.get_json()["detail"]


def test_other_methods_are_refused_with_allow(client):
    response = client.post("/api/v1/enterprises")
    assert response.status_code == 405 and response.mimetype == PROBLEM and "GET" in response.headers["Allow"]


# --- HTTP caching, CORS, rate limit, request ids --------------------------------------------


def test_revalidation_answers_304(client):
    first = client.get("/api/v1/tasks?limit=5")
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    assert "public" in first.headers["Cache-Control"]
    assert client.get("/api/v1/tasks?limit=5", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    since = client.get("/api/v1/tasks?limit=5", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    assert client.get("/api/v1/tasks?limit=6", headers={"If-None-Match": first.headers["ETag"]}).status_code == 200


def test_a_new_ingest_is_visible_within_a_second_through_the_cache(client, city, settings, tmp_path):
    url = "/api/v1/enterprises?q=新开张"
    before = client.get(url)
    assert before.get_json()["total"] == 0 and client.get(url).get_json()["total"] == 0  # second from the cache
    add_entities(city, settings, tmp_path / "new.csv", ["南通市新开张超市"])
    time.sleep(DATA_VERSION_TTL)
    after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.get_json()["total"] == 1
    assert after.headers["ETag"] != before.headers["ETag"]


def test_an_ingest_by_another_process_is_visible_within_a_second(tmp_path, settings):
    """A real file database, the real `gongshi ingest` command in a separate process."""
    Database(settings.database_url).upgrade()
    client = create_app(settings).test_client()
    url = "/api/v1/enterprises?q=隔壁进程"
    assert client.get(url).get_json()["total"] == 0
    path = write_csv(tmp_path / "e.csv", ENTITY_HEADER, [[uscc(7), "南通市隔壁进程商店", "个体工商户", "320602", "崇川区"]])
    env = {**os.environ, "GONGSHI_INSTANCE_DIR": str(settings.instance_dir),
           "GONGSHI_DATABASE_URL": settings.database_url}
    gongshi = Path(sys.executable).parent / "gongshi"
    subprocess.run([str(gongshi), "ingest", str(path)], env=env, check=True, capture_output=True)
    time.sleep(DATA_VERSION_TTL)
    assert client.get(url).get_json()["items"][0]["uscc"] == uscc(7)


def test_cors_is_open_for_reading(client):
    response = client.get("/api/v1/departments", headers={"Origin": "https://newsroom.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options("/api/v1/departments", headers={
        "Origin": "https://newsroom.example", "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 200 and "GET" in preflight.headers["Access-Control-Allow-Methods"]


def test_rate_limit_answers_429_with_retry_after(city, settings):
    limited = dataclasses.replace(settings, rate_limit="3 per minute")
    client = create_app(limited, database=city).test_client()
    statuses = [client.get("/api/v1/departments").status_code for _ in range(4)]
    refused = client.get("/api/v1/departments")
    assert statuses == [200, 200, 200, 429] and refused.mimetype == PROBLEM
    assert int(refused.headers["Retry-After"]) > 0 and "稍后" in refused.get_json()["detail"]
    other = client.get("/api/v1/departments", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 200  # per client


def test_every_response_has_a_request_id(client):
    assert len(client.get("/api/v1/departments").headers["X-Request-Id"]) == 32
    assert client.get("/api/v1/nope", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"


# --- the OpenAPI document and the docs page -------------------------------------------------


def test_openapi_documents_every_api_route(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    routes = {r.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
              for r in client.application.url_map.iter_rules() if r.rule.startswith("/api/v1/") and
              r.endpoint != "api_v1.openapi"}
    assert routes == set(spec["paths"])
    limit = next(p for p in spec["paths"]["/api/v1/inspections"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 1000 and "每页" in limit["description"]


def test_docs_page_is_served_from_local_files(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/api/v1/enterprises/{uscc}" in page and "统一社会信用代码" in page and "planned_count_text" in page
    assert "<script src=" not in page and "cdn" not in page.lower()
