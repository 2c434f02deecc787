"""The `gongshi` command, driven as a user would: files, a real HTTP server, exit codes."""
import hashlib
import http.server
import os
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from gongshi.cli import main
from gongshi.config import Settings
from gongshi.store.db import Database
from gongshi.store.models import Inspection, SourceFeed
from tests.factories import serving, uscc, write_csv

HEADER = ["统一社会信用代码", "企业名称", "抽查任务编号", "抽查任务名称", "抽查机关", "检查结果", "检查完成日期", "公示日期"]


def rows(n, result="未发现问题"):
    return [[uscc(i), f"南通市测试商店{i}", "320600-2024-SJ-001", "测试任务", "南通市市场监督管理局", result, "2024-05-06", "2024-05-20"]
            for i in range(1, n + 1)]


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("GONGSHI_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.delenv("GONGSHI_DATABASE_URL", raising=False)
    monkeypatch.setenv("GONGSHI_FETCH_ALLOW_PRIVATE", "1")  # the department's server is this machine
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def count_inspections(tmp_path):
    db = Database(Settings.from_env({}, instance_dir=tmp_path / "instance").database_url)
    with db.session() as s:
        n = s.scalar(select(func.count()).select_from(Inspection))
    db.dispose()
    return n


def test_ingest_reports_what_it_loaded(run, tmp_path):
    result = run("ingest", write_csv(tmp_path / "r.csv", HEADER, rows(3)))
    assert result.exit_code == 0, result.output
    assert "已导入 抽查检查结果 3 行" in result.output and count_inspections(tmp_path) == 3


def test_a_refused_file_exits_non_zero_lists_every_problem_and_writes_nothing(run, tmp_path):
    bad = rows(3)
    bad[0][0] = "91320602MA1XXXXXX"
    bad[2][6] = "2024-13-01"
    result = run("ingest", write_csv(tmp_path / "bad.csv", HEADER, bad))
    assert result.exit_code == 1
    assert "拒绝导入，未写入任何数据（2 个问题）" in result.output
    assert "bad.csv:1: column '统一社会信用代码': value '91320602MA1XXXXXX': 统一社会信用代码应为18位，实为17位" in result.output
    assert "bad.csv:3: column '检查完成日期': value '2024-13-01': 不存在的日期" in result.output
    assert count_inspections(tmp_path) == 0


def test_dry_run_writes_nothing(run, tmp_path):
    result = run("ingest", "--dry-run", write_csv(tmp_path / "r.csv", HEADER, rows(2)))
    assert result.exit_code == 0 and "试运行（未写入）" in result.output
    assert count_inspections(tmp_path) == 0


def test_a_missing_file_is_a_clear_error(run, tmp_path):
    result = run("ingest", tmp_path / "nope.csv")
    assert result.exit_code == 1 and "文件不存在" in result.output


class PublishedFile(http.server.BaseHTTPRequestHandler):
    """A department's web server: serves one file with an ETag and honours If-None-Match."""

    body = b""
    downloads = 0

    def do_GET(self):
        etag = f'"{hashlib.sha256(self.body).hexdigest()[:16]}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        type(self).downloads += 1
        self.send_response(200)
        self.send_header("ETag", etag)
        self.send_header("Content-Type", "text/csv; charset=gb18030")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PublishedFile)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_pull_fetches_only_what_changed(run, tmp_path, server):
    csv_path = write_csv(tmp_path / "r.csv", HEADER, rows(2), encoding="gb18030")
    PublishedFile.body, PublishedFile.downloads = csv_path.read_bytes(), 0
    url = f"http://127.0.0.1:{server.server_port}/2024/抽查结果.csv"
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nurl = "{url}"\nkind = "result"\npublisher = "南通市市场监督管理局"\n'
                       'deadline_working_days = 20\n', encoding="utf-8")
    first = run("pull", sources)
    assert first.exit_code == 0 and "已导入 抽查检查结果 2 行" in first.output
    second = run("pull", sources)
    assert second.exit_code == 0 and "未更新（304）" in second.output
    assert PublishedFile.downloads == 1
    PublishedFile.body = write_csv(tmp_path / "r2.csv", HEADER, rows(4), encoding="gb18030").read_bytes()
    third = run("pull", sources)
    assert third.exit_code == 0 and "新增 2" in third.output and PublishedFile.downloads == 2
    assert count_inspections(tmp_path) == 4
    db = Database(Settings.from_env({}, instance_dir=tmp_path / "instance").database_url)
    with db.session() as s:
        feed = s.scalar(select(SourceFeed))
        assert feed.last_status == "loaded" and feed.etag and feed.publisher == "南通市市场监督管理局"
    db.dispose()


def test_pull_reports_an_unreachable_source_and_exits_non_zero(run, tmp_path, server):
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nurl = "http://127.0.0.1:{server.server_port}/missing.csv"\n', encoding="utf-8")
    PublishedFile.body = b""
    server.RequestHandlerClass = http.server.BaseHTTPRequestHandler  # answers 501 to GET
    result = run("pull", sources)
    assert result.exit_code == 1 and "HTTP 501" in result.output


def test_stats_rebuild_recomputes_the_figures(run, tmp_path):
    assert run("ingest", write_csv(tmp_path / "r.csv", HEADER, rows(3, result="发现问题待后续处理"))).exit_code == 0
    result = run("stats-rebuild")
    assert result.exit_code == 0 and "统计汇总表已重算" in result.output
    from gongshi.store import stats

    db = Database(Settings.from_env({}, instance_dir=tmp_path / "instance").database_url)
    with db.session() as s:
        [row] = stats.coverage(s, year=2024)
        assert (row.inspections, row.problems_found) == (3, 3)
    db.dispose()


def test_serve_answers_http_on_its_port(tmp_path):
    env = {**os.environ, "GONGSHI_INSTANCE_DIR": str(tmp_path / "instance")}
    env.pop("GONGSHI_DATABASE_URL", None)
    with serving([str(Path(sys.executable).parent / "gongshi"), "serve"], env) as base, \
            urllib.request.urlopen(base + "/") as response:
        assert response.status == 200 and "尚未导入任何抽查结果" in response.read().decode()
