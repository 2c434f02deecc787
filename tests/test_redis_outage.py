"""With GONGSHI_REDIS_URL set, Redis is a shared convenience, never a single point of failure: a
Redis that is unreachable from the start, or killed mid-run, leaves pages and the API answering
200 (the cache misses, the rate limit counts in the process), with a warning in the log; when it
returns, the workers share the cache and the rate limit through it again. A real redis-server
of the test's own, on a free port, killed and restarted."""
from __future__ import annotations

import dataclasses
import itertools
import logging
import shutil
import socket
import subprocess
import time

import pytest

from gongshi.app import create_app
from tests.test_api import city, city_files  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server (Debian's)")
PAGES = ["/", "/departments", "/stats", "/api/v1/departments", "/api/v1/inspections?limit=5",
         "/api/docs"]


class RedisServer:
    """A redis-server on a port nobody else uses, in memory only."""

    def __init__(self, tmp_path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.dir, self.process = tmp_path, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", str(self.dir)], stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        for _ in range(200):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        pytest.fail("redis-server did not start")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def keys(self, pattern: str) -> list[bytes]:
        import redis

        return redis.Redis.from_url(self.url).keys(pattern)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    yield server
    if server.process is not None and server.process.poll() is None:
        server.kill()


def until(condition, message: str, attempts: int = 400) -> None:
    """Waits for something the application does on a later request (a retry after its back-off)."""
    for _ in range(attempts):
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(message)


def test_redis_unreachable_from_the_start_degrades_to_no_shared_state_then_recovers(city, settings,  # noqa: F811
                                                                                     redis_server, caplog):
    caplog.set_level(logging.WARNING)
    client = create_app(dataclasses.replace(settings, redis_url=redis_server.url), database=city).test_client()
    for url in PAGES + PAGES:  # the second time from no cache either
        assert client.get(url).status_code == 200, url
    warned = caplog.text
    assert "Redis 不可用" in warned and "falling back to in-memory storage" in warned

    redis_server.start()
    until(lambda: client.get("/api/v1/departments?limit=3").status_code == 200
          and bool(redis_server.keys("gongshi:api:*")), "the response cache never went back to Redis")
    until(lambda: client.get("/departments").status_code == 200 and bool(redis_server.keys("LIMITS*")),
          "the rate limit never went back to Redis")
    assert "Redis 已恢复" in caplog.text


def test_redis_killed_mid_run_keeps_answering_and_the_limit_is_shared_again_when_it_returns(city, settings,  # noqa: F811
                                                                                          redis_server, caplog):
    caplog.set_level(logging.WARNING)
    redis_server.start()
    shared = dataclasses.replace(settings, redis_url=redis_server.url, rate_limit="4 per minute")
    workers = [create_app(shared, database=city).test_client() for _ in range(2)]  # two processes' apps
    assert counted_together(workers, "10.0.0.6")  # in Redis
    assert redis_server.keys("gongshi:api:*")

    redis_server.kill()
    alone = [workers[0].get(url, environ_base={"REMOTE_ADDR": "10.0.0.7"}) for url in PAGES]
    assert [r.status_code for r in alone] == [200] * len(PAGES)
    api = [workers[1].get("/api/v1/departments", environ_base={"REMOTE_ADDR": "10.0.0.8"}) for _ in range(5)]
    assert [r.status_code for r in api] == [200, 200, 200, 200, 429]  # counted in the process meanwhile
    assert "Redis 不可用" in caplog.text and "falling back to in-memory storage" in caplog.text

    redis_server.start()  # empty: the counts start again, shared by both workers
    clients = (f"10.1.0.{n}" for n in itertools.count(1))
    until(lambda: counted_together(workers, next(clients)), "the workers never shared the rate limit again")
    until(lambda: workers[1].get("/api/v1/departments?limit=2", environ_base={"REMOTE_ADDR": next(clients)})
          .status_code == 200 and bool(redis_server.keys("gongshi:api:*")), "the response cache never went back to Redis")
    assert "Redis 已恢复" in caplog.text


def counted_together(workers, address: str) -> bool:
    """A client's hits on the two workers add up: its fifth within the minute is refused."""
    statuses = [workers[i % 2].get("/api/v1/departments", environ_base={"REMOTE_ADDR": address}).status_code
                for i in range(5)]
    return statuses == [200, 200, 200, 200, 429]
