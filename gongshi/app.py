"""The application factory: the one place that reads the settings and wires the layers."""
from __future__ import annotations

import re
import uuid
from importlib import resources
from urllib.parse import urlsplit

from flask import Flask, g, request
from flask_caching import Cache
from werkzeug.middleware.proxy_fix import ProxyFix

from gongshi import api, portal
from gongshi.config import Settings
from gongshi.store.correction_queue import Spool
from gongshi.store.db import Database

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Without a configured base URL only these names are served (werkzeug's trusted hosts: a dot
# matches subdomains; ports are ignored), so a forged Host header never reaches a link.
LOCAL_HOSTS = ["localhost", ".localhost", "127.0.0.1"]
HSTS = "max-age=31536000; includeSubDomains"
# A Redis that stops answering costs a request at most this long (seconds to connect, to reply)
# before the cache or the limiter treats it as away (redis-py waits forever by default).
REDIS_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def create_app(config: Settings | dict | None = None, database: Database | None = None) -> Flask:
    """Build the portal for one configuration (environment variables by default); `database`
    replaces the one the configuration names (the tests pass one bound to their transaction)."""
    settings = config if isinstance(config, Settings) else Settings.from_env(**(config or {}))
    app = Flask("gongshi", template_folder=str(resources.files("gongshi.templates")))
    app.config.update(GONGSHI=settings, GONGSHI_INDEX_DIR=settings.index_dir,
                      GONGSHI_DOWNLOAD_DIR=settings.instance_dir / "downloads",
                      GONGSHI_CORRECTION_RATE_LIMIT=settings.correction_rate_limit,
                      GONGSHI_CORRECTION_LOCK_WAIT=settings.correction_lock_wait,
                      **_limiter_config(settings))
    _public_address(app, settings.base_url)
    app.json.ensure_ascii = False
    app.extensions["gongshi.db"] = database or Database(settings.database_url)
    app.extensions["gongshi.cache"] = Cache(app, config=_cache_config(settings))
    app.extensions["gongshi.spool"] = Spool(settings.correction_spool)
    app.secret_key = settings.session_secret()  # signs the session (forms' CSRF token)
    portal.init_app(app)
    _request_ids(app)
    api.init_app(app, rate_limit=settings.rate_limit, page_rate_limit=settings.page_rate_limit)
    if settings.trusted_proxies:
        # The client address and scheme as the trusted proxies saw them: the limiter counts
        # per real client, not per proxy.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)
    return app


def _public_address(app: Flask, base_url: str | None) -> None:
    """Serve only the base URL's host (and localhost names, for health checks on the machine):
    any other Host header is answered 400 by werkzeug's host check. Over https, browsers are
    told to stay on https and the session cookie is never sent in clear."""
    trusted = [urlsplit(base_url).hostname] if base_url else []
    app.config.update(GONGSHI_BASE_URL=base_url, TRUSTED_HOSTS=trusted + LOCAL_HOSTS)
    if base_url and base_url.startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True

        @app.after_request
        def _hsts(response):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
            return response


def _cache_config(settings: Settings) -> dict:
    """One response cache shared by every worker in Redis (none while Redis is away), or else
    each process's own."""
    if settings.redis_url:
        return {"CACHE_TYPE": "gongshi.redis_cache.RedisOrNothing", "CACHE_REDIS_URL": settings.redis_url,
                "CACHE_KEY_PREFIX": "gongshi:", "CACHE_OPTIONS": REDIS_OPTIONS}
    return {"CACHE_TYPE": settings.cache_type}


def _limiter_config(settings: Settings) -> dict:
    """Every flask-limiter of the app counts in Redis, summed over all workers; while Redis is
    away, flask-limiter's own fallback counts in this process (with a warning in the log) and
    goes back to Redis once it answers again. Without Redis, in this process."""
    if settings.redis_url:
        return {"RATELIMIT_STORAGE_URI": settings.redis_url, "RATELIMIT_STORAGE_OPTIONS": REDIS_OPTIONS,
                "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True}
    return {"RATELIMIT_STORAGE_URI": "gongshi-memory://"}


def _request_ids(app: Flask) -> None:
    """An X-Request-Id on every response: the caller's own if it sent a sane one, else a new one."""

    @app.before_request
    def _assign():
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def _echo(response):
        response.headers["X-Request-Id"] = g.get("request_id") or uuid.uuid4().hex
        return response
