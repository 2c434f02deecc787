"""Writing whole segments fast and in bounded memory: documents made and written in two
processes, postings kept as arrays of document numbers and spilled to disk in sorted runs.

Whoosh's own writer keeps one Python tuple per posting (about 70 a document) in a sorting pool,
pickles the pool to disk in runs whenever `limitmb` fills and merges the runs at commit; and
its multiprocessing writer makes the documents in the parent process and pickles them to the
sub-writers. Here the parent only reads rows from the store (search.source.rows: cheap, and in
the caller's transaction) and hands them in turn to WORKERS processes; each makes the documents
(folding, hashing: most of the work) and writes one segment with a SegmentWriter whose pool
is `_Postings`, then the parent commits the segments together. Every field of this schema is
in the Existence format (no positions, no weights), so a term's postings are just its document
numbers, in the order the documents were added. Rows reach a worker in the order they were
read, so each segment keeps the order of search.source.all_ids (see search.engine).

A worker's memory is bounded: when its postings reach POSTINGS_BOUND (estimated bytes) they
are written to an unnamed temporary file as one run, sorted by field and term, and the writer
goes on empty; at commit the runs are merged term by term, a term's document numbers from
earlier runs first, so the segment is the one it would be without runs (and the search results
with it). Stored fields and the check column go to the segment's files as documents are added.
What still grows with a segment's documents is small: the columns' offsets (~10 bytes a
document) and, at commit, the table of its terms (~16 bytes a term, ~50 a document; kept in
arrays by `_TermBucket`). The workers are started fresh (spawn), not forked, so that none holds
a copy of the caller's memory (an ingest's, say).
"""
from __future__ import annotations

import heapq
import marshal
import multiprocessing
import queue
import sys
import tempfile
import traceback
from array import array
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from typing import IO

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3FieldWriter, W3PostingsWriter
from whoosh.writing import SegmentWriter

from gongshi.search import source
from gongshi.search.text import TermsTokenizer

WORKERS = 2  # the machine the design targets has two cores
BACKLOG = 3  # row batches queued per worker: bounds what the reading process holds
POLL = 1.0  # seconds between checks that the workers are still alive
POSTINGS_BOUND = 96 * 2**20  # estimated bytes of postings a writer holds before it spills a run
TERM_BYTES = 200  # estimated memory of a term new to a run: its string, its array, its dict slot
CHUNK_BYTES = 2**18  # a run is written and read back in pieces of about this size


class BuildError(RuntimeError):
    """An indexing process failed; the message carries its traceback."""


class _Postings:
    """Stands in for SegmentWriter's PostingPool: field → term → document numbers, spilled to a
    sorted run in a temporary file in `folder` whenever their estimated size reaches `bound`."""

    def __init__(self, bound: int, folder: str):
        self.fields: dict[str, dict[str, array]] = {}
        self.bound, self.size, self.folder = bound, 0, folder
        self.runs: list[IO[bytes]] = []

    def add_terms(self, fieldname: str, terms: Iterable[str], docnum: int) -> None:
        postings = self.fields.setdefault(fieldname, {})
        for term in terms:
            docnums = postings.get(term)
            if docnums is None:
                docnums = postings[term] = array("I")
                self.size += TERM_BYTES
            docnums.append(docnum)
            self.size += docnums.itemsize
        if self.size >= self.bound:
            self._spill()

    def add(self, posting: tuple) -> None:  # (field, term, docnum, weight, value) from Whoosh
        self.add_terms(posting[0], [posting[1].decode()], posting[2])

    def _sorted(self) -> Iterator[tuple[str, str, array]]:
        for fieldname, postings in sorted(self.fields.items()):
            for term in sorted(postings):  # code point order is UTF-8 byte order
                yield fieldname, term, postings[term]

    def _spill(self) -> None:
        # Unlinked: gone with the process however it ends; open until cleanup (so no `with`).
        run = tempfile.TemporaryFile(dir=self.folder)  # noqa: SIM115
        chunk, size = [], 0
        for fieldname, term, docnums in self._sorted():
            chunk.append((fieldname, term, docnums.tobytes()))
            size += TERM_BYTES + len(chunk[-1][2])
            if size >= CHUNK_BYTES:
                marshal.dump(chunk, run)
                chunk, size = [], 0
        marshal.dump(chunk, run)
        run.seek(0)
        self.runs.append(run)
        self.fields, self.size = {}, 0

    def items(self) -> Iterator[tuple[str, str, array]]:
        """Every (field, term, document numbers) in field and term order, the runs merged."""
        streams = [_read(run) for run in self.runs] + [self._sorted()]
        # Each (field, term) is once in a stream and a run's document numbers all precede the
        # next run's: the first number orders the pieces of a term.
        merged = heapq.merge(*streams, key=lambda item: (item[0], item[1], item[2][0]))
        for (fieldname, term), pieces in groupby(merged, key=itemgetter(0, 1)):
            docnums, *later = (piece[2] for piece in pieces)
            for more in later:
                docnums.extend(more)
            yield fieldname, term, docnums

    def cleanup(self) -> None:
        self.fields.clear()
        for run in self.runs:
            run.close()
        self.runs.clear()


def _read(run: IO[bytes]) -> Iterator[tuple[str, str, array]]:
    while True:
        try:
            chunk = marshal.load(run)
        except EOFError:
            return
        for fieldname, term, raw in chunk:
            docnums = array("I")
            docnums.frombytes(raw)
            yield fieldname, term, docnums


class BulkWriter(SegmentWriter):
    """A SegmentWriter for Existence-format fields. The fields analysed by a TermsTokenizer
    (not stored, no lengths) go straight to `_Postings` instead of through Whoosh's token
    stream; at commit the postings are written term by term. The segment's files stay apart:
    Whoosh reads a compound segment file by copying each part into memory (2.8 GB a searching
    process at 1,000,000 entities), separate files it reads through the operating system's cache."""

    def __init__(self, ix, bound: int | None = None, **kwargs):
        super().__init__(ix, compound=False, **kwargs)
        self.pool = _Postings(bound or POSTINGS_BOUND, ix.storage.folder)
        if isinstance(self.fieldwriter, W3FieldWriter):
            self.fieldwriter._tindex.buckets = [_TermBucket() for _ in range(256)]
        self._tokenizers = {name: field.analyzer for name, field in self.schema.items()
                            if isinstance(field.analyzer, TermsTokenizer)}

    def add_document(self, **fields):
        for name, tokenizer in self._tokenizers.items():
            value = fields.pop(name, None)
            if value:
                self.pool.add_terms(name, tokenizer.terms(value), self.docnum)
        super().add_document(**fields)

    def _flush_segment(self):
        self.perdocwriter.close()
        writer = self.fieldwriter
        for fieldname, terms in groupby(self.pool.items(), key=itemgetter(0)):
            writer.start_field(fieldname, self.schema[fieldname])
            for _, term, docnums in terms:
                writer.start_term(term.encode())
                _add_postings(writer, docnums)
                writer.finish_term()
            writer.finish_field()
        writer.close()


class _TermBucket:
    """One of the 256 buckets of Whoosh 3's term table (filetables.HashWriter), as two arrays:
    12 bytes a term, where Whoosh keeps a tuple of two integers (~130 bytes) until it closes."""

    def __init__(self):
        self.hashes, self.positions = array("I"), array("q")  # as the file stores them (_pointer)

    def append(self, entry: tuple[int, int]) -> None:
        self.hashes.append(entry[0])
        self.positions.append(entry[1])

    def __len__(self) -> int:
        return len(self.hashes)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self.hashes, self.positions)


def _add_postings(writer, docnums: array) -> None:
    """A term's postings, a block at a time into Whoosh 3's postings writer (one call each
    took a tenth of a build); one by one for another codec."""
    postings = writer._postwriter
    if type(postings) is not W3PostingsWriter:
        for docnum in docnums:
            writer.add(docnum, 1.0, b"", 0)
        return
    size = postings._blocklimit
    for start in range(0, len(docnums), size):
        if start:
            postings._write_block()
        block = postings._ids = docnums[start:start + size]
        postings._weights = array("f", [1.0]) * len(block)
        postings._maxweight = 1.0


def write_in_process(ix, batches: Iterable[list[tuple]], regions: dict[str, str],
                     progress: Callable[[int], None]) -> None:
    writer = BulkWriter(ix)
    try:
        for batch in batches:
            for row in batch:
                writer.add_document(**source.document(row, regions))
            progress(len(batch))
    except BaseException:
        writer.cancel()
        raise
    writer.commit(merge=False)


def _work(index_dir: str, jobs, results, regions: dict[str, str], bound: int) -> None:
    """One indexing process: documents from the row batches on `jobs`, into one new segment."""
    try:
        writer = BulkWriter(whoosh_index.open_dir(index_dir), bound, _lk=False)
        while (batch := jobs.get()) is not None:
            for row in batch:
                writer.add_document(**source.document(row, regions))
        if writer.doc_count():
            results.put(writer._finalize_segment())
        else:
            writer._close_segment()
            results.put(None)
    except BaseException:
        results.put(traceback.format_exc())
        sys.exit(1)


def _wait(step: Callable[..., object], workers: list, results, *args) -> object:
    """A queue's put or get, which may block: failing when a worker has failed meanwhile."""
    while True:
        try:
            return step(*args, timeout=POLL)
        except (queue.Full, queue.Empty):
            if any(w.exitcode not in (None, 0) for w in workers):
                reasons = []
                while not results.empty():
                    reasons += [r for r in [results.get()] if isinstance(r, str)]
                raise BuildError("索引进程出错：\n" + ("\n".join(reasons) or "进程意外退出")) from None


def write_in_parallel(ix, index_dir: str, batches: Iterable[list[tuple]], regions: dict[str, str],
                      progress: Callable[[int], None]) -> None:
    """Write the batches as one segment per worker and commit them together."""
    parent = SegmentWriter(ix)
    spawn = multiprocessing.get_context("spawn")
    jobs = [spawn.Queue(BACKLOG) for _ in range(WORKERS)]
    results = spawn.Queue()
    workers = [spawn.Process(target=_work, args=(index_dir, queue_, results, regions, POSTINGS_BOUND), daemon=True)
               for queue_ in jobs]
    for worker in workers:
        worker.start()
    try:
        for n, batch in enumerate(batches):  # in turn: the same segments every time
            _wait(jobs[n % WORKERS].put, workers, results, batch)
            progress(len(batch))
        for queue_ in jobs:
            _wait(queue_.put, workers, results, None)
        segments = [_wait(results.get, workers, results) for _ in workers]
        for worker in workers:
            worker.join()
        if any(isinstance(s, str) for s in segments):  # a traceback: failed after its last job
            raise BuildError("索引进程出错：\n" + "\n".join(s for s in segments if isinstance(s, str)))
    except BaseException:
        for worker in workers:
            worker.kill()
        parent.cancel()
        raise
    parent._close_segment()
    parent._commit_toc([s for s in segments if s is not None])
    parent._finish()
