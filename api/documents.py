"""An entity's record (`/api/v1/enterprises/<uscc>`) served from its document in the store
(store/documents.py): one read by key. When no current document is stored, the record is read
and dumped by the API's own schema, as every other response is, and kept for the next request.
`warm` builds them ahead of the first request, a batch of records at a time (after an ingest,
and daily: `gongshi warm`)."""
from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Response, current_app
from marshmallow import Schema, fields
from sqlalchemy import Select

from gongshi.api.context import external_root, get_db
from gongshi.api.endpoint import dump_with, lookups, lookups_of
from gongshi.api.http import API_REVISION
from gongshi.api.schemas import EnterpriseSchema
from gongshi.store import documents, queries
from gongshi.store.db import Database
from gongshi.store.workdays import china_today

BATCH = 500  # records read, dumped and stored together: memory and a write transaction stay small


def _fields(schema: Schema) -> dict:
    """The names of the schema's fields, and of its nested schemas' fields."""
    tree = {}
    for name, field in schema.fields.items():
        inner = getattr(field, "inner", field)  # a List's items
        tree[name] = _fields(inner.schema) if isinstance(inner, fields.Nested) else type(inner).__name__
    return tree


# Documents built by code that dumps other fields are not served (and rebuilt on request).
SHAPE = hashlib.sha256(f"{API_REVISION}:{_fields(EnterpriseSchema())}".encode()).hexdigest()[:32]


def wanted() -> documents.Wanted:
    """What a document served now to this request's root must have been built for."""
    return documents.Wanted(china_today(), SHAPE, external_root())


def enterprise(session, uscc: str) -> Response | None:
    """The record of the entity with this USCC, or None when there is none."""
    now = wanted()
    stored = documents.read(session, uscc, now)
    if stored is None:
        return None
    body = stored.body
    if body is None:
        body = build(session, uscc)
        documents.keep(get_db(), stored, body, now, rooted=now.root.encode() in body)
    return current_app.response_class(body, mimetype="application/json")


def build(session, uscc: str) -> bytes:
    """The record of an entity that exists, dumped by the schema: the body of its response."""
    record = queries.entity_record(session, uscc)
    return _encode(record, lookups(session, _related(record)))


def _related(record: queries.EntityRecord) -> list:
    """The objects whose sources and regions a record shows."""
    return [record.entity, *record.inspections, *record.credit_events]


def _encode(record: queries.EntityRecord, found) -> bytes:
    return current_app.json.encode(dump_with(lookups_of(found, _related(record)), record, EnterpriseSchema))


def warm(db: Database, root: str, among: Select | None = None, done: Callable[[int], None] = lambda n: None) -> int:
    """Build and store the documents that are not current (of the entities `among` selects, or
    of all), as requests to `root` would, BATCH at a time: each batch read in one session and
    stored in one short transaction of its own, so that a correction filed meanwhile waits for
    one batch at most, and an interruption loses one batch at most. Returns how many were stored;
    `done` is told after each batch."""
    after, kept = 0, 0
    while True:
        with current_app.test_request_context(base_url=root):  # a fresh data version per batch
            now = wanted()
            with db.session() as session:
                batch = documents.stale(session, now, after, BATCH, among)  # revisions before facts
                if not batch:
                    return kept
                records = queries.entity_records(session, [s.entity_id for s in batch])
                found = lookups(session, [o for r in records for o in _related(r)])
                bodies = [_encode(r, found) for r in records]
        kept += documents.keep_many(db, [(s, b, now.root.encode() in b) for s, b in zip(batch, bodies, strict=True)], now)
        after = batch[-1].entity_id
        done(kept)
