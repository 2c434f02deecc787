"""The portal's general pages: home, search, statistics, data and about."""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_from_directory, url_for

from gongshi import search
from gongshi.api.context import get_db
from gongshi.api.datasets import FORMATS
from gongshi.api.files import send_built
from gongshi.portal import annex3_xlsx, charts
from gongshi.portal.assets import IMMUTABLE_MAX_AGE
from gongshi.portal.offices import office_arg, office_or_404
from gongshi.portal.web import choice_arg, int_arg, page_arg
from gongshi.store import pages, queries, standing, stats

bp = Blueprint("pages", __name__)
SHA256 = re.compile(r"[0-9a-f]{64}")

TYPE_LABELS = {"enterprise": "市场主体", "task": "抽查任务", "plan": "抽查计划", "check_item": "抽查事项"}
FACET_LABELS = {"type": "类型", "region": "行政区划", "entity_type": "主体类型", "department": "检查部门",
                "result": "检查结果", "year": "年度"}
FILTERS = ("region", "entity_type", "department", "result", "year")


@bp.get("/")
def home():
    with get_db().session() as session:
        return render_template("home.html", headline=stats.headline(session),
                               latest=queries.latest_inspections(session, limit=20),
                               runs=queries.latest_runs(session, limit=10))


@bp.get("/search")
def search_page():
    q = request.args.get("q", "").strip()
    kind = choice_arg("type", TYPE_LABELS)
    filters = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    shown = dict(q=q, kind=kind, filters=filters, type_labels=TYPE_LABELS, facet_labels=FACET_LABELS, result=None)
    if not q:
        return render_template("search.html", **shown)
    try:
        result = search.search(current_app.config["GONGSHI_INDEX_DIR"], q, type=kind, filters=filters, page=page_arg())
    except search.SearchUnavailable:
        return render_template("search.html", unavailable=True, **shown), 503
    except search.QueryError as exc:
        abort(400, description=str(exc))
    if result.exact is not None and result.exact.type == "enterprise":
        return redirect(url_for("entities.entity", key=result.exact.key))
    if result.page > max(result.pages, 1):
        abort(404, description=f"搜索结果只有 {result.pages} 页")
    with get_db().session() as session:
        badges = standing.badges(session, [h.key for h in result.hits if h.type == "enterprise"])
    shown.update(result=result, grouped={t: [h for h in result.hits if h.type == t] for t in TYPE_LABELS},
                 badges=badges, facets=_useful_facets(result, kind, filters))
    return render_template("search.html", **shown)


def _useful_facets(result, kind: str | None, filters: dict) -> list[tuple[str, list]]:
    """Facets that would narrow the hits: not those already applied, nor one whose only value
    covers every hit."""
    return [(name, values) for name, values in result.facets.items()
            if values and (len(values) > 1 or values[0][1] < result.total)
            and name not in filters and not (name == "type" and kind)]


@bp.get("/stats")
def statistics():
    with get_db().session() as session:
        years = pages.stat_years(session)
        year = int_arg("year", years[0] if years else None, low=1990, high=2100)
        if years and year not in years:
            abort(404, description=f"没有 {year} 年度的统计数据；有数据的年度：{'、'.join(map(str, years))}")
        office = _office_arg(session)
        form = stats.attachment3(session, year, office.id if office else None) if year else []
        coverage = stats.coverage(session, year=year) if year else []
    chart = charts.bars("chart-offices", f"{year}年各机关抽查户次", "机关", [r.office for r in coverage],
                        {"抽查户次": [r.inspections for r in coverage],
                         "发现问题": [r.problems_found for r in coverage]}, "户次", horizontal=True)
    return render_template("stats.html", years=years, year=year, office=office, form=form, coverage=coverage,
                           chart=chart, definitions=stats.DEFINITIONS, target=stats.JOINT_TARGET)


def _office_arg(session) -> stats.OfficeRow | None:
    """The filing office (填报单位) of 附件3 named by ?office= (number or name), or None for every office."""
    office_id = office_arg(session)
    return None if office_id is None else office_or_404(session, office_id)


@bp.get("/stats/<int:year>.xlsx")
def statistics_xlsx(year: int):
    with get_db().session() as session:
        if year not in pages.stat_years(session):
            abort(404, description=f"没有 {year} 年度的统计数据")
        office = _office_arg(session)
    suffix = f"-{office.id}" if office else ""

    def write(out):
        with get_db().session() as session:
            out.write(annex3_xlsx.render(year, stats.attachment3(session, year, office.id if office else None)))

    return send_built(f"attachment3-{year}{suffix}.xlsx", write, FORMATS["xlsx"]["mimetype"])


@bp.get("/data")
def data():
    from gongshi.api.datasets import DATASETS, FORMATS, TITLES, meaning
    from gongshi.api.downloads import datapackage_descriptor

    with get_db().session() as session:
        _, updated = queries.data_version(session)
        runs = queries.latest_runs(session, limit=50)
    licence = datapackage_descriptor(updated, [])["licenses"][0]
    return render_template("data.html", datasets=DATASETS.values(), formats=FORMATS, titles=TITLES, meaning=meaning,
                           updated=updated, runs=runs, licence=licence)


@bp.get("/sources/<sha256>")
def source_file(sha256: str):
    """The archived original of a source file, by its sha256: the only name accepted, so no path
    from the request reaches the file system."""
    if not SHA256.fullmatch(sha256):
        abort(404, description="来源文件应以 64 位小写十六进制的 SHA-256 指明。")
    with get_db().session() as session:
        source = queries.source_by_sha256(session, sha256)
    if source is None or not source.archive_path:
        abort(404, description="本站没有存档这个来源文件。")
    return send_from_directory(current_app.config["GONGSHI"].instance_dir, source.archive_path, as_attachment=True,
                               download_name=source.name, max_age=IMMUTABLE_MAX_AGE)  # a hash never changes content


@bp.get("/about")
def about():
    return render_template("about.html", definitions=stats.DEFINITIONS)
