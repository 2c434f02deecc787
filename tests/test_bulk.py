"""The bulk writer (store/bulk.py) stores what SQLAlchemy's insert() stores, on both databases."""
import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, Integer, MetaData, Numeric, String, Table, insert, select

from gongshi.store.bulk import among, insert_rows

METADATA = MetaData()
SAMPLE = Table("bulk_sample", METADATA, Column("id", Integer, primary_key=True), Column("day", Date),
               Column("at", DateTime), Column("flag", Boolean), Column("amount", Numeric(14, 2)),
               Column("extras", JSON), Column("name", String(20)), Column("kind", String(8), default="结果"))

ROWS = [
    {"day": dt.date(2023, 5, 18), "at": dt.datetime(2023, 5, 18, 9, 30, 1, 250), "flag": True,
     "amount": Decimal("1200.50"), "extras": {"监管领域": "商贸", "序号": "1"}, "name": "和顺百货"},
    {"day": dt.date(999, 1, 2), "at": None, "flag": False, "amount": None, "extras": {}, "name": None},
    {"day": None, "at": dt.datetime(2024, 2, 29), "flag": None, "amount": Decimal("0"), "extras": None, "name": "药房"},
]


def stored(session, ids):
    """The values as the database holds them, read without SQLAlchemy's result processing."""
    columns = ", ".join(c.name for c in SAMPLE.columns if c.name != "id")
    return session.connection().exec_driver_sql(
        f"SELECT {columns} FROM bulk_sample WHERE id IN ({', '.join(map(str, ids))}) ORDER BY id").all()


def test_rows_written_in_bulk_are_stored_as_insert_stores_them(db):
    with db.session() as session:
        METADATA.create_all(session.connection())
        session.execute(insert(SAMPLE), [{"id": i, **r} for i, r in enumerate(ROWS, start=1)])
        insert_rows(session, SAMPLE, [{"id": i, **r} for i, r in enumerate(ROWS, start=11)])
        assert stored(session, [11, 12, 13]) == stored(session, [1, 2, 3])
        assert session.scalars(select(SAMPLE.c.kind)).all() == ["结果"] * 6


def test_rows_given_as_tuples_of_named_columns_are_stored_as_insert_stores_them(db):
    """The ingest writes findings as tuples, in a column order other than the table's."""
    order = ("name", "flag", "id", "amount", "day", "extras", "at")
    with db.session() as session:
        METADATA.create_all(session.connection())
        session.execute(insert(SAMPLE), [{"id": i, **r} for i, r in enumerate(ROWS, start=1)])
        insert_rows(session, SAMPLE, [tuple({"id": i, **r}[c] for c in order) for i, r in enumerate(ROWS, start=11)],
                    columns=order)
        insert_rows(session, SAMPLE, [(21, "药房", None), (22, None, True)], columns=("id", "name", "flag"))
        assert stored(session, [11, 12, 13]) == stored(session, [1, 2, 3])
        assert session.execute(select(SAMPLE.c.name, SAMPLE.c.flag, SAMPLE.c.kind).where(SAMPLE.c.id > 20)
                               .order_by(SAMPLE.c.id)).all() == [("药房", None, "结果"), (None, True, "结果")]


def test_a_lookup_among_thousands_of_values_finds_exactly_them(db):
    with db.session() as session:
        METADATA.create_all(session.connection())
        insert_rows(session, SAMPLE, [{"id": i, "name": f"名{i}"} for i in range(1, 5001)])
        wanted = {f"名{i}" for i in range(2, 5001, 3)} | {"不存在", "名 1", "'); DROP TABLE bulk_sample; --"}
        found = session.scalars(select(SAMPLE.c.id).where(among(session, SAMPLE.c.name, wanted))).all()
        assert sorted(found) == list(range(2, 5001, 3))
        assert sorted(session.scalars(select(SAMPLE.c.id).where(among(session, SAMPLE.c.id, [7, 9, 99999])))) == [7, 9]
