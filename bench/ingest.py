"""Benchmark: load generated result rows into a fresh store and print rows per second.

    .venv/bin/python bench/ingest.py --rows 1000000            # SQLite (default)
    .venv/bin/python bench/ingest.py --rows 1000000 --postgres postgresql+psycopg://…   # that database is emptied
    .venv/bin/python bench/ingest.py --rows 1000000 --repeat 3                         # the median of three

Prints rows per second, the CPU seconds of this process and of the process that reads and
validates a large file beside it (ingest/stream.py; steadier figures on a shared machine, though
the database server's share is not in them for PostgreSQL), and peak resident memory: this
process's, and its largest child's before and after the results (the directory and the tasks
are loaded first in a child process of their own, so a larger figure after is the reading
process's). The city is generated once per size into bench-data/ (deterministic) and reused; the timed
part is `ingest` of the results file alone (decode, validate, normalise, load, commit), with the
directory and tasks loaded before it.
"""
from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gongshi.config import Settings  # noqa: E402
from gongshi.democity import generate_city  # noqa: E402
from gongshi.ingest.pipeline import Options, ingest  # noqa: E402
from gongshi.store.db import Database  # noqa: E402


def city_for(rows: int, data_dir: Path) -> dict[str, Path]:
    """A generated city with at least `rows` result rows (the generator writes about 1.5 result
    rows per entity over its five years)."""
    entities = max(1000, int(rows / 1.4))
    out = data_dir / f"city-{entities}"
    if not (out / "results.csv").exists():
        print(f"generating a city of {entities:,} entities into {out} …", flush=True)
        generate_city(out, entities=entities, progress=True)
    return {kind: out / f"{name}.csv" for kind, name in
            (("entity", "entities"), ("task", "tasks"), ("result", "results"), ("credit", "credit"))}


def trim(path: Path, rows: int, out: Path) -> Path:
    """The first `rows` data rows of a CSV (header kept), so every run loads the same count."""
    with path.open(encoding="utf-8-sig", newline="") as src, out.open("w", encoding="utf-8-sig", newline="") as dst:
        reader, writer = csv.reader(src), csv.writer(dst)
        writer.writerow(next(reader))
        for n, row in enumerate(reader):
            if n >= rows:
                break
            writer.writerow(row)
    return out


def arguments(description: str) -> argparse.Namespace:
    """The options every ingest-side benchmark takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", "--postgres", dest="database_url", metavar="URL",
                        help="load into this database instead of a temporary SQLite file "
                             "(--postgres postgresql+psycopg://…: rows reach PostgreSQL by COPY)")
    parser.add_argument("--data-dir", type=Path, default=Path("bench-data"))
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure this many times, each on a fresh store, and print the median "
                             "(a shared machine's speed varies from minute to minute)")
    return parser.parse_args()


@contextmanager
def fresh_store(database_url: str | None) -> Iterator[tuple[Settings, Database, Path]]:
    """An empty, migrated store (a temporary SQLite file unless a URL is given)."""
    with tempfile.TemporaryDirectory(prefix="gongshi-bench-") as tmp:
        env = {"GONGSHI_DATABASE_URL": database_url} if database_url else {}
        settings = Settings.from_env(env, instance_dir=Path(tmp) / "instance")
        settings.ensure_dirs()
        db = Database(settings.database_url)
        if database_url:  # what an earlier run left
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        db.upgrade()
        try:
            yield settings, db, Path(tmp)
        finally:
            db.dispose()


def load_setup(database_url: str, instance_dir: Path, files: dict[str, Path]) -> None:
    """The directory and the tasks, loaded in a child process so that the memory they took is not
    counted in the peak of the results ingest."""
    db = Database(database_url)
    for kind in ("entity", "task"):
        start = time.perf_counter()
        report = ingest(db, str(files[kind]), Options(kind=kind), instance_dir=instance_dir)
        print(f"{kind:7} {report.rows:>10,} rows  {time.perf_counter() - start:8.1f} s (setup)", flush=True)
    db.dispose()


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    files = city_for(args.rows, args.data_dir)
    rates = [measure(args, files) for _ in range(args.repeat)]
    if len(rates) > 1:
        print(f"median of {len(rates)}: {statistics.median(rates):,.0f} rows/s "
              f"(each: {', '.join(f'{r:,.0f}' for r in rates)})")


def measure(args: argparse.Namespace, files: dict[str, Path]) -> float:
    """One results ingest into a fresh store holding the directory and tasks; its rows/s."""
    with fresh_store(args.database_url) as (settings, db, tmp):
        setup = multiprocessing.get_context("spawn").Process(
            target=load_setup, args=(settings.database_url, settings.instance_dir, files))
        setup.start()
        setup.join()
        results = trim(files["result"], args.rows, tmp / "results.csv")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        start, cpu = time.perf_counter(), os.times()
        report = ingest(db, str(results), Options(kind="result", progress=True), instance_dir=settings.instance_dir)
        elapsed, after = time.perf_counter() - start, os.times()
        cpu_seconds = after.user + after.system - cpu.user - cpu.system
        reader_cpu = after.children_user + after.children_system - cpu.children_user - cpu.children_system
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child_after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"result  {report.rows:>10,} rows  {elapsed:8.1f} s  {report.rows / elapsed:10,.0f} rows/s  "
              f"(CPU {cpu_seconds:.1f} s of this process, {reader_cpu:.1f} s of the reading process; "
              f"{report.counts['inserted']:,} inspections; peak RSS {rss_before:,.0f} MiB before, {peak:,.0f} MiB "
              f"after; largest child {child_before:,.0f} MiB before, {child_after:,.0f} MiB after; {db.engine.dialect.name})")
        return report.rows / elapsed


if __name__ == "__main__":
    main()
