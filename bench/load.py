"""Load test of the deployment in deploy/: 100 concurrent clients for 60 s through Debian's nginx
(deploy/nginx-gongshi.conf) to `gongshi serve` on PostgreSQL (and Redis when given), on a mix of
40 % search pages, 30 % entity pages, 25 % API calls and 5 % downloads. Prints, per kind, the
requests, errors (socket errors and answers other than 2xx/3xx) and latency p50/p99.

    .venv/bin/python bench/load.py --database-url postgresql+psycopg://…/gongshi_bench
    .venv/bin/python bench/load.py --database-url … --entities 20000 --redis-url redis://127.0.0.1:6379/0

Each kind is one wrk process whose connections are its share of the clients, each request a path
drawn at random from a list (bench/paths.lua); all four run at once. The API's rate limit is
off: every client here comes from one address. The city is generated, loaded and indexed once per
size and database (bench/api.py's store, in bench-data/api-<N>/).
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bench.api import sample_usccs, store_for  # noqa: E402
from bench.datasette import wait_until_up, wrk  # noqa: E402
from gongshi import search  # noqa: E402
from gongshi.store.models import MarketEntity  # noqa: E402
from tests.deployment import free_port, nginx_command, nginx_config, stop, wait_for  # noqa: E402

MIX = {"search": 0.40, "entity page": 0.30, "api": 0.25, "download": 0.05}
DOWNLOADS = ["/downloads/", "/downloads/datapackage.json", "/downloads/departments.csv", "/downloads/plans.csv",
             "/downloads/tasks.csv", "/downloads/coverage.csv", "/downloads/check-items.jsonl",
             "/downloads/inspections.csv?year=2024&department=1"]


def paths_by_kind(db, codes: list[str]) -> dict[str, list[str]]:
    """Searches for two or three characters of real names and for whole USCCs; pages and API
    calls for entities spread over the store; a few lists; the smaller downloads."""
    rng = random.Random(7)
    with db.session() as session:
        names = list(session.scalars(select(MarketEntity.name).where(MarketEntity.uscc.in_(codes[:2000]))))
    terms = [name[i:i + rng.choice((2, 3))] for name in names for i in (3, 5)] + codes[:200]
    return {
        "search": [f"/search?q={quote(t)}" for t in terms],
        "entity page": [f"/enterprises/{c}" for c in codes],
        "api": [f"/api/v1/enterprises/{c}" for c in codes] +
               [f"/api/v1/search?q={quote(t)}" for t in terms[:500]] +
               ["/api/v1/inspections?limit=50", "/api/v1/tasks?limit=50", "/api/v1/stats/coverage"] * 20,
        "download": DOWNLOADS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="PostgreSQL")
    parser.add_argument("--entities", type=int, default=20_000)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench-data")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--redis-url")
    args = parser.parse_args()

    settings, db = store_for(args.entities, args.data_dir, args.database_url)
    if not (settings.instance_dir / "indexed").exists():
        search.index_all(db, settings.index_dir)
        (settings.instance_dir / "indexed").touch()
    paths = paths_by_kind(db, sample_usccs(db, 5000))
    db.dispose()

    tmp = Path(tempfile.mkdtemp(prefix="gongshi-load-"))
    env = {**os.environ, "GONGSHI_INSTANCE_DIR": str(settings.instance_dir), "GONGSHI_DATABASE_URL": args.database_url,
           "GONGSHI_RATE_LIMIT": "off", "GONGSHI_TRUSTED_PROXIES": "1", "GONGSHI_REDIS_URL": args.redis_url or ""}
    app_port, port = free_port(), free_port()
    app = subprocess.Popen([str(Path(sys.executable).parent / "gongshi"), "serve", "--port", str(app_port),
                            "--workers", str(args.workers), "--threads", str(args.threads)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nginx = subprocess.Popen(nginx_command(nginx_config(tmp, port, app_port, worker_connections=4 * args.clients)))
    try:
        wait_for(app_port, "gongshi serve", app)
        wait_for(port, "nginx", nginx)
        for kind in MIX:  # every worker has answered each kind once: imports, index readers
            for _ in range(args.workers * 2):
                wait_until_up(f"http://127.0.0.1:{port}{paths[kind][0]}", app)
        print(f"{args.entities:,} entities on PostgreSQL{' + Redis' if args.redis_url else ''}, nginx → gongshi serve "
              f"--workers {args.workers} --threads {args.threads}; {args.clients} clients for {args.seconds} s",
              flush=True)
        runs = {}
        for kind, share in MIX.items():
            listing = tmp / f"{kind.replace(' ', '-')}.txt"
            listing.write_text("\n".join(paths[kind]) + "\n")
            runs[kind] = listing, max(1, round(share * args.clients))
        results = _concurrently(f"http://127.0.0.1:{port}", runs, args.seconds)
    finally:
        stop(nginx)
        stop(app)
    total_errors = 0
    for kind, r in results.items():
        total_errors += r["errors"]
        print(f"{kind:12} {runs[kind][1]:3} clients {r['requests']:7,} requests {r['rps']:7,.0f} req/s   "
              f"errors {r['errors']:4} (non-2xx/3xx {r['non_2xx']}, timeouts {r['timeouts']})   p50 {r['p50']:8.2f} ms   p99 {r['p99']:8.2f} ms")
    print(f"errors in all: {total_errors}")


def _concurrently(base: str, runs: dict, seconds: int) -> dict:
    """The wrk runs at once, one thread waiting on each."""
    with ThreadPoolExecutor(len(runs)) as pool:
        # A client waits as long as nginx waits for the application (proxy_read_timeout, 60 s).
        futures = {kind: pool.submit(wrk, base, listing, seconds, clients, 60) for kind, (listing, clients) in runs.items()}
        return {kind: f.result() for kind, f in futures.items()}


if __name__ == "__main__":
    main()
