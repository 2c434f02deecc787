"""The open-data JSON API v1, its OpenAPI document and docs page, and the bulk downloads: blueprints
the portal registers, with CORS open for reading and a per-client rate limit."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, jsonify, render_template
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from markdown_it import MarkdownIt
from markupsafe import Markup

from gongshi.api import http, problems, ratelimit  # noqa: F401 — registers gongshi-memory://
from gongshi.api.downloads import bp as downloads_bp
from gongshi.api.http import conditional
from gongshi.api.openapi import spec_dict
from gongshi.api.v1 import api
from gongshi.api.v1 import bp as v1

# Generous for a journalist's script (a sequential client rarely passes 20 a second); a
# deployment behind a proxy must pass the client address through (werkzeug's ProxyFix).
DEFAULT_RATE_LIMIT = "50 per second;2000 per minute"
# Every other route (pages, their static files, the correction form): a reader opening pages,
# each with its stylesheet and scripts, stays far below; a scraper hammering a page does not.
DEFAULT_PAGE_RATE_LIMIT = "30 per second;1200 per minute"
EXPOSED_HEADERS = ["ETag", "Last-Modified", "Retry-After", "X-Request-Id", "X-RateLimit-Limit",
                   "X-RateLimit-Remaining", "X-RateLimit-Reset"]

docs = Blueprint("api_docs", __name__, template_folder=str(Path(__file__).parent / "templates"))


@v1.get("/openapi.json")
def openapi():
    return jsonify(spec_dict(v1.url_prefix, tuple(api.endpoints)))


MARKDOWN = MarkdownIt("commonmark", {"html": False})  # the description is ours, but no raw HTML anyway


@docs.get("/api/docs")
def api_docs():
    spec = spec_dict(v1.url_prefix, tuple(api.endpoints))
    return render_template("api_docs.html", spec=spec, description=Markup(MARKDOWN.render(spec["info"]["description"])))


conditional(v1, stored={"api_v1.enterprise"})  # api/documents.py
conditional(docs, mimetype="text/html")
conditional(downloads_bp, mimetype=None)  # files: nothing to keep, but 304 still saves the transfer


def init_app(app: Flask, rate_limit: str | None = None, page_rate_limit: str | None = None) -> None:
    """`rate_limit` per client over the API and downloads, `page_rate_limit` over every other
    blueprint ("off": none); the counters live where the app's RATELIMIT_STORAGE_URI says (memory
    of this process by default)."""
    http.init_app(app)
    problems.init_app(app)
    for bp in (v1, downloads_bp, docs):
        app.register_blueprint(bp)
    CORS(app, resources={r"/api/*": {}, r"/downloads/*": {}}, origins="*", send_wildcard=True,
         methods=["GET", "HEAD", "OPTIONS"],
         expose_headers=EXPOSED_HEADERS)
    if rate_limit == "off":
        return
    # One limiter for the site: the open data share one budget per client, every other blueprint
    # (the pages, registered before) another. A 429 carries Retry-After, as a problem under /api
    # and /downloads, as a Chinese page elsewhere.
    limiter = Limiter(get_remote_address, app=app, headers_enabled=True)
    open_data = limiter.shared_limit(rate_limit or DEFAULT_RATE_LIMIT, scope="open-data")
    pages = limiter.shared_limit(page_rate_limit or DEFAULT_PAGE_RATE_LIMIT, scope="pages")
    for bp in app.blueprints.values():
        (open_data if bp in (v1, downloads_bp) else pages)(bp)
