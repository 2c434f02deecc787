"""The portal: Flask application factory; pages live in blueprints per concern."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

from flask import Flask, current_app, g, request
from flask_caching import Cache

from portal.config import Settings
from store.db import Database

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
cache = Cache()
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def create_app(config: Settings | dict | None = None, database: Database | None = None) -> Flask:
    """Build the portal for one configuration (environment variables by default); `database`
    replaces the one the configuration names (the tests pass one bound to their transaction)."""
    settings = config if isinstance(config, Settings) else Settings.from_env(**(config or {}))
    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config["GONGSHI"] = settings
    app.json.ensure_ascii = False
    app.extensions["gongshi.db"] = database or Database(settings.database_url)

    from portal.web import install

    install(app)  # page blueprints, error pages, security and cache headers
    cache.init_app(app, config={"CACHE_TYPE": settings.cache_type})
    _request_ids(app)
    import api

    api.init_app(app, rate_limit=settings.extra.get("api_rate_limit"))
    return app


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


def get_db() -> Database:
    return current_app.extensions["gongshi.db"]
