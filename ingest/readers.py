"""Reading published tables: XLSX/XLS (first sheet), CSV/TSV in any of the published encodings,
and JSON. Each reader yields raw rows; the header row is found below any title rows.

Every reader stays within `Limits`: sizes are checked before a file is opened (an XLSX's zip
members and its XML are scanned as a stream first), CSV is decoded as a stream with bounded
lines, and every row and cell is checked as it passes. Beyond a limit the file is refused.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from gongshi.ingest.errors import IngestError, Problem
from gongshi.ingest.headers import known_header_count
from gongshi.ingest.limits import Limits
from gongshi.ingest.values import clean_text

HEADER_SCAN_ROWS = 30  # title rows above the header are skipped within this many rows
MIN_KNOWN_HEADERS = 3
# Above this many uncompressed bytes an XLSX is streamed read-only (openpyxl then cannot see
# merged cells); below it openpyxl holds every cell of every sheet.
XLSX_FULL_LOAD_BYTES = 32 * 1024 * 1024
XLSX_MAX_COLUMN = 16_384  # XFD, the last column Excel has
JSON_MAX_DEPTH = 8  # objects within objects: the portal's own output has 2
_FOOTNOTE_PREFIXES = ("注", "备注", "说明", "填报", "合计", "总计", "经办人", "审核人", "制表")


class ReadError(IngestError):
    """A file that cannot be read as a table at all, or exceeds a limit."""

    def __init__(self, *problems: Problem):
        super().__init__(list(problems))
        self.problem = problems[0]


def _refuse(name: str, reason: str, row: int | None = None, column: str | None = None, value=None) -> ReadError:
    return ReadError(Problem(name, row, column, value, reason))


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
        head = f.read(64)
    if head.startswith(b"PK"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if content_type and "json" in content_type or head.lstrip()[:1] in (b"[", b"{"):
        return "json"
    return "csv"


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def detect_encoding(path: Path, name: str) -> str:
    """A BOM decides; else strict UTF-8; else GB18030 (GBK's superset), each tried as a stream.

    Strict decoding is decisive for these two: Chinese GBK text is almost never valid UTF-8.
    """
    with path.open("rb") as f:
        head = f.read(4)
        for bom, encoding in _BOMS:
            if head.startswith(bom):
                return encoding
        for encoding in ("utf-8", "gb18030"):
            f.seek(0)
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                while chunk := f.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
                return encoding
            except UnicodeDecodeError:
                continue
    raise _refuse(name, "文件编码无法识别：不是 UTF-8 或 GB18030/GBK")


def read_table(path: Path, name: str, file_format: str, limits: Limits | None = None) -> Table:
    limits = limits or Limits()
    if file_format == "json":
        return _read_json(path, name, limits)
    encoding = None
    if file_format == "xlsx":
        raw = _xlsx_rows(path, name, limits)
    else:
        _check_file_size(path, name, limits.max_table_bytes, "GONGSHI_MAX_TABLE_BYTES")
        if file_format == "xls":
            raw = _xls_rows(path, name, limits)
        else:
            encoding = detect_encoding(path, name)
            raw = _csv_rows(path, name, encoding, limits)
    return _tabulate(raw, name, file_format, encoding, limits)


def _check_file_size(path: Path, name: str, limit: int, setting: str) -> None:
    size = path.stat().st_size
    if size > limit:
        raise _refuse(name, f"文件大小 {size} 字节，超过上限 {limit} 字节（{setting}）")


def _tabulate(raw: Iterator[list[object]], name: str, file_format: str, encoding: str | None,
              limits: Limits) -> Table:
    titles: list[str] = []
    for line, cells in enumerate(raw, start=1):
        _check_width(cells, name, limits, f"文件第{line}行")
        if known_header_count(cells) >= MIN_KNOWN_HEADERS:
            headers = [_header_text(c, name, limits) for c in cells]
            table = Table(name, file_format, encoding, line, headers, "".join(titles) or None)
            table.rows = _data_rows(raw, table, limits)
            return table
        titles.extend(str(c).strip() for c in cells if c not in (None, "") and str(c).strip())
        if line >= HEADER_SCAN_ROWS:
            break
    raise _refuse(name, f"前{HEADER_SCAN_ROWS}行中找不到表头（至少{MIN_KNOWN_HEADERS}个可识别的列名）")


def _header_text(cell: object, name: str, limits: Limits) -> str:
    check_cell(cell, name, limits, None, "表头")
    return clean_text(cell) or ""


def _width(cells: list[object]) -> int:
    """Cells up to the last one that holds something (trailing empty cells do not count)."""
    for index in range(len(cells) - 1, -1, -1):
        if cells[index] not in (None, "") and str(cells[index]).strip():
            return index + 1
    return 0


def _check_width(cells: list[object], name: str, limits: Limits, where: str) -> None:
    width = _width(cells)
    if width > limits.max_columns:
        raise _refuse(name, f"{where}有 {width} 列，超过上限 {limits.max_columns} 列（GONGSHI_MAX_COLUMNS）")


# C0 controls other than tab, line feed and carriage return: PostgreSQL refuses NUL in text, and
# none of them is ever part of published words.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_cell(value: object, name: str, limits: Limits, row: int | None, column: str | None) -> None:
    """A cell too long to be a published value, or holding control characters, refuses the file."""
    if not isinstance(value, str):
        return
    if len(value) > limits.max_cell_chars:
        raise _refuse(name, f"单元格有 {len(value)} 个字符，超过上限 {limits.max_cell_chars}（GONGSHI_MAX_CELL_CHARS）",
                      row, column, value)
    if m := _CONTROL.search(value):
        raise _refuse(name, f"含有控制字符 U+{ord(m.group()):04X}，不是可公示的文字", row, column,
                      _CONTROL.sub("�", value))


def _plain(cells: list[object], limits: Limits) -> bool:
    """No cell of the row is too long or holds a control character: one test for the whole row."""
    texts = [c for c in cells if isinstance(c, str)]
    return max(map(len, texts), default=0) <= limits.max_cell_chars and not _CONTROL.search("".join(texts))


def _data_rows(raw: Iterator[list[object]], table: Table, limits: Limits) -> Iterator[tuple[int, list[object]]]:
    """Data rows under the header. Rows with cells beyond the header are not silently cut: the
    file is refused at its end, naming every such row (all are found, none is loaded)."""
    width, ragged = len(table.headers), []
    for number, cells in enumerate(raw, start=1):
        if table.header_line + number > limits.max_rows:
            raise _refuse(table.name, f"超过 {limits.max_rows} 行的上限（GONGSHI_MAX_ROWS）", number)
        filled = [c for c in cells if c not in (None, "") and str(c).strip()]
        if not filled:
            continue
        if len(filled) == 1 and str(filled[0]).strip().startswith(_FOOTNOTE_PREFIXES):
            continue  # a footnote or a signature line under the table
        if not _plain(cells[:width], limits):  # find the cell to name
            for index, cell in enumerate(cells[:width]):
                check_cell(cell, table.name, limits, number, table.headers[index] or f"第{index + 1}列")
        if _width(cells) > width:
            ragged.append(Problem(table.name, number, None, None,
                                  f"该行有 {_width(cells)} 列数据，多于表头的 {width} 列：多出的数据不知属于哪一列"))
            continue
        yield number, list(cells[:width]) + [None] * (width - len(cells))
    if ragged:
        raise ReadError(*ragged)


# --- CSV ------------------------------------------------------------------------------------


def _csv_rows(path: Path, name: str, encoding: str, limits: Limits) -> Iterator[list[object]]:
    if csv.field_size_limit() <= limits.max_cell_chars:  # the module's own cap, process-wide
        csv.field_size_limit(limits.max_cell_chars + 1)
    with path.open(encoding=encoding, newline="") as f:
        first_lines = f.read(4096).splitlines()[:HEADER_SCAN_ROWS]
        f.seek(0)
        delimiter = "\t" if sum(line.count("\t") for line in first_lines) > sum(line.count(",") for line in first_lines) else ","
        # strict: a quote left open is an error at the end of the file, not the rest of the file in one cell
        reader = csv.reader(_bounded_lines(f, name, limits.max_line_chars), delimiter=delimiter, strict=True)
        start = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _csv_problem(name, str(exc), start, reader.line_num, limits) from exc
            start = reader.line_num + 1
            yield cells


def _bounded_lines(f, name: str, limit: int) -> Iterator[str]:
    number = 0
    while line := f.readline(limit + 1):
        number += 1
        if len(line) > limit and not line.endswith("\n"):
            raise _refuse(name, f"文件第{number}行超过 {limit} 个字符（由列数与单元格长度上限得出）")
        yield line


def _csv_problem(name: str, message: str, start: int, end: int, limits: Limits) -> ReadError:
    if "field larger than field limit" in message:
        return _refuse(name, f"文件第{start}行起的记录中有单元格超过上限 {limits.max_cell_chars} 个字符"
                             "（GONGSHI_MAX_CELL_CHARS）；也可能是引号没有闭合")
    if "unexpected end of data" in message:
        return _refuse(name, f"文件第{start}行的引号没有闭合：其后直到文件末尾（第{end}行）的内容都会被读进一个单元格")
    return _refuse(name, f"文件第{start}行至第{end}行的引号不成对（{message}）：一行的内容可能被读进了另一行的单元格")


# --- XLSX -----------------------------------------------------------------------------------


def _xlsx_rows(path: Path, name: str, limits: Limits) -> Iterator[list[object]]:
    from openpyxl import load_workbook

    read_only = _scan_xlsx(path, name, limits) > XLSX_FULL_LOAD_BYTES
    try:
        workbook = load_workbook(path, read_only=read_only, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise _refuse(name, f"无法读取 XLSX 文件：{exc}") from exc
    sheet = workbook.worksheets[0]
    if read_only:
        sheet.reset_dimensions()  # rows as stored, not padded to a declared (possibly huge) range
    else:
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
    except Exception as exc:
        raise _refuse(name, f"无法读取 XLSX 文件：{exc}") from exc
    finally:
        workbook.close()


def _scan_xlsx(path: Path, name: str, limits: Limits) -> int:
    """Refuse an XLSX beyond the limits before openpyxl expands it; returns its uncompressed size.

    zipfile never inflates a member past the size its directory declares (the CRC check fails
    instead), so the declared sizes bound what openpyxl can read. The XML is then scanned as a
    stream (expat, no tree): no DTD (entity expansion), and rows, columns and merged cells within
    the limits."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            total = sum(m.file_size for m in members)
            if total > limits.max_table_bytes:
                raise _refuse(name, f"XLSX 解压后共 {total} 字节，超过上限 {limits.max_table_bytes} 字节"
                                    "（GONGSHI_MAX_TABLE_BYTES）")
            scan = _SheetScan(name, limits)
            for member in members:
                if member.filename.endswith((".xml", ".rels", ".vml")):
                    with archive.open(member) as stream:
                        scan.feed(stream, sheet=member.filename.startswith("xl/worksheets/"))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise _refuse(name, f"无法读取 XLSX 文件：{exc}") from exc
    return total


_CELL_REF = re.compile(r"([A-Z]{1,4})(\d+)$")


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


class _SheetScan:
    """Counts, as expat streams an XLSX's XML, what openpyxl would build from it."""

    def __init__(self, name: str, limits: Limits):
        self.name, self.limits = name, limits
        self.merged = 0

    def feed(self, stream, sheet: bool) -> None:
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.StartDoctypeDeclHandler = self._doctype
        if sheet:
            self.row, self.column, self.cells = 0, 0, 0
            parser.StartElementHandler = self._start
        try:
            while chunk := stream.read(1 << 20):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise _refuse(self.name, f"XLSX 中的 XML 无法解析：{exc}") from exc

    def _doctype(self, *_args) -> None:
        raise _refuse(self.name, "XLSX 中的 XML 含有 DTD（实体声明），拒绝读取")

    def _start(self, tag: str, attrs: dict) -> None:
        local = tag.rpartition(" ")[2]
        if local == "row":
            self.row = int(attrs["r"]) if attrs.get("r", "").isdigit() else self.row + 1
            self.column, self.cells = 0, 0
            if self.row > self.limits.max_rows:
                raise _refuse(self.name, f"工作表有第 {self.row} 行，超过 {self.limits.max_rows} 行的上限"
                                         "（GONGSHI_MAX_ROWS）")
        elif local == "c":
            m = _CELL_REF.match(attrs.get("r", ""))
            self.column = _column_number(m.group(1)) if m else self.column + 1
            self.cells += 1
            if self.column > XLSX_MAX_COLUMN or self.cells > XLSX_MAX_COLUMN:
                raise _refuse(self.name, f"工作表第 {self.row} 行的单元格超出 Excel 的 {XLSX_MAX_COLUMN} 列")
        elif local in ("v", "is") and self.column > self.limits.max_columns:
            raise _refuse(self.name, f"工作表第 {self.row} 行第 {self.column} 列有数据，超过上限 "
                                     f"{self.limits.max_columns} 列（GONGSHI_MAX_COLUMNS）")
        elif local == "mergeCell":
            self.merged += _area(attrs.get("ref", ""))
            if self.merged > self.limits.max_merged_cells:
                raise _refuse(self.name, f"合并单元格 {attrs.get('ref')} 使合并区域超过 {self.limits.max_merged_cells} "
                                         "个单元格的上限（GONGSHI_MAX_MERGED_CELLS）")


def _area(ref: str) -> int:
    corners = [_CELL_REF.match(part) for part in ref.split(":")]
    if len(corners) != 2 or not all(corners):
        return 1
    (c1, r1), (c2, r2) = ((_column_number(m.group(1)), int(m.group(2))) for m in corners)
    return (abs(c2 - c1) + 1) * (abs(r2 - r1) + 1)


# --- XLS ------------------------------------------------------------------------------------


def _xls_rows(path: Path, name: str, limits: Limits) -> Iterator[list[object]]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True)
    except Exception as exc:
        raise _refuse(name, f"无法读取 XLS 文件：{exc}") from exc
    sheet = book.sheet_by_index(0)
    if sheet.nrows > limits.max_rows:
        raise _refuse(name, f"工作表有 {sheet.nrows} 行，超过 {limits.max_rows} 行的上限（GONGSHI_MAX_ROWS）")
    merged = sum((rhi - rlo) * (chi - clo) for rlo, rhi, clo, chi in sheet.merged_cells)
    if merged > limits.max_merged_cells:
        raise _refuse(name, f"合并区域共 {merged} 个单元格，超过上限 {limits.max_merged_cells}（GONGSHI_MAX_MERGED_CELLS）")
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


def _read_json(path: Path, name: str, limits: Limits) -> Table:
    _check_file_size(path, name, limits.max_json_bytes, "GONGSHI_MAX_JSON_BYTES")
    encoding = detect_encoding(path, name)
    text = path.read_text(encoding=encoding)
    try:
        if path.suffix.lower() == ".jsonl":
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _refuse(name, f"JSON 格式错误：{exc.msg}", exc.lineno) from exc
    except (RecursionError, ValueError) as exc:  # nesting deeper than the parser's stack; an integer of 4300+ digits
        raise _refuse(name, "JSON 嵌套过深或数字过长，无法读取") from exc
    if isinstance(data, dict):
        data = data.get("items", data.get("data"))
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise _refuse(name, "JSON 应为对象数组，或含 items 数组的对象")
    if len(data) > limits.max_rows:
        raise _refuse(name, f"JSON 有 {len(data)} 条记录，超过 {limits.max_rows} 行的上限（GONGSHI_MAX_ROWS）")
    flat = [_flatten(item, name) for item in data]
    headers: dict[str, None] = {}
    for item in flat:
        headers.update(dict.fromkeys(item))
        if len(headers) > limits.max_columns:
            raise _refuse(name, f"JSON 的记录共有超过 {limits.max_columns} 个不同的键（GONGSHI_MAX_COLUMNS）")
    table = Table(name, "json", encoding, 0, list(headers), None)
    table.rows = _json_rows(flat, table, limits)
    return table


def _json_rows(flat: Iterable[dict], table: Table, limits: Limits) -> Iterator[tuple[int, list[object]]]:
    for number, item in enumerate(flat, start=1):
        cells = [item.get(h) for h in table.headers]
        for header, cell in zip(table.headers, cells):
            check_cell(cell, table.name, limits, number, header)
        yield number, cells


def _flatten(obj: dict, name: str, prefix: str = "", depth: int = 1) -> dict[str, object]:
    """Nested API output to flat columns: {"task": {"task_no": …}} → "task.task_no"; lists of
    findings → "item：result；…" (the one-cell form FORMATS.md describes); other lists → "、"."""
    if depth > JSON_MAX_DEPTH:
        raise _refuse(name, f"JSON 对象嵌套超过 {JSON_MAX_DEPTH} 层（{prefix.rstrip('.')}）")
    flat: dict[str, object] = {}
    for key, value in obj.items():
        column = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name, f"{column}.", depth + 1))
        elif isinstance(value, list):
            parts = []
            for v in value:
                if isinstance(v, dict) and "item" in v:
                    parts.append(f"{v.get('item') or ''}：{v.get('result') or ''}")
                elif isinstance(v, dict):
                    parts.append(str(v.get("name") or v.get("published_name") or ""))
                elif isinstance(v, list):
                    raise _refuse(name, f"JSON 的 {column} 是列表中的列表，不是可读的表格")
                else:
                    parts.append(str(v))
            flat[column] = ("；" if value and isinstance(value[0], dict) and "item" in value[0] else "、").join(parts)
        elif isinstance(value, (dt.date, dt.datetime)):
            flat[column] = value.isoformat()
        else:
            flat[column] = value
    return flat
