"""An entity's page: who it is, its whole inspection history, its credit outcomes, the source of
every fact, and the same record as CSV."""
from __future__ import annotations

from flask import Blueprint, abort, render_template

from gongshi.api.context import get_db
from gongshi.portal import charts
from gongshi.portal.web import csv_response
from gongshi.store import corrections, pages, queries, standing
from gongshi.store.stats import DEFAULT_DEADLINE_DAYS
from gongshi.store.workdays import china_today, is_on_time

bp = Blueprint("entities", __name__)


def _record(session, key: str):
    record = pages.entity_record(session, key.strip().upper())
    if record is None:
        abort(404, description=f"没有统一社会信用代码（或注册号）为“{key[:40]}”的市场主体。")
    return record


def timeliness(inspection) -> str:
    """按时 / 逾期 / 未知, against the deadline that applies to this result."""
    on_time, estimated = is_on_time(inspection.completed_on, inspection.published_on,
                                    inspection.deadline_working_days or DEFAULT_DEADLINE_DAYS)
    text = {True: "按时", False: "逾期", None: "无法判断"}[on_time]
    return text + ("（估算）" if estimated and on_time is not None else "")


@bp.get("/enterprises/<key>")
def entity(key: str):
    with get_db().session() as session:
        record = _record(session, key)
        facts = [record.entity, *record.inspections, *record.credit_events]
        sources = queries.sources(session, [f.source_id for f in facts] + [n.source_id for n in record.names])
        regions = queries.regions(session, [record.region_code])
        departments = queries.departments_by_id(session)
        requests = corrections.by_fact(record.corrections)  # loaded with the record, or lazily here
        led_by = standing.outcome_links(session, [c.id for c in record.credit_events])
    summary = standing.standing(record.entity, record.inspections, record.credit_events, china_today())
    chart = charts.entity_history(record.inspections) if any(i.completed_on for i in record.inspections) else None
    return render_template("entity.html", record=record, sources=sources, region=regions.get(record.region_code),
                           departments=departments, chart=chart, timeliness=timeliness,
                           corrections=requests, standing=summary, led_by=led_by,
                           inspections_by_id={i.id: i for i in record.inspections})


CSV_HEADER = ["类别", "日期", "抽查任务编号", "抽查任务名称", "抽查机关", "检查事项/事由", "检查结果/内容", "后续处置",
              "公示日期", "按时公示", "决定书文号", "罚款金额（元）", "信用风险分类", "来源文件", "来源行号"]


@bp.get("/enterprises/<key>.csv")
def entity_csv(key: str):
    """One row per checked item of every inspection, then one per credit outcome."""
    with get_db().session() as session:
        record = _record(session, key)
        sources = queries.sources(session, [f.source_id for f in [*record.inspections, *record.credit_events]])
    rows = []
    for i in record.inspections:
        for f in i.findings or [None]:
            rows.append(["抽查结果", i.completed_on, i.task.task_no, i.task.name, i.authorities_text,
                         f and f.item, f.result if f else i.result_text, i.follow_up, i.published_on, timeliness(i),
                         None, None, None, sources[i.source_id].name, f.source_row if f else i.source_row])
    for c in record.credit_events:
        rows.append([c.kind_text, c.decided_on, None, None, c.authority_text, c.reason, c.content, None, None, None,
                     c.decision_no, c.amount_yuan, c.risk_class, sources[c.source_id].name, c.source_row])
    return csv_response(f"{record.public_key}.csv", CSV_HEADER, rows)
