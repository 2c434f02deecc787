"""Temporary tables for the set-based statements of one transaction (the statistics' upkeep, the
documents' invalidation): a set of a hundred thousand ids is written once and joined, where IN
lists would cost a statement per 2,000 ids and SQLAlchemy's rendering of every parameter.

The tables live until `scratch` ends without an error; when the transaction fails, its rollback
removes them (both databases undo a CREATE TABLE)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Column, Integer, MetaData, SelectBase, Table, insert, text
from sqlalchemy.orm import Session

from gongshi.store.bulk import insert_rows

__all__ = ["Scratch", "scratch"]


class Scratch:
    """Creates and fills temporary tables on the session's connection."""

    def __init__(self, session: Session):
        self.session, self.metadata, self.tables = session, MetaData(), []

    def table(self, name: str, *columns: Column) -> Table:
        table = Table(name, self.metadata, *columns, prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
        table.create(self.session.connection())
        self.tables.append(table)
        return table

    def ids(self, name: str, ids: Iterable[int] | SelectBase) -> Table:
        """A table of ids (column `id`, the key): given, or returned by a SELECT of one column that
        does not repeat one (a UNION, or a SELECT DISTINCT)."""
        table = self.table(name, Column("id", Integer, primary_key=True))
        self.fill(table, ids if isinstance(ids, SelectBase) else [{"id": i} for i in set(ids)])
        return table

    def fill(self, table: Table, rows: list[dict] | SelectBase) -> None:
        if isinstance(rows, SelectBase):
            self.session.execute(insert(table).from_select(list(table.columns.keys()), rows))
        else:
            insert_rows(self.session, table, rows)
        if self.session.get_bind().dialect.name == "postgresql":
            # A temporary table has no statistics until analysed: the planner would guess its size.
            self.session.execute(text(f"ANALYZE {table.name}"))


@contextmanager
def scratch(session: Session) -> Iterator[Scratch]:
    """Temporary tables for the statements of this block, dropped at its end."""
    tables = Scratch(session)
    yield tables
    connection = session.connection()
    for table in reversed(tables.tables):
        table.drop(connection)
