"""Getting a published file: from a local path or an http(s) URL, with conditional GET.

An unchanged URL answers 304 to the validators (ETag, Last-Modified) of the last fetch and
is not downloaded again. Every file that loads is archived under the instance folder by its
sha256, so that the exact bytes behind every fact can be shown again.

A URL may name any server, so a download is held to `Limits`: http and https only, at most
`fetch_max_bytes`, all of it (redirects included) within `fetch_timeout` seconds, and every hop
connects only to the public address it was checked for (no loopback, private or link-local
address; `fetch_allow_private` admits private and loopback ones, never link-local such as
169.254.169.254). Proxies are not used.
"""
from __future__ import annotations

import hashlib
import http.client
import ipaddress
import os
import re
import shutil
import socket
import ssl
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from gongshi.ingest.limits import Limits
from gongshi.store.models import utcnow

USER_AGENT = "Gongshi/0.1 (shuangsuiji yigongkai open-data portal)"
MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class FetchError(Exception):
    """A source that could not be fetched (missing file, HTTP error, network failure, a limit)."""


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
          work_dir: Path | None = None, limits: Limits | None = None) -> Fetched:
    limits = limits or Limits()
    if not is_url(uri):
        if _SCHEME.match(uri):
            raise FetchError(f"{uri}: 只支持 http:// 和 https:// 地址")
        path = Path(uri).expanduser().resolve()
        if not path.is_file():
            raise FetchError(f"{uri}: 文件不存在")
        digest, size = _digest(path)
        return Fetched(str(path), path.name, path, digest, size, utcnow())
    return _Download(uri, limits, time.monotonic() + limits.fetch_timeout).run(etag, last_modified, work_dir)


class _Download:
    """One download: follows redirects itself, so that every hop is checked the same way."""

    def __init__(self, url: str, limits: Limits, deadline: float):
        self.url, self.limits, self.deadline = url, limits, deadline

    def remaining(self, url: str) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self.late(url)
        return left

    def late(self, url: str) -> FetchError:
        return FetchError(f"{url}: 超过 {self.limits.fetch_timeout:g} 秒仍未下载完（GONGSHI_FETCH_TIMEOUT）")

    def run(self, etag, last_modified, work_dir) -> Fetched:
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        url = self.url
        for _ in range(MAX_REDIRECTS + 1):
            connection, response = self.request(url, headers)
            try:
                if response.status in _REDIRECTS and response.getheader("Location"):
                    url = urllib.parse.urljoin(url, response.getheader("Location"))
                    continue
                if response.status == 304:
                    return Fetched(self.url, _name_from_url(self.url), None, fetched_at=utcnow(), etag=etag,
                                   last_modified=last_modified)
                if response.status != 200:
                    raise FetchError(f"{url}: HTTP {response.status} {response.reason}")
                return self.save(url, response, work_dir)
            finally:
                connection.close()
        raise FetchError(f"{self.url}: 重定向超过 {MAX_REDIRECTS} 次")

    def request(self, url: str, headers: dict) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        # Published URLs often carry Chinese file names: percent-encode them (IRI → URI).
        parts = urllib.parse.urlsplit(urllib.parse.quote(url, safe=":/?#[]@!$&'()*+,;=%~"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"{url}: 只支持 http:// 和 https:// 地址")
        https = parts.scheme == "https"
        try:
            port = parts.port or (443 if https else 80)
            sock = self.connect(url, parts.hostname, port)
            if https:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
            connection = (http.client.HTTPSConnection if https else http.client.HTTPConnection)(
                parts.hostname, port, timeout=self.remaining(url))
            # Already connected to the checked address; kept here too, since the connection lets
            # go of it when the response is the last on it.
            connection.sock = self.sock = sock
            target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
            connection.request("GET", target, headers=headers)
            return connection, connection.getresponse()
        except TimeoutError as exc:  # every wait is given only the time left
            raise self.late(url) from exc
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise FetchError(f"{url}: 无法连接（{exc}）") from exc

    def connect(self, url: str, host: str, port: int) -> socket.socket:
        """A socket to the first address of `host` that may be fetched from."""
        refused = None
        for family, kind, proto, _, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
            ip = ipaddress.ip_address(address[0])
            if not _allowed(ip, self.limits.fetch_allow_private):
                refused = ip
                continue
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(self.remaining(url))
                sock.connect(address)
                return sock
            except BaseException:
                sock.close()
                raise
        raise FetchError(f"{url}: {host} 解析为非公网地址 {refused}（本机、内网或链路本地），拒绝访问"
                         "（GONGSHI_FETCH_ALLOW_PRIVATE）")

    def save(self, url: str, response, work_dir) -> Fetched:
        limit = self.limits.fetch_max_bytes
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > limit:
            raise FetchError(f"{url}: 文件有 {length} 字节，超过上限 {limit} 字节（GONGSHI_FETCH_MAX_BYTES）")
        name = _name_from_disposition(response.getheader("Content-Disposition")) or _name_from_url(url)
        fd, tmp = tempfile.mkstemp(prefix="fetch-", suffix=Path(name).suffix, dir=work_dir)
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as out:
                while True:
                    self.sock.settimeout(self.remaining(url))  # the deadline bounds every wait
                    chunk = response.read1(1 << 16)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise FetchError(f"{url}: 已下载超过 {limit} 字节的上限（GONGSHI_FETCH_MAX_BYTES）")
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException as exc:
            os.unlink(tmp)
            if isinstance(exc, TimeoutError):
                raise self.late(url) from exc
            if isinstance(exc, (OSError, http.client.HTTPException)):
                raise FetchError(f"{url}: 下载中断（{exc}）") from exc
            raise
        return Fetched(self.url, name, Path(tmp), digest.hexdigest(), size, utcnow(),
                       response.getheader("ETag"), response.getheader("Last-Modified"),
                       response.getheader("Content-Type"), temporary=True)


def _allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_private: bool) -> bool:
    ip = getattr(ip, "ipv4_mapped", None) or ip
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return False  # never a department's server; 169.254.169.254 hands out cloud credentials
    return ip.is_global or allow_private


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
