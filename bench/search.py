"""Benchmark and analyzer comparison for search/.

    .venv/bin/python bench/search.py --entities 100000      # build, query latency, incremental update
    .venv/bin/python bench/search.py --entities 1000000 --repeat 3   # the median of three runs
    .venv/bin/python bench/search.py --compare              # analyzers judged on the relevance set

The city is generated and ingested once per size into bench-data/search-city-N/ (SQLite) and
reused. Figures:
- build: `index_all` (both cores) in documents per second, and the segments it wrote;
- latency: every query of tests/relevance/queries.toml, warm (index open, one untimed round),
  five timed rounds; p50 / p95 / max and the slowest queries;
- update: `update` of 1,000 changed entities into the full index.

--compare builds the relevance city (2,000 entities) and judges, with the relevance set, this
package's engine (characters + bigrams, rarest piece checked against the name) against plain
Whoosh with jieba's ChineseAnalyzer and with a bigram analyzer (phrase queries, BM25 ranking).
It needs jieba (`pip install -e '.[bench]'`).
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gongshi.cli import SAMPLE_DIR as SAMPLE  # noqa: E402
from gongshi.config import Settings  # noqa: E402
from gongshi.democity import generate_city  # noqa: E402
from gongshi.ingest.pipeline import Options, ingest  # noqa: E402
from gongshi.search import index_all, search, update  # noqa: E402
from gongshi.search.index import searchers  # noqa: E402
from gongshi.search.relevance import Answer, evaluate, load  # noqa: E402
from gongshi.search.text import fold  # noqa: E402
from gongshi.store.db import Database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def city(entities: int, seed: int, base: Path) -> tuple[Database, Settings]:
    """A store holding the generated city and Jiangsu's 2021 tasks, loaded once."""
    out = base / f"search-city-{entities}" if seed == 20210423 else base / f"search-city-{entities}-{seed}"
    settings = Settings.from_env({}, instance_dir=out / "instance")
    settings.ensure_dirs()
    db = Database(settings.database_url)
    if not (out / "instance" / "LOADED").exists():
        db.upgrade()
        print(f"generating and loading a city of {entities:,} entities into {out} …", flush=True)
        paths = generate_city(out / "files", entities=entities, seed=seed)
        ingest(db, str(SAMPLE / "jiangsu_2021_tasks.csv"), Options(kind="task", year=2021), instance_dir=settings.instance_dir)
        ingest(db, str(SAMPLE / "nantong_checklist.csv"), Options(kind="checklist"), instance_dir=settings.instance_dir)
        for kind in ("entity", "task", "result", "credit"):
            ingest(db, str(paths[kind]), Options(kind=kind), instance_dir=settings.instance_dir)
        (out / "instance" / "LOADED").write_text("ok")
    return db, settings


def _latency(settings: Settings) -> dict[str, float]:
    """Every relevance query, warm (one untimed round), five timed rounds."""
    queries = [case["query"] for case in load()[1]]
    for q in queries:
        search(settings.index_dir, q)
    timings: dict[str, list[float]] = {q: [] for q in queries}
    cpu: list[float] = []  # the CPU time of each query: what it costs on a free core
    for _ in range(5):
        for q in queries:
            t, c = time.perf_counter(), time.process_time()
            search(settings.index_dir, q)
            timings[q].append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    flat, cpu = sorted(x for xs in timings.values() for x in xs), sorted(cpu)
    figures = {"p50": statistics.median(flat), "p95": flat[int(len(flat) * 0.95) - 1], "max": flat[-1]}
    print(f"latency over {len(queries)} queries × 5: p50 {figures['p50']:.1f} ms, "
          f"p95 {figures['p95']:.1f} ms, max {figures['max']:.1f} ms; CPU time p50 {statistics.median(cpu):.1f} ms, "
          f"p95 {cpu[int(len(cpu) * 0.95) - 1]:.1f} ms, max {cpu[-1]:.1f} ms")
    slowest = sorted(timings.items(), key=lambda kv: -max(kv[1]))[:6]
    print("slowest: " + ", ".join(f"{q} {max(t):.1f} ms" for q, t in slowest))
    return figures


def _cpu() -> float:
    """User + system seconds of this process and its finished children."""
    return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage, (resource.RUSAGE_SELF,
                                                                           resource.RUSAGE_CHILDREN)))


def bench_once(db: Database, settings: Settings) -> dict[str, float]:
    started, cpu = time.perf_counter(), _cpu()
    docs = index_all(db, settings.index_dir, progress=True)
    took, cpu = time.perf_counter() - started, _cpu() - cpu
    segments = len(searchers.get(settings.index_dir).reader().leaf_readers())
    # CPU time too: on a shared machine the wall clock also counts other people's work.
    print(f"build: {docs:,} documents in {took:.1f} s = {docs / took:,.0f} documents/s ({segments} segments); "
          f"{cpu:.1f} CPU-s (reading + indexing processes) = {docs / cpu * 2:,.0f} documents/s on two free cores")
    figures = {"build": docs / took, "build_cpu": docs / cpu * 2, **_latency(settings)}
    for q in ("有限公司", "南通市", "餐饮", "店"):
        r = search(settings.index_dir, q)
        print(f"  {q}: total {'' if r.total_exact else '≈'}{r.total:,}, first {r.hits[0].name if r.hits else None}")

    from sqlalchemy import select

    from gongshi.store.models import MarketEntity
    with db.session() as session:
        ids = set(session.scalars(select(MarketEntity.id).order_by(MarketEntity.id).limit(1000)))
    started = time.perf_counter()
    n = update(db, settings.index_dir, {"market_entity": ids})
    figures["update"] = time.perf_counter() - started
    print(f"update: {n:,} changed entities in {figures['update']:.2f} s")
    return figures


def bench(entities: int, repeat: int) -> None:
    db, settings = city(entities, 20210423, ROOT / "bench-data")
    runs = [bench_once(db, settings) for _ in range(repeat)]
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    print(f"median of {repeat}: build {median['build']:,.0f} documents/s ({median['build_cpu']:,.0f} on two free "
          f"cores); latency p50 {median['p50']:.1f} ms, "
          f"p95 {median['p95']:.1f} ms, max {median['max']:.1f} ms; update of 1,000 {median['update']:.2f} s; "
          f"peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB, "
          f"of an indexing process {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:,.0f} MiB")


# --- analyzers compared -----------------------------------------------------------------------

def _whoosh_engine(entities_docs, analyzer, phrase: bool):
    """Plain Whoosh: names analysed by `analyzer`, USCCs as IDs, BM25 ranking."""
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.filedb.filestore import RamStorage
    from whoosh.qparser import QueryParser
    from whoosh.query import Or, Prefix, Term

    ix = RamStorage().create_index(Schema(code=ID(stored=True), name=TEXT(analyzer=analyzer, stored=True),
                                          kind=ID(stored=True)))
    with ix.writer() as writer:
        for kind, name, code in entities_docs:
            writer.add_document(code=code or "", name=name, kind=kind)
    parser = QueryParser("name", ix.schema)
    searcher = ix.searcher()

    def run(query: str) -> Answer:
        q = fold(query)
        text = f'"{q}"' if phrase else q
        parsed = Or([parser.parse(text), Term("code", q), Prefix("code", q)]) if q else parser.parse(text)
        hits = searcher.search(parsed, limit=20)
        found = [(h["kind"], h["name"], [fold(h["name"])]) for h in hits]
        exact = next((h["name"] for h in hits if h["code"] == q), None)
        return Answer(found, exact, [])
    return run


def compare() -> None:
    from jieba.analyse import ChineseAnalyzer
    from sqlalchemy import select
    from whoosh.analysis import NgramAnalyzer

    from gongshi.store.models import CheckItem, MarketEntity, Task

    city_spec, cases = load()
    with tempfile.TemporaryDirectory() as tmp:
        db, settings = city(city_spec["entities"], city_spec["seed"], Path(tmp))
        index_all(db, settings.index_dir)
        with db.session() as session:
            docs = [("enterprise", n, c) for n, c in session.execute(select(MarketEntity.name, MarketEntity.uscc))]
            docs += [("task", n, c) for n, c in session.execute(select(Task.name, Task.task_no))]
            docs += [("check_item", n, None) for (n,) in session.execute(select(CheckItem.name))]

        def ours(query: str) -> Answer:
            r = search(settings.index_dir, query)
            return Answer([(h.type, h.name, [fold(t) for t in [h.name, *h.extra.get("former_names", []),
                                                               h.extra.get("address"), h.extra.get("region")] if t])
                           for h in r.hits], r.exact.name if r.exact else None, r.suggestions)

        engines = {
            "characters+bigrams, rarest piece checked (search/)": ours,
            "jieba ChineseAnalyzer, Whoosh AND + BM25": _whoosh_engine(docs, ChineseAnalyzer(), phrase=False),
            "bigrams (NgramAnalyzer 2), Whoosh phrase + BM25": _whoosh_engine(docs, NgramAnalyzer(2), phrase=True),
        }
        for label, run in engines.items():
            started = time.perf_counter()
            failures = evaluate(run, cases)
            took = (time.perf_counter() - started) / len(cases) * 1000
            print(f"{label}: {len(cases) - len(failures)}/{len(cases)} cases pass, {took:.1f} ms a query")
            for query, problem in list(failures.items())[:4]:
                print(f"    {query}: {problem}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1, help="run the build, latency and update this many "
                        "times and print the median of each (the machine is shared)")
    parser.add_argument("--compare", action="store_true", help="judge analyzers on the relevance set")
    args = parser.parse_args()
    compare() if args.compare else bench(args.entities, args.repeat)


if __name__ == "__main__":
    main()
