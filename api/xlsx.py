"""A streaming XLSX writer for the bulk downloads: rows go straight into the zipped sheet XML, so
memory stays flat and a million rows take seconds, not minutes.

Why not a library: openpyxl's write-only mode (with lxml) and xlsxwriter's constant_memory mode
both spend 5–10 µs of Python per cell on generality a table of plain values does not need, which
puts a million-row dataset far past the 50 s budget (figures: `bench/export.py --writers`). The
parts of a workbook a plain table needs are fixed and small; what is written here is exactly
that: inline strings (never formulas, so text starting with '=' stays text), numbers, booleans,
and dates with a date format. Reading back with openpyxl is tested in tests/test_downloads.py.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from typing import IO
from xml.sax.saxutils import escape

SHEET_MAX_ROWS = 1_000_000  # a sheet holds 1,048,576 rows: longer tables go on to the next sheet
FLUSH_ROWS = 2000
EPOCH = dt.datetime(1899, 12, 30)  # Excel's day 0 (with its 1900 leap-year bug, days ≥ 61 are right)
DATE_STYLE, DATETIME_STYLE = 1, 2  # cellXfs entries of STYLES
# XML 1.0 forbids these; Excel's own escape for them is _xHHHH_ (and _x005F_ for an '_' that would
# otherwise read as the start of such an escape).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
{sheets}</Types>"""
SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
              'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/></Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}\
<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
Target="styles.xml"/></Relationships>"""
SHEET_REL = ('<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
             'worksheet" Target="worksheets/sheet{n}.xml"/>')
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>\
<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>\
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""
SHEET_START = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_END = "</sheetData></worksheet>"


def _text(value: str) -> str:
    if CONTROL.search(value):
        value = CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    return escape(value)


def _cell(ref: str, value) -> str:
    """One <c> element; bool before int, since a bool is an int."""
    if value is None:
        return ""
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, dt.datetime):
        return f'<c r="{ref}" s="{DATETIME_STYLE}"><v>{(value - EPOCH) / dt.timedelta(days=1)!r}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="{DATE_STYLE}"><v>{(value - EPOCH.date()).days}</v></c>'
    if isinstance(value, (int, float, Decimal)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return _cell(ref, str(value))


def column_letters(n: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class _Sheets:
    """The sheets of one workbook, each opened as a zip member written row by row."""

    def __init__(self, book: zipfile.ZipFile, columns: list[str], max_rows: int, names: list[str]):
        self.book, self.columns, self.max_rows, self.names = book, columns, max_rows, names
        self.letters = [column_letters(n) for n in range(len(columns))]
        self.stream, self.row, self.pending = None, 0, []

    def add(self, values: Iterable) -> None:
        if self.stream is None or self.row > self.max_rows:  # row 1 is the header
            self.next_sheet()
        self.row += 1
        self.pending.append(f'<row r="{self.row}">'
                            + "".join(_cell(f"{letter}{self.row}", v) for letter, v in zip(self.letters, values))
                            + "</row>")
        if len(self.pending) >= FLUSH_ROWS:
            self._flush()

    def next_sheet(self, name: str | None = None) -> None:
        """A new sheet, named `name` or 数据N; `names` lists every sheet of the workbook so far."""
        self.close()
        self.names.append(name or f"数据{sum(n.startswith('数据') for n in self.names) + 1}")
        self.stream = self.book.open(f"xl/worksheets/sheet{len(self.names)}.xml", "w", force_zip64=True)
        self.stream.write(SHEET_START.encode())
        self.row = 0
        self.add(self.columns)

    def _flush(self) -> None:
        self.stream.write("".join(self.pending).encode())
        self.pending = []

    def close(self) -> None:
        if self.stream is not None:
            self._flush()
            self.stream.write(SHEET_END.encode())
            self.stream.close()
            self.stream = None


def write_xlsx(out: IO[bytes], columns: list[str], rows: Iterable[Iterable],
               appendix: tuple[str, list[str], Iterable[Iterable]] | None = None) -> None:
    """A workbook of `columns` and then `rows` (sequences of plain values, in column order), the
    header repeated at the top of each sheet (数据1, 数据2, …) of at most SHEET_MAX_ROWS rows;
    then, if given, one more sheet (name, header, rows), such as a data dictionary."""
    names: list[str] = []
    # Level 1: the sheet XML is repetitive; higher levels cost much time for a few percent.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        sheets = _Sheets(book, columns, SHEET_MAX_ROWS, names)
        for values in rows:
            sheets.add(values)
        if not names:
            sheets.next_sheet()  # an empty table is still a sheet with its header
        sheets.close()
        if appendix:
            name, header, extra = appendix
            sheets = _Sheets(book, header, SHEET_MAX_ROWS, names)
            sheets.next_sheet(name)
            for values in extra:
                sheets.add(values)
            sheets.close()
        count = range(1, len(names) + 1)
        book.writestr("[Content_Types].xml", CONTENT_TYPES.format(sheets="".join(SHEET_TYPE.format(n=n) for n in count)))
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/workbook.xml", WORKBOOK.format(sheets="".join(
            f'<sheet name="{escape(name)}" sheetId="{n}" r:id="rId{n}"/>' for n, name in enumerate(names, 1))))
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.format(rels="".join(SHEET_REL.format(n=n) for n in count)))
        book.writestr("xl/styles.xml", STYLES)
