"""Rate-limit counters kept in this process's memory, as limits' `memory://` keeps them, without
its timer thread: that storage starts a new thread (to drop expired counters 10 ms later) on
nearly every counted request, which cost more than the rest of the limiter together. Here a
request drops the expired counters itself, at most once every PRUNE_EVERY seconds; a counter's
own expiry is still checked whenever it is read, so limits hold exactly as before.

Select it with the storage URI `gongshi-memory://` (limits registers storages by scheme).
"""
from __future__ import annotations

import threading
import time

from limits.storage import MemoryStorage

PRUNE_EVERY = 10.0  # seconds


class PrunedMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = ["gongshi-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._pruned_at = time.monotonic()
        self._pruning = threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 — replaces the parent's private hook
        now = time.monotonic()
        if now - self._pruned_at >= PRUNE_EVERY and self._pruning.acquire(blocking=False):
            try:
                self._pruned_at = now
                self._MemoryStorage__expire_events()
            finally:
                self._pruning.release()
