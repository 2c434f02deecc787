"""Benchmark: the randomness audit (store/draw_audit.py) over a generated city: its time and the
peak resident memory of the process that computes it.

    .venv/bin/python bench/audit.py                          # 1,000,000 entities, SQLite
    .venv/bin/python bench/audit.py --entities 100000
    .venv/bin/python bench/audit.py --database-url postgresql+psycopg://…

Prints wall time and this process's CPU seconds (a steadier figure on a shared machine). The city
is generated and loaded once per size into bench-data/api-<N>/ (shared with bench/api.py),
in a child process, so that the memory the load took is not counted in the audit's peak. The
audit is computed --runs times from the store (no cache), as on the first view after an ingest.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the project's packages, not this script's folder

from bench.api import store_for  # noqa: E402
from gongshi.store import draw_audit  # noqa: E402


def _load(entities: int, data_dir: Path, database_url: str | None) -> None:
    store_for(entities, data_dir, database_url)[1].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench-data")
    args = parser.parse_args()
    load = multiprocessing.get_context("spawn").Process(target=_load,
                                                         args=(args.entities, args.data_dir, args.database_url))
    load.start()
    load.join()
    _, db = store_for(args.entities, args.data_dir, args.database_url)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for run in range(1, args.runs + 1):
        with db.session() as session:
            start, cpu = time.perf_counter(), os.times()
            audit = draw_audit.compute(session)
            elapsed, after = time.perf_counter() - start, os.times()
        tests = audit.tests
        print(f"run {run}: {elapsed:6.2f} s (CPU {after.user + after.system - cpu.user - cpu.system:.1f} s: "
              f"SQLite's share included, PostgreSQL's not)   {len(audit.offices):,} office-years, {len(tests):,} groups, "
              f"{sum(t.flagged for t in tests):,} flagged   peak RSS {before:,.0f} MiB before, "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB after   "
              f"({args.entities:,} entities, {db.engine.dialect.name})", flush=True)
    db.dispose()


if __name__ == "__main__":
    main()
