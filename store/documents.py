"""Each entity's API record kept whole beside the facts (`EntityDocument`), so that a lookup is
one read by key. The store keeps the bytes and knows when they are current; the API builds them
with its schema (api/documents.py), since this layer cannot import it.

A document is current when it was built from the entity's current `revision`, on the day asked
for (the standing's recent figures count from today), by the code asking (its shape), and for
the site root asking when it holds absolute links. Every write that changes what a record shows
bumps the revision of the entities concerned inside its own transaction (`invalidate`): every
ingest, and the correction requests. A reader reads the revision before the facts and keeps
what it built only while that revision is still the current one, so a build racing a write can
lose its work but never store a stale record.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from gongshi.store.db import Database
from gongshi.store.models import CreditEvent, EntityDocument, EntityName, Inspection, MarketEntity
from gongshi.store.stats_upkeep import batched_ids

LOCK_WAIT = 0.05  # seconds a reader's store waits for a writer (an ingest holds it for minutes)
WARM_LOCK_WAIT = 900.0  # seconds a warm-up's batch waits for a writer: it outlasts an ingest rather than fail


@dataclass(frozen=True)
class Wanted:
    """What a document must have been built for to be served."""

    built_on: dt.date
    shape: str
    root: str


@dataclass(frozen=True)
class Stored:
    entity_id: int
    revision: int | None  # None: the entity has no document row (made outside an ingest)
    body: bytes | None  # None: nothing current stored


_READ = (select(MarketEntity.id, EntityDocument.revision, EntityDocument.body, EntityDocument.built_on,
                EntityDocument.shape, EntityDocument.root)
         .outerjoin(EntityDocument, EntityDocument.entity_id == MarketEntity.id)
         .where(MarketEntity.uscc == bindparam("uscc")))


def read(session: Session, uscc: str, wanted: Wanted) -> Stored | None:
    """The entity's current document, if any; None when no entity has this USCC. Read first,
    before any fact a rebuild reads, so that the revision is never newer than those facts."""
    row = session.connection().execute(_READ, {"uscc": uscc}).one_or_none()  # Core: the ORM doubles the cost
    if row is None:
        return None
    current = (row.body is not None and row.built_on == wanted.built_on and row.shape == wanted.shape
               and row.root in (None, wanted.root))
    return Stored(row.id, row.revision, row.body if current else None)


def keep(db: Database, stored: Stored, body: bytes, wanted: Wanted, rooted: bool) -> bool:
    """Store a document built after `stored` was read, in a transaction of its own, if the
    entity is still at that revision; `rooted`: the body holds links starting with the root.
    A writer holding the store (an ingest) is not waited for: the reader serves without storing."""
    if stored.revision is None:
        return False
    try:
        with db.session(lock_wait=LOCK_WAIT) as session:
            return _store(session, [(stored, body, rooted)], wanted) == 1
    except OperationalError:  # locked (SQLite) or lock timeout (PostgreSQL)
        return False


def invalidate(session: Session, changed: Mapping[str, Iterable[int]], source_id: int) -> None:
    """Bump the documents of every entity whose record one ingest changed (table → ids, as the
    loader counts them; names first published by `source_id` included), set-based, inside the
    ingest's transaction. Entities new to the store get their (empty) document row here."""
    for entity_ids in changed_entities(changed, source_id):
        _bump(session, entity_ids)


def changed_entities(changed: Mapping[str, Iterable[int]], source_id: int) -> Iterator[Select]:
    """Queries of the ids of the entities whose record an ingest changed, a batch of facts each."""
    for table, ids in changed.items():
        if table in _ENTITIES_OF:
            for batch in batched_ids(ids):
                yield _ENTITIES_OF[table](batch)
    # A result or credit file may publish a known entity under a new name (its former names).
    yield select(EntityName.entity_id).where(EntityName.source_id == source_id)


_ENTITIES_OF = {
    "market_entity": lambda ids: select(MarketEntity.id).where(MarketEntity.id.in_(ids)),
    "inspection": lambda ids: select(Inspection.entity_id).where(Inspection.id.in_(ids)),
    # A task's name and plan show in every inspection under it.
    "task": lambda ids: select(Inspection.entity_id).where(Inspection.task_id.in_(ids)),
    "credit_event": lambda ids: select(CreditEvent.entity_id).where(CreditEvent.id.in_(ids)),
}


def invalidate_entities(session: Session, entity_ids: Iterable[int]) -> None:
    """Bump these entities' documents (a correction request filed, published or answered)."""
    for batch in batched_ids(entity_ids):
        _bump(session, select(MarketEntity.id).where(MarketEntity.id.in_(batch)))


# --- warming: documents built ahead of the first request (api/documents.py, warm) -------------

def stale(session: Session, wanted: Wanted, after: int, limit: int, among: Select | None = None) -> list[Stored]:
    """The next `limit` entities after id `after` (of those `among` selects, or of all) whose
    document is not current for `wanted`: missing, of another day or by other code. In id
    order, with the revision to build; read before any fact a build reads (see read)."""
    where = [] if among is None else [EntityDocument.entity_id.in_(among)]
    rows = session.execute(
        select(EntityDocument.entity_id, EntityDocument.revision)
        .join(MarketEntity, MarketEntity.id == EntityDocument.entity_id)
        .where(EntityDocument.entity_id > after, *where, MarketEntity.uscc.is_not(None),  # asked for by USCC
               or_(EntityDocument.body.is_(None), EntityDocument.built_on.is_distinct_from(wanted.built_on),
                   EntityDocument.shape.is_distinct_from(wanted.shape)))
        .order_by(EntityDocument.entity_id).limit(limit))
    return [Stored(entity_id, revision, None) for entity_id, revision in rows]


def keep_many(db: Database, built: Iterable[tuple[Stored, bytes, bool]], wanted: Wanted) -> int:
    """Store documents built after their `Stored` was read, in one short transaction, each only if
    its entity is still at that revision (see keep); (stored, body, rooted) each. Returns how many
    were stored. Waits for a writer (an ingest's lock) up to WARM_LOCK_WAIT."""
    with db.session(lock_wait=WARM_LOCK_WAIT) as session:
        return _store(session, built, wanted)


_STORE = (update(EntityDocument)
          .where(EntityDocument.entity_id == bindparam("entity"), EntityDocument.revision == bindparam("read"))
          .values(body=bindparam("body"), built_on=bindparam("day"), shape=bindparam("shape"), root=bindparam("at")))


def _store(session: Session, built: Iterable[tuple[Stored, bytes, bool]], wanted: Wanted) -> int:
    """One statement for all (Core executemany: the ORM's update doubles a warm-up's time)."""
    rows = [{"entity": stored.entity_id, "read": stored.revision, "body": body, "day": wanted.built_on,
             "shape": wanted.shape, "at": wanted.root if rooted else None} for stored, body, rooted in built]
    return session.connection().execute(_STORE, rows).rowcount if rows else 0


def _bump(session: Session, entity_ids: Select) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = EntityDocument.__table__
    stmt = dialect.insert(table).from_select(["entity_id", "revision"],
                                             entity_ids.add_columns(literal(1)).distinct())
    session.execute(stmt.on_conflict_do_update(index_elements=[table.c.entity_id],
                                               set_={"revision": table.c.revision + 1, "body": None}))
