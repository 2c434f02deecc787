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

from sqlalchemy import Select, Table, bindparam, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from gongshi.store.changes import ENTITY_OF, changed_ids, touched, touched_table
from gongshi.store.db import Database
from gongshi.store.models import EntityDocument, EntityName, MarketEntity
from gongshi.store.scratch import scratch

LOCK_WAIT = 0.05  # seconds a reader's store waits for a writer (an ingest holds it for minutes)
WARM_LOCK_WAIT = 900.0  # seconds a warm-up's batch waits for a writer: it outlasts an ingest rather than fail
WARM_IDS = 2000  # changed ids per query when a warm-up looks for an ingest's entities


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
    with scratch(session) as tmp:
        # A result or credit file may publish a known entity under a new name (its former names).
        named = select(EntityName.entity_id).where(EntityName.source_id == source_id)
        _bump(session, touched_table(tmp, "invalidated_entity", [named, *touched(changed_ids(tmp, changed), ENTITY_OF)]))


def invalidate_entities(session: Session, entity_ids: Iterable[int]) -> None:
    """Bump these entities' documents (a correction request filed, published or answered)."""
    with scratch(session) as tmp:
        _bump(session, tmp.ids("invalidated_entity", entity_ids))


# --- warming: documents built ahead of the first request (api/documents.py, warm) -------------

def changed_entities(changed: Mapping[str, Iterable[int]], source_id: int) -> Iterator[Select]:
    """Queries of the ids of the entities whose record one ingest changed (what `invalidate`
    bumped), WARM_IDS changed rows each: read after the ingest, outside its transaction."""
    for table, (column, key) in ENTITY_OF.items():
        ids = sorted(changed.get(table, ()))
        for start in range(0, len(ids), WARM_IDS):
            yield select(column).where(key.in_(ids[start:start + WARM_IDS]))
    yield select(EntityName.entity_id).where(EntityName.source_id == source_id)


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


def _bump(session: Session, entity_ids: Table) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = EntityDocument.__table__
    # Only entities that exist; a WHERE also keeps SQLite from reading ON CONFLICT as a join's ON.
    entities = select(MarketEntity.id, literal(1)).where(MarketEntity.id.in_(select(entity_ids.c.id)))
    stmt = dialect.insert(table).from_select(["entity_id", "revision"], entities)
    session.execute(stmt.on_conflict_do_update(index_elements=[table.c.entity_id],
                                               set_={"revision": table.c.revision + 1, "body": None}))
