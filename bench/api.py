"""Benchmark: requests per second and latency of the entity endpoint (/api/v1/enterprises/<uscc>)
on a generated city: the first request for each entity, and then from its stored document.

    .venv/bin/python bench/api.py                          # 1,000,000 entities, SQLite
    .venv/bin/python bench/api.py --entities 100000 --requests 3000
    .venv/bin/python bench/api.py --database-url postgresql+psycopg://…

The city is generated and loaded once per size into bench-data/api-<N>/ (reused afterwards).
Requests go through the whole WSGI application in-process (Flask's test client: routing,
rate limiter, ETag, document or queries and schema, JSON), one client at a time, for entities
spread evenly over the store. The first request for an entity builds its document (the record
read and dumped by the schema, as before documents) and stores it; the entity endpoint does not
use the response cache, which would only hold a second copy.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the project's `api` package, not this script

from sqlalchemy import func, select  # noqa: E402

from gongshi.app import create_app  # noqa: E402
from gongshi.config import Settings  # noqa: E402
from gongshi.democity import generate_city  # noqa: E402
from gongshi.ingest.pipeline import Options  # noqa: E402
from gongshi.service import ingest_and_index  # noqa: E402
from gongshi.store.db import Database  # noqa: E402
from gongshi.store.models import MarketEntity  # noqa: E402

# The limiter still runs (its cost is part of every request), but never refuses.
UNLIMITED = "1000000 per second"


def store_for(entities: int, data_dir: Path, database_url: str | None = None) -> tuple[Settings, Database]:
    """A store holding a generated city of `entities` entities, loaded once and reused."""
    instance = (data_dir / f"api-{entities}").resolve()
    env = {"GONGSHI_DATABASE_URL": database_url} if database_url else {}
    settings = Settings.from_env(env, instance_dir=instance, rate_limit=UNLIMITED)
    settings.ensure_dirs()
    db = Database(settings.database_url)
    marker = instance / f"loaded-{db.engine.dialect.name}"
    db.upgrade()  # as `gongshi serve` does: a store loaded by older code gets the newer tables
    if not marker.exists():
        city = data_dir / f"city-{entities}"
        if not (city / "credit.csv").exists():
            print(f"generating a city of {entities:,} entities into {city} …", flush=True)
            generate_city(city, entities=entities, progress=True)
        for kind, name in (("entity", "entities"), ("task", "tasks"), ("result", "results"), ("credit", "credit")):
            start = time.perf_counter()
            # As `gongshi ingest` does: the search index follows each load, so that `serve` on this
            # store has no index update to replay before it answers.
            report = ingest_and_index(db, settings, str(city / f"{name}.csv"), Options(kind=kind, progress=True)).report
            print(f"loaded {kind:7} {report.rows:>10,} rows in {time.perf_counter() - start:7.1f} s", flush=True)
        marker.touch()
    return settings, db


def sample_usccs(db: Database, n: int) -> list[str]:
    """`n` entities spread evenly over the ids, so that the pages touched are spread too."""
    with db.session() as s:
        top = s.scalar(select(func.max(MarketEntity.id))) or 0
        step = max(1, top // n)
        return list(s.scalars(select(MarketEntity.uscc).where(MarketEntity.id % step == 0,
                                                              MarketEntity.uscc.is_not(None)).limit(n)))


def run(client, codes: list[str], requests: int) -> list[float]:
    latencies = []
    for i in range(requests):
        start = time.perf_counter()
        response = client.get(f"/api/v1/enterprises/{codes[i % len(codes)]}")
        latencies.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return latencies


def report(label: str, latencies: list[float]) -> None:
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[int(len(ms) * 0.95) - 1]
    print(f"{label:14} {len(ms) / sum(latencies):9,.0f} req/s   p50 {statistics.median(ms):7.2f} ms   "
          f"p95 {p95:7.2f} ms   max {ms[-1]:7.2f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--distinct", type=int, default=1000, help="distinct entities asked for")
    parser.add_argument("--database-url")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench-data")
    args = parser.parse_args()
    settings, db = store_for(args.entities, args.data_dir, args.database_url)
    codes = sample_usccs(db, args.distinct)
    print(f"{args.entities:,} entities, {len(codes):,} distinct, {args.requests:,} requests, "
          f"{db.engine.dialect.name}", flush=True)
    client = create_app(dataclasses.replace(settings, cache_type="NullCache"), database=db).test_client()
    # The first request for an entity builds its document (unless an earlier run stored it today).
    report("first request", run(client, codes, len(codes)))
    report("stored", run(client, codes, args.requests))
    db.dispose()


if __name__ == "__main__":
    main()
