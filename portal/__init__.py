"""The portal: Flask application factory; pages live in blueprints per concern."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from portal.config import Settings
from store.db import Database

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def create_app(config: Settings | dict | None = None, database: Database | None = None) -> Flask:
    """Build the portal for one configuration (environment variables by default); `database`
    replaces the one the configuration names (the tests pass one bound to their transaction)."""
    settings = config if isinstance(config, Settings) else Settings.from_env(**(config or {}))
    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config["GONGSHI"] = settings
    app.json.ensure_ascii = False
    app.extensions["gongshi.db"] = database or Database(settings.database_url)

    from portal.pages import bp as pages

    app.register_blueprint(pages)
    return app


def get_db() -> Database:
    return current_app.extensions["gongshi.db"]
