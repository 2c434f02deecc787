"""Runs the `gongshi` command with a pause at one point of an ingest or a rebuild, for the fault
tests (tests/test_faults.py): at the point it writes the marker file and waits to be killed.

    python tests/fault_runner.py POINT MARKER gongshi-arguments…

Points: load (rows written, transaction open), before-index (committed, index not touched),
index-writing (documents in an uncommitted segment), after-index (index written, the run not
yet marked done), rebuild (a new index folder half written); drain-recording (spooled correction
requests inserted, transaction open), drain-recorded (committed, not yet struck from the spool).
And one point where it waits instead: held (an ingest's rows written, its write transaction open,
until the test creates MARKER.release; on PostgreSQL, where an ingest never blocks a correction
request, it also locks their table, so that the same test drives the same path on both).
Warm-up points: warm-storing (a batch of documents written, its transaction open), audit (the
audit computed, its file not yet written).
"""
import functools
import sys
import time
from pathlib import Path

from sqlalchemy import text
from whoosh.writing import SegmentWriter

from gongshi import search
from gongshi.cli import main
from gongshi.ingest.load import Loader
from gongshi.search import build
from gongshi.store import correction_queue, documents, draw_audit
from gongshi.store.models import Inspection


def pause(marker: Path) -> None:
    marker.write_text("here")
    while True:
        time.sleep(60)


def around(owner, name: str, marker: Path, *, after: bool = False, when=lambda *a, **k: True):
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        if not after and when(*args, **kwargs):
            pause(marker)
        result = original(*args, **kwargs)
        if after and when(*args, **kwargs):
            pause(marker)
        return result

    setattr(owner, name, wrapper)


def hold_after_first_inspection(marker: Path) -> None:
    upsert = Loader.upsert

    def held(self, model, *args, **kwargs):
        result = upsert(self, model, *args, **kwargs)
        if model is Inspection and not marker.exists():
            self.session.flush()  # SQLite's write lock is taken by the first write
            if self.session.get_bind().dialect.name == "postgresql":
                self.session.execute(text("LOCK TABLE correction_request IN EXCLUSIVE MODE"))
            marker.write_text("here")
            while not marker.with_suffix(".release").exists():
                time.sleep(0.05)
        return result

    Loader.upsert = held


def install(point: str, marker: Path) -> None:
    if point == "load":
        around(Loader, "upsert", marker, after=True, when=lambda self, model, *a, **k: model is Inspection)
    elif point == "before-index":
        around(search, "update", marker)
    elif point == "index-writing":
        around(SegmentWriter, "commit", marker)
    elif point == "after-index":
        around(search, "update", marker, after=True)
    elif point == "rebuild":
        around(build, "write_in_process", marker)
    elif point == "held":
        hold_after_first_inspection(marker)
    elif point == "drain-recording":
        around(correction_queue, "_record", marker, after=True)
    elif point == "drain-recorded":
        around(correction_queue.Spool, "strike", marker)
    elif point == "warm-storing":
        around(documents, "_store", marker, after=True)
    elif point == "audit":
        around(draw_audit, "compute", marker, after=True)
    else:
        raise SystemExit(f"unknown point {point}")


if __name__ == "__main__":
    install(sys.argv[1], Path(sys.argv[2]))
    main(sys.argv[3:])
