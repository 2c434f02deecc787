"""Writing many rows at once, inside the caller's transaction: the one place where SQLite and
PostgreSQL differ in how an ingest's rows reach a table.

SQLite takes a plain DBAPI executemany, PostgreSQL a `COPY … FROM STDIN` (psycopg 3's
`cursor.copy()`). Both skip SQLAlchemy's per-row parameter handling, which costs more than the
database itself at a million rows, but convert every value with the column's own SQLAlchemy
type (or, on SQLite, its equivalent without a Python call) and fill the columns' Python
defaults, so that what is stored is what `insert()` stores (tests/test_bulk.py).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter

import orjson
from sqlalchemy import Boolean, Column, ColumnElement, Date, Table, any_, bindparam, func, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table, rows: list, columns: Sequence[str] | None = None) -> None:
    """Insert `rows` into `table`: dicts with the same keys, or with `columns` tuples of those
    columns in that order (no dict per row); columns they omit get their defaults."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    present = columns or rows[0].keys()
    given = [table.c[k] for k in present] if columns else [c for c in table.columns if c.key in present]
    defaulted = [c for c in table.columns
                 if c.key not in present and c.default is not None and not c.default.is_sequence]
    # Defaults are the same for every row of one call (a callable's result is converted at once).
    fill = tuple(_convert(c, dialect, c.default.arg(None) if c.default.is_callable else c.default.arg)
                 for c in defaulted)
    converters = [(i, f) for i, c in enumerate(given) if (f := _converter(c, dialect))]
    keys = [c.key for c in given]
    take = tuple if columns else itemgetter(*keys) if len(keys) > 1 else lambda row: (row[keys[0]],)

    def values(row) -> tuple:
        if not converters:
            return (*take(row), *fill)
        out = list(take(row))
        for i, f in converters:
            out[i] = f(out[i])
        return (*out, *fill)

    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in given + defaulted)
    target = dialect.identifier_preparer.format_table(table)
    if dialect.name == "postgresql":
        with connection.connection.driver_connection.cursor() as cursor, \
                cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(values(row))
    else:
        marks = ", ".join("?" * (len(given) + len(defaulted)))
        ready = columns and not converters and not fill  # tuples as the driver takes them
        connection.exec_driver_sql(f"INSERT INTO {target} ({names}) VALUES ({marks})",
                                   rows if ready else [values(r) for r in rows])


def among(session: Session, column: Column, values: Iterable) -> ColumnElement[bool]:
    """`column IN values` with the values bound as ONE parameter: a PostgreSQL array, or a JSON
    array that SQLite's json_each unpacks. An expanding IN renders a parameter per value, and
    at an ingest's thousands of keys per batch that costs more than the lookup itself."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    unpacked = func.json_each(bindparam(None, orjson.dumps(values).decode())).table_valued("value")
    return column.in_(select(unpacked.c.value))


def new_ids(session: Session, table: Table, count: int) -> list[int]:
    """`count` unused primary keys for `table`, so that rows and their children can be written
    without reading ids back. PostgreSQL draws them from the column's sequence; SQLite, whose
    writers take turns, continues after the largest id (call it in a transaction that has
    already written, so that the database's write lock is held)."""
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(table.name, "id")
        return list(session.scalars(select(func.nextval(sequence)).select_from(func.generate_series(1, count))))
    last = session.scalar(select(func.max(table.c.id))) or 0
    return list(range(last + 1, last + 1 + count))


def _converter(column: Column, dialect) -> Callable | None:
    if dialect.name == "sqlite" and type(column.type) in _SQLITE_NATIVE:
        return _SQLITE_NATIVE[type(column.type)]
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _iso_date(value):
    return value.isoformat() if type(value) is dt.date else _SQLITE_DATE(value)


_SQLITE_DATE = Date().dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
# What SQLAlchemy's SQLite processors store, without a Python call per value: sqlite3 binds a bool
# as 1/0 itself, and a date's ISO form is SQLAlchemy's "%04d-%02d-%02d".
_SQLITE_NATIVE: dict[type, Callable | None] = {Boolean: None, Date: _iso_date}


def _convert(column: Column, dialect, value: object) -> object:
    convert = _converter(column, dialect)
    return convert(value) if convert else value
