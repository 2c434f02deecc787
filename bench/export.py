"""Benchmark: stream whole datasets from /downloads/ and watch the process's memory.

    .venv/bin/python bench/export.py                       # 1,000,000 entities, SQLite
    .venv/bin/python bench/export.py --entities 100000 --formats csv xlsx

Uses the store bench/api.py builds (bench-data/api-<N>/). Each download goes through the WSGI
application in-process and is read chunk by chunk and thrown away, as a client saving it to
disk would; a thread samples resident memory (VmRSS) every 50 ms meanwhile. Flat memory means
the peak stays near the start whatever the number of rows.

    .venv/bin/python bench/export.py --writers 1000000     # the XLSX writers alone (pip install '.[bench]')

compares the XLSX writers on the same synthetic rows (shaped like the inspections dataset: text,
numbers, dates, booleans, gaps), each writing a workbook to a temporary file: openpyxl's
write-only mode (with lxml), xlsxwriter's constant_memory mode, and api/xlsx.py, which the
downloads use. CPU seconds are printed beside wall seconds: on a shared machine they vary less.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the project's `api` package, not bench/api.py

from gongshi.api.xlsx import write_xlsx  # noqa: E402
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


@contextmanager
def rss_sampled() -> Iterator[list[float]]:
    """Resident memory sampled every SAMPLE_SECONDS while the block runs (start and end included)."""
    samples, done = [rss_mib()], threading.Event()

    def sample():
        while not done.wait(SAMPLE_SECONDS):
            samples.append(rss_mib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield samples
    finally:
        done.set()
        sampler.join()
        samples.append(rss_mib())


def stream(client, url: str) -> tuple[int, int, float, list[float]]:
    """(bytes, lines, seconds, RSS samples) of one download read to the end."""
    size = lines = 0
    with rss_sampled() as samples:
        start = time.perf_counter()
        response = client.get(url, buffered=False)
        assert response.status_code == 200, response.status_code
        for chunk in response.iter_encoded():
            size += len(chunk)
            lines += chunk.count(b"\n")
        response.close()
        elapsed = time.perf_counter() - start
    return size, lines, elapsed, samples


def synthetic_rows(n: int):
    """`n` rows of 17 values in the shape of the inspections dataset."""
    day = dt.date(2024, 5, 1)
    for i in range(n):
        yield [i, f"91320600{i:010d}", f"南通市测试商店{i}有限公司", "NT-2024-001", "2024年度食品经营者检查",
               "南通市市场监督管理局", "市场监管", i % 3 == 0, day, None if i % 5 else day, i % 7 == 0, "未发现问题",
               "", True, "results.csv", i + 2, Decimal("1234.50")]


SYNTHETIC_COLUMNS = [f"c{n}" for n in range(17)]


def _openpyxl(out, rows) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("数据1")
    sheet.append(SYNTHETIC_COLUMNS)
    for row in rows:  # text as text cells, as the downloads did with openpyxl
        sheet.append([WriteOnlyCell(sheet, value=v) if isinstance(v, str) else v for v in row])
    book.save(out)


def _xlsxwriter(out, rows) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "default_date_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet("数据1")
    sheet.write_row(0, 0, SYNTHETIC_COLUMNS)
    for n, row in enumerate(rows, 1):
        sheet.write_row(n, 0, row)
    book.close()


def compare_writers(rows: int) -> None:
    for name, write in (("openpyxl write-only + lxml", _openpyxl), ("xlsxwriter constant_memory", _xlsxwriter),
                        ("gongshi.api.xlsx", lambda out, r: write_xlsx(out, SYNTHETIC_COLUMNS, r))):
        with rss_sampled() as samples, tempfile.TemporaryFile() as out:
            cpu, start = os.times(), time.perf_counter()
            write(out, synthetic_rows(rows))
            size = out.tell()
            wall, after = time.perf_counter() - start, os.times()
        print(f"{name:28} {rows:>10,} rows {wall:7.1f} s wall {after.user + after.system - cpu.user - cpu.system:7.1f} s "
              f"CPU  {size / 2**20:7.1f} MiB   RSS start {samples[0]:5,.0f} peak {max(samples):5,.0f} MiB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--datasets", nargs="+", default=["enterprises", "inspections", "findings"])
    parser.add_argument("--formats", nargs="+", default=["csv", "jsonl", "xlsx"])
    parser.add_argument("--database-url")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench-data")
    parser.add_argument("--writers", type=int, metavar="ROWS", help="compare the XLSX writers on ROWS synthetic rows")
    args = parser.parse_args()
    if args.writers:
        return compare_writers(args.writers)
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
