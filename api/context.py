"""What the composition root (`gongshi.app.create_app`) hands to the web layers through the app:
the database handle and the response cache. `api/` and `portal/` read them here, never by importing
the layer that made them."""
from __future__ import annotations

from flask import current_app
from flask_caching import Cache

from gongshi.store.db import Database


def get_db() -> Database:
    return current_app.extensions["gongshi.db"]


def get_cache() -> Cache:
    return current_app.extensions["gongshi.cache"]
