"""Static files served as a phone can afford them: each under a name carrying its content hash
(`charts.3f2a9c1e0b4d.js`), so that browsers and proxies may keep it for a year without asking
again, and gzipped once at startup for clients that accept it.

`url_for('static', filename='charts.js')` gives the hashed name by itself (a url_defaults hook),
so templates keep writing plain names. The plain name still answers, with the short cache of
any page, for links made before a release.
"""
from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, request

IMMUTABLE_MAX_AGE = 365 * 86400
PLAIN_MAX_AGE = 3600
COMPRESSIBLE = {".js", ".css", ".svg", ".json", ".txt", ".html", ".map"}
HASH_CHARS = 12  # 48 bits: collisions between versions of one file are not a concern


@dataclass(frozen=True)
class Asset:
    mimetype: str
    digest: str
    data: bytes
    gzipped: bytes | None  # None when gzip would not help (images, fonts) or the file is tiny


def _read(path: Path) -> Asset:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:HASH_CHARS]
    gzipped = gzip.compress(data, 9, mtime=0) if path.suffix in COMPRESSIBLE and len(data) > 1024 else None
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Asset(mimetype, digest, data, gzipped)


def hashed_name(name: str, digest: str) -> str:
    """vendor/plotly-basic.min.js → vendor/plotly-basic.min.<digest>.js"""
    stem, dot, ext = name.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"


class Assets:
    """Every file under the static folder, read once: plain name → hashed name → bytes."""

    def __init__(self, folder: Path):
        self.by_hashed: dict[str, Asset] = {}
        self.hashed: dict[str, str] = {}
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = path.relative_to(folder).as_posix()
            asset = _read(path)
            self.hashed[name] = hashed_name(name, asset.digest)
            self.by_hashed[self.hashed[name]] = asset

    def url_defaults(self, endpoint: str, values: dict) -> None:
        if endpoint == "static" and values.get("filename") in self.hashed:
            values["filename"] = self.hashed[values["filename"]]

    def serve(self, filename: str) -> Response:
        immutable = filename in self.by_hashed
        asset = self.by_hashed.get(filename) or self.by_hashed.get(self.hashed.get(filename, ""))
        if asset is None:
            abort(404)
        gzipped = asset.gzipped is not None and request.accept_encodings.quality("gzip") > 0
        response = Response(asset.gzipped if gzipped else asset.data, mimetype=asset.mimetype)
        if gzipped:
            response.headers["Content-Encoding"] = "gzip"
        if asset.gzipped is not None:
            response.vary.add("Accept-Encoding")
        response.cache_control.public = True
        response.cache_control.max_age = IMMUTABLE_MAX_AGE if immutable else PLAIN_MAX_AGE
        response.cache_control.immutable = immutable
        # One tag per encoding: a cache must not answer a gzip request with the plain bytes' 304.
        response.set_etag(asset.digest + ("-gz" if gzipped else ""))
        return response.make_conditional(request)


def install(app: Flask, folder: Path) -> Assets:
    """Serve `folder` at /static under hashed names (replacing Flask's own static view)."""
    assets = Assets(folder)
    app.static_folder = str(folder)
    app.view_functions["static"] = assets.serve
    app.url_defaults(assets.url_defaults)
    return assets
