"""The one decorator every API view goes through (in the style of microblog-api's
`@paginated_response`): it validates the query parameters, opens the session, pages a list by
cursor, looks up the names the schemas need, dumps with the schema, and records what it did so
that the OpenAPI document is generated from the same schemas."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, wraps

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import Schema

from gongshi.api.context import external_url, get_db
from gongshi.api.http import data_version
from gongshi.api.problems import ApiError, invalid
from gongshi.api.schemas import LOOKUPS, MAX_ID, Args, Lookups, load_args
from gongshi.store import queries

DEPARTMENTS = "gongshi.api.departments"


@dataclass
class ListQuery:
    """What a list view returns: the model, its filters and its loader options."""

    model: type
    where: list
    options: tuple = ()


@dataclass(frozen=True)
class Endpoint:
    rule: str
    name: str
    schema: type[Schema]
    summary: str
    tag: str
    description: str = ""
    args: type[Args] | None = None
    many: bool = False
    not_found: bool = False  # can answer 404 (a path with an id)
    unavailable: str | None = None  # why it can answer 503


@dataclass
class Api:
    bp: Blueprint
    endpoints: list[Endpoint] = field(default_factory=list)

    def get(self, rule: str, schema: type[Schema], *, summary: str, tag: str, args: type[Args] | None = None,
            many: bool = False, description: str = "", unavailable: str | None = None) -> Callable:
        def decorator(fn: Callable) -> Callable:
            @wraps(fn)
            def view(**path):
                params = _parse(args)
                _check_path(path)
                with get_db().session() as session:
                    resolve_names(session, params)
                    result = fn(session, params, **path)
                    if isinstance(result, Response):  # a body kept whole (api/documents.py)
                        return result
                    if not many:
                        body = dump(session, result, schema)
                    elif isinstance(result, ListQuery):
                        body = _page(session, result, params, schema)
                    else:  # a short computed list (statistics): one page, whole
                        body = _whole(session, result, schema)
                return jsonify(body)

            self.bp.add_url_rule(rule, fn.__name__, view, methods=["GET"])
            self.endpoints.append(Endpoint(rule, fn.__name__, schema, summary, tag, description, args, many,
                                           not_found="<" in rule, unavailable=unavailable))
            return view

        return decorator


def _parse(args: type[Args] | None) -> dict:
    if args is None:
        if request.args:
            raise invalid(next(iter(request.args)), "不支持此参数")
        return {}
    return load_args(args(), request.args.to_dict())


NOTHING = 0  # no department or office has it: an unknown name finds nothing, as an unknown number does
FINDERS = {"department": queries.department_id, "office": queries.office_id}


def resolve_names(session, params: dict) -> None:
    """`department` and `office` name one by its number or by its name (全称、简称或其他写法)."""
    for name, find in FINDERS.items():
        if name in params:
            found = find(session, params[name])
            params[name] = NOTHING if found is None else found


def _check_path(path: dict) -> None:
    """Ids beyond any stored id, and text no database can hold, are simply not found."""
    for value in path.values():
        if (isinstance(value, int) and value > MAX_ID) or (isinstance(value, str) and "\x00" in value):
            raise ApiError(404, "未找到：编号超出范围" if isinstance(value, int) else "未找到")


def lookups(session, objects: Iterable) -> Lookups:
    """Departments (all: a small table, read once per data version and process), and the regions
    and sources the objects name."""
    codes, source_ids = _named(objects)
    return Lookups(departments=_departments(session), regions=queries.regions(session, codes),
                   sources=queries.sources(session, source_ids))


def lookups_of(found: Lookups, objects: Iterable) -> Lookups:
    """What `lookups` would find for these objects, taken from what it found for more of them
    (a batch of records dumped one by one): the same entries in the same order."""
    codes, source_ids = _named(objects)
    return Lookups(departments=found.departments,
                   regions={code: r for code, r in found.regions.items() if code in codes},
                   sources={id_: s for id_, s in found.sources.items() if id_ in source_ids})


def _named(objects: Iterable) -> tuple[set[str], set[int]]:
    """The region codes and source ids the objects name."""
    objects = list(objects)
    return ({c for o in objects if (c := getattr(o, "region_code", None))},
            {o.source_id for o in objects if hasattr(o, "source_id")})


def _departments(session) -> dict:
    """Only an ingest adds or renames a department, and every ingest changes the data version."""
    version = data_version()
    memo = current_app.extensions.get(DEPARTMENTS)
    if memo is None or memo[0] != version:
        memo = (version, queries.departments_by_id(session))
        current_app.extensions[DEPARTMENTS] = memo  # one tuple, replaced whole: safe across threads
    return memo[1]


def dump(session, result, schema: type[Schema]) -> dict:
    """`result` is an object, or (object, related objects whose sources and regions it shows)."""
    obj, related = result if isinstance(result, tuple) else (result, [])
    return dump_with(lookups(session, [obj, *related]), obj, schema)


def dump_with(found: Lookups, obj, schema: type[Schema]) -> dict:
    """`obj` dumped with the names already looked up."""
    with LOOKUPS(found):
        return _schema(schema).dump(obj)


def _page(session, query: ListQuery, params: dict, schema: type[Schema]) -> dict:
    # A cursor past any id (no database column holds one) is simply past the end.
    after = min(int(params["cursor"]), MAX_ID) if "cursor" in params else None
    page = queries.keyset_page(session, query.model, query.where, after, params["limit"], query.options)
    with LOOKUPS(lookups(session, page.items)):
        items = _schema(schema, many=True).dump(page.items)
    return {"items": items, "next": next_url(page.after), "total": page.total}


def _whole(session, rows: list, schema: type[Schema]) -> dict:
    with LOOKUPS(lookups(session, rows)):
        return {"items": _schema(schema, many=True).dump(rows), "next": None, "total": len(rows)}


@cache
def _schema(schema: type[Schema], many: bool = False) -> Schema:
    """One instance per schema, shared by every request: building one copies every field of it
    and of its nested schemas (a third of an entity's dump). Dumping changes no instance state;
    what varies per request travels in the LOOKUPS context."""
    return schema(many=many)


def next_url(after: int | None) -> str | None:
    """This request's URL with `cursor=after`, or None at the end."""
    if after is None:
        return None
    args = {k: v for k, v in request.args.items() if k != "cursor" and v != ""}
    return external_url(request.endpoint, **(request.view_args or {}), **args, cursor=str(after))


def openapi_path(rule: str) -> str:
    """Flask's `/tasks/<task_no>` as OpenAPI's `/tasks/{task_no}`."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)
