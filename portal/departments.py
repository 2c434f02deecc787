"""Department pages and the checklists (抽查事项清单) by department."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from gongshi.api.context import get_db
from gongshi.portal.web import choice_arg, page_arg, page_or_404
from gongshi.store import pages, queries, stats

bp = Blueprint("departments", __name__)
PER_PAGE = 50


@bp.get("/departments/<int:department_id>")
def department(department_id: int):
    with get_db().session() as session:
        dept = department_or_404(session, department_id)
        years = pages.stat_years(session)
        offices = stats.coverage(session, year=years[0], department_id=department_id) if years else []
        items = pages.check_items(session, 1, 20, department_id=department_id)
        plans = pages.department_plans(session, department_id)
        tasks = page_or_404(pages.department_tasks(session, department_id, page_arg(), PER_PAGE))
    return render_template("department.html", department=dept, year=years[0] if years else None, offices=offices,
                           items=items, plans=plans, tasks=tasks, target=stats.JOINT_TARGET)


def department_arg(session) -> int | None:
    """`?department=` as a number or a name (全称、简称); an unknown one is a 400 page naming it."""
    raw = request.args.get("department", "").strip()
    if not raw:
        return None
    found = queries.department_id(session, raw[:64])
    if found is None:
        abort(400, description=f"没有名称或编号为“{raw[:40]}”的部门")
    return found


@bp.get("/check-items")
def check_items():
    item_class = choice_arg("item_class", pages.ITEM_CLASSES)
    with get_db().session() as session:
        department_id = department_arg(session)
        items = page_or_404(pages.check_items(session, page_arg(), PER_PAGE, department_id, item_class))
        departments = pages.departments(session)
        changes = pages.check_item_changes(session, department_id, limit=20)
    return render_template("check_items.html", items=items, departments=departments, department_id=department_id,
                           item_class=item_class, classes=pages.ITEM_CLASSES, changes=changes)


@bp.get("/check-items/<int:item_id>")
def check_item(item_id: int):
    with get_db().session() as session:
        item = pages.check_item(session, item_id) if item_id < 2**31 else None
        if item is None:
            abort(404, description=f"没有编号为 {item_id} 的抽查事项。")
        source = queries.sources(session, [item.source_id])[item.source_id]
    return render_template("check_item.html", item=item, source=source)


def department_or_404(session, department_id: int):
    """The department of a page's path, or the Chinese 404 page (ids beyond any column are unknown)."""
    dept = queries.department(session, department_id) if department_id < 2**31 else None
    if dept is None:
        abort(404, description=f"没有编号为 {department_id} 的部门。")
    return dept
