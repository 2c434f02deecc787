"""Runs the `gongshi` command with a pause at one point of an ingest or a rebuild, for the fault
tests (tests/test_faults.py): at the point it writes the marker file and waits to be killed.

    python tests/fault_runner.py POINT MARKER gongshi-arguments…

Points: load (rows written, transaction open), before-index (committed, index not touched),
index-writing (documents in an uncommitted segment), after-index (index written, the run not
yet marked done), rebuild (a new index folder half written).
"""
import functools
import sys
import time
from pathlib import Path

from whoosh.writing import SegmentWriter

from gongshi import search
from gongshi.cli import main
from gongshi.ingest.load import Loader
from gongshi.search import build
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
    else:
        raise SystemExit(f"unknown point {point}")


if __name__ == "__main__":
    install(sys.argv[1], Path(sys.argv[2]))
    main(sys.argv[3:])
