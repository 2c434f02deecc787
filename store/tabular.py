"""Tables as files people open in Excel: the one CSV writer every download uses, with cells that
Excel would run as formulas made inert, and worksheet titles Excel accepts."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator

from gongshi.store.localtime import local

BOM = "\ufeff"  # so that Excel reads the file as UTF-8 (Chinese)
CHUNK = 1 << 16
# A cell starting with one of these is a formula (or starts one) in Excel and LibreOffice: OWASP's
# CSV injection advice is to prefix it with a single quote, which shows the text as written.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SHEET_TITLE_MAX = 31
_SHEET_TITLE_INVALID = re.compile(r"[\\/?*\[\]:]")


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_START) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):  # a stored moment, as read in China: 2026-12-01T08:30:00+08:00
        return local(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def csv_chunks(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """A whole CSV file (BOM, header, rows) in pieces of about CHUNK characters."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        if buffer.tell() > CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def sheet_titles(names: Iterable[str]) -> list[str]:
    """Worksheet titles for `names`, in order: without the characters Excel refuses (\\ / ? * [ ] :),
    at most 31 characters, never blank, and unique ignoring case (as Excel compares them)."""
    titles, seen = [], set()
    for name in names:
        base = _SHEET_TITLE_INVALID.sub("_", name).strip("' ")[:SHEET_TITLE_MAX] or "工作表"
        title, n = base, 1
        while title.casefold() in seen:
            n += 1
            suffix = f"({n})"
            title = base[:SHEET_TITLE_MAX - len(suffix)] + suffix
        seen.add(title.casefold())
        titles.append(title)
    return titles
