"""Benchmark: stream whole datasets from /downloads/ and watch the process's memory.

    .venv/bin/python bench/export.py                       # 1,000,000 entities, SQLite
    .venv/bin/python bench/export.py --entities 100000 --formats csv xlsx

Uses the store bench/api.py builds (bench-data/api-<N>/). Each download goes through the WSGI
application in-process and is read chunk by chunk and thrown away, as a client saving it to
disk would; a thread samples resident memory (VmRSS) every 50 ms meanwhile. Flat memory means
the peak stays near the start whatever the number of rows.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the project's `api` package, not bench/api.py

from gongshi.app import create_app  # noqa: E402

SAMPLE_SECONDS = 0.05


def _bench_api():
    spec = importlib.util.spec_from_file_location("bench_api", Path(__file__).with_name("api.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def stream(client, url: str) -> tuple[int, int, float, list[float]]:
    """(bytes, lines, seconds, RSS samples) of one download read to the end."""
    samples, done = [rss_mib()], threading.Event()

    def sample():
        while not done.wait(SAMPLE_SECONDS):
            samples.append(rss_mib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    size = lines = 0
    start = time.perf_counter()
    response = client.get(url, buffered=False)
    assert response.status_code == 200, response.status_code
    for chunk in response.iter_encoded():
        size += len(chunk)
        lines += chunk.count(b"\n")
    response.close()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    samples.append(rss_mib())
    return size, lines, elapsed, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--datasets", nargs="+", default=["enterprises", "inspections", "findings"])
    parser.add_argument("--formats", nargs="+", default=["csv", "jsonl", "xlsx"])
    parser.add_argument("--database-url")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench-data")
    args = parser.parse_args()
    settings, db = _bench_api().store_for(args.entities, args.data_dir, args.database_url)
    client = create_app(settings, database=db).test_client()
    print(f"{args.entities:,}-entity city, {db.engine.dialect.name}; RSS at start {rss_mib():,.0f} MiB", flush=True)
    for dataset in args.datasets:
        for fmt in args.formats:
            size, lines, seconds, rss = stream(client, f"/downloads/{dataset}.{fmt}")
            header = 1 if fmt == "csv" else 0
            rows = f"{lines - header:>10,} rows" if fmt != "xlsx" else f"{'':>15}"
            print(f"{dataset:12} {fmt:5} {size / 2**20:8,.1f} MiB {rows} {seconds:7.1f} s   "
                  f"RSS start {rss[0]:6,.0f}  peak {max(rss):6,.0f}  end {rss[-1]:6,.0f} MiB", flush=True)
    db.dispose()


if __name__ == "__main__":
    main()
