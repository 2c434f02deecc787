"""Getting a published file: from a local path or an http(s) URL, with conditional GET.

An unchanged URL answers 304 to the validators (ETag, Last-Modified) of the last fetch and
is not downloaded again. Every file that loads is archived under the instance folder by its
sha256, so that the exact bytes behind every fact can be shown again.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from gongshi.store.models import utcnow

USER_AGENT = "Gongshi/0.1 (shuangsuiji yigongkai open-data portal)"


class FetchError(Exception):
    """A source that could not be fetched (missing file, HTTP error, network failure)."""


@dataclass
class Fetched:
    uri: str
    name: str
    path: Path | None  # None when the server said 304 Not Modified
    sha256: str = ""
    size: int = 0
    fetched_at: object = None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    temporary: bool = False

    @property
    def not_modified(self) -> bool:
        return self.path is None

    def cleanup(self) -> None:
        if self.temporary and self.path and self.path.exists():
            self.path.unlink()


def is_url(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def fetch(uri: str, *, etag: str | None = None, last_modified: str | None = None,
          work_dir: Path | None = None, timeout: float = 60) -> Fetched:
    if not is_url(uri):
        path = Path(uri).expanduser().resolve()
        if not path.is_file():
            raise FetchError(f"{uri}: 文件不存在")
        digest, size = _digest(path)
        return Fetched(str(path), path.name, path, digest, size, utcnow())
    return _fetch_url(uri, etag, last_modified, work_dir, timeout)


def _fetch_url(url: str, etag, last_modified, work_dir, timeout) -> Fetched:
    headers = {"User-Agent": USER_AGENT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    # Published URLs often carry Chinese file names: percent-encode them (IRI → URI).
    request = urllib.request.Request(urllib.parse.quote(url, safe=":/?#[]@!$&'()*+,;=%~"), headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Fetched(url, _name_from_url(url), None, fetched_at=utcnow(), etag=etag, last_modified=last_modified)
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise FetchError(f"{url}: 无法连接（{getattr(exc, 'reason', exc)}）") from exc
    with response:
        name = _name_from_disposition(response.headers.get("Content-Disposition")) or _name_from_url(url)
        fd, tmp = tempfile.mkstemp(prefix="fetch-", suffix=Path(name).suffix, dir=work_dir)
        digest, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out:
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        return Fetched(url, name, Path(tmp), digest.hexdigest(), size, utcnow(),
                       response.headers.get("ETag"), response.headers.get("Last-Modified"),
                       response.headers.get("Content-Type"), temporary=True)


def _name_from_url(url: str) -> str:
    return Path(urllib.parse.unquote(urllib.parse.urlparse(url).path)).name or "source"


def _name_from_disposition(value: str | None) -> str | None:
    if not value:
        return None
    m = re.search(r"filename\*=UTF-8''([^;]+)", value, re.I) or re.search(r'filename="?([^";]+)"?', value, re.I)
    return Path(urllib.parse.unquote(m.group(1))).name if m else None


def _digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def archive(fetched: Fetched, archive_dir: Path) -> tuple[Path, bool]:
    """Copy the raw file to archive/<aa>/<sha256><suffix>; returns its path and whether it is new."""
    target = archive_dir / fetched.sha256[:2] / f"{fetched.sha256}{Path(fetched.name).suffix.lower()}"
    if target.exists():
        return target, False
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".part")
    shutil.copyfile(fetched.path, tmp)
    tmp.replace(target)
    return target, True
