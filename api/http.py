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

import orjson
from flask import Blueprint, Flask, Response, current_app, g, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.http import is_resource_modified

from gongshi.api.context import get_cache, get_db
from gongshi.store import queries

# Bump when the shape of responses changes, so that ETags issued before no longer match.
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
        body = orjson.dumps(self._prepare_response_obj(args, kwargs), default=self.default, option=self.OPTIONS)
        return self._app.response_class(body + b"\n", mimetype=self.mimetype)


def init_app(app: Flask) -> None:
    app.json = OrjsonProvider(app)

    @app.after_request
    def _forget_after_writes(response: Response) -> Response:
        if request.method not in SAFE_METHODS:
            app.extensions.pop(MEMO, None)
        return response


def _etag() -> str:
    text = f"{API_REVISION}:{data_version()}:{request.url}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _cache_key() -> str:
    """The whole URL: `next` links in a body name the scheme and host they were asked on."""
    return f"api:{data_version()}:{request.url}"


def conditional(bp: Blueprint, cached: bool = True) -> None:
    """ETag, Last-Modified and Cache-Control on every response of `bp`; 304 on revalidation;
    with `cached`, 200 responses that are not streamed are kept in the app's flask-caching cache.
    Called once per blueprint, at import."""

    @bp.before_request
    def _revalidate_or_replay():
        data_version()
        if not is_resource_modified(request.environ, etag=_etag(), last_modified=g.last_modified):
            return Response(status=304)
        hit = get_cache().get(_cache_key()) if cached else None
        if hit is not None:
            g.from_cache = True
            body, mimetype = hit
            return Response(body, mimetype=mimetype)
        return None

    @bp.after_request
    def _validators(response: Response) -> Response:
        response.set_etag(_etag())
        response.last_modified = g.last_modified
        # Shared caches may keep a copy but must revalidate, so a new ingest shows at once.
        response.cache_control.public = True
        response.cache_control.no_cache = True
        if cached and response.status_code == 200 and not response.is_streamed and not g.get("from_cache"):
            get_cache().set(_cache_key(), (response.get_data(), response.mimetype), timeout=CACHE_TIMEOUT)
        return response
