"""Offices (机关) and regions: every department kind with its offices, one office over the years
beside the other offices of its kind in its city, and a region's offices side by side."""
from __future__ import annotations

import dataclasses
from collections import defaultdict

from flask import Blueprint, abort, render_template, request

from gongshi.api.context import get_db
from gongshi.api.datasets import TITLES
from gongshi.api.files import draw_audit_once
from gongshi.portal import charts
from gongshi.portal.web import choice_arg, csv_response, int_arg
from gongshi.store import draw_audit, pages, queries, stats

bp = Blueprint("offices", __name__)

COLUMNS = [f.name for f in dataclasses.fields(stats.CoverageRow)]
# Columns a region's table can be sorted by (descending), as the page offers them.
SORTS = {"inspections": "抽查户次", "problem_share": "发现问题率", "on_time_share": "按时公示率",
         "joint_share": "联合抽查占比", "per_100_entities": "每百户抽查户次", "credit_link_share": "信用关联比例"}


@bp.get("/departments")
def departments():
    with get_db().session() as session:
        kinds = pages.departments(session)
        offices = defaultdict(list)
        for office in stats.office_rows(session).values():
            offices[office.department_id].append(office)
    for listed in offices.values():
        listed.sort(key=lambda o: (o.region_code or "~", o.name))
    return render_template("departments.html", kinds=kinds, offices=offices)


@bp.get("/offices/<int:office_id>")
def office(office_id: int):
    with get_db().session() as session:
        found = office_or_404(session, office_id)
        years = sorted(stats.coverage(session, offices={office_id: found}), key=lambda r: r.year)
        city = _city_of(found)
        latest = years[-1].year if years else None
        peers = stats.coverage(session, year=latest, department_id=found.department_id, region=city) \
            if latest and city else []
        tasks = stats.planned_vs_actual(session, office_id=office_id)
        plans = pages.office_plans(session, office_id)
        inspections = pages.office_inspections(session, office_id, limit=20)
        audit = draw_audit_once(session)
    audited = draw_audit.select_offices(audit, office_id=office_id)
    return render_template("office.html", office=found, years=years, peers=peers, city=city, latest=latest,
                           tasks=tasks, plans=plans, inspections=inspections, target=stats.JOINT_TARGET,
                           charts=_year_charts(years), audit=audit, audited=audited,
                           findings=[i for i in draw_audit.items(audited) if i.test.flagged])


@bp.get("/offices/<int:office_id>.csv")
def office_csv(office_id: int):
    with get_db().session() as session:
        found = office_or_404(session, office_id)
        rows = stats.coverage(session, office_id=office_id)
    return _coverage_csv(f"{found.name}-历年统计.csv", rows)


@bp.get("/regions/<code>")
def region(code: str):
    sort = choice_arg("sort", SORTS) or "inspections"
    with get_db().session() as session:
        found = region_or_404(session, code)
        years = pages.stat_years(session)
        year = int_arg("year", years[0] if years else None, low=1990, high=2100)
        rows = stats.coverage(session, year=year, region=code) if year else []
        directory = stats.directory_coverage(session, code)
        never = stats.never_drawn(session, region=code, limit=20)
    rows.sort(key=lambda r: (getattr(r, sort) is None, -(getattr(r, sort) or 0), r.office))
    chart = charts.bars("chart-offices", f"{year}年各机关每百户抽查户次与发现问题率", "机关", [r.office for r in rows],
                        {"每百户抽查户次": [r.per_100_entities for r in rows],
                         "发现问题率（%）": [None if r.problem_share is None else round(100 * r.problem_share, 1)
                                        for r in rows]}, "户次 / %") if rows else None
    return render_template("region.html", region=found[0], parent=found[1], children=found[2], years=years,
                           year=year, rows=rows, sort=sort, sorts=SORTS, directory=directory, never=never,
                           chart=chart, target=stats.JOINT_TARGET)


@bp.get("/regions/<code>.csv")
def region_csv(code: str):
    with get_db().session() as session:
        found = region_or_404(session, code)
        year = int_arg("year", low=1990, high=2100)
        rows = stats.coverage(session, year=year, region=code)
    return _coverage_csv(f"{found[0].full_name}-各机关统计{year or ''}.csv", rows)


def office_arg(session) -> int | None:
    """The office ?office= names, by number or by name (如皋市市场监督管理局, 如皋市市场监管局);
    None when not asked, 0 (no office's) when none is known so: nothing is found."""
    asked = request.args.get("office", "").strip()
    if not asked:
        return None
    if len(asked) > 64 or "\x00" in asked:
        abort(400, description="参数 office 应为机关编号或不超过 64 个字的机关名称")
    return queries.office_id(session, asked) or 0


def office_or_404(session, office_id: int) -> stats.OfficeRow:
    found = stats.office_rows(session, office_id=office_id).get(office_id) if office_id < 2**31 else None
    if found is None:
        abort(404, description=f"没有编号为 {office_id} 的机关。" if office_id else "没有这个名称的机关。")
    return found


def region_or_404(session, code: str):
    found = pages.region(session, code) if code.isdigit() and len(code) == 6 else None
    if found is None:
        abort(404, description=f"没有代码为 {code[:12]} 的行政区划。")
    return found


def _city_of(office: stats.OfficeRow) -> str | None:
    """The region whose offices of the same kind an office is compared with: its city (a
    county office's parent), or its own region for a city or a province."""
    if office.level == "县":
        return office.region_parent_code
    return office.region_code


def _coverage_csv(filename: str, rows: list[stats.CoverageRow]):
    return csv_response(filename, [TITLES[c] for c in COLUMNS],
                        ([getattr(r, c) for c in COLUMNS] for r in rows))


def _year_charts(rows) -> list:
    if not rows:
        return []
    years = [r.year for r in rows]
    drawn = [
        charts.bars("chart-inspections", "抽查户次与发现问题", "年度", years,
                    {"抽查户次": [r.inspections for r in rows], "发现问题": [r.problems_found for r in rows]}, "户次"),
        charts.shares("chart-shares", "联合抽查占比与按时公示率", years,
                      {"联合抽查占比": [r.joint_share for r in rows], "按时公示率": [r.on_time_share for r in rows]},
                      target=stats.JOINT_TARGET),
    ]
    return [chart for chart in drawn if chart is not None]  # a chart with nothing to draw is left out
