"""What the composition root (`gongshi.app.create_app`) hands to the web layers through the app:
the database handle, the response cache, the correction spool and the public base URL. `api/`
and `portal/` read them here, never by importing the layer that made them."""
from __future__ import annotations

from flask import current_app, request, url_for
from flask_caching import Cache

from gongshi.store.correction_queue import Spool
from gongshi.store.db import Database


def get_db() -> Database:
    return current_app.extensions["gongshi.db"]


def get_cache() -> Cache:
    return current_app.extensions["gongshi.cache"]


def get_spool() -> Spool:
    return current_app.extensions["gongshi.spool"]


def external_root() -> str:
    """Where absolute URLs start: the configured base URL (GONGSHI_BASE_URL), else the host the
    request named, which the app accepts only from its trusted hosts (TRUSTED_HOSTS)."""
    return current_app.config.get("GONGSHI_BASE_URL") or request.host_url.rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """An absolute URL for links that leave the page (`next`, `url`, canonical, citations)."""
    return external_root() + url_for(endpoint, **values)
