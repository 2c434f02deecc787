"""The application factory: the one place that reads the settings and wires the layers."""
from __future__ import annotations

import re
import uuid
from importlib import resources

from flask import Flask, g, request
from flask_caching import Cache
from werkzeug.middleware.proxy_fix import ProxyFix

from gongshi import api, portal
from gongshi.config import Settings
from gongshi.store.db import Database

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def create_app(config: Settings | dict | None = None, database: Database | None = None) -> Flask:
    """Build the portal for one configuration (environment variables by default); `database`
    replaces the one the configuration names (the tests pass one bound to their transaction)."""
    settings = config if isinstance(config, Settings) else Settings.from_env(**(config or {}))
    app = Flask("gongshi", template_folder=str(resources.files("gongshi.templates")))
    app.config.update(GONGSHI=settings, GONGSHI_INDEX_DIR=settings.index_dir,
                      GONGSHI_CORRECTION_RATE_LIMIT=settings.correction_rate_limit,
                      # every flask-limiter of the app counts here: in Redis, summed over all workers
                      RATELIMIT_STORAGE_URI=settings.redis_url or "gongshi-memory://")
    app.json.ensure_ascii = False
    app.extensions["gongshi.db"] = database or Database(settings.database_url)
    app.extensions["gongshi.cache"] = Cache(app, config=_cache_config(settings))
    app.secret_key = settings.session_secret()  # signs the session (forms' CSRF token)
    portal.init_app(app)
    _request_ids(app)
    api.init_app(app, rate_limit=settings.rate_limit)
    if settings.trusted_proxies:
        # The client address and scheme as the trusted proxies saw them: the limiter counts
        # per real client, not per proxy.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)
    return app


def _cache_config(settings: Settings) -> dict:
    """One response cache shared by every worker in Redis, or else each process's own."""
    if settings.redis_url:
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": settings.redis_url, "CACHE_KEY_PREFIX": "gongshi:"}
    return {"CACHE_TYPE": settings.cache_type}


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
