"""Builders for published-style files and valid identifiers used across the tests, and a running
`gongshi serve`."""
from __future__ import annotations

import csv
import datetime as dt
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select
from stdnum.cn.uscc import calc_check_digit

from gongshi.ingest import pipeline
from gongshi.store.models import Base


def uscc(n: int, authority: str = "91", region: str = "320602") -> str:
    """A valid USCC: authority + region + 9-character organisation code + check character."""
    body = f"{authority}{region}MA{n:07d}"[:17]
    return body + calc_check_digit(body)


def write_csv(path: Path, header: list[str], rows: list[list], *, encoding: str = "utf-8-sig",
              title: str | None = None, delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, delimiter=delimiter)
        if title:
            writer.writerow([title])
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list], *, title: str | None = None) -> Path:
    """An XLSX as departments publish it: a merged title row above the header."""
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def dump(db, *, provenance: bool = True) -> dict[str, list[tuple]]:
    """Every row of every table, ordered: compares a store's contents before and after.
    Without provenance, the columns that say where a fact came from, and the surrogate ids that
    depend on load order, are left out."""
    skip = {"source_id", "source_row", "ingest_run_id", "id", "inspection_id", "task_id", "entity_id", "plan_id",
            "office_id", "lead_office_id", "credit_event_id", "natural_key", "content_hash"}
    out = {}
    with db.session() as session:
        for table in Base.metadata.sorted_tables:
            if not provenance and table.name in {"source", "ingest_run", "revision", "source_feed"}:
                continue
            cols = [c for c in table.columns if provenance or c.name not in skip]
            rows = session.execute(select(*cols).order_by(*table.primary_key.columns)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def excel_date(d: dt.date) -> int:
    return (d - dt.date(1899, 12, 30)).days


def ingest(db, settings, uri: str, options=None):
    """The ingest alone (no index update), with the test's instance folder, default deadline and limits."""
    return pipeline.ingest(db, uri, options, instance_dir=settings.instance_dir,
                           default_deadline_days=settings.deadline_working_days, limits=settings.limits)


CITY_KINDS = ("entity", "task", "result", "credit")


def ingest_city(db, settings, files: dict, kinds=CITY_KINDS) -> None:
    """A generated city's files (gongshi.democity.generate_city), each as its kind, in load order."""
    for kind in kinds:
        ingest(db, settings, str(files[kind]), pipeline.Options(kind=kind))


@contextmanager
def serving(command: list[str], env: dict[str, str]) -> Iterator[str]:
    """Run `gongshi serve` (as `command`, without --port) on a free port until it answers HTTP;
    yields its base URL and stops it afterwards, whatever happened."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([*command, "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # waiting for the server to start, not a timing assertion
            if server.poll() is not None:
                raise AssertionError(f"gongshi serve exited: {server.stdout.read().decode(errors='replace')}")
            try:
                urllib.request.urlopen(base + "/", timeout=5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("gongshi serve did not answer")
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)  # gunicorn lets its workers finish what they were doing
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
