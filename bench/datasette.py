"""Benchmark: the entity endpoint of `gongshi serve` against Datasette looking up the same
entities by USCC, over real HTTP with wrk, in alternating rounds on one machine.

    .venv/bin/pip install -e '.[bench]'       # Datasette
    .venv/bin/python bench/datasette.py                        # 1,000,000 entities
    .venv/bin/python bench/datasette.py --entities 200000 --rounds 3 --seconds 15

The city is generated and loaded once per size (bench/api.py's store, in bench-data/api-<N>/).
Datasette gets a SQLite table `enterprises` keyed by USCC (PRIMARY KEY) with the entities'
registration columns, copied from that store, opened immutable (its fastest mode); it answers
`/<db>/enterprises/<uscc>.json`, one row. Gongshi answers `/api/v1/enterprises/<uscc>`: the whole
record (names, every inspection with its findings, credit, sources), through its rate limiter
(set so high it never refuses), ETag and cache. Each request asks for an entity drawn at random
from `--distinct` USCCs spread over the whole store (bench/paths.lua), so most are not in the
response cache. Gongshi answers from each entity's document once a request has built it (they are
kept in the store, so a store benchmarked before starts warm): the first line says how many of the
entities asked have one. Prints requests/s, p50 and p99 per round and the medians' ratio.
"""
from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.api import UNLIMITED, sample_usccs, store_for  # noqa: E402
from gongshi.ingest.load import batched  # noqa: E402
from gongshi.store.db import Database  # noqa: E402
from gongshi.store.models import EntityDocument, MarketEntity  # noqa: E402

BIN = Path(sys.executable).parent
COLUMNS = ("uscc", "name", "entity_type", "region_code", "address", "industry", "established_on", "status",
           "registration_authority")


def datasette_db(store_file: Path, out: Path) -> Path:
    """The entities as one table keyed by USCC, built once from the store's SQLite file."""
    if out.exists():
        return out
    tmp = out.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    with sqlite3.connect(tmp) as conn:
        conn.execute(f"CREATE TABLE enterprises ({', '.join(COLUMNS)}, PRIMARY KEY (uscc))")
        conn.execute("ATTACH DATABASE ? AS store", (f"file:{store_file}?mode=ro",))
        conn.execute(f"INSERT INTO enterprises SELECT {', '.join(COLUMNS)} FROM store.market_entity "
                     "WHERE uscc IS NOT NULL")
    tmp.rename(out)
    return out


def documents_built(db: Database, codes: list[str]) -> int:
    """How many of the entities asked have a document stored (built by an earlier request; those
    built on another day are rebuilt on their first request)."""
    with db.session() as session:
        return sum(session.scalar(select(func.count()).select_from(EntityDocument).join(MarketEntity)
                                  .where(MarketEntity.uscc.in_(batch), EntityDocument.body.is_not(None)))
                   for batch in batched(codes, 900))


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    for _ in range(600):
        if process.poll() is not None:
            sys.exit(f"{url}: the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer")


def wrk(base: str, paths: Path, seconds: int, connections: int, timeout: int = 10) -> dict:
    """wrk -t1 over the paths listed in `paths` (bench/paths.lua); latencies in ms, errors
    counted as socket errors (timeouts after `timeout` seconds among them) plus answers other
    than 2xx/3xx."""
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", f"{timeout}s",
                          "-s", str(ROOT / "bench" / "paths.lua"), base],
                         env={**os.environ, "BENCH_PATHS": str(paths)}, capture_output=True, text=True,
                         check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": _percentile(out, 50), "p99": _percentile(out, 99),
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
            "timeouts": int(socket_errors.group(4)) if socket_errors else 0,
            "errors": (int(non_2xx.group(1)) if non_2xx else 0) +
                      (sum(map(int, socket_errors.groups())) if socket_errors else 0)}


def _percentile(out: str, n: int) -> float:
    """From wrk's "Latency Distribution" lines, e.g. "     99%  167.48ms", in ms (NaN when no
    request finished)."""
    found = re.search(rf"^\s+{n}%\s+(\S+)", out, re.MULTILINE)
    return _ms(found.group(1)) if found else float("nan")


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench-data")
    parser.add_argument("--distinct", type=int, default=20_000, help="distinct entities asked for")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="gongshi serve --workers")
    parser.add_argument("--threads", type=int, default=1, help="gongshi serve --threads")
    parser.add_argument("--redis-url", help="GONGSHI_REDIS_URL for gongshi serve (default: none)")
    args = parser.parse_args()

    settings, db = store_for(args.entities, args.data_dir)
    codes = sample_usccs(db, args.distinct)
    built = documents_built(db, codes)
    db.dispose()
    table = datasette_db(Path(settings.database_url.removeprefix("sqlite:///")), args.data_dir / f"datasette-{args.entities}.db")

    ds_port, gs_port = 18901, 18902
    env = {**os.environ, "GONGSHI_INSTANCE_DIR": str(settings.instance_dir), "GONGSHI_RATE_LIMIT": UNLIMITED,
           "GONGSHI_REDIS_URL": args.redis_url or ""}
    env.pop("GONGSHI_DATABASE_URL", None)
    servers = {
        "datasette": (subprocess.Popen([str(BIN / "datasette"), "serve", "-i", str(table), "-p", str(ds_port)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
                      f"http://127.0.0.1:{ds_port}", f"/{table.stem}/enterprises/", ".json"),
        "gongshi": (subprocess.Popen([str(BIN / "gongshi"), "serve", "--port", str(gs_port), "--workers",
                                      str(args.workers), "--threads", str(args.threads)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
                    f"http://127.0.0.1:{gs_port}", "/api/v1/enterprises/", ""),
    }
    print(f"{args.entities:,} entities, {len(codes):,} distinct asked at random, wrk -t1 -c{args.connections} "
          f"-d{args.seconds}s, gongshi serve --workers {args.workers} --threads {args.threads}"
          f"{' with Redis' if args.redis_url else ''}; {built:,} of them with a document stored before the run",
          flush=True)
    results = {name: [] for name in servers}
    try:
        paths = {}
        for name, (process, base, prefix, suffix) in servers.items():
            wait_until_up(base + prefix + codes[0] + suffix, process)
            paths[name] = settings.instance_dir / f"bench-paths-{name}.txt"
            paths[name].write_text("".join(f"{prefix}{code}{suffix}\n" for code in codes))
        for n in range(args.rounds):
            for name, (_, base, _, _) in servers.items():
                wrk(base, paths[name], 2, args.connections)  # warm up: connections, page cache
                r = wrk(base, paths[name], args.seconds, args.connections)
                results[name].append(r)
                print(f"round {n + 1}  {name:9} {r['rps']:8,.0f} req/s   p50 {r['p50']:6.2f} ms   "
                      f"p99 {r['p99']:6.2f} ms   errors {r['errors']}", flush=True)
    finally:
        for process, *_ in servers.values():
            process.terminate()
            process.wait(timeout=30)
    median = {name: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50", "p99")}
              for name, rs in results.items()}
    ds, gs = median["datasette"], median["gongshi"]
    print(f"median     gongshi/datasette: {gs['rps'] / ds['rps']:.2f}× req/s; "
          f"p99 {gs['p99']:.2f} ms vs {ds['p99']:.2f} ms; p50 {gs['p50']:.2f} ms vs {ds['p50']:.2f} ms")


if __name__ == "__main__":
    main()
