"""An entity's record is served from its document kept in the store (api/documents.py,
store/documents.py): for every entity of a generated city it is exactly what the API's schema
dumps from the store at that moment, before and after ingests that change what records show."""
from __future__ import annotations

import csv
import dataclasses
import json

import pytest
from sqlalchemy import select

from gongshi.api import documents as api_documents
from gongshi.app import create_app
from gongshi.democity import generate_city
from gongshi.ingest.pipeline import Options
from gongshi.store import correction_queue, corrections, documents
from gongshi.store.models import MarketEntity
from gongshi.store.workdays import china_today
from tests.factories import ingest, ingest_city, write_csv


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return generate_city(tmp_path_factory.mktemp("city"), entities=120)


@pytest.fixture
def loaded(db, settings, city):
    ingest_city(db, settings, city)
    return db


@pytest.fixture
def app(loaded, settings):
    return create_app(dataclasses.replace(settings, rate_limit="off"), database=loaded)


def rows(path) -> tuple[list[str], list[dict]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


def republish(settings, db, name: str, header: list[str], changed: list[dict], kind: str) -> None:
    """A corrected file: the rows given, as the department publishes them again."""
    out = write_csv(settings.instance_dir / name, header, [[r[h] for h in header] for r in changed])
    assert ingest(db, settings, str(out), Options(kind=kind)).status == "loaded"


def every_uscc(db) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(MarketEntity.uscc).where(MarketEntity.uscc.is_not(None))))


def fresh(app, db, uscc: str) -> dict:
    """The record as the schema dumps it from the store now, for a request to the same URL."""
    with app.test_request_context(f"/api/v1/enterprises/{uscc}"), db.session() as session:
        return json.loads(api_documents.build(session, uscc))


def assert_every_record_is_current(app, db, client, query_counter) -> None:
    codes = every_uscc(db)
    for code in codes:
        assert client.get(f"/api/v1/enterprises/{code}").get_json() == fresh(app, db, code), code
    # The second time, each record is its stored document: no fact table is read.
    expected = {code: fresh(app, db, code) for code in codes}
    query_counter.clear()
    served = {code: client.get(f"/api/v1/enterprises/{code}").get_json() for code in codes}
    assert not [s for s in query_counter if "FROM inspection" in s]
    assert served == expected


def test_every_record_served_is_the_schema_dump_of_the_store_before_and_after_ingests(
        app, loaded, settings, city, query_counter):
    db, client = loaded, app.test_client()
    assert_every_record_is_current(app, db, client, query_counter)
    steps = []

    header, results = rows(city["result"])
    inspected = results[0]["统一社会信用代码"]
    corrected = [{**r, "检查结果": "发现问题待后续处理", "后续处置": "责令限期改正"} for r in results
                 if r["统一社会信用代码"] == inspected]
    steps.append(("corrected-results.csv", header, corrected, "result"))

    header, credit = rows(city["credit"])
    penalty = {**credit[0], "统一社会信用代码": results[-1]["统一社会信用代码"], "企业名称": results[-1]["企业名称"],
               "信用信息类别": "行政处罚", "决定日期": "2025-03-04", "决定书文号": "通市监罚〔2025〕999号",
               "罚款金额（元）": "12345.60", "风险等级": ""}
    steps.append(("new-credit.csv", header, [penalty], "credit"))

    # A department written another way (农村农业 is the department 农业农村), and a task renamed.
    header, tasks = rows(city["task"])
    renamed = [{**tasks[0], "检查主体": "南通市农村农业局", "抽查任务名称": tasks[0]["抽查任务名称"] + "（更正）"}]
    steps.append(("renamed-task.csv", header, renamed, "task"))

    # A result file publishing an entity under a new name: a former name of its record.
    header, results = rows(city["result"])
    other = [{**r, "企业名称": r["企业名称"] + "（新名称）"} for r in results[-1:]]
    steps.append(("new-name.csv", header, other, "result"))

    # The directory's entry withdrawn from the register (注销): the standing says so.
    header, entities = rows(city["entity"])
    closed = [{**entities[1], "登记状态": "注销"}]
    steps.append(("closed.csv", header, closed, "entity"))

    for name, header, changed, kind in steps:
        republish(settings, db, name, header, changed, kind)
        assert_every_record_is_current(app, db, client, query_counter)


def test_a_document_built_before_an_ingest_is_not_kept_after_it(app, loaded, settings, city):
    """The race: a reader reads the record, an ingest corrects it and commits, then the reader
    would store what it built from the old facts."""
    db, client = loaded, app.test_client()
    header, results = rows(city["result"])
    code = results[0]["统一社会信用代码"]
    wanted = documents.Wanted(china_today(), api_documents.SHAPE, "http://localhost")

    def read_and_build():
        with app.test_request_context(f"/api/v1/enterprises/{code}"), db.session() as session:
            return documents.read(session, code, wanted), api_documents.build(session, code)

    assert documents.keep(db, *read_and_build(), wanted, rooted=False)  # nothing in between: kept
    stored, old = read_and_build()
    corrected = [{**r, "检查结果": "发现问题待后续处理"} for r in results if r["统一社会信用代码"] == code]
    republish(settings, db, "corrected.csv", header, corrected, "result")
    assert not documents.keep(db, stored, old, wanted, rooted=False)
    body = client.get(f"/api/v1/enterprises/{code}").get_json()
    assert body == fresh(app, db, code) and body != json.loads(old)


def test_links_in_a_stored_record_follow_the_host_asked(app, loaded, settings):
    """A record with a correction request holds an absolute link: each trusted host gets its own."""
    client = app.test_client()
    code = every_uscc(loaded)[0]
    with loaded.session() as session:
        entity = corrections.entity_by_key(session, code)
        fact = corrections.find_fact(session, entity, f"market_entity:{entity.id}")
        request = corrections.new_request(entity, fact, claim="地址有误", correction="新地址", contact_name=None,
                                          contact_phone="13912345678", contact_email=None)
    correction_queue.file(loaded, correction_queue.Spool(settings.instance_dir / correction_queue.SPOOL_FILE),
                          request, lock_wait=1)
    for host in ("localhost", "127.0.0.1", "localhost"):
        [request] = client.get(f"/api/v1/enterprises/{code}", base_url=f"http://{host}").get_json()["corrections"]
        assert request["url"].startswith(f"http://{host}/corrections/GZ-")
