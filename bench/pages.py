"""Benchmark: bytes a browser receives for the chart pages (/stats, an entity page), the page
itself plus every script and stylesheet it references, asked for with Accept-Encoding: gzip.

    .venv/bin/python bench/pages.py                        # 10,000-entity city, SQLite
    .venv/bin/python bench/pages.py --entities 100000

Uses the store bench/api.py builds (bench-data/api-<N>/). Requests go through the WSGI
application in-process, so the figures are what the application sends; the HTML is counted as
sent and as gzip would send it (nginx in deploy/ compresses pages, the application does not).
"""
from __future__ import annotations

import argparse
import gzip
import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the project's `api` package, not bench/api.py

from sqlalchemy import select  # noqa: E402

from gongshi.app import create_app  # noqa: E402
from gongshi.store.models import Inspection, MarketEntity  # noqa: E402

ASSET = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="(/static/[^"]+)"')
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def _bench_api():
    spec = importlib.util.spec_from_file_location("bench_api", Path(__file__).with_name("api.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def inspected_entity(db) -> str:
    with db.sessionmaker() as session:
        return session.scalar(select(MarketEntity.uscc).join(Inspection, Inspection.entity_id == MarketEntity.id)
                              .limit(1))


def weigh(client, url: str) -> None:
    page = client.get(url, headers=GZIP)
    assert page.status_code == 200, (url, page.status_code)
    html = page.get_data()
    print(f"{url}\n  {'page':58} {len(html):>10,} B sent   {len(gzip.compress(html)):>9,} B gzipped")
    total, total_gz = len(html), len(gzip.compress(html))
    for asset in ASSET.findall(html.decode()):
        response = client.get(asset, headers=GZIP)
        assert response.status_code == 200, (asset, response.status_code)
        size = len(response.get_data())
        total += size
        total_gz += size
        print(f"  {asset:58} {size:>10,} B sent   {response.headers.get('Content-Encoding', 'identity'):>9}   "
              f"{response.headers.get('Cache-Control', '')}")
    print(f"  {'total':58} {total:>10,} B sent   {total_gz:>9,} B with the page gzipped\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench-data")
    args = parser.parse_args()
    settings, db = _bench_api().store_for(args.entities, args.data_dir)
    client = create_app(settings, database=db).test_client()
    for url in ("/stats", f"/enterprises/{inspected_entity(db)}"):
        weigh(client, url)
    db.dispose()


if __name__ == "__main__":
    main()
