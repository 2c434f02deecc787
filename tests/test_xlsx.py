"""The streaming XLSX writer, read back by openpyxl: every kind of value, awkward text, sheets."""
from __future__ import annotations

import datetime as dt
import io
import warnings
from decimal import Decimal

from openpyxl import load_workbook

from gongshi.api import xlsx


def _read(columns, rows) -> list[list[list]]:
    out = io.BytesIO()
    xlsx.write_xlsx(out, columns, rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # openpyxl warns of a malformed part (e.g. no default style)
        book = load_workbook(io.BytesIO(out.getvalue()))
    return [[list(r) for r in sheet.iter_rows(values_only=True)] for sheet in book.worksheets]


def test_values_keep_their_kinds():
    row = ["南通市诚越百货商店", 42, Decimal("1234.50"), 0.25, True, False, dt.date(2024, 5, 1),
           dt.datetime(2024, 5, 1, 13, 30, 15), None, "末列"]
    [sheet] = _read([f"c{n}" for n in range(len(row))], [row])
    assert sheet[0] == [f"c{n}" for n in range(len(row))]
    assert sheet[1] == ["南通市诚越百货商店", 42, 1234.5, 0.25, True, False, dt.datetime(2024, 5, 1),
                        dt.datetime(2024, 5, 1, 13, 30, 15), None, "末列"]


def test_text_stays_text_exactly():
    awkward = ["=HYPERLINK(\"http://x\")", "  leading and trailing  ", "<b>&amp;</b>\"'", "0012", "line\nbreak",
               "tab\there", "bell\x07and\x1fnul\x00", "_x0041_"]
    out = io.BytesIO()
    xlsx.write_xlsx(out, ["text"], ([t] for t in awkward))
    sheet = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert all(c.data_type == "s" for c in cells)
    # XML cannot carry control characters: they are written as Excel writes them, _xHHHH_.
    assert [c.value for c in cells] == awkward[:-2] + ["bell_x0007_and_x001F_nul_x0000_", "_x005F_x0041_"]


def test_long_tables_continue_on_new_sheets_each_with_the_header(monkeypatch):
    monkeypatch.setattr(xlsx, "SHEET_MAX_ROWS", 3)
    sheets = _read(["n"], ([n] for n in range(7)))
    assert sheets == [[["n"], [0], [1], [2]], [["n"], [3], [4], [5]], [["n"], [6]]]


def test_an_empty_table_is_a_sheet_with_its_header_and_columns_past_z_are_placed_right():
    assert _read(["a", "b"], []) == [[["a", "b"]]]
    [sheet] = _read([str(n) for n in range(30)], [list(range(30))])
    assert sheet[1] == list(range(30))
    assert [xlsx.column_letters(n) for n in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
