"""An entity's record (`/api/v1/enterprises/<uscc>`) served from its document in the store
(store/documents.py): one read by key. When no current document is stored, the record is read
and dumped by the API's own schema, as every other response is, and kept for the next request."""
from __future__ import annotations

import hashlib

from flask import Response, current_app
from marshmallow import Schema, fields

from gongshi.api.context import external_root, get_db
from gongshi.api.endpoint import dump
from gongshi.api.http import API_REVISION
from gongshi.api.schemas import EnterpriseSchema
from gongshi.store import documents, queries
from gongshi.store.workdays import china_today


def _fields(schema: Schema) -> dict:
    """The names of the schema's fields, and of its nested schemas' fields."""
    tree = {}
    for name, field in schema.fields.items():
        inner = getattr(field, "inner", field)  # a List's items
        tree[name] = _fields(inner.schema) if isinstance(inner, fields.Nested) else type(inner).__name__
    return tree


# Documents built by code that dumps other fields are not served (and rebuilt on request).
SHAPE = hashlib.sha256(f"{API_REVISION}:{_fields(EnterpriseSchema())}".encode()).hexdigest()[:32]


def enterprise(session, uscc: str) -> Response | None:
    """The record of the entity with this USCC, or None when there is none."""
    wanted = documents.Wanted(china_today(), SHAPE, external_root())
    stored = documents.read(session, uscc, wanted)
    if stored is None:
        return None
    body = stored.body
    if body is None:
        body = build(session, uscc)
        documents.keep(get_db(), stored, body, wanted, rooted=wanted.root.encode() in body)
    return current_app.response_class(body, mimetype="application/json")


def build(session, uscc: str) -> bytes:
    """The record of an entity that exists, dumped by the schema: the body of its response."""
    record = queries.entity_record(session, uscc)
    related = [record.entity, *record.inspections, *record.credit_events]  # whose sources and regions it shows
    return current_app.json.encode(dump(session, (record, related), EnterpriseSchema))
