"""Benchmark: the warm-up (`gongshi warm`): entity documents built and stored per second, and the
randomness audit computed into place, on a generated city.

    .venv/bin/python bench/warm.py --entities 20000                        # every document
    .venv/bin/python bench/warm.py --entities 1000000 --documents 100000   # 100,000 spread over 1M
    .venv/bin/python bench/warm.py --database-url postgresql+psycopg://…

The city is loaded once per size into bench-data/api-<N>/ (shared with bench/api.py). Before
the run, --documents documents spread evenly over the store (all by default) are made stale as
the daily expiry makes them (built the day before); the warm-up then rebuilds those, and those
missing among them, as `gongshi warm` and an ingest's warm-up do. Prints wall time and this
process's CPU seconds (a steadier figure on a shared machine: SQLite's work is in it,
PostgreSQL's not), the rate, and how long each batch's write transaction held the store (what a
correction request filed meanwhile waits for at most). --audit also times the audit of the current data version
computed afresh, as the warm-up after an ingest does.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the project's packages, not this script's folder

from sqlalchemy import func, select, update  # noqa: E402

from bench.api import store_for  # noqa: E402
from gongshi.api import documents as api_documents  # noqa: E402
from gongshi.app import create_app  # noqa: E402
from gongshi.service import LOCAL_ROOT, warm_audit  # noqa: E402
from gongshi.store import documents  # noqa: E402
from gongshi.store.models import EntityDocument  # noqa: E402
from gongshi.store.workdays import china_today  # noqa: E402


def timed(work) -> tuple[object, float, float]:
    start, cpu = time.perf_counter(), os.times()
    result = work()
    after = os.times()
    return result, time.perf_counter() - start, after.user + after.system - cpu.user - cpu.system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=20_000)
    parser.add_argument("--documents", type=int, help="how many documents to rebuild (default: all)")
    parser.add_argument("--audit", action="store_true", help="time the audit as well")
    parser.add_argument("--database-url")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench-data")
    args = parser.parse_args()
    settings, db = store_for(args.entities, args.data_dir, args.database_url)
    with db.session() as session:
        total = session.scalar(select(func.count()).select_from(EntityDocument))
        step = max(1, total // (args.documents or total))
        chosen = list(session.scalars(select(EntityDocument.entity_id).where(EntityDocument.entity_id % step == 0)))
    # As an ingest's warm-up goes: a query of the changed entities per batch of ids.
    batches = list(documents.changed_entities({"market_entity": chosen}, source_id=0))
    with db.session() as session:
        for among in batches:
            session.execute(update(EntityDocument).where(EntityDocument.entity_id.in_(among))
                            .values(built_on=china_today() - dt.timedelta(days=1)))
    writes = []  # how long each batch's write transaction lasted: what a correction filed meanwhile waits for
    keep_many = documents.keep_many

    def timed_keep(*args):
        start = time.perf_counter()
        try:
            return keep_many(*args)
        finally:
            writes.append(time.perf_counter() - start)

    documents.keep_many = timed_keep
    with create_app(settings, database=db).app_context():
        kept, wall, cpu = timed(lambda: sum(api_documents.warm(db, LOCAL_ROOT, among) for among in batches))
    print(f"documents: {kept:,} built and stored in {wall:.1f} s (CPU {cpu:.1f} s): {kept / wall:,.0f} documents/s, "
          f"{1_000_000 / (kept / wall) / 60:.1f} min per million; {len(writes):,} write transactions, median "
          f"{statistics.median(writes) * 1000:.0f} ms, longest {max(writes) * 1000:.0f} ms   ({total:,} entities, "
          f"{db.engine.dialect.name}, load average {os.getloadavg()[0]:.1f})", flush=True)
    if args.audit:
        shutil.rmtree(settings.instance_dir / "downloads", ignore_errors=True)  # as a new data version finds it
        _, wall, cpu = timed(lambda: warm_audit(db, settings))
        print(f"audit: {wall:.1f} s (CPU {cpu:.1f} s)", flush=True)
    db.dispose()


if __name__ == "__main__":
    main()
