"""附件3 (the yearly “双随机、一公开”监管信息统计表) as an XLSX workbook laid out like the paper
form, for /stats/<year>.xlsx. The figures come from store.stats.attachment3."""
from __future__ import annotations

import io
from collections import defaultdict

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from gongshi.store.stats import DEFINITIONS, JOINT, SYSTEM, TOTAL, Attachment3Row
from gongshi.store.tabular import sheet_titles
from gongshi.store.workdays import china_today

_HEADER = ["区分", "类别", "抽查批次", "抽查数量（户）", "抽查结果公示数量（户）", None, None, "双随机抽查案件数（件）",
           "案件处罚金额（万元）"]
_CHANNELS = ["公示系统", "专业系统", "部门网站"]
_NOTES = ["1.为防止重复统计，抽查批次、抽查数量和公示数量由联合抽查发起部门统计，案件数、罚没金额由参与部门分别统计。",
          "2.涉及市场主体的抽查检查结果必须归集至公示系统，其他抽查检查结果可通过专业抽查系统或部门网站等渠道进行公示。",
          "3.市州政府统计既含本级有关部门双随机抽查信息，也含所属县区政府有关部门双随机抽查信息。"]


def render(year: int, rows: list[Attachment3Row]) -> bytes:
    """附件3 as XLSX, laid out like the form: one sheet per filing office (填报单位), the 合计
    first when there is one."""
    wb = Workbook()
    wb.remove(wb.active)
    by_office: dict[str, list[Attachment3Row]] = defaultdict(list)
    for r in rows:
        by_office[r.office].append(r)
    names = sorted(by_office, key=lambda n: n != TOTAL)
    for name, title in zip(names, sheet_titles(names)):
        _form_sheet(wb.create_sheet(title), year, name, by_office[name])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _form_sheet(ws, year: int, office: str, rows: list[Attachment3Row]) -> None:
    thin = Side(style="thin")
    ws.append(["“双随机、一公开”监管信息统计表"])
    ws.append([f"（{year}年度）"])
    ws.append([f"填报单位：{'全部机关' if office == TOTAL else office}", None, None, None, None, None,
               f"生成日期：{china_today():%Y年%m月%d日}"])
    ws.append(_HEADER)
    ws.append([None, None, None, None, *_CHANNELS, None, None])
    for category in (SYSTEM, JOINT):
        for r in (r for r in rows if r.category == category):
            ws.append([r.category, r.label, r.batches, r.entities, r.published_system, r.published_professional,
                       r.published_website, r.cases, r.fines_wan])
    ws.append(["备注", DEFINITIONS["counting_rule"]])
    for note in _NOTES:
        ws.append([note])
    for cells in ("A1:I1", "A2:I2", "A3:F3", "G3:I3", "A4:A5", "B4:B5", "C4:C5", "D4:D5", "E4:G4", "H4:H5",
                  "I4:I5", "A6:A7", "A8:A9", "B10:I10", "A11:I11", "A12:I12", "A13:I13"):
        ws.merge_cells(cells)
    ws["A1"].font = Font(bold=True, size=16)
    for row in ws.iter_rows(min_row=1, max_row=10):
        for cell in row:
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            if cell.row >= 4:
                cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws["B10"].alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[10].height = 90
    for col, width in zip("ABCDEFGHI", (12, 30, 10, 12, 10, 10, 10, 14, 14)):
        ws.column_dimensions[col].width = width
