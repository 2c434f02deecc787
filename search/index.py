"""The index on disk: versioned directories under `index_dir` and a pointer file.

A rebuild writes a new directory and then replaces the pointer file `CURRENT` atomically
(os.replace); readers compare the pointer's text with the one they opened and reopen when it
changed, so web processes answer from the old index until the new one is complete. An
incremental update writes a new segment into the current directory and bumps the pointer's
generation. The previous directory is kept for readers still using it; older ones are removed.

Documents are written most recently inspected first, and every segment keeps that order
(updates are sorted the same way and committed without merging), which lets a query take the
first matches of each segment instead of ranking every match (see search.engine). A rebuild
writes its segments with search.build, in two processes.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm
from whoosh import index as whoosh_index
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, FieldType, Schema
from whoosh.formats import Existence
from whoosh.searching import Searcher

from gongshi.search import build, source
from gongshi.search.text import TermsTokenizer
from gongshi.store.db import Database

POINTER = "CURRENT"
BUILDING = "BUILDING"  # in a version folder while a rebuild writes it (locked by that process)
# The layout of the documents and their terms; an index of another layout must be rebuilt.
# 2: code prefixes at search.text.CODE_PREFIXES, other text as bigrams, codes in the check column.
FORMAT, FORMAT_FILE = "2", "FORMAT"
# Below this many documents one process is faster than starting two (search.build).
PARALLEL_FROM = 20_000
WRITER_TIMEOUT = 120.0  # seconds to wait for another writer (an ingest, a rebuild)


class IndexUnavailable(RuntimeError):
    """There is no index yet, or it cannot be opened."""


def _terms(kind: str) -> FieldType:
    return FieldType(format=Existence(), analyzer=TermsTokenizer(kind))


def schema() -> Schema:
    # n: names, o: other text (address, region, plan…), c: codes, f: facets and type;
    # v: what a query checks per candidate (source.Checked); s: the payload a hit shows.
    return Schema(id=ID(unique=True, stored=True), n=_terms("name"), o=_terms("text"), c=_terms("code"),
                  f=_terms("raw"), v=COLUMN(VarBytesColumn()), s=STORED)


# --- the pointer ----------------------------------------------------------------------------

def read_pointer(index_dir: Path) -> tuple[str, int] | None:
    try:
        version, generation = (index_dir / POINTER).read_text().split()
        return version, int(generation)
    except (FileNotFoundError, ValueError):
        return None


def _write_pointer(index_dir: Path, version: str, generation: int) -> None:
    tmp = index_dir / f"{POINTER}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(f"{version} {generation}\n")
    os.replace(tmp, index_dir / POINTER)


def _open_current(index_dir: Path) -> tuple[str, whoosh_index.Index]:
    pointer = read_pointer(index_dir)
    if pointer is None or not (index_dir / pointer[0]).is_dir():
        raise IndexUnavailable("搜索索引尚未建立：请运行 gongshi index --rebuild")
    path = index_dir / pointer[0]
    if not (path / FORMAT_FILE).is_file() or (path / FORMAT_FILE).read_text().strip() != FORMAT:
        raise IndexUnavailable(f"搜索索引 {pointer[0]} 是旧的格式：请运行 gongshi index --rebuild")
    try:
        return pointer[0], whoosh_index.open_dir(str(path))
    except Exception as exc:  # a damaged or half-copied directory: any Whoosh error
        raise IndexUnavailable(f"搜索索引 {pointer[0]} 无法打开（{exc}）：请运行 gongshi index --rebuild") from exc


def _remove_old_versions(index_dir: Path, keep: set[str]) -> None:
    for path in _versions(index_dir):
        if path.name not in keep and not _building_now(path):
            shutil.rmtree(path, ignore_errors=True)


def remove_orphans(index_dir: Path) -> list[str]:
    """Remove the folders of rebuilds that died before they finished (killed, crashed): each
    still has its BUILDING file, whose lock no live process holds. Returns their names."""
    removed = []
    for path in _versions(index_dir):
        pointer = read_pointer(index_dir)
        if (path / BUILDING).exists() and not _building_now(path) and (pointer is None or pointer[0] != path.name):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


def _versions(index_dir: Path) -> list[Path]:
    return [p for p in index_dir.iterdir() if p.is_dir() and p.name.startswith("v")] if index_dir.is_dir() else []


def _building_now(path: Path) -> bool:
    """Whether a live process is writing this version (it holds the lock on its BUILDING file)."""
    try:
        with (path / BUILDING).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except FileNotFoundError:
        return False
    except BlockingIOError:
        return True
    return False


@contextmanager
def _build_lock(path: Path) -> Iterator[None]:
    """Marks `path` as being written for as long as this process lives in the block: the lock
    goes with the process, so a killed rebuild leaves a BUILDING file nobody holds."""
    with (path / BUILDING).open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            (path / BUILDING).unlink(missing_ok=True)


# --- writing --------------------------------------------------------------------------------

def index_all(db: Database, index_dir: Path, progress: bool = False) -> int:
    """Rebuild every document into a new directory, then switch the pointer to it."""
    index_dir.mkdir(parents=True, exist_ok=True)
    remove_orphans(index_dir)
    previous = read_pointer(index_dir)
    version = f"v{dt.datetime.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
    path = index_dir / version
    path.mkdir()
    with _build_lock(path):
        total = _build(db, path, progress)
        _write_pointer(index_dir, version, 0)
    _remove_old_versions(index_dir, {version, previous[0] if previous else version})
    return total


def _build(db: Database, path: Path, progress: bool) -> int:
    ix = whoosh_index.create_in(str(path), schema())
    (path / FORMAT_FILE).write_text(FORMAT)
    with db.session() as session:
        ids = {kind: source.all_ids(session, kind) for kind in source.TYPES}
        total = sum(map(len, ids.values()))
        regions = source.regions(session)
        batches = (batch for kind in source.TYPES for batch in source.rows(session, kind, ids[kind]))
        try:
            with tqdm(total=total, desc="索引", unit=" 条", disable=not progress, mininterval=0.5) as bar:
                if total >= PARALLEL_FROM:
                    build.write_in_parallel(ix, str(path), batches, regions, bar.update)
                else:
                    build.write_in_process(ix, batches, regions, bar.update)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
    return total


def update(db: Database, index_dir: Path, changed: dict[str, set[int]]) -> int:
    """Rewrite the documents of exactly the rows an ingest changed; returns how many. With no
    index yet (a new instance), the whole index is built instead."""
    if read_pointer(index_dir) is None:
        return index_all(db, index_dir)
    version, ix = _open_current(index_dir)
    with db.session() as session:
        wanted = source.affected(session, changed)
        docs = [doc for kind, ids in wanted.items() for doc in source.documents(session, kind, sorted(ids))]
    if not docs and not any(wanted.values()):
        return 0
    # Newest first inside the new segment, as in every other segment.
    docs.sort(key=lambda d: (-d["s"]["r"], source.order(d["id"])))
    found = {d["id"] for d in docs}
    writer = ix.writer(timeout=WRITER_TIMEOUT, compound=False)  # see search.build.BulkWriter
    try:
        for doc in docs:
            writer.update_document(**doc)
        for kind, ids in wanted.items():
            for row_id in ids:
                if source.doc_id(kind, row_id) not in found:  # the row is gone from the store
                    writer.delete_by_term("id", source.doc_id(kind, row_id))
    except BaseException:
        writer.cancel()
        raise
    writer.commit(merge=False)
    pointer = read_pointer(index_dir)
    _write_pointer(index_dir, version, (pointer[1] if pointer and pointer[0] == version else 0) + 1)
    return len(docs)


# --- checking -------------------------------------------------------------------------------

def repair(db: Database, index_dir: Path, drift: "Drift") -> int:
    """Rewrite or delete exactly the documents `check` found missing, extra or stale (a whole
    rebuild when there is no usable index); returns how many documents were written."""
    if drift.version is None:
        return index_all(db, index_dir)
    changed: dict[str, set[int]] = defaultdict(set)
    for did in drift.missing + drift.extra + drift.stale:
        kind, _, row_id = did.partition(":")
        changed[source.MODELS[kind].__tablename__].add(int(row_id))
    return update(db, index_dir, changed)


@dataclass
class Drift:
    """What differs between the store and the index (document ids such as 'enterprise:12')."""

    version: str | None
    problem: str | None = None  # why there is no usable index
    documents: int = 0
    segments: int = 0
    missing: list[str] = field(default_factory=list)  # in the store, not in the index
    extra: list[str] = field(default_factory=list)  # in the index, no longer in the store
    stale: list[str] = field(default_factory=list)  # indexed with content the store no longer has

    @property
    def ok(self) -> bool:
        return self.version is not None and not (self.missing or self.extra or self.stale)

    def summary(self) -> str:
        if self.version is None:
            return self.problem or "搜索索引尚未建立：请运行 gongshi index --rebuild"
        head = f"索引 {self.version}：{self.documents} 条文档，{self.segments} 个段"
        if self.ok:
            return f"{head}；与数据库一致"
        parts = [f"{label} {len(ids)} 条（如 {'、'.join(ids[:5])}）"
                 for label, ids in (("缺少", self.missing), ("多余", self.extra), ("过期", self.stale)) if ids]
        return f"{head}；与数据库不一致：{'；'.join(parts)}。请运行 gongshi index --rebuild"


def check(db: Database, index_dir: Path) -> Drift:
    try:
        version, ix = _open_current(index_dir)
    except IndexUnavailable as exc:
        return Drift(version=None, problem=str(exc))
    stamps = {}
    with ix.reader() as reader:
        for _, stored in reader.iter_docs():
            stamps[stored["id"]] = stored["s"]["h"]
        segments = len(reader.leaf_readers())
    drift = Drift(version=version, documents=len(stamps), segments=segments)
    with db.session() as session:
        for kind in source.TYPES:
            for doc in source.documents(session, kind, source.all_ids(session, kind)):
                stamp = stamps.pop(doc["id"], None)
                if stamp is None:
                    drift.missing.append(doc["id"])
                elif stamp != doc["s"]["h"]:
                    drift.stale.append(doc["id"])
    drift.extra = sorted(stamps)
    return drift


# --- reading --------------------------------------------------------------------------------

class _Searchers:
    """One open searcher per index directory and process, reopened when the pointer changes.
    Whoosh's file reads are not safe across threads, so searches hold `lock`."""

    def __init__(self):
        self.lock = threading.RLock()
        self._open: dict[Path, tuple[tuple[str, int], Searcher]] = {}

    def get(self, index_dir: Path) -> Searcher:
        pointer = read_pointer(index_dir)
        cached = self._open.get(index_dir)
        if cached and cached[0] == pointer:
            return cached[1]
        _, ix = _open_current(index_dir)
        searcher = ix.searcher()
        self._open[index_dir] = (pointer, searcher)
        if cached:
            cached[1].close()
        return searcher


searchers = _Searchers()
