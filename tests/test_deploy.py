"""The deployment of deploy/, for real: Debian's nginx with deploy/nginx-gongshi.conf in front of
`gongshi serve --workers 2` (gunicorn) on PostgreSQL and Redis, driven over HTTP as browsers and
scripts would, from several client addresses (127.0.0.2, 127.0.0.3… are all this machine).

Runs when GONGSHI_TEST_NGINX=1 and GONGSHI_TEST_REDIS_URL names a Redis that the test may empty
(`.ci/run` starts both, with GONGSHI_REQUIRE_DEPLOY=1 so that their absence fails).
"""
from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from gongshi.api.http import DATA_VERSION_TTL
from tests.conftest import fresh_postgres_database
from tests.deployment import free_port, nginx_command, nginx_config, stop, wait_for
from tests.factories import uscc, write_csv

REDIS_URL = os.environ.get("GONGSHI_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(os.environ.get("GONGSHI_TEST_NGINX") != "1" or not REDIS_URL,
                                reason="deployment: set GONGSHI_TEST_NGINX=1 and GONGSHI_TEST_REDIS_URL (as .ci/run does)")

GONGSHI = Path(sys.executable).parent / "gongshi"
API_LIMIT = 8  # per minute and client, summed over both workers
ENTITY_HEADER = ["统一社会信用代码", "企业名称", "市场主体类型", "行政区划代码", "住所"]
SHOP = uscc(501)


class Client:
    """HTTP from one client address: nginx sees it as $remote_addr."""

    def __init__(self, port: int, address: str):
        self.port, self.address = port, address

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(self.address, 0))
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()


@dataclass
class Site:
    port: int  # nginx
    app_port: int  # gunicorn
    env: dict  # of the `gongshi` commands
    tmp: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """nginx → gongshi serve --workers 2 --threads 1 (two single-request workers) → PostgreSQL
    and Redis."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    tmp = tmp_path_factory.mktemp("deploy")
    with fresh_postgres_database() as database_url:
        env = {**os.environ, "GONGSHI_INSTANCE_DIR": str(tmp / "instance"), "GONGSHI_DATABASE_URL": database_url,
               "GONGSHI_REDIS_URL": REDIS_URL, "GONGSHI_TRUSTED_PROXIES": "1",
               "GONGSHI_RATE_LIMIT": f"{API_LIMIT} per minute"}
        rows = [[SHOP, "南通市部署测试商店", "个体工商户", "320602", "崇川区工农路1号"]]
        subprocess.run([str(GONGSHI), "ingest", str(write_csv(tmp / "e.csv", ENTITY_HEADER, rows))], env=env,
                       check=True, capture_output=True)
        app_port, port = free_port(), free_port()
        app = subprocess.Popen([str(GONGSHI), "serve", "--workers", "2", "--threads", "1", "--port", str(app_port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        nginx = subprocess.Popen(nginx_command(nginx_config(tmp, port, app_port)), stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT)
        try:
            wait_for(app_port, "gongshi serve", app)
            wait_for(port, "nginx", nginx)
            yield Site(port, app_port, env, tmp)
        finally:
            stop(nginx)
            stop(app)


def test_pages_come_from_the_app_and_static_files_from_nginx_gzipped(site):
    client = Client(site.port, "127.0.0.2")
    status, headers, page = client.get(f"/enterprises/{SHOP}")
    assert status == 200 and "南通市部署测试商店" in page.decode()
    assert "x-request-id" in headers  # the application answered
    status, headers, css = client.get("/static/portal.css", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert "x-request-id" not in headers  # nginx answered from disk, no worker was involved
    hashed = re.search(r'href="(/static/portal\.[0-9a-f]{12}\.css)"', page.decode()).group(1)
    status, headers, same = client.get(hashed, {"Accept-Encoding": "gzip"})
    assert status == 200 and same == css and "immutable" in headers["cache-control"]


def test_the_api_answers_through_nginx(site):
    status, headers, body = Client(site.port, "127.0.0.3").get(f"/api/v1/enterprises/{SHOP}")
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert json.loads(body)["name"] == "南通市部署测试商店"


def occupy_a_worker(app_port: int) -> socket.socket:
    """A connection that sends half a request: the worker that accepts it waits for the rest and
    takes no other request until the connection closes."""
    held = socket.create_connection(("127.0.0.1", app_port))
    held.sendall(b"GET /api/v1/departments HTTP/1.1\r\n")
    time.sleep(0.5)  # accepted by now
    return held


def test_the_rate_limit_is_one_count_over_both_workers_per_real_client(site):
    client = Client(site.port, "127.0.0.4")
    first = occupy_a_worker(site.app_port)  # worker A is held: B answers
    statuses = [client.get("/api/v1/departments")[0] for _ in range(API_LIMIT // 2)]
    second = occupy_a_worker(site.app_port)  # B is held now; releasing A lets A answer the rest
    first.close()
    time.sleep(0.5)
    statuses += [client.get("/api/v1/departments")[0] for _ in range(API_LIMIT - API_LIMIT // 2 + 1)]
    second.close()
    assert statuses == [200] * API_LIMIT + [429]
    # Claiming another address in X-Forwarded-For does not help: nginx appends the real one.
    assert client.get("/api/v1/departments", {"X-Forwarded-For": "203.0.113.9"})[0] == 429
    # Another client (another address behind the same nginx) has its own count.
    assert Client(site.port, "127.0.0.5").get("/api/v1/departments")[0] == 200


def test_a_cached_response_is_dropped_when_an_ingest_lands(site):
    import redis

    client = Client(site.port, "127.0.0.6")
    url = "/api/v1/enterprises?q=%E6%96%B0%E5%BC%80%E5%BC%A0"  # 新开张
    assert [json.loads(client.get(url)[2])["total"] for _ in range(2)] == [0, 0]
    assert redis.Redis.from_url(REDIS_URL).keys("gongshi:api:*")  # the workers' one cache
    rows = [[uscc(502), "南通市新开张超市", "个体工商户", "320602", "崇川区"]]
    subprocess.run([str(GONGSHI), "ingest", str(write_csv(site.tmp / "new.csv", ENTITY_HEADER, rows))], env=site.env,
                   check=True, capture_output=True)
    time.sleep(DATA_VERSION_TTL)
    assert [json.loads(client.get(url)[2])["total"] for _ in range(4)] == [1] * 4
