"""The randomness audit's page and CSV (抽取随机性审计): the method lives in store/draw_audit.py."""
from __future__ import annotations

import re

from flask import Blueprint, abort, render_template, request

from gongshi.api.context import get_db
from gongshi.api.files import draw_audit_once
from gongshi.portal.offices import office_arg
from gongshi.portal.web import csv_response, int_arg
from gongshi.store import draw_audit

bp = Blueprint("audit", __name__)
CSV_HEADER = ["机关", "年度", "名录库户数", "抽中户数", "抽查对象", "分组依据", "组别", "户数", "实际抽中", "预期抽中", "实际/预期",
              "p 值", "q 值（BH 校正）", "结论", "说明"]


def _selected():
    """The audit and the office-years the query asks for: ?year=&office=&department=&region= (an office
    by number or by name)."""
    region = request.args.get("region", "").strip() or None
    if region is not None and not re.fullmatch(r"\d{6}", region):
        abort(400, description=f"参数 region 应为六位行政区划代码，收到“{region[:20]}”")
    with get_db().session() as session:
        audit = draw_audit_once(session)
        office = office_arg(session)
    offices = draw_audit.select_offices(audit, int_arg("year", low=1990, high=2100), office,
                                        int_arg("department", high=2**31 - 1), region)
    return audit, offices


def verdict(test: draw_audit.Test) -> str:
    if test.too_small:
        return "样本太少"
    return "明显偏离随机抽取" if test.flagged else "与随机抽取相符"


@bp.get("/stats/draw-audit")
def page():
    audit, offices = _selected()
    years = sorted({o.year for o in audit.offices}, reverse=True)
    return render_template("draw_audit.html", audit=audit, offices=offices, years=years, verdict=verdict,
                           sentence=draw_audit.sentence, headline=draw_audit.headline,
                           dimensions=draw_audit.DIMENSIONS, min_expected=draw_audit.MIN_EXPECTED)


@bp.get("/stats/draw-audit.csv")
def csv():
    _, offices = _selected()
    rows = [[i.office.office, i.office.year, i.office.population, i.office.selected, i.office.scope_label,
             i.test.dimension_label,
             i.test.group, i.test.population, i.test.observed, round(i.test.expected, 2),
             None if i.test.ratio is None else round(i.test.ratio, 2), i.test.p, i.test.q, verdict(i.test), i.finding]
            for i in draw_audit.items(offices)]
    return csv_response("draw-audit.csv", CSV_HEADER, rows)
