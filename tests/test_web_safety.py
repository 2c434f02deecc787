"""Attacks from the open internet on the web side, each kept as a test: a cache poisoned by one
request, forged Host headers, and what https deployments must add. On SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import dataclasses
import io
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from openpyxl import load_workbook

import gongshi.api.downloads as downloads
from gongshi.api.http import DATA_VERSION_TTL
from gongshi.app import create_app
from gongshi.config import Settings, base_url
from gongshi.ingest.pipeline import Options
from gongshi.store.db import Database
from gongshi.store.tabular import sheet_titles
from tests.factories import ingest, uscc, write_csv
from tests.test_api import ENTITY_HEADER, busiest_entity, city, city_files, load_city  # noqa: F401  (fixtures)
from tests.test_portal_pages import RESULT_HEADER

LIST = "/api/v1/departments?limit=7"


@pytest.fixture
def app(city, settings):  # noqa: F811
    return create_app(settings, database=city)


def on(city, settings, base: str):  # noqa: F811
    """The app as deployed at `base` (GONGSHI_BASE_URL)."""
    return create_app(Settings.from_env({"GONGSHI_BASE_URL": base}, instance_dir=settings.instance_dir),
                      database=city).test_client()


# --- the response cache -----------------------------------------------------------------------

@pytest.mark.parametrize("method", ["OPTIONS", "HEAD", "POST", "DELETE"])
def test_no_other_method_blanks_the_cached_api_answer(app, method):
    client = app.test_client()
    client.open(LIST, method=method)
    for _ in range(2):  # the second GET is the cached answer
        response = client.get(LIST)
        assert response.status_code == 200 and response.mimetype == "application/json"
        assert len(response.get_json()["items"]) == 7 and response.get_json()["next"]


def test_head_is_answered_from_get_with_its_type_and_no_body(app):
    client = app.test_client()
    first = client.head(LIST)
    get = client.get(LIST)
    cached_head = client.head(LIST)
    for head in (first, cached_head):
        assert head.status_code == 200 and head.mimetype == "application/json" and head.get_data() == b""
        assert head.headers["ETag"] == get.headers["ETag"]


def test_an_error_or_a_foreign_type_is_never_replayed(app):
    client = app.test_client()
    assert client.get("/api/v1/departments?limit=0").status_code == 400
    assert client.get("/api/v1/departments?limit=7").status_code == 200
    assert client.options("/api/docs").status_code == 200
    docs = client.get("/api/docs")
    assert docs.mimetype == "text/html" and "OpenAPI" in docs.get_data(as_text=True)


# --- the Host header --------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example", "a" * 10_000])
@pytest.mark.parametrize("url", [LIST, "/", "/downloads/datapackage.json", "/api/v1/search?q=南通"])
def test_a_forged_host_is_refused_with_400(app, host, url):
    response = app.test_client().get(url, headers={"Host": host})
    assert response.status_code == 400
    assert "evil" not in response.get_data(as_text=True) and "aaaa" not in response.get_data(as_text=True)
    assert "public" not in response.headers.get("Cache-Control", "")


def test_on_a_laptop_localhost_names_are_served_and_links_name_them(app):
    for host in ("localhost", "127.0.0.1:5000", "gongshi.localhost"):
        body = app.test_client().get(LIST, base_url=f"http://{host}").get_json()
        assert body["next"].startswith(f"http://{host}/api/v1/departments?")


def test_with_a_base_url_every_absolute_link_is_built_on_it(city, settings):  # noqa: F811
    base = "https://gongshi.example.cn"
    for host in ("gongshi.example.cn", "127.0.0.1:8000"):  # the public name, or a local health check
        client = on(city, settings, base)
        kwargs = {"base_url": f"http://{host}"}
        assert client.get(LIST, **kwargs).get_json()["next"].startswith(f"{base}/api/v1/departments?")
        assert client.get("/downloads/datapackage.json", **kwargs).get_json()["homepage"] == f"{base}/data"
        assert f'<link rel="canonical" href="{base}/data">' in client.get("/data", **kwargs).get_data(as_text=True)
    assert on(city, settings, base).get(LIST, base_url="http://evil.example").status_code == 400


@pytest.mark.parametrize("text", ["gongshi.example.cn", "ftp://gongshi.example.cn", "https://x.cn/portal",
                                  "https://"])
def test_a_base_url_with_a_path_or_no_scheme_is_a_configuration_error(text):
    with pytest.raises(ValueError, match="GONGSHI_BASE_URL"):
        base_url(text)


def test_https_deployments_send_hsts_and_secure_session_cookies(city, settings):  # noqa: F811
    client = on(city, settings, "https://gongshi.example.cn")
    response = client.get("/", base_url="https://gongshi.example.cn")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    uscc = busiest_entity(city)
    record = client.get(f"/api/v1/enterprises/{uscc}").get_json()
    inspection = record["inspections"][0]["id"]
    form = client.get(f"/enterprises/{uscc}/corrections/new?fact=inspection:{inspection}",
                      base_url="https://gongshi.example.cn")
    assert re.search(r"session=[^;]+;.*Secure", form.headers["Set-Cookie"])
    plain = on(city, settings, "http://gongshi.example.cn").get("/")
    assert "Strict-Transport-Security" not in plain.headers


# --- rate limits ------------------------------------------------------------------------------

def test_pages_are_rate_limited_per_client_with_a_chinese_page_and_retry_after(city, settings):  # noqa: F811
    limited = dataclasses.replace(settings, page_rate_limit="3 per minute")
    client = create_app(limited, database=city).test_client()
    assert [client.get("/about").status_code for _ in range(3)] == [200] * 3
    refused = client.get("/data")
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert int(refused.headers["Retry-After"]) > 0 and "访问过于频繁" in refused.get_data(as_text=True)
    assert client.get(LIST).status_code == 200  # the open data have their own budget
    other = create_app(limited, database=city).test_client()
    assert other.get("/about", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200


# --- spreadsheets -----------------------------------------------------------------------------

FORMULA_OFFICE, COLON_OFFICE = "=1+1南通市监管局", "港闸区城管:执法[一]*?"
FORMULA_NAME = "=cmd|' /C calc'!A0"
HOSTILE_TASK = "320600-2024-SJ-901"


@pytest.fixture
def hostile(city, settings, tmp_path):  # noqa: F811
    """Results published by offices whose names are a formula and hold sheet-title characters."""
    rows = [[uscc(700), FORMULA_NAME, task, "@SUM(1+1)", office, "+1+1", "-2+3", "2024-05-06", "2024-05-10", ""]
            for task, office in ((HOSTILE_TASK, FORMULA_OFFICE), ("320600-2024-SJ-902", COLON_OFFICE))]
    ingest(city, settings, str(write_csv(tmp_path / "hostile.csv", RESULT_HEADER, rows)), Options(kind="result"))
    return create_app(settings, database=city).test_client()


def csv_cells(response) -> set[str]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return {cell for row in csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))) for cell in row}


def test_no_csv_holds_a_cell_excel_would_run(hostile):
    urls = ["/downloads/departments.csv", "/downloads/coverage.csv?year=2024", "/downloads/inspections.csv",
            "/downloads/findings.csv", "/downloads/enterprises.csv", f"/enterprises/{uscc(700)}.csv",
            f"/tasks/{HOSTILE_TASK}.csv"]
    seen = set()
    for url in urls:
        cells = csv_cells(hostile.get(url))
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and c], url
        seen |= cells
    assert {f"'{FORMULA_OFFICE}", "'@SUM(1+1)", "'+1+1", "'-2+3", f"'{FORMULA_NAME}"} <= seen


def test_statistics_workbook_survives_office_names_excel_refuses_as_sheet_titles(hostile):
    response = hostile.get("/stats/2024.xlsx")
    assert response.status_code == 200
    titles = load_workbook(io.BytesIO(response.get_data()), read_only=True).sheetnames
    assert len(titles) == len({t.casefold() for t in titles}) and all(len(t) <= 31 for t in titles)
    assert not [t for t in titles if set(t) & set("\\/?*[]:")]
    assert any("城管_执法_一___" in t for t in titles)  # the office's sheet, its title made safe


def test_sheet_titles_are_short_clean_and_unique():
    names = ["a" * 40, "a" * 40, "A" * 40, "x:y", "x/y", "'", ""]
    titles = sheet_titles(names)
    assert titles[:3] == ["a" * 31, "a" * 28 + "(2)", "A" * 28 + "(3)"]
    assert titles[3:] == ["x_y", "x_y(2)", "工作表", "工作表(2)"]


# --- bulk files -------------------------------------------------------------------------------

@pytest.fixture
def writes(monkeypatch):
    """How many times each download format was written (the real writers still run)."""
    counts = dict.fromkeys(downloads.WRITERS, 0)
    for fmt, writer in list(downloads.WRITERS.items()):
        def counted(*args, fmt=fmt, writer=writer):
            counts[fmt] += 1
            return writer(*args)
        monkeypatch.setitem(downloads.WRITERS, fmt, counted)
    return counts


def test_concurrent_first_requests_build_a_download_once_then_serve_the_file(writes, settings, city_files):  # noqa: F811
    """On a real file database (the requests run in threads, each with its own connection)."""
    db = Database(settings.database_url)
    db.upgrade()
    load_city(db, settings, city_files)
    app = create_app(settings, database=db)
    url = "/downloads/inspections.xlsx?year=2024"
    with ThreadPoolExecutor(6) as pool:
        bodies = list(pool.map(lambda _: app.test_client().get(url).get_data(), range(6)))
    assert writes["xlsx"] == 1 and len(set(bodies)) == 1
    assert len(list(load_workbook(io.BytesIO(bodies[0]), read_only=True).worksheets[0].iter_rows())) > 1
    files = [p for p in (settings.instance_dir / "downloads").rglob("*") if p.is_file()]
    assert [p.name for p in files if not p.name.startswith(".")] == ["gongshi-inspections-2024.xlsx"]
    part = app.test_client().get(url, headers={"Range": "bytes=0-1"})
    assert part.status_code == 206 and part.get_data() == b"PK"
    assert writes["xlsx"] == 1


def test_a_new_ingest_builds_the_next_version_and_removes_old_ones(app, city, settings, writes, tmp_path):  # noqa: F811
    client = app.test_client()
    for n in range(3):
        rows = [[uscc(800 + n), f"南通市新开{n}号商店", "个体工商户", "320602", "南通市崇川区"]]
        ingest(city, settings, str(write_csv(tmp_path / f"new{n}.csv", ENTITY_HEADER, rows)), Options(kind="entity"))
        time.sleep(DATA_VERSION_TTL)  # another writer's ingest shows within the TTL
        body = client.get("/downloads/enterprises.csv").get_data().decode("utf-8-sig")
        assert f"南通市新开{n}号商店" in body
    assert writes["csv"] == 3
    assert len([p for p in (settings.instance_dir / "downloads").iterdir() if p.is_dir()]) == 2  # now and before


def test_a_download_for_a_department_that_does_not_exist_builds_nothing(app, writes, settings):
    response = app.test_client().get("/downloads/tasks.csv?department=999999")
    assert response.status_code == 404 and "999999" in response.get_json()["detail"]
    assert sum(writes.values()) == 0
