"""Rate-limit counters kept in this process's memory, for flask-limiter's fixed windows, written to
limits' documented extension point ("Custom storage backends": subclass limits.storage.Storage,
implement its abstract methods, register a STORAGE_SCHEME). limits' own `memory://` starts a
timer thread on nearly every counted request to drop expired counters, which cost more than the
rest of the limiter together; here a counter found expired is restarted by the request that finds
it, and all expired ones are dropped at most once every PRUNE_EVERY seconds.

Select it with the storage URI `gongshi-memory://`.
"""
from __future__ import annotations

import threading
import time

from limits.storage import Storage

PRUNE_EVERY = 10.0  # seconds


class MemoryCounters(Storage):
    """Fixed-window counters: key → [hits, when the window ends] (epoch seconds, as limits uses)."""

    STORAGE_SCHEME = ["gongshi-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._counters: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self._pruned_at = time.time()

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self._lock:
            if now - self._pruned_at >= PRUNE_EVERY:
                self._pruned_at = now
                self._counters = {k: c for k, c in self._counters.items() if c[1] > now}
            counter = self._counters.get(key)
            if counter is None or counter[1] <= now:
                counter = self._counters[key] = [0, now + expiry]
            counter[0] += amount
            return int(counter[0])

    def get(self, key: str) -> int:
        counter = self._counters.get(key)
        return int(counter[0]) if counter is not None and counter[1] > time.time() else 0

    def get_expiry(self, key: str) -> float:
        counter = self._counters.get(key)
        return counter[1] if counter is not None else time.time()

    def check(self) -> bool:
        return True

    def reset(self) -> int:
        with self._lock:
            count, self._counters = len(self._counters), {}
        return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._counters.pop(key, None)
