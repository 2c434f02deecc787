"""Benchmark: what the statistics cost at ingest and on reading, on a generated city.

    .venv/bin/python bench/stats.py --rows 100000            # SQLite (default)
    .venv/bin/python bench/stats.py --rows 100000 --database-url postgresql+psycopg://…

Loads the city (entities, tasks, the first `rows` result rows, credit) with `ingest`, then times,
each in a transaction that is rolled back: the incremental refresh for what the results ingest
changed (the work `ingest` does for the statistics), a full rebuild, and the read functions.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import arguments, city_for, fresh_store, trim  # noqa: E402
from gongshi.ingest.pipeline import Options, ingest  # noqa: E402
from gongshi.portal import annex3_xlsx  # noqa: E402
from gongshi.store import stats, stats_upkeep  # noqa: E402


def timed(label: str, fn) -> None:
    start = time.perf_counter()
    fn()
    print(f"{label:34} {time.perf_counter() - start:8.3f} s")


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    files = city_for(args.rows, args.data_dir)
    with fresh_store(args.database_url) as (settings, db, tmp):
        files["result"] = trim(files["result"], args.rows, tmp / "results.csv")
        reports = {}
        for kind in ("entity", "task", "result", "credit"):
            start = time.perf_counter()
            reports[kind] = ingest(db, str(files[kind]), Options(kind=kind), instance_dir=settings.instance_dir)
            print(f"ingest {kind:27} {time.perf_counter() - start:8.3f} s  ({reports[kind].rows:,} rows)")
        with db.sessionmaker() as session:
            timed("refresh for the results ingest", lambda: stats_upkeep.refresh(session, reports["result"].changed))
            session.rollback()
            timed("refresh for the credit ingest", lambda: stats_upkeep.refresh(session, reports["credit"].changed))
            session.rollback()
            timed("rebuild of every aggregate", lambda: stats_upkeep.rebuild(session))
            session.rollback()
            timed("coverage (all years)", lambda: stats.coverage(session))
            timed("headline", lambda: stats.headline(session))
            year = stats.latest_year(session)
            timed("附件3 XLSX (latest year)",
                  lambda: annex3_xlsx.render(year, stats.attachment3(session, year)))
            timed("directory_coverage + credit_link", lambda: (stats.directory_coverage(session),
                                                               stats.credit_link(session)))


if __name__ == "__main__":
    main()
