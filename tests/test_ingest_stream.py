"""A large results file read and validated in a second process while the loader writes it
(ingest/stream.py): the same store as the two-pass way, and still all or nothing."""
import csv
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from gongshi.democity import generate_city
from gongshi.ingest import stream
from gongshi.ingest.errors import IngestError
from gongshi.ingest.pipeline import Options
from gongshi.store.db import BULK_CACHE_KIB
from gongshi.store.models import Inspection
from tests.factories import dump, ingest, ingest_city


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return generate_city(tmp_path_factory.mktemp("city"), entities=150, years=range(2023, 2025), seed=5)


@contextmanager
def undone(db):
    """What is ingested inside is rolled back afterwards (a savepoint of the test's connection)."""
    savepoint = db.sessionmaker.kw["bind"].begin_nested()
    try:
        yield
    finally:
        savepoint.rollback()


def rewritten(src, out, change):
    """The CSV at `src` with its data rows passed through `change` (header kept)."""
    with src.open(encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([header, *change(rows)])
    return out


def both_ways(db, settings, monkeypatch, path, kind="result", region=None):
    """The store and report after loading `path` two-pass, then (undone first) streamed; or, for a
    refused file, the problems each way listed."""
    outcomes = []
    for threshold in (float("inf"), 0):
        monkeypatch.setattr(stream, "STREAM_BYTES", threshold)
        with undone(db):
            try:
                report = ingest(db, settings, str(path), Options(kind=kind, region=region))
            except IngestError as refused:
                outcomes.append([str(p) for p in refused.problems])
            else:
                outcomes.append((dump(db, provenance=False), report.counts, report.rows))
    return outcomes


@pytest.mark.parametrize("order", ["as published", "rows of one inspection apart"])
def test_a_streamed_results_file_gives_the_store_the_two_pass_way_gives(db, settings, monkeypatch, tmp_path, city,
                                                                       order):
    ingest_city(db, settings, city, kinds=("entity", "task"))
    path = city["result"] if order == "as published" else rewritten(city["result"], tmp_path / "apart.csv",
                                                                     lambda rows: rows[1::2] + rows[::2])
    two_pass, streamed = both_ways(db, settings, monkeypatch, path)
    assert streamed == two_pass
    assert two_pass[1]["inserted"] > 100 and two_pass[2] > two_pass[1]["inserted"]  # per-item rows merged


@pytest.mark.parametrize("kind", ["entity", "credit"])
def test_a_streamed_directory_or_credit_file_gives_the_store_the_two_pass_way_gives(db, settings, monkeypatch, city,
                                                                                    kind):
    if kind == "credit":
        ingest_city(db, settings, city, kinds=("entity", "task", "result"))
    two_pass, streamed = both_ways(db, settings, monkeypatch, city[kind], kind)
    assert streamed == two_pass and two_pass[1]["inserted"] > 10


def test_a_streamed_directory_with_a_row_repeated_otherwise_lists_every_problem(db, settings, monkeypatch, tmp_path,
                                                                               city):
    def spoil(rows):
        rows[40] = [rows[2][0], rows[2][1] + "（分店）", *rows[2][2:]]  # the same USCC, another name
        rows[-1] = ["91320600MA1XXXXXX?", *rows[-1][1:]]
        return rows

    path = rewritten(city["entity"], tmp_path / "名录.csv", spoil)
    two_pass, streamed = both_ways(db, settings, monkeypatch, path, "entity")
    assert streamed == two_pass and len(two_pass) == 2
    assert "与第3行是同一条记录，但内容不同" in two_pass[0] and "名录.csv:41" in two_pass[0]
    # The loader refuses an unknown --region before the reader is done: the rows' problems still come first.
    assert both_ways(db, settings, monkeypatch, path, "entity", region="火星") == [two_pass, two_pass]


def test_a_problem_in_the_last_row_of_a_streamed_file_refuses_it_whole(db, settings, monkeypatch, tmp_path, city):
    ingest_city(db, settings, city, kinds=("entity", "task"))
    monkeypatch.setattr(stream, "STREAM_BYTES", 0)
    bad = rewritten(city["result"], tmp_path / "bad.csv", lambda rows: rows[:-1] + [[rows[-1][0][:-1] + "?"] + rows[-1][1:]])
    before = dump(db)
    with pytest.raises(IngestError) as refused:
        ingest(db, settings, str(bad), Options(kind="result"))
    [problem] = refused.value.problems
    assert problem.file == "bad.csv" and problem.row == sum(1 for _ in bad.open(encoding="utf-8-sig")) - 1
    assert problem.column == "统一社会信用代码" and "不允许的字符" in problem.reason
    assert dump(db) == before
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Inspection)) == 0


def test_a_streamed_file_the_reader_refuses_names_the_row(db, settings, monkeypatch, tmp_path, city):
    monkeypatch.setattr(stream, "STREAM_BYTES", 0)
    ragged = rewritten(city["result"], tmp_path / "ragged.csv", lambda rows: rows[:3] + [rows[3] + ["多出的一列"]] + rows[4:])
    with pytest.raises(IngestError) as refused:
        ingest(db, settings, str(ragged), Options(kind="result"))
    assert [(p.row, p.reason.split("：")[0]) for p in refused.value.problems] == [(4, "该行有 11 列数据，多于表头的 10 列")]



def test_an_ingest_gives_its_larger_page_cache_back_even_when_refused(db, settings, city):
    """SQLite's page cache grows for an ingest's transaction only: a web process's pooled
    connections, which also ingest corrections, keep the default size afterwards."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite connection's page cache")
    raw = db.sessionmaker.kw["bind"].connection.dbapi_connection
    default = raw.execute("PRAGMA cache_size").fetchone()[0]
    seen = []
    raw.set_trace_callback(lambda sql: seen.append(sql) if "cache_size" in sql else None)
    ingest_city(db, settings, city, kinds=("entity",))
    with pytest.raises(IngestError):  # refused by the loader, inside its transaction
        ingest(db, settings, str(city["task"]), Options(kind="task", region="不存在的地区"))
    raw.set_trace_callback(None)
    assert sum(f"-{BULK_CACHE_KIB}" in sql for sql in seen) == 2  # both ingests wrote with the larger cache
    assert raw.execute("PRAGMA cache_size").fetchone()[0] == default
