"""Task and plan pages: every published field, planned against inspected, and the results."""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, render_template

from gongshi.api.context import get_db
from gongshi.portal import charts
from gongshi.portal.web import csv_response, page_arg, page_or_404
from gongshi.store import pages, queries

bp = Blueprint("tasks", __name__)
PER_PAGE = 50


def _task(session, task_no: str):
    task = queries.task_by_no(session, task_no)
    if task is None:
        abort(404, description=f"没有抽查任务编号为“{task_no[:80]}”的任务。")
    return task


def _plan(session, plan_no: str):
    plan = queries.plan_by_no(session, plan_no)
    if plan is None:
        abort(404, description=f"没有抽查计划编号为“{plan_no[:80]}”的计划。")
    return plan


@bp.get("/tasks/<task_no>")
def task(task_no: str):
    with get_db().session() as session:
        t = _task(session, task_no)
        progress = pages.progress(session, [t])[0]
        results = pages.task_results(session, t.id)
        inspected = page_or_404(pages.task_inspections(session, t.id, page_arg(), PER_PAGE))
        source = queries.sources(session, [t.source_id])[t.source_id]
        draws = pages.task_draws(session, t.task_no)
    chart = charts.bars("chart-results", "检查结果分布", "检查结果", [r for r, _ in results],
                        {"户数": [n for _, n in results]}, "户", horizontal=True)
    return render_template("task.html", task=t, progress=progress, results=results, inspected=inspected,
                           source=source, chart=chart, draws=draws)


@bp.get("/tasks/<task_no>/draws/<int:draw_id>.json")
def task_draw(task_no: str, draw_id: int):
    """A draw record as published, to re-run with `gongshi draw --verify`."""
    with get_db().session() as session:
        record = pages.task_draw(session, task_no, draw_id)
        if record is None:
            abort(404, description="没有这份抽取记录。")
        body = json.dumps(record.record, ensure_ascii=False, indent=1) + "\n"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename=draw-{draw_id}.json"})


@bp.get("/tasks/<task_no>.csv")
def task_csv(task_no: str):
    """The inspected entities of the task with every item result."""
    with get_db().session() as session:
        t = _task(session, task_no)
        rows = [[i.entity.uscc or i.entity.reg_no, i.entity.name, i.completed_on, i.authorities_text, f.item,
                 f.result, i.follow_up, i.published_on]
                for i in pages.all_task_inspections(session, t.id) for f in i.findings]
    return csv_response(f"{t.task_no}.csv", ["统一社会信用代码", "市场主体名称", "检查完成日期", "抽查机关", "检查事项",
                                             "检查结果", "后续处置", "公示日期"], rows)


@bp.get("/plans/<plan_no>")
def plan(plan_no: str):
    with get_db().session() as session:
        p = _plan(session, plan_no)
        progress = pages.progress(session, p.tasks)
        source = queries.sources(session, [p.source_id])[p.source_id]
        departments = queries.departments_by_id(session)
    counted = [r for r in progress if r.task.planned_count is not None or r.actual]
    # Task numbers start with the plan's: the rest is short enough to sit under a bar on a phone.
    labels = [r.task.seq or r.task.task_no.removeprefix(p.plan_no).lstrip("-") or r.task.task_no for r in counted]
    chart = charts.bars("chart-plan", "各任务计划抽取与实际检查户数", "任务", labels,
                        {"计划抽取": [r.task.planned_count for r in counted], "实际检查": [r.actual for r in counted]},
                        "户") if counted else None
    return render_template("plan.html", plan=p, progress=progress, source=source, chart=chart,
                           departments=departments)


@bp.get("/plans/<plan_no>.csv")
def plan_csv(plan_no: str):
    """The plan's tasks with what each planned and what was inspected."""
    with get_db().session() as session:
        p = _plan(session, plan_no)
        rows = [[r.task.seq, r.task.task_no, r.task.name, "、".join(d.published_name for d in r.task.departments),
                 r.task.ratio_text, r.task.planned_count_text, r.actual, r.status_text]
                for r in pages.progress(session, p.tasks)]
    return csv_response(f"{p.plan_no}.csv", ["序号", "抽查任务编号", "抽查任务名称", "检查部门", "抽取比例", "抽取数量",
                                             "实际检查户数", "对照计划"], rows)
