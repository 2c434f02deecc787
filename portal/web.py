"""What every page shares: registration of the page blueprints, security and cache headers,
parameter parsing that answers 400 in Chinese, and the static files (plotly.js included: the portal
must work on a closed network, no CDN) under hashed names, see assets.py."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

from flask import Flask, Response, abort, request, url_for

from gongshi.api.context import external_root, external_url
from gongshi.portal import assets
from gongshi.store.localtime import local, local_minute
from gongshi.store.tabular import csv_chunks

# The portal's own files; a deployment's nginx serves them from here (deploy/nginx-gongshi.conf).
STATIC_DIR = Path(__file__).parent / "static"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")
PAGE_MAX_AGE = 60  # seconds: pages change with every ingest, so caches keep them briefly

def install(app: Flask) -> None:
    """Register the page blueprints, the error pages and the response headers."""
    from gongshi.portal import audit, corrections, departments, entities, errors, feeds, offices, pages, tasks

    assets.install(app, STATIC_DIR)
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    for bp in (pages.bp, entities.bp, tasks.bp, departments.bp, offices.bp, feeds.bp, audit.bp):
        app.register_blueprint(bp)
    corrections.init_app(app)
    errors.install(app)
    app.after_request(_headers)
    app.jinja_env.globals.update(page_url=page_url, canonical_url=canonical_url, external_url=external_url)
    app.jinja_env.filters.update(cn_date=cn_date, cn_time=cn_time, percent=percent, money=money)


def _headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if response.mimetype == "text/html" and "Cache-Control" not in response.headers and response.status_code == 200:
        response.cache_control.public = True
        response.cache_control.max_age = PAGE_MAX_AGE
        if not response.is_streamed:
            response.add_etag()
            response.make_conditional(request)
    return response


# --- parameters -----------------------------------------------------------------------------


def int_arg(name: str, default: int | None = None, *, low: int = 1, high: int = 10**6) -> int | None:
    """An integer query parameter in [low, high]; anything else is a 400 page naming it."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        abort(400, description=f"参数 {name} 应为 {low} 至 {high} 之间的整数，收到“{raw[:40]}”")
    return int(raw)


def choice_arg(name: str, choices) -> str | None:
    raw = request.args.get(name, "").strip()
    if raw and raw not in choices:
        abort(400, description=f"参数 {name} 只能是：{'、'.join(choices)}")
    return raw or None


def page_arg() -> int:
    return int_arg("page", 1, high=100_000)


def page_or_404(paged):
    """A page number past the end of a list is a missing page, not an empty one."""
    if paged.page > paged.pages:
        abort(404, description=f"此列表只有 {paged.pages} 页")
    return paged


# --- template helpers -----------------------------------------------------------------------


def page_url(page: int) -> str:
    """The current URL with another page number (other parameters kept)."""
    args = {k: v for k, v in request.args.items() if k != "page" and v != ""}
    if page > 1:
        args["page"] = page
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def site_url(path: str) -> str:
    """An absolute URL of a path on this site, for feeds and other documents read elsewhere: on the
    configured base URL, or on the trusted host the request named."""
    return external_root() + path


def canonical_url() -> str | None:
    """The page's address with its meaningful parameters only, in a stable order (none for an
    error page whose request matched no route)."""
    if not request.endpoint:
        return None
    args = {k: v for k, v in sorted(request.args.items()) if v != "" and not (k == "page" and v == "1")}
    return external_url(request.endpoint, **(request.view_args or {}), **args)


def cn_date(value) -> str:
    """2021年4月23日, as dates are written on pages (from a date or an ISO 8601 text)."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    value = local(value)  # a stored moment (naive UTC) on its Beijing date
    return f"{value.year}年{value.month}月{value.day}日" if value else "未公布"


def cn_time(value) -> str:
    """A stored moment in Beijing time, to the minute: 2026-12-01 08:30."""
    return local_minute(value)


def money(value) -> str:
    """An amount in 元 as people write it: "2 万元", "1.25 万元" from 10,000 元 up, "5,000 元" or
    "1,234.50 元" below (never "2.0000 万元")."""
    if value is None:
        return "—"
    amount = Decimal(value)
    if abs(amount) >= 10_000:
        return f"{amount / 10_000:,.4f}".rstrip("0").rstrip(".") + " 万元"
    return (f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}") + " 元"


def percent(value, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


# --- downloads of what a page shows ---------------------------------------------------------


def csv_response(filename: str, header: list[str], rows) -> Response:
    """A CSV that Excel opens (UTF-8 with BOM), with Chinese headers, written by the shared writer."""
    return Response("".join(csv_chunks(header, rows)), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})
