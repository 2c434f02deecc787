"""Reading published tables: XLSX/XLS (first sheet), CSV/TSV in any of the published encodings,
and JSON. Each reader yields raw rows; the header row is found below any title rows.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gongshi.ingest.errors import Problem
from gongshi.ingest.headers import known_header_count

HEADER_SCAN_ROWS = 30  # title rows above the header are skipped within this many rows
MIN_KNOWN_HEADERS = 3
# Above this size an XLSX is streamed read-only (openpyxl then cannot see merged cells).
XLSX_FULL_LOAD_BYTES = 30 * 1024 * 1024
DECODE_CHUNK = 1 << 20
_FOOTNOTE_PREFIXES = ("注", "备注", "说明", "填报", "合计", "总计", "经办人", "审核人", "制表")


class ReadError(Exception):
    """A file that cannot be read as a table at all."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass
class Table:
    """A published table: its header, the title rows above it, and its data rows."""

    name: str
    file_format: str
    encoding: str | None
    header_line: int  # 1-based physical row of the header
    headers: list[str]
    title: str | None
    rows: Iterator[tuple[int, list[object]]] = iter(())  # (data row no, cells), streamed


def detect_format(path: Path, content_type: str | None = None) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in {"xlsx", "xlsm", "xls", "csv", "tsv", "txt", "json", "jsonl"}:
        return {"xlsm": "xlsx", "tsv": "csv", "txt": "csv", "jsonl": "json"}.get(suffix, suffix)
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(b"PK"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if content_type and "json" in content_type or head.lstrip()[:1] in (b"[", b"{"):
        return "json"
    return "csv"


def detect_encoding(path: Path) -> str:
    """A BOM decides; else strict UTF-8; else GB18030 (GBK's superset). The file is checked in
    chunks, never held whole, so that a million-row file costs no memory to read.

    Strict decoding is decisive for these two: Chinese GBK text is almost never valid UTF-8.
    """
    with path.open("rb") as f:
        head = f.read(4)
        for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                              (codecs.BOM_UTF16_BE, "utf-16")):
            if head.startswith(bom):
                return encoding
        for encoding in ("utf-8", "gb18030"):
            f.seek(0)
            if _decodes(f, encoding):
                return encoding
    raise ReadError(Problem(None, None, None, None, "文件编码无法识别：不是 UTF-8 或 GB18030/GBK"))


def _decodes(f, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()  # strict
    try:
        while chunk := f.read(DECODE_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def read_table(path: Path, name: str, file_format: str) -> Table:
    if file_format == "json":
        return _read_json(path, name)
    if file_format == "xlsx":
        raw, encoding = _xlsx_rows(path), None
    elif file_format == "xls":
        raw, encoding = _xls_rows(path), None
    else:
        encoding = detect_encoding(path)
        raw = _csv_rows(path, encoding)
    return _tabulate(raw, name, file_format, encoding)


def _tabulate(raw: Iterator[list[object]], name: str, file_format: str, encoding: str | None) -> Table:
    titles: list[str] = []
    for line, cells in enumerate(raw, start=1):
        if known_header_count(cells) >= MIN_KNOWN_HEADERS:
            headers = [_header_text(c) for c in cells]
            table = Table(name, file_format, encoding, line, headers, "".join(titles) or None)
            table.rows = _data_rows(raw, len(headers))
            return table
        titles.extend(str(c).strip() for c in cells if c not in (None, "") and str(c).strip())
        if line >= HEADER_SCAN_ROWS:
            break
    raise ReadError(Problem(name, None, None, None,
                            f"前{HEADER_SCAN_ROWS}行中找不到表头（至少{MIN_KNOWN_HEADERS}个可识别的列名）"))


def _header_text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def _data_rows(raw: Iterator[list[object]], width: int) -> Iterator[tuple[int, list[object]]]:
    for number, cells in enumerate(raw, start=1):
        filled = [c for c in cells if c not in (None, "") and str(c).strip()]
        if not filled:
            continue
        if len(filled) == 1 and str(filled[0]).strip().startswith(_FOOTNOTE_PREFIXES):
            continue  # a footnote or a signature line under the table
        cells = list(cells[:width]) + [None] * (width - len(cells))
        yield number, cells


def _csv_rows(path: Path, encoding: str) -> Iterator[list[object]]:
    """Rows as the file is read: a million-row CSV is never held whole, as bytes or as text."""
    with path.open(encoding=encoding, newline="") as f:
        first_lines = f.read(4096).splitlines()[:HEADER_SCAN_ROWS]
        delimiter = "\t" if sum(line.count("\t") for line in first_lines) > sum(line.count(",") for line in first_lines) else ","
        f.seek(0)
        yield from csv.reader(f, delimiter=delimiter)


def _xlsx_rows(path: Path) -> Iterator[list[object]]:
    from openpyxl import load_workbook

    read_only = path.stat().st_size > XLSX_FULL_LOAD_BYTES
    try:
        workbook = load_workbook(path, read_only=read_only, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ReadError(Problem(path.name, None, None, None, f"无法读取 XLSX 文件：{exc}")) from exc
    sheet = workbook.worksheets[0]
    if not read_only:
        for merged in list(sheet.merged_cells.ranges):
            value = sheet.cell(merged.min_row, merged.min_col).value
            sheet.unmerge_cells(str(merged))
            for row in sheet.iter_rows(min_row=merged.min_row, max_row=merged.max_row,
                                       min_col=merged.min_col, max_col=merged.max_col):
                for cell in row:
                    cell.value = value
    try:
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _xls_rows(path: Path) -> Iterator[list[object]]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True)
    except Exception as exc:
        raise ReadError(Problem(path.name, None, None, None, f"无法读取 XLS 文件：{exc}")) from exc
    sheet = book.sheet_by_index(0)
    fills = {}
    for rlo, rhi, clo, chi in sheet.merged_cells:
        for r in range(rlo, rhi):
            for c in range(clo, chi):
                fills[(r, c)] = (rlo, clo)
    for r in range(sheet.nrows):
        row = []
        for c in range(sheet.ncols):
            cell = sheet.cell(*fills.get((r, c), (r, c)))
            if cell.ctype == xlrd.XL_CELL_DATE:
                row.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
            elif cell.ctype == xlrd.XL_CELL_EMPTY:
                row.append(None)
            else:
                row.append(cell.value)
        yield row


# --- JSON -----------------------------------------------------------------------------------


def _read_json(path: Path, name: str) -> Table:
    encoding = detect_encoding(path)
    text = path.read_text(encoding)
    try:
        if path.suffix.lower() == ".jsonl":
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(Problem(name, exc.lineno, None, None, f"JSON 格式错误：{exc.msg}")) from exc
    if isinstance(data, dict):
        data = data.get("items", data.get("data"))
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ReadError(Problem(name, None, None, None, "JSON 应为对象数组，或含 items 数组的对象"))
    flat = [_flatten(item) for item in data]
    headers: list[str] = []
    for item in flat:
        headers.extend(k for k in item if k not in headers)
    table = Table(name, "json", encoding, 0, headers, None)
    table.rows = iter([(n, [item.get(h) for h in headers]) for n, item in enumerate(flat, start=1)])
    return table


def _flatten(obj: dict, prefix: str = "") -> dict[str, object]:
    """Nested API output to flat columns: {"task": {"task_no": …}} → "task.task_no"; lists of
    findings → "item：result；…" (the one-cell form FORMATS.md describes); other lists → "、"."""
    flat: dict[str, object] = {}
    for key, value in obj.items():
        column = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{column}."))
        elif isinstance(value, list):
            parts = []
            for v in value:
                if isinstance(v, dict) and "item" in v:
                    parts.append(f"{v.get('item') or ''}：{v.get('result') or ''}")
                elif isinstance(v, dict):
                    parts.append(str(v.get("name") or v.get("published_name") or ""))
                else:
                    parts.append(str(v))
            flat[column] = ("；" if value and isinstance(value[0], dict) and "item" in value[0] else "、").join(parts)
        elif isinstance(value, (dt.date, dt.datetime)):
            flat[column] = value.isoformat()
        else:
            flat[column] = value
    return flat
