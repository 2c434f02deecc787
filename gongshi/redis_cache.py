"""The response cache in Redis (GONGSHI_REDIS_URL), degrading to no cache while Redis is away.

The cache only saves work: a page or an API answer never depends on it. So a Redis that is
unreachable, or dies mid-run, must not turn requests into 500s: the first failure logs a warning
and for RETRY_AFTER seconds every cache call answers as a miss without touching Redis (no
request waits on a dead socket); then the next call tries Redis again, and a success logs its
return. Entries are keyed on the data version, so nothing kept before an outage goes stale.
"""
from __future__ import annotations

import functools
import logging
import threading
import time

from flask_caching.backends.rediscache import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
RETRY_AFTER = 2.0  # seconds without Redis after a failure


class Outage:
    """Whether Redis is believed away, shared by the threads of one process."""

    def __init__(self):
        self.until = 0.0  # monotonic time before which Redis is not tried
        self.down = False
        self._lock = threading.Lock()

    def skipping(self) -> bool:
        return self.down and time.monotonic() < self.until

    def failed(self, exc: Exception) -> None:
        with self._lock:
            if not self.down:
                log.warning("Redis 不可用（%s）：响应缓存暂停，%.0f 秒后重试 / Redis unreachable, caching paused", exc,
                            RETRY_AFTER)
            self.down, self.until = True, time.monotonic() + RETRY_AFTER

    def succeeded(self) -> None:
        if self.down:
            with self._lock:
                self.down = False
            log.warning("Redis 已恢复：响应缓存继续使用 Redis / Redis is back, caching resumed")


def _or_miss(method, miss):
    """`method` of the cache, answering `miss(*args)` instead of raising while Redis is away."""

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        if self.outage.skipping():
            return miss(*args)
        try:
            result = method(self, *args, **kwargs)
        except RedisError as exc:
            self.outage.failed(exc)
            return miss(*args)
        self.outage.succeeded()
        return result

    return call


class RedisOrNothing(RedisCache):
    """flask-caching's RedisCache whose every call is a miss (or a no-op) while Redis is away."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outage = Outage()


_NONE, _FALSE = (lambda *a: None), (lambda *a: False)
for _name, _miss in {"get": _NONE, "get_many": lambda *keys: [None] * len(keys), "has": _FALSE, "set": _FALSE,
                     "add": _FALSE, "set_many": lambda *a: [], "delete": _FALSE,
                     "delete_many": lambda *a: [], "clear": _FALSE, "inc": _NONE, "dec": _NONE}.items():
    setattr(RedisOrNothing, _name, _or_miss(getattr(RedisCache, _name), _miss))
