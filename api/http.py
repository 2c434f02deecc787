"""HTTP caching for the API and the downloads, in the style of flask-smorest's ETag helpers.

The "data version" (the newest ingest run) is part of every ETag and every cache key, so an
ingest by any process (the `gongshi ingest` command) is visible within DATA_VERSION_TTL, and a
client that already holds the current version gets a 304 before any query. Each process reads it
at most once per DATA_VERSION_TTL rather than once per request (a query saved on every hit), and
forgets it after any write request it served itself (a correction filed shows at once).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Collection

import orjson
from flask import Blueprint, Flask, Response, current_app, g, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.http import is_resource_modified

from gongshi.api.context import external_root, get_cache, get_db
from gongshi.store import queries

# Bump when the shape or the content rules of responses change, so that ETags issued before no
# longer match and entity documents built before are built again (api/documents.py).
API_REVISION = "1"
EPOCH = dt.datetime(1970, 1, 1)
CACHE_TIMEOUT = 3600  # entries of older data versions are never read again; let them age out
DATA_VERSION_TTL = 1.0  # seconds an ingest by another process may take to show
MEMO = "gongshi.api.data_version"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def data_version() -> int:
    """The data version, fixed for the whole request; read from the store at most once per
    DATA_VERSION_TTL per process."""
    if "data_version" not in g:
        g.data_version, g.last_modified = _memoized()
    return g.data_version


def _variant() -> str:
    """Everything a body depends on besides the data version: the absolute URLs in it start with
    the external root (trusted hosts only, see gongshi.api.context.external_url), then the path
    and the query. Bodies do not vary with Accept or any other request header."""
    return f"{external_root()}|{request.full_path}"


def _memoized() -> tuple[int, dt.datetime]:
    memo = current_app.extensions.get(MEMO)
    now = time.monotonic()
    if memo is None or now - memo[0] >= DATA_VERSION_TTL:
        with get_db().session() as session:
            version, finished = queries.data_version(session)
        memo = (now, version, finished.replace(microsecond=0) if finished else EPOCH)
        current_app.extensions[MEMO] = memo  # one tuple, replaced whole: safe across threads
    return memo[1], memo[2]


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON responses encoded by orjson (several times faster than the standard library
    on an entity's whole record), keys in the order given and text unescaped, as the app asks;
    dates, dataclasses and Decimals still follow Flask's own rules."""

    ensure_ascii = False  # for Flask's own encoder (templates' tojson), as orjson does
    sort_keys = False  # keep the schemas' field order: uscc and name first
    OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS

    def response(self, *args, **kwargs) -> Response:
        return self._app.response_class(self.encode(self._prepare_response_obj(args, kwargs)), mimetype=self.mimetype)

    def encode(self, obj) -> bytes:
        """The body of a JSON response holding `obj`."""
        return orjson.dumps(obj, default=self.default, option=self.OPTIONS) + b"\n"


def init_app(app: Flask) -> None:
    app.json = OrjsonProvider(app)

    @app.after_request
    def _forget_after_writes(response: Response) -> Response:
        if request.method not in SAFE_METHODS:
            app.extensions.pop(MEMO, None)
        return response


def _etag() -> str:
    if "etag" not in g:  # asked before the view and after it
        text = f"{API_REVISION}:{data_version()}:{_variant()}"
        g.etag = hashlib.sha256(text.encode()).hexdigest()[:32]
    return g.etag


def _cache_key() -> str:
    return f"api:{data_version()}:{_variant()}"


def _readable() -> bool:
    """GET and HEAD (which Flask answers with the GET view) are the only cacheable methods."""
    return request.method in ("GET", "HEAD")


def conditional(bp: Blueprint, mimetype: str | None = "application/json", stored: Collection[str] = ()) -> None:
    """ETag, Last-Modified and Cache-Control on the GET/HEAD responses of `bp`; 304 on
    revalidation; with a `mimetype`, 200 responses to GET of exactly that type (the route's own
    answer, never an OPTIONS or error body) are kept in the app's flask-caching cache and replayed
    to GET and HEAD, except those of the `stored` endpoints, whose bodies the store keeps whole
    (a copy in the cache would cost as much to fetch, and more to keep). Called once per
    blueprint, at import."""

    def cached() -> bool:
        return mimetype is not None and request.endpoint not in stored

    @bp.before_request
    def _revalidate_or_replay():
        if not _readable():
            return None
        data_version()
        if not is_resource_modified(request.environ, etag=_etag(), last_modified=g.last_modified):
            return Response(status=304)
        hit = get_cache().get(_cache_key()) if cached() else None
        if hit is not None:
            g.from_cache = True
            return Response(hit, mimetype=mimetype)
        return None

    @bp.after_request
    def _validators(response: Response) -> Response:
        if not _readable():
            return response
        response.set_etag(_etag())
        response.last_modified = g.last_modified
        # Shared caches may keep a copy but must revalidate, so a new ingest shows at once.
        response.cache_control.public = True
        response.cache_control.no_cache = True
        if (cached() and request.method == "GET" and response.status_code == 200 and response.mimetype == mimetype
                and not response.is_streamed and not g.get("from_cache")):
            get_cache().set(_cache_key(), response.get_data(), timeout=CACHE_TIMEOUT)
        return response
