"""Fetching from servers that misbehave: real HTTP servers on this machine that send too much,
too slowly, or redirect to where a fetch must not go. Each is refused with the limit it hit, no
temporary file is left behind, and in a `pull` the other sources are still fetched."""
import dataclasses
import http.server
import threading
import time

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from gongshi.cli import main
from gongshi.config import Settings
from gongshi.ingest.fetch import FetchError, fetch
from gongshi.ingest.limits import Limits
from gongshi.store.db import Database
from gongshi.store.models import SourceFeed
from tests.factories import uscc, write_csv

HEADER = ["统一社会信用代码", "企业名称", "抽查任务编号", "抽查任务名称", "抽查机关", "检查结果", "检查完成日期"]
LOCAL = Limits(fetch_allow_private=True, fetch_max_bytes=1024 * 1024, fetch_timeout=2)


class Misbehaving(http.server.BaseHTTPRequestHandler):
    """/file: a small CSV; /endless: bytes without end; /liar: a Content-Length of 10 GB;
    /slow: one byte at a time, forever; /to?where: a redirect to `where`."""

    protocol_version = "HTTP/1.1"
    body = b""

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/to":
            self.send_response(302)
            self.send_header("Location", query)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        if path == "/file":
            self.send_header("Content-Length", str(len(self.body)))
            self.end_headers()
            self.wfile.write(self.body)
            return
        self.send_header("Content-Length", str(10 * 1024**3) if path == "/liar" else "")
        self.end_headers()
        try:
            while True:
                self.wfile.write(b"x" if path == "/slow" else b"x" * 65536)
                self.wfile.flush()
                if path == "/slow":
                    time.sleep(0.2)
        except OSError:
            pass  # the fetcher gave up: as it should

    def log_message(self, *args):
        pass


@pytest.fixture
def base(tmp_path):
    Misbehaving.body = write_csv(tmp_path / "r.csv", HEADER, [[uscc(1), "某店", "T-1", "任务", "南通市市场监督管理局",
                                                              "未发现问题", "2024-05-06"]]).read_bytes()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Misbehaving)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def fetch_refused(url, tmp_path, match, limits=LOCAL):
    work_dir = tmp_path / "work"
    work_dir.mkdir(exist_ok=True)
    with pytest.raises(FetchError, match=match):
        fetch(url, work_dir=work_dir, limits=limits)
    assert list(work_dir.iterdir()) == []  # no temporary file stays


def test_a_local_server_is_refused_unless_private_addresses_are_allowed(base, tmp_path):
    fetch_refused(f"{base}/file", tmp_path, "非公网地址 127.0.0.1.*GONGSHI_FETCH_ALLOW_PRIVATE", Limits())
    fetched = fetch(f"{base}/file", work_dir=tmp_path, limits=LOCAL)
    assert fetched.path.read_bytes() == Misbehaving.body
    fetched.cleanup()


def test_a_download_beyond_the_size_cap_is_stopped(base, tmp_path):
    fetch_refused(f"{base}/endless", tmp_path, "超过 1048576 字节的上限（GONGSHI_FETCH_MAX_BYTES）")
    fetch_refused(f"{base}/liar", tmp_path, "10737418240 字节，超过上限")


def test_a_server_that_trickles_is_given_up_at_the_deadline(base, tmp_path):
    fetch_refused(f"{base}/slow", tmp_path, "超过 2 秒仍未下载完（GONGSHI_FETCH_TIMEOUT）")


def test_every_redirect_hop_is_checked(base, tmp_path):
    fetch_refused(f"{base}/to?http://169.254.169.254/latest/meta-data/", tmp_path, "169.254.169.254")
    fetch_refused(f"{base}/to?ftp://127.0.0.1/file.csv", tmp_path, "只支持 http:// 和 https://")
    fetch_refused(f"{base}/to?/to?/to?/to?/to?/to?/file", tmp_path, "重定向超过 5 次")
    fetched = fetch(f"{base}/to?/file", work_dir=tmp_path, limits=LOCAL)
    assert fetched.path.read_bytes() == Misbehaving.body and fetched.name == "file"
    fetched.cleanup()


def test_other_schemes_are_refused(tmp_path):
    for uri in ("ftp://example.org/r.csv", "file:///etc/passwd"):
        with pytest.raises(FetchError, match="只支持 http:// 和 https://"):
            fetch(uri, work_dir=tmp_path)


def test_a_stalled_source_is_recorded_and_the_pull_goes_on(base, tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    for name, value in {"GONGSHI_INSTANCE_DIR": str(instance), "GONGSHI_FETCH_ALLOW_PRIVATE": "1",
                        "GONGSHI_FETCH_TIMEOUT": "1", "GONGSHI_FETCH_MAX_BYTES": "1048576"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GONGSHI_DATABASE_URL", raising=False)
    sources = tmp_path / "sources.toml"
    sources.write_text("".join(f'[[source]]\nurl = "{base}{path}"\nkind = "result"\n'
                               for path in ("/slow", "/endless", "/file")), encoding="utf-8")
    result = CliRunner().invoke(main, ["pull", str(sources)], catch_exceptions=False)
    assert result.exit_code == 1 and "已导入 抽查检查结果 1 行" in result.output
    settings = Settings.from_env({}, instance_dir=instance)
    db = Database(settings.database_url)
    with db.session() as s:
        status = {f.url.rsplit("/", 1)[1]: f.last_status for f in s.scalars(select(SourceFeed))}
    db.dispose()
    assert status["file"] == "loaded"
    assert status["slow"].startswith("failed") and "GONGSHI_FETCH_TIMEOUT" in status["slow"]
    assert status["endless"].startswith("failed") and "GONGSHI_FETCH_MAX_BYTES" in status["endless"]
    assert not list(instance.glob("fetch-*"))


def test_limits_come_from_the_environment():
    limits = Settings.from_env({"GONGSHI_MAX_ROWS": "10", "GONGSHI_FETCH_TIMEOUT": "2.5",
                                "GONGSHI_FETCH_ALLOW_PRIVATE": "1"}).limits
    assert limits == dataclasses.replace(Limits(), max_rows=10, fetch_timeout=2.5, fetch_allow_private=True)
