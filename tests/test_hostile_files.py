"""Files built to hurt: each is small on disk, and each is refused with the file, row, column and
limit it exceeded (or cleaned), within bounded memory, on both databases, with nothing written."""
import dataclasses
import json
import zipfile

import pytest
from sqlalchemy import func, select

from gongshi.ingest.errors import IngestError
from gongshi.ingest.limits import Limits
from gongshi.ingest.pipeline import Options
from gongshi.store.models import CreditEvent, Inspection, MarketEntity, Source, Task
from tests.factories import dump, ingest, uscc, write_csv, write_xlsx

HEADER = ["统一社会信用代码", "企业名称", "抽查任务编号", "抽查任务名称", "抽查机关", "检查结果", "检查完成日期"]


def row(n, name=None):
    return [uscc(n), name or f"南通市测试商店{n}", "320600-2024-SJ-001", "测试任务", "南通市市场监督管理局", "未发现问题",
            "2024-05-06"]


def refused(db, settings, path, match, options=None):
    """The ingest refuses with a message matching `match`, and the store is as it was."""
    before = dump(db)
    with pytest.raises(IngestError, match=match) as caught:
        ingest(db, settings, str(path), options)
    assert dump(db) == before
    return str(caught.value)


def limited(settings, **limits):
    return dataclasses.replace(settings, limits=Limits(**limits))


def rewrite_sheet(path, edit):
    """The XLSX at `path` with its first sheet's XML passed through `edit`."""
    with zipfile.ZipFile(path) as zin:
        members = {info.filename: zin.read(info) for info in zin.infolist()}
    members["xl/worksheets/sheet1.xml"] = edit(members["xl/worksheets/sheet1.xml"].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in members.items():
            zout.writestr(name, data)
    return path


# --- memory exhaustion ----------------------------------------------------------------------


def test_a_merged_range_to_the_last_cell_of_the_sheet_is_refused(db, settings, tmp_path):
    path = rewrite_sheet(write_xlsx(tmp_path / "merge.xlsx", HEADER, [row(1)]), lambda xml: xml.replace(
        "</sheetData>", '</sheetData><mergeCells count="1"><mergeCell ref="J3:XFD1048576"/></mergeCells>'))
    assert path.stat().st_size < 10_000
    message = refused(db, settings, path, "GONGSHI_MAX_MERGED_CELLS")
    assert "merge.xlsx" in message and "J3:XFD1048576" in message


def test_an_xlsx_that_inflates_beyond_the_limit_is_refused_before_it_is_opened(db, settings, tmp_path):
    path = rewrite_sheet(write_xlsx(tmp_path / "bomb.xlsx", HEADER, [row(1)]),
                         lambda xml: xml.replace("</sheetData>", "<row/>" * 1_000_000 + "</sheetData>"))
    assert path.stat().st_size < 50_000
    message = refused(db, limited(settings, max_table_bytes=1024 * 1024), path, "GONGSHI_MAX_TABLE_BYTES")
    assert "bomb.xlsx" in message and "解压后" in message


def test_an_xlsx_with_entity_declarations_is_refused(db, settings, tmp_path):
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>')
    path = rewrite_sheet(write_xlsx(tmp_path / "lol.xlsx", HEADER, [row(1)]),
                         lambda xml: laughs + xml)
    refused(db, settings, path, "DTD")


def test_an_xlsx_row_far_below_or_a_value_far_right_is_refused_by_the_row_and_column_limits(db, settings, tmp_path):
    far_right = rewrite_sheet(write_xlsx(tmp_path / "wide.xlsx", HEADER, [row(1)]), lambda xml: xml.replace(
        "</row></sheetData>", '<c r="ZZ2" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'))
    assert "第 2 行第 702 列" in refused(db, settings, far_right, "GONGSHI_MAX_COLUMNS")
    far_down = rewrite_sheet(write_xlsx(tmp_path / "long.xlsx", HEADER, [row(1)]), lambda xml: xml.replace(
        "</sheetData>", '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'))
    assert "第 1048576 行" in refused(db, limited(settings, max_rows=1000), far_down, "GONGSHI_MAX_ROWS")


def test_a_one_line_csv_is_refused_without_reading_the_line_whole(db, settings, tmp_path):
    path = tmp_path / "oneline.csv"
    path.write_text(",".join(HEADER) + "\n" + "天" * 8_000_000, encoding="utf-8")
    assert "文件第2行超过" in refused(db, settings, path, "oneline.csv")


def test_a_million_columns_are_refused(db, settings, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(HEADER + ["x"] * 1_000_000) + "\n" + ",".join(row(1)) + "\n", encoding="utf-8")
    assert "文件第1行有 1000007 列，超过上限 200 列（GONGSHI_MAX_COLUMNS）" in refused(db, settings, path, "wide.csv")


def test_more_rows_than_the_limit_are_refused(db, settings, tmp_path):
    path = write_csv(tmp_path / "r.csv", HEADER, [row(n) for n in range(1, 11)])
    refused(db, limited(settings, max_rows=5), path, "超过 5 行的上限（GONGSHI_MAX_ROWS）")


@pytest.mark.parametrize("length", [40_000, 200_000])  # the second is beyond the csv module's own field limit
def test_a_cell_longer_than_any_published_value_is_refused(db, settings, tmp_path, length):
    rows = [row(1), row(2, name="商" * length)]
    message = refused(db, settings, write_csv(tmp_path / "long.csv", HEADER, rows), "GONGSHI_MAX_CELL_CHARS")
    assert "long.csv" in message and "文件第3行" in message or "long.csv:2: column '企业名称'" in message


def test_a_json_nested_deeper_than_any_table_is_refused(db, settings, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    refused(db, settings, deep, "JSON 嵌套过深")
    nested = {"name": "x"}
    for _ in range(20):
        nested = {"a": nested}
    objects = tmp_path / "objects.json"
    objects.write_text(json.dumps([{"统一社会信用代码": uscc(1), "企业名称": "某店", "抽查任务名称": "t", **nested}]))
    refused(db, settings, objects, "JSON 对象嵌套超过 8 层")


# --- rows lost silently ---------------------------------------------------------------------


def test_an_unclosed_quote_is_refused_with_the_row_where_it_opened(db, settings, tmp_path):
    lines = [",".join(HEADER)] + [",".join(row(n)) for n in range(1, 6)]
    lines[2] = lines[2].replace("南通市测试商店2", '"南通市测试商店2')
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "文件第3行的引号没有闭合" in refused(db, settings, path, "quote.csv")
    lines[5] = lines[5].replace("南通市测试商店5", '"南通市"测试商店5')  # a later quote closes it: still refused
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "文件第3行至第6行的引号不成对" in refused(db, settings, path, "quote.csv")


def test_rows_with_more_cells_than_the_header_are_refused_with_their_numbers(db, settings, tmp_path):
    rows = [row(n) for n in range(1, 6)]
    rows[1].append("多出来的")
    rows[3] += ["", "又多出来的"]
    message = refused(db, settings, write_csv(tmp_path / "ragged.csv", HEADER, rows), "多于表头")
    assert "ragged.csv:2:" in message and "ragged.csv:4:" in message and "ragged.csv:1:" not in message


@pytest.mark.parametrize("between", [0, 2100])  # the repeat in the same batch, or in a later one
def test_the_same_inspection_under_a_task_number_and_under_its_name_must_agree(db, settings, tmp_path, between):
    filler = [row(n) for n in range(100, 100 + between)]
    by_name = row(1)
    by_name[2] = ""
    conflicting = by_name[:5] + ["发现问题待后续处理"] + by_name[6:]
    message = refused(db, settings, write_csv(tmp_path / "dup.csv", HEADER, [row(1), *filler, conflicting]), "内容不同")
    assert f"dup.csv:{between + 2}: 与第1行是同一条抽查结果" in message
    report = ingest(db, settings, str(write_csv(tmp_path / "same.csv", HEADER, [row(1), *filler, by_name])))
    assert report.counts["inserted"] == 1 + between
    with db.session() as s:
        [inspection] = s.scalars(select(Inspection).join(MarketEntity).where(MarketEntity.uscc == uscc(1))).all()
        assert [(f.item, f.result, f.source_row) for f in inspection.findings] == [(None, "未发现问题", 1)]


def test_trailing_empty_cells_are_not_extra_columns(db, settings, tmp_path):
    rows = [row(1) + ["", ""], row(2)]
    assert ingest(db, settings, str(write_csv(tmp_path / "r.csv", HEADER, rows))).rows == 2


# --- tracebacks turned into refusals --------------------------------------------------------


def test_a_nul_byte_is_refused_on_both_databases(db, settings, tmp_path):
    path = write_csv(tmp_path / "nul.csv", HEADER, [row(1), row(2, name="南通\x00商店")])
    assert "nul.csv:2: column '企业名称'" in refused(db, settings, path, "控制字符 U\\+0000")


def test_a_count_beyond_any_integer_column_is_refused(db, settings, tmp_path):
    header = ["抽查计划名称", "抽查任务编号", "抽查任务名称", "抽取数量", "序号"]
    huge = "99999999999999999999999"
    path = write_csv(tmp_path / "t.csv", header, [["2024年计划", "T-1", "任务一", huge, 1], ["2024年计划", "T-2", "任务二", 5, huge]])
    message = refused(db, settings, path, "数量超出范围", Options(kind="task"))
    assert f"t.csv:1: column '抽取数量': value '{huge}'" in message and "t.csv:2: column '序号'" in message


def test_an_amount_beyond_the_money_column_is_refused(db, settings, tmp_path):
    header = ["统一社会信用代码", "企业名称", "信用信息类别", "决定书文号", "罚款金额（万元）", "决定日期"]
    path = write_csv(tmp_path / "c.csv", header, [[uscc(1), "某店", "行政处罚", "通市监罚〔2024〕1号", "99999999999", "2024-01-02"]])
    assert "金额超出范围" in refused(db, settings, path, "c.csv:1: column '罚款金额（万元）'", Options(kind="credit"))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(CreditEvent)) == 0


def test_names_lose_the_invisible_characters_that_would_disguise_them(db, settings, tmp_path):
    spoofed = "南通\u202e店商\u202c市\u200b测试\u2066商店\u2069\ufeff"
    ingest(db, settings, str(write_csv(tmp_path / "r.csv", HEADER, [row(1, name=spoofed)])))
    with db.session() as s:
        assert s.scalar(select(MarketEntity.name)) == "南通店商市测试商店"
        assert s.scalar(select(func.count()).select_from(Inspection)) == 1
        assert s.scalar(select(func.count()).select_from(Source)) == 1
        assert s.scalar(select(func.count()).select_from(Task)) == 1


def test_a_draw_from_a_directory_with_ragged_rows_is_refused_not_a_traceback(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from gongshi.cli import main

    monkeypatch.setenv("GONGSHI_INSTANCE_DIR", str(tmp_path / "instance"))
    rows = [[uscc(n), f"南通市测试{n}号商店", "个体工商户", "320602"] for n in range(1, 6)]
    rows[2].append("多出来的")
    directory = write_csv(tmp_path / "名录库.csv", ["统一社会信用代码", "企业名称", "市场主体类型", "行政区划代码"], rows)
    result = CliRunner().invoke(main, ["draw", "--directory", str(directory), "--count", "2", "--seed", "x",
                                       "--out", str(tmp_path / "draw.json")])
    assert result.exit_code == 1 and "名录库.csv:3:" in result.output and "多于表头" in result.output, result.output
