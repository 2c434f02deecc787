"""The warm-up: what the first visitor after an ingest would wait for is built by the ingest
itself, or by `gongshi warm`: the changed entities' documents, stored exactly as a request would
build them, and the randomness audit of the new data version, where the site looks for it.
Driven as an operator would, through the `gongshi` command, on both databases (each command
commits for real), and killed half way."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select, update

from gongshi.api import documents as api_documents
from gongshi.api.documents import SHAPE
from gongshi.app import create_app
from gongshi.democity import generate_city
from gongshi.store import documents, draw_audit, queries
from gongshi.store.db import Database
from gongshi.store.models import EntityDocument, MarketEntity
from gongshi.store.workdays import china_today
from tests.factories import CITY_KINDS, write_csv
from tests.test_documents import fresh, rows
from tests.test_faults import Instance, databases  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return generate_city(tmp_path_factory.mktemp("city"), entities=120)


@pytest.fixture(params=["sqlite", "postgresql"])
def instance(request, databases, tmp_path):  # noqa: F811
    return Instance(tmp_path / "instance", databases(request.param))


def load(instance: Instance, city, *options) -> None:
    for kind in CITY_KINDS:
        code, output = instance.run("ingest", *options, "--kind", kind, city[kind])
        assert code == 0, output


@contextmanager
def opened(instance: Instance):
    """The instance's store, and the site on it."""
    db = Database(instance.settings.database_url)
    try:
        yield db, create_app(dataclasses.replace(instance.settings, rate_limit="off"), database=db)
    finally:
        db.dispose()


def stored(db) -> dict[str, tuple]:
    """Each entity's document row by USCC: (revision, body, built_on, shape)."""
    with db.session() as session:
        found = session.execute(select(MarketEntity.uscc, EntityDocument.revision, EntityDocument.body,
                                       EntityDocument.built_on, EntityDocument.shape)
                                .join(EntityDocument, EntityDocument.entity_id == MarketEntity.id)
                                .where(MarketEntity.uscc.is_not(None)))
        return {uscc: tuple(rest) for uscc, *rest in found}


def current(row: tuple) -> bool:
    _, body, built_on, shape = row
    return body is not None and built_on == china_today() and shape == SHAPE


def assert_served_from_store_as_fresh_dumps(db, app) -> None:
    """Every stored document is what the schema dumps from the store now, and a request serves
    it without reading a single fact."""
    statements = []
    record = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    client = app.test_client()
    documents_now = stored(db)
    for uscc, (_, body, _, _) in documents_now.items():
        assert json.loads(body) == fresh(app, db, uscc), uscc
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            served = client.get(f"/api/v1/enterprises/{uscc}")
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert served.status_code == 200 and served.data == body
    assert statements and not [s for s in statements if "FROM inspection" in s]


def audit_stored(instance: Instance) -> bool:
    """Is the audit of the current data version where the site looks for it (api/files.py)?"""
    with opened(instance) as (db, _), db.session() as session:
        version, _ = queries.data_version(session)
    return (instance.settings.instance_dir / "downloads" / f"v{version}" / "draw-audit.pickle").is_file()


def test_an_ingest_stores_the_documents_it_changed_as_requests_would_build_them(instance, city):
    load(instance, city)
    with opened(instance) as (db, app):
        before = stored(db)
        assert before and all(current(row) for row in before.values())
        assert_served_from_store_as_fresh_dumps(db, app)

    header, results = rows(city["result"])
    code = results[0]["统一社会信用代码"]
    corrected = [[r[h] for h in header] for r in results if r["统一社会信用代码"] == code]
    corrected = [[("发现问题待后续处理" if h == "检查结果" else v) for h, v in zip(header, r)] for r in corrected]
    exit_code, output = instance.run("ingest", "--kind", "result", write_csv(instance.settings.instance_dir / "c.csv",
                                                                            header, corrected))
    assert exit_code == 0 and "已预先生成主体记录 1 份" in output, output
    with opened(instance) as (db, app):
        after = stored(db)
        assert [uscc for uscc in after if after[uscc] != before[uscc]] == [code]  # only what the ingest changed
        assert current(after[code]) and after[code][0] > before[code][0]
        assert "发现问题待后续处理" in after[code][1].decode()
        assert_served_from_store_as_fresh_dumps(db, app)


def test_warm_builds_what_is_missing_invalidated_or_expired_and_nothing_else(instance, city):
    load(instance, city, "--no-warm")
    with opened(instance) as (db, _):
        assert not [row for row in stored(db).values() if current(row)]
    assert not audit_stored(instance)

    code, output = instance.run("warm")
    with opened(instance) as (db, app):
        built = stored(db)
        assert code == 0 and f"已预先生成主体记录 {len(built)} 份" in output, output
        assert all(current(row) for row in built.values()) and audit_stored(instance)
        assert_served_from_store_as_fresh_dumps(db, app)
        ids = sorted(built)
        expired, invalidated = ids[::3], ids[1::3]
        with db.session() as session:
            entities = select(MarketEntity.id).where(MarketEntity.uscc.in_(expired))
            session.execute(update(EntityDocument).where(EntityDocument.entity_id.in_(entities))
                            .values(built_on=china_today() - dt.timedelta(days=1)))
            documents.invalidate_entities(session, session.scalars(
                select(MarketEntity.id).where(MarketEntity.uscc.in_(invalidated))))

    code, output = instance.run("warm")
    assert code == 0 and f"已预先生成主体记录 {len(expired) + len(invalidated)} 份" in output, output
    with opened(instance) as (db, app):
        assert all(current(row) for row in stored(db).values())
        assert_served_from_store_as_fresh_dumps(db, app)
    code, output = instance.run("warm")
    assert code == 0 and "已预先生成主体记录 0 份" in output, output


def test_the_first_visitor_after_an_ingest_gets_the_audit_without_computing_it(instance, city, monkeypatch):
    load(instance, city)
    assert audit_stored(instance)

    def compute(session):
        raise AssertionError("the audit was computed on request")

    monkeypatch.setattr(draw_audit, "compute", compute)
    with opened(instance) as (db, app):
        client = app.test_client()
        audited = client.get("/api/v1/stats/draw-audit")
        assert audited.status_code == 200 and audited.get_json()["items"]
        office = audited.get_json()["items"][0]["office_id"]
        assert client.get(f"/offices/{office}").status_code == 200


@pytest.mark.parametrize("point", ["warm-storing", "audit"])
def test_an_interrupted_warm_up_leaves_nothing_half_written_and_a_rerun_finishes_it(instance, city, point):
    load(instance, city, "--no-warm")
    with opened(instance) as (db, _):
        before = stored(db)
    instance.killed_at(point, "warm")
    with opened(instance) as (db, _):
        killed = stored(db)
    if point == "warm-storing":  # the batch being written is rolled back whole
        assert killed == before
    else:  # the documents were stored before the audit began
        assert all(current(row) for row in killed.values())
    assert not audit_stored(instance)
    code, output = instance.run("warm")
    assert code == 0, output
    with opened(instance) as (db, app):
        assert all(current(row) for row in stored(db).values())
        assert_served_from_store_as_fresh_dumps(db, app)
    assert audit_stored(instance)


def test_a_warm_up_that_fails_leaves_the_ingest_in_place_and_says_what_to_run(instance, city, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("磁盘已满")

    with monkeypatch.context() as patched:
        patched.setattr(api_documents, "warm", broken)
        code, output = instance.run("ingest", "--kind", "entity", city["entity"])
    assert code == 0 and "已导入" in output, output
    assert "主体记录未能全部预先生成（磁盘已满）" in output and "gongshi warm" in output
    with opened(instance) as (db, _):
        assert stored(db) and not [row for row in stored(db).values() if current(row)]
    code, output = instance.run("warm")
    assert code == 0, output
    with opened(instance) as (db, app):
        assert all(current(row) for row in stored(db).values())
        assert_served_from_store_as_fresh_dumps(db, app)
