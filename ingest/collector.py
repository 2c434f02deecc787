"""Python's cyclic garbage collector, held back while an ingest builds millions of containers.

By default a young-generation collection runs every 700 new containers (dicts, lists, tuples),
and older ones in step. An ingest unpickles and builds several containers per row and keeps each
batch alive until it is written, so the collector spent more time walking them than the ingest
spent on them (a batch of 2,000 inspections unpickled 5x faster with it held back). Ingest makes
no reference cycles of its own worth collecting early.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (100_000, 50, 100)  # young collections every 100,000 new containers


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect rarely for the duration, then as before."""
    before = gc.get_threshold()
    gc.set_threshold(*THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
