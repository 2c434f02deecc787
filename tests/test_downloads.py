"""Bulk downloads through HTTP, read back by real readers: the csv module (UTF-8 with BOM),
openpyxl for XLSX, json for JSON Lines; and the Frictionless descriptor against the files."""
from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import gongshi.api.xlsx as xlsx
from gongshi.api.datasets import DATASETS, TITLES
from gongshi.store import stats
from gongshi.store.models import MarketEntity
from tests.factories import ingest, uscc, write_csv
from tests.test_api import ENTITY_HEADER, PROBLEM, city, city_files, client, walk  # noqa: F401  (fixtures)

# Names and addresses that trip up CSV and Excel: separators, quotes, a line break, a formula,
# a character outside the Basic Multilingual Plane, full-width forms.
AWKWARD = [
    ("南通市“老字号”茶食店，崇川分店", "江苏省南通市崇川区南大街1号\n（西侧）"),
    ('=HYPERLINK("http://x")餐饮店', "+86 海门区 -1 号"),
    ("南通𠮷野家快餐店", "江苏省南通市通州区金沙镇　全角空格路１２号"),
    ("@南通市＂双引号＂商行", "启东市汇龙镇;分号路,逗号弄"),
]


@pytest.fixture
def awkward(city, settings, tmp_path):  # noqa: F811
    """The awkward entities as stored (the ingest folds line breaks and spaces) by USCC."""
    rows = [[uscc(500 + i), name, "个体工商户", "320602", address] for i, (name, address) in enumerate(AWKWARD)]
    ingest(city, settings, str(write_csv(tmp_path / "awkward.csv", ENTITY_HEADER, rows)))
    with city.session() as s:
        stored = s.execute(select(MarketEntity.uscc, MarketEntity.name, MarketEntity.address)
                           .where(MarketEntity.uscc.in_([r[0] for r in rows]))).all()
    assert {name for _, name, _ in stored} == {name for name, _ in AWKWARD}
    return {code: (name, address) for code, name, address in stored}


def read_csv(response) -> list[dict]:
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def excel_safe(text: str) -> str:
    """What a CSV cell holds for `text`: one that Excel would run as a formula (OWASP: starting
    with = + - @ tab or CR) is prefixed with a single quote, so Excel shows it as written."""
    return "'" + text if text[:1] and text[0] in "=+-@\t\r" else text


def test_csv_round_trips_every_chinese_field_with_formulas_made_inert(client, city, awkward):  # noqa: F811
    response = client.get("/downloads/enterprises.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="gongshi-enterprises.csv"' in response.headers["Content-Disposition"]
    rows = {r["uscc"]: r for r in read_csv(response)}
    with city.session() as s:
        stored = s.scalars(select(MarketEntity)).all()
    assert len(rows) == len(stored)
    for entity in stored:
        row = rows[entity.uscc]
        for column in ("name", "entity_type", "address", "industry", "status", "registration_authority"):
            assert row[column] == excel_safe(getattr(entity, column) or "")
    assert {code: (rows[code]["name"], rows[code]["address"]) for code in awkward} == {
        code: (excel_safe(name), excel_safe(address)) for code, (name, address) in awkward.items()}
    assert rows[next(c for c in awkward if awkward[c][0].startswith("="))]["name"].startswith("'=HYPERLINK(")


def test_json_lines_keep_formula_like_text_exact(client, awkward):  # noqa: F811
    lines = [json.loads(x) for x in client.get("/downloads/enterprises.jsonl").get_data(as_text=True).splitlines()]
    assert {x["uscc"]: (x["name"], x["address"]) for x in lines if x["uscc"] in awkward} == awkward


def test_xlsx_round_trips_with_chinese_titles_and_keeps_formulas_as_text(client, awkward):  # noqa: F811
    response = client.get("/downloads/enterprises.xlsx")
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    sheet = book.worksheets[0]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    csv_rows = read_csv(client.get("/downloads/enterprises.csv"))
    assert header == [TITLES[c] for c in csv_rows[0]] and len(rows) == len(csv_rows)  # CSV keeps machine names
    col = {c: header.index(TITLES[c]) for c in ("uscc", "name", "address")}
    records = {r[col["uscc"]]: r for r in rows}
    for code, (name, address) in awkward.items():
        assert (records[code][col["name"]], records[code][col["address"]]) == (name, address)
    formula = next(c for c in awkward if awkward[c][0].startswith("="))
    cells = next(r for r in load_workbook(io.BytesIO(response.get_data())).worksheets[0].iter_rows()
                 if r[col["uscc"]].value == formula)
    assert cells[col["name"]].data_type == "s"


def test_xlsx_says_yes_and_no_and_carries_its_data_dictionary(client):  # noqa: F811
    book = load_workbook(io.BytesIO(client.get("/downloads/inspections.xlsx").get_data()), read_only=True)
    header, *rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    assert {r[header.index("发现问题")] for r in rows} <= {"是", "否"} and "uscc" not in header
    guide = [list(r) for r in book["说明"].iter_rows(values_only=True)]
    assert guide[0] == ["列名", "字段名（CSV、JSON Lines 中）", "含义"]
    assert guide[1 + header.index("发现问题")][:2] == ["发现问题", "problems_found"]
    assert len(guide) == len(header) + 1 and all(row[2] for row in guide[1:])


def test_xlsx_continues_on_a_new_sheet_past_the_row_limit(client, monkeypatch):  # noqa: F811
    monkeypatch.setattr(xlsx, "SHEET_MAX_ROWS", 50)
    book = load_workbook(io.BytesIO(client.get("/downloads/enterprises.xlsx").get_data()), read_only=True)
    sizes = [sum(1 for _ in ws.iter_rows()) for ws in book.worksheets[:-1]]
    assert sizes == [51, 51, 21] and book.sheetnames[-1] == "说明"  # 120 entities, each sheet with its header row


def test_json_lines_match_the_api(client):  # noqa: F811
    response = client.get("/downloads/inspections.jsonl?year=2024")
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    items, total = walk(client, "/api/v1/inspections?year=2024&limit=1000")
    assert len(lines) == total > 0 and [x["id"] for x in lines] == [i["id"] for i in items]
    assert [x["on_time"] for x in lines] == [i["on_time"] for i in items]
    assert all(x["completed_on"].startswith("2024") for x in lines)


def test_filters_by_department_and_year(client):  # noqa: F811
    rows = read_csv(client.get("/downloads/inspections.csv?department=7&year=2023"))
    _, total = walk(client, "/api/v1/inspections?department=7&year=2023")
    assert len(rows) == total > 0
    credit = read_csv(client.get("/downloads/credit-events.csv?year=2024"))
    assert credit and all(r["decided_on"].startswith("2024") for r in credit)
    penalties = [r for r in read_csv(client.get("/downloads/credit-events.csv")) if r["amount_yuan"]]
    assert penalties and all(r["amount_yuan"].split(".")[1].__len__() == 2 for r in penalties)


def test_coverage_download_matches_the_statistics(client, city):  # noqa: F811
    rows = read_csv(client.get("/downloads/coverage.csv?year=2024"))
    with city.session() as s:
        expected = stats.coverage(s, year=2024)
    assert [(int(r["office_id"]), r["office"], int(r["tasks"])) for r in rows] == [
        (e.office_id, e.office, e.tasks) for e in expected]


def test_datapackage_describes_every_download(client):  # noqa: F811
    package = client.get("/downloads/datapackage.json").get_json()
    assert package["last_updated"] and package["licenses"] and "results.csv" in {s["title"] for s in package["sources"]}
    assert [r["name"] for r in package["resources"]] == list(DATASETS)
    files = {}
    for resource in package["resources"]:
        fields = [f["name"] for f in resource["schema"]["fields"]]
        files[resource["name"]] = read_csv(client.get(f"/downloads/{resource['path']}"))
        header = client.get(f"/downloads/{resource['path']}").get_data().decode("utf-8-sig").splitlines()[0]
        assert header.split(",") == fields
        assert all(f["title"] == TITLES[f["name"]] for f in resource["schema"]["fields"])
    inspections = files["inspections"]
    assert len({r["id"] for r in inspections}) == len(inspections)  # the primary key holds
    assert {r["task_no"] for r in inspections} <= {r["task_no"] for r in files["tasks"]}  # and the foreign key


def test_downloads_page_is_the_data_page(client):  # noqa: F811
    response = client.get("/downloads/")
    assert response.status_code == 301 and response.headers["Location"].endswith("/data")
    page = client.get("/data").get_data(as_text=True)
    for name in DATASETS:
        for fmt in ("csv", "jsonl", "xlsx"):
            assert f"/downloads/{name}.{fmt}" in page
    assert "datapackage.json" in page and "抽查结果" in page and 'aria-label="主导航"' in page


def test_filters_take_a_department_by_name(client):  # noqa: F811
    departments = client.get("/api/v1/departments?limit=1000").get_json()["items"]
    seven = next(d for d in departments if d["id"] == 7)
    by_id = client.get("/downloads/inspections.csv?department=7&year=2023").get_data()
    assert client.get(f"/downloads/inspections.csv?department={seven['name']}&year=2023").get_data() == by_id
    listed = client.get(f"/api/v1/inspections?department={seven['short_name']}&year=2023").get_json()
    assert listed["total"] == client.get("/api/v1/inspections?department=7&year=2023").get_json()["total"]
    assert client.get("/api/v1/tasks?department=没有这个部门").get_json()["total"] == 0  # as an unknown number


@pytest.mark.parametrize("url, status", [
    ("/downloads/people.csv", 404), ("/downloads/inspections.pdf", 404),
    ("/downloads/inspections.csv?year=今年", 400), ("/downloads/tasks.xlsx?department=0", 400),
    ("/downloads/tasks.csv?format=xml", 400),
])
def test_download_errors_are_problems(client, url, status):  # noqa: F811
    response = client.get(url)
    assert response.status_code == status and response.mimetype == PROBLEM and response.get_json()["detail"]


def test_downloads_revalidate_with_304(client):  # noqa: F811
    first = client.get("/downloads/tasks.csv")
    again = client.get("/downloads/tasks.csv", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()
