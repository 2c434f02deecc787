"""A large table read and validated in a second process while this one loads it.

The two passes of an ingest (validate every row, then write) cost about the same, so on a
machine with two cores the first runs beside the second: a child process reads the table,
validates each row (grouping a results file's per-item rows into inspections) and sends the
records here in batches; the loader writes them inside its transaction as they come. Nothing is
committed before the child has read the last row, so a problem anywhere still refuses the whole
file, with every problem listed, and writes nothing.

Grouping while streaming holds for files whose rows of one inspection are adjacent (the way
departments publish them). When an inspection's rows turn out to be apart, the child says so at
once; the caller rolls back and ingests the file the two-pass way (ingest/load.py's
StagedInspections), which groups rows wherever they are.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from gongshi.ingest.collector import fewer_collections
from gongshi.ingest.errors import IngestError
from gongshi.ingest.limits import Limits
from gongshi.ingest.load import BATCH, group_adjacent, inspection_key
from gongshi.ingest.parse import Counted, map_headers, parse_rows
from gongshi.ingest.readers import ReadError, read_table

STREAM_BYTES = 8 * 1024 * 1024  # smaller files: a second process would cost more than it saves


class RowsApart(Exception):
    """The rows of one inspection are not adjacent: the file must be grouped the two-pass way."""


@dataclass(frozen=True)
class Source:
    """What the child needs to read the table as the caller did."""
    path: Path
    name: str
    file_format: str
    kind: str
    limits: Limits
    plan_name: str | None
    year: int | None
    progress: bool


class StreamedRecords:
    """Records of a table (inspections, for results) as the child validates them; `rows` holds
    the number of records read once the iteration is done."""

    def __init__(self, source: Source):
        context = multiprocessing.get_context("spawn")  # no copy of this process's connections
        self._conn, child_conn = context.Pipe(duplex=False)
        self._child = context.Process(target=_produce, args=(source, child_conn), daemon=True)
        self._child.start()
        child_conn.close()
        self.rows, self.finished = 0, False  # finished: the child's last word has been heard

    def __iter__(self) -> Iterator[dict]:
        while True:
            try:
                kind, payload = self._conn.recv()
            except EOFError:  # killed, or out of memory: it could not say why
                self.finished = True
                self._child.join(timeout=5)
                raise RuntimeError(f"读取进程意外退出（退出码 {self._child.exitcode}）"
                                   f" / the reading process died (exit code {self._child.exitcode})") from None
            if kind == "batch":
                yield from payload
                continue
            self.finished = True
            if kind == "done":
                self.rows, problems = payload
                if problems:
                    raise IngestError(problems)
                return
            elif kind == "apart":
                raise RowsApart(payload)
            elif kind == "unreadable":
                raise ReadError(*payload)
            elif kind == "refused":
                raise IngestError(payload)
            else:
                raise RuntimeError(f"读取进程出错 / the reading process failed:\n{payload}")

    def problems(self) -> list:
        """The rest of the child's records skipped, the problems it found in the whole file: the
        loader refused the file before its end, and the reader's list is the full one."""
        try:
            for _ in self:
                pass
        except IngestError as exc:
            return exc.problems
        except (RowsApart, RuntimeError):
            pass
        return []

    def __enter__(self) -> StreamedRecords:
        return self

    def __exit__(self, *exc) -> None:
        self._conn.close()  # a child still sending stops at its next batch
        self._child.join(timeout=5)
        if self._child.is_alive():
            self._child.kill()
            self._child.join()


def _produce(source: Source, conn) -> None:
    """The child: read, validate and group; every outcome ends in one message."""
    try:
        with fewer_collections():
            _send_records(source, conn)
    except RowsApart as exc:
        conn.send(("apart", exc.args[0]))
    except ReadError as exc:
        conn.send(("unreadable", exc.problems))
    except IngestError as exc:
        conn.send(("refused", exc.problems))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the loader stopped (failed or rolled back): nobody is listening
    except Exception:  # noqa: BLE001 — carried to the loader, which raises it
        conn.send(("failed", traceback.format_exc()))
    finally:
        conn.close()


def _send_records(source: Source, conn) -> None:
    table = read_table(source.path, source.name, source.file_format, source.limits)
    mapping, problems = map_headers(table, source.kind)
    table.rows = tqdm(table.rows, desc=source.name, unit=" 行", disable=not source.progress, mininterval=0.5)
    records = Counted(parse_rows(table, mapping, problems, plan_name=source.plan_name, year=source.year))
    batch = []
    for record in _adjacent_groups(records) if source.kind == "result" else records:
        batch.append(record)
        if len(batch) == BATCH:
            conn.send(("batch", batch))
            batch = []
    conn.send(("batch", batch))
    conn.send(("done", (records.count, problems)))


def _adjacent_groups(records) -> Iterator[dict]:
    """Each run of rows with the same task and entity as one inspection."""
    return group_adjacent(_keyed_once(records))


def _keyed_once(records) -> Iterator[tuple[str, dict]]:
    """(inspection_key, row) pairs; RowsApart when a key comes back after other rows (16-byte
    digests of the keys met: memory stays small)."""
    met: set[bytes] = set()
    key = None
    for record in records:
        next_key = inspection_key(record)
        if next_key != key:
            digest = hashlib.blake2b(next_key.encode(), digest_size=16).digest()
            if digest in met:
                raise RowsApart(record["row"])
            met.add(digest)
            key = next_key
        yield next_key, record
