"""What the data says about the regime: coverage, timeliness, joint share, burden, credit link.

Each figure is defined once, in `DEFINITIONS` (the words shown on /about and in the data
dictionary), and computed here from aggregate tables (`Stat*` in store/models.py). Those tables
are brought up to date by `refresh` inside every ingest's transaction, for what that ingest
changed only; the read functions below never go back to all the raw rows.
"""
from __future__ import annotations

import datetime as dt
import io
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from sqlalchemy import Integer, and_, case, cast, delete, distinct, extract, func, insert, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from gongshi.store.models import (
    CreditEvent,
    Department,
    Inspection,
    InspectionDepartment,
    MarketEntity,
    Region,
    Source,
    StatCase,
    StatCredit,
    StatDepartmentYear,
    StatDirectory,
    StatEntity,
    StatOutcome,
    StatTaskGroup,
    StatYear,
    Task,
    TaskDepartment,
)
from gongshi.store.queries import year_department_filters
from gongshi.store.tabular import sheet_titles
from gongshi.store.workdays import is_on_time

__all__ = ["DEFINITIONS", "CoverageRow", "Attachment3Row", "PlanRow", "coverage", "headline", "attachment3",
           "attachment3_xlsx", "is_on_time", "planned_vs_actual", "burden", "directory_coverage", "never_drawn",
           "credit_link", "refresh", "rebuild", "clear"]

DEFINITIONS: dict[str, str] = {
    "lead_department": "牵头部门：任务已公布时为该抽查任务的发起部门（检查主体）；任务未公布时为检查结果中列出的第一个抽查机关。",
    "year": "年度：抽查任务所属年度；任务未标明年度时，取检查完成日期所在年度。",
    "level": "层级：按检查结果中列出的第一个抽查机关所在行政区划划分，县（市、区）级为“下级”（县区政府有关部门），"
             "市级、省级或未能识别的为“本级”（市政府有关部门本级）。",
    "counting_rule": "计数规则（附件3）：为防止重复统计，抽查批次（抽查任务数）、抽查数量（户，即被检查市场主体的户次）和"
                     "抽查结果公示数量只计入牵头部门；双随机抽查案件数和处罚金额计入作出处罚的每个参与部门。"
                     "按系统内双随机抽查和部门联合抽查、本级和下级分列。涉及市场主体的检查结果均归集至公示系统，"
                     "因此公示数量计入“公示系统”一栏，“专业系统”“部门网站”两栏无数据来源，留空。",
    "joint_share": "联合抽查占比：部门当年牵头的部门联合抽查任务数 ÷ 该部门当年牵头的全部抽查任务数，"
                   "对照不低于10%的目标（随州、乳山实施办法）。联合抽查任务指有两个及以上部门参与的任务。",
    "on_time": "按时公示：公示日期不晚于检查完成日期后第N个工作日（完成当日不计）。工作日按国务院办公厅公布的节假日安排，"
               "含调休上班日。N 为公示地的规定：默认20个工作日（南通），江苏省2021年省级任务为10个工作日，可按来源设定。"
               "超出日历已知年份的日期按周一至周五计算，并标为“估算”。无公示日期的记为“未知”，不计入按时率，单独统计。",
    "problems_found": "发现问题：至少有一个检查事项的结果不是“未发现问题”或“未发现开展本次抽查涉及的经营活动”。",
    "planned_vs_actual": "计划与实际：任务实际检查的市场主体户数，对照其公布的抽取数量（确数须相等；“约”数允许上下10%；"
                         "“不少于”须达到）；公布了检查对象总数时，再对照抽取比例。",
    "burden": "检查负担（进一次门、查多项事）：同一年度被两个及以上抽查任务检查的市场主体数，其检查户次，"
              "以及其中未并入部门联合抽查的户次。",
    "coverage": "名录覆盖率：检查对象名录库中的市场主体在最近1年、3年、5年内（截至有检查数据的最近年度）至少被抽查一次的比例；"
                "5年内从未被抽中的主体单独列出，依江苏省实施方案应提高其被抽中的概率。",
    "credit_link": "信用关联：按市场主体最近一次信用风险分类（A–D，未分类单列）统计当年每百户检查户次和发现问题比例；"
                   "以及检查完成后180日内对同一主体作出的行政处罚和列入经营异常名录。",
    "cases": "双随机抽查案件：检查完成后180日内，参与该次检查的部门对同一主体作出的行政处罚；处罚金额为其罚款金额。",
}

OWN, LOWER = "本级", "下级"
SYSTEM, JOINT = "系统内双随机抽查", "部门联合抽查"
FOLLOW_UP = dt.timedelta(days=180)
PENALTY, ABNORMAL, RISK = "行政处罚", "列入经营异常名录", "信用风险分类"
RISK_CLASSES = ("A", "B", "C", "D", "")
JOINT_TARGET = 0.10
DEFAULT_DEADLINE_DAYS = 20  # seed 000; the ingest stores the applicable N on every inspection
BATCH = 2000
# Published columns (kept in a task's extras) that give the size of the directory it drew from.
DIRECTORY_SIZE_HEADERS = ("检查对象总数", "名录库户数", "抽查对象总数", "市场主体总数")


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _batched(ids: Iterable[int]) -> Iterator[list[int]]:
    ids = sorted(ids)
    for start in range(0, len(ids), BATCH):
        yield ids[start:start + BATCH]


# --- shared SQL expressions ----------------------------------------------------------------

def _inline(value: str | int):
    """A constant written into the SQL itself: PostgreSQL only matches a GROUP BY expression
    to its SELECT twin when neither carries bound parameters."""
    return literal_column(repr(value) if isinstance(value, int) else f"'{value}'")


_first_authority = aliased(InspectionDepartment)
YEAR = func.coalesce(Task.year, cast(extract("year", Inspection.completed_on), Integer))
LEVEL = case((Region.level == _inline("县"), _inline(LOWER)), else_=_inline(OWN))
DAYS = func.coalesce(Inspection.deadline_working_days, _inline(DEFAULT_DEADLINE_DAYS))
NO_CLASS = _inline("")


def _inspections(*columns):
    """Inspections with their task's year and the level of the first authority's office."""
    return (select(*columns).select_from(Inspection).join(Task, Task.id == Inspection.task_id)
            .outerjoin(_first_authority, and_(_first_authority.inspection_id == Inspection.id,
                                              _first_authority.position == 0))
            .outerjoin(Region, Region.code == _first_authority.region_code))


STAT_MODELS = (StatOutcome, StatCase, StatCredit, StatDepartmentYear, StatYear, StatTaskGroup, StatDirectory,
               StatEntity)

# --- maintained at ingest ------------------------------------------------------------------


def refresh(session: Session, changed: Mapping[str, Iterable[int]]) -> None:
    """Bring the aggregates up to date for what one ingest changed (table → ids), inside the
    ingest's transaction. Work is limited to the tasks, entities and years those ids touch."""
    changed_tasks = set(changed.get("task", ()))
    tasks, entities = set(changed_tasks), set(changed.get("market_entity", ()))
    for batch in _batched(changed.get("inspection", ())):
        for task_id, entity_id in session.execute(select(Inspection.task_id, Inspection.entity_id)
                                                  .where(Inspection.id.in_(batch))):
            tasks.add(task_id)
            entities.add(entity_id)
    # A corrected task moves its inspections' year and departments: their outcomes follow.
    entities |= _column_of(session, Inspection.entity_id, Inspection.task_id, changed_tasks)
    entities |= _column_of(session, CreditEvent.entity_id, CreditEvent.id, set(changed.get("credit_event", ())))
    years = _refresh_task_groups(session, tasks) | _refresh_entities(session, entities)
    if years:
        _refresh_years(session, years)
    if entities:
        _refresh_directory(session)


def rebuild(session: Session) -> None:
    """Recompute every aggregate from the facts (after a migration, or to check `refresh`)."""
    clear(session)
    refresh(session, {"task": set(session.scalars(select(Task.id))),
                      "market_entity": set(session.scalars(select(MarketEntity.id)))})


def clear(session: Session) -> None:
    """Empty every aggregate (before facts are deleted wholesale, or a rebuild)."""
    for model in STAT_MODELS:
        session.execute(delete(model))


def _column_of(session: Session, column, key, ids: set[int]) -> set[int]:
    out: set[int] = set()
    for batch in _batched(ids):
        out.update(session.scalars(select(column).where(key.in_(batch)).distinct()))
    return out


def _refresh_task_groups(session: Session, task_ids: set[int]) -> set[int]:
    """Rewrite the groups of these tasks; returns the years touched before and after."""
    years: set[int] = set()
    for batch in _batched(task_ids):
        years.update(session.scalars(delete(StatTaskGroup.__table__).where(StatTaskGroup.task_id.in_(batch))
                                     .returning(StatTaskGroup.year)))
        groups: dict[tuple, Counter] = defaultdict(Counter)
        tasks = session.execute(select(Task.id, Task.year, Task.lead_department_id, Task.deadline_working_days,
                                       Task.joint).where(Task.id.in_(batch))).all()
        joint = {t.id: t.joint for t in tasks}
        rows = session.execute(
            _inspections(Inspection.task_id, YEAR, Inspection.lead_department_id, LEVEL, DAYS, Inspection.joint,
                         Inspection.problems_found, Inspection.completed_on, Inspection.published_on, func.count())
            .where(Inspection.task_id.in_(batch), Inspection.lead_department_id.is_not(None))
            .group_by(Inspection.task_id, YEAR, Inspection.lead_department_id, LEVEL, DAYS, Inspection.joint,
                      Inspection.problems_found, Inspection.completed_on, Inspection.published_on))
        for task_id, year, dept, level, days, is_joint, problems, completed, published, n in rows:
            if year is None:
                continue
            joint[task_id] = joint[task_id] or is_joint
            on_time, estimated = is_on_time(completed, published, days)
            g = groups[(task_id, year, dept, level, days)]
            g["inspections"] += n
            g["problems_found"] += n * problems
            g["published"] += n * (published is not None)
            g["on_time"] += n * (on_time is True)
            g["late"] += n * (on_time is False)
            g["publication_unknown"] += n * (on_time is None)
            g["on_time_estimated"] += n * estimated
        done = {key[0] for key in groups}
        for id_, year, lead, days, _ in tasks:
            if id_ not in done and year is not None and lead is not None:
                groups[(id_, year, lead, OWN, days or DEFAULT_DEADLINE_DAYS)] = Counter()
        _insert(session, StatTaskGroup, [
            {"task_id": t, "year": y, "department_id": d, "level": lv, "deadline_working_days": days,
             "joint": bool(joint[t]), **{f: c[f] for f in _GROUP_COUNTS}}
            for (t, y, d, lv, days), c in groups.items()])
        years.update(key[1] for key in groups)
    return years


_GROUP_COUNTS = ("inspections", "problems_found", "published", "on_time", "late", "publication_unknown",
                 "on_time_estimated")


def _refresh_entities(session: Session, entity_ids: set[int]) -> set[int]:
    """Rewrite these entities' summary (directory, risk class, last year inspected) and the
    outcomes that follow their inspections; returns the years whose figures they touch."""
    years: set[int] = set()
    for batch in _batched(entity_ids):
        old_risk = dict(session.execute(delete(StatEntity.__table__).where(StatEntity.entity_id.in_(batch))
                                        .returning(StatEntity.entity_id, StatEntity.risk_class)).all())
        years.update(session.scalars(delete(StatOutcome.__table__).where(StatOutcome.entity_id.in_(batch))
                                     .returning(StatOutcome.year)))
        inspected: dict[int, set[int]] = defaultdict(set)
        for entity_id, year in session.execute(_inspections(Inspection.entity_id, YEAR)
                                               .where(Inspection.entity_id.in_(batch)).distinct()):
            if year is not None:
                inspected[entity_id].add(year)
        credit = session.execute(select(CreditEvent.id, CreditEvent.entity_id, CreditEvent.kind, CreditEvent.decided_on,
                                        CreditEvent.department_id, CreditEvent.amount_yuan, CreditEvent.risk_class)
                                 .where(CreditEvent.entity_id.in_(batch), CreditEvent.kind.in_((PENALTY, ABNORMAL, RISK)))
                                 .order_by(CreditEvent.entity_id, CreditEvent.decided_on.nulls_first(),
                                           CreditEvent.id)).all()
        # The last (latest) class of each entity wins.
        risk = {e.entity_id: e.risk_class for e in credit if e.kind == RISK and e.risk_class}
        directory = session.execute(select(MarketEntity.id, Source.kind == "entity")
                                    .join(Source, Source.id == MarketEntity.source_id)
                                    .where(MarketEntity.id.in_(batch))).all()
        _insert(session, StatEntity, [
            {"entity_id": id_, "in_directory": bool(in_dir), "risk_class": risk.get(id_),
             "last_inspected_year": max(inspected[id_], default=None)} for id_, in_dir in directory])
        for id_, _ in directory:
            if old_risk.get(id_, risk.get(id_)) != risk.get(id_):
                years.update(inspected[id_])
        outcomes = _outcomes(session, [e for e in credit if e.kind != RISK and e.decided_on is not None])
        _insert(session, StatOutcome, outcomes)
        years.update(o["year"] for o in outcomes)
    return years


def _outcomes(session: Session, events: list) -> list[dict]:
    """Link each penalty and abnormal-list entry to the latest inspection of the same entity
    completed at most 180 days before it, preferring one its department took part in."""
    if not events:
        return []
    inspections: dict[int, list] = defaultdict(list)
    rows = session.execute(_inspections(Inspection.id, Inspection.entity_id, Inspection.task_id,
                                        Inspection.completed_on, YEAR.label("year"), LEVEL.label("level"),
                                        Inspection.joint)
                           .where(Inspection.entity_id.in_({e.entity_id for e in events}),
                                  Inspection.completed_on.is_not(None))).all()
    for row in rows:
        inspections[row.entity_id].append(row)
    taking_part = _departments_taking_part(session, rows)
    out = []
    for e in events:
        window = [i for i in inspections[e.entity_id]
                  if i.completed_on <= e.decided_on <= i.completed_on + FOLLOW_UP and i.year is not None]
        if not window:
            continue
        linked = max(window, key=lambda i: (e.department_id in taking_part[i.id], i.completed_on, i.id))
        is_case = e.kind == PENALTY and e.department_id in taking_part[linked.id]
        out.append({"credit_event_id": e.id, "entity_id": e.entity_id, "inspection_id": linked.id, "kind": e.kind,
                    "department_id": e.department_id, "year": linked.year, "level": linked.level,
                    "joint": bool(linked.joint), "is_case": is_case, "amount_yuan": e.amount_yuan})
    return out


def _departments_taking_part(session: Session, inspections: list) -> dict[int, set[int]]:
    """Departments that took part in each inspection: its authorities and its task's departments."""
    out: dict[int, set[int]] = defaultdict(set)
    by_task: dict[int, set[int]] = defaultdict(set)
    for batch in _batched({i.id for i in inspections}):
        for id_, dept in session.execute(select(InspectionDepartment.inspection_id, InspectionDepartment.department_id)
                                         .where(InspectionDepartment.inspection_id.in_(batch))):
            out[id_].add(dept)
    for batch in _batched({i.task_id for i in inspections}):
        for task_id, dept in session.execute(select(TaskDepartment.task_id, TaskDepartment.department_id)
                                             .where(TaskDepartment.task_id.in_(batch))):
            by_task[task_id].add(dept)
    for i in inspections:
        out[i.id] |= by_task[i.task_id]
    return out


def _refresh_years(session: Session, years: set[int]) -> None:
    """Recompute the per-year tables (distinct entities, burden, cases, credit link) for these years."""
    for model in (StatDepartmentYear, StatYear, StatCase, StatCredit):
        session.execute(delete(model).where(model.year.in_(years)))
    in_years = YEAR.in_(years)
    rows = session.execute(_inspections(YEAR, Inspection.lead_department_id, func.count(distinct(Inspection.entity_id)))
                           .where(in_years, Inspection.lead_department_id.is_not(None))
                           .group_by(YEAR, Inspection.lead_department_id)).all()
    _insert(session, StatDepartmentYear, [{"year": y, "department_id": d, "entities": n} for y, d, n in rows])
    _insert(session, StatYear, _year_rows(session, in_years))
    rows = session.execute(select(StatOutcome.year, StatOutcome.department_id, StatOutcome.level, StatOutcome.joint,
                                  func.count(), func.coalesce(func.sum(StatOutcome.amount_yuan), 0))
                           .where(StatOutcome.year.in_(years), StatOutcome.is_case)
                           .group_by(StatOutcome.year, StatOutcome.department_id, StatOutcome.level,
                                     StatOutcome.joint)).all()
    _insert(session, StatCase, [{"year": y, "department_id": d, "level": lv, "joint": j, "cases": n,
                                 "fines_yuan": Decimal(fines)} for y, d, lv, j, n, fines in rows])
    _insert(session, StatCredit, _credit_rows(session, years, in_years))


def _insert(session: Session, model, rows: list[dict]) -> None:
    """A plain executemany on the table: the ORM's bulk path costs more than the database here."""
    if rows:
        session.execute(insert(model.__table__), rows)


def _year_rows(session: Session, in_years) -> list[dict]:
    per_entity = (_inspections(YEAR.label("year"), Inspection.entity_id, func.count().label("n"),
                               func.sum(case((Inspection.joint, 0), else_=1)).label("separate"))
                  .where(in_years).group_by(YEAR, Inspection.entity_id).subquery())
    multi = per_entity.c.n > 1
    rows = session.execute(select(per_entity.c.year, func.count(),
                                  func.sum(case((multi, 1), else_=0)), func.sum(case((multi, per_entity.c.n), else_=0)),
                                  func.sum(case((multi, per_entity.c.separate), else_=0)))
                           .group_by(per_entity.c.year))
    return [{"year": y, "entities_inspected": n, "multi_task_entities": m or 0, "multi_task_visits": v or 0,
             "separate_visits": s or 0} for y, n, m, v, s in rows if y is not None]


def _credit_rows(session: Session, years: set[int], in_years) -> list[dict]:
    risk = func.coalesce(StatEntity.risk_class, NO_CLASS)
    out: dict[tuple, dict] = {}
    for year, cls, n, problems in session.execute(
            _inspections(YEAR, risk, func.count(), func.sum(case((Inspection.problems_found, 1), else_=0)))
            .join(StatEntity, StatEntity.entity_id == Inspection.entity_id)
            .where(in_years).group_by(YEAR, risk)):
        out[(year, cls)] = {"year": year, "risk_class": cls, "inspections": n, "problems_found": problems,
                            "followed_by_penalty": 0, "followed_by_abnormal": 0}
    for year, cls, kind, n in session.execute(
            select(StatOutcome.year, risk, StatOutcome.kind, func.count(distinct(StatOutcome.inspection_id)))
            .join(StatEntity, StatEntity.entity_id == StatOutcome.entity_id)
            .where(StatOutcome.year.in_(years)).group_by(StatOutcome.year, risk, StatOutcome.kind)):
        if (year, cls) in out:
            out[(year, cls)]["followed_by_penalty" if kind == PENALTY else "followed_by_abnormal"] = n
    return list(out.values())


def _refresh_directory(session: Session) -> None:
    """The histogram behind directory coverage: one GROUP BY over the per-entity summary."""
    session.execute(delete(StatDirectory))
    rows = session.execute(select(StatEntity.in_directory, func.coalesce(StatEntity.risk_class, NO_CLASS),
                                  func.coalesce(StatEntity.last_inspected_year, _inline(0)), func.count())
                           .group_by(StatEntity.in_directory, func.coalesce(StatEntity.risk_class, NO_CLASS),
                                     func.coalesce(StatEntity.last_inspected_year, _inline(0)))).all()
    _insert(session, StatDirectory, [{"in_directory": d, "risk_class": r, "last_inspected_year": y, "entities": n}
                                     for d, r, y, n in rows])


# --- read functions ------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageRow:
    """One department's year (see DEFINITIONS: lead_department, joint_share, on_time, cases)."""

    department_id: int
    department: str
    year: int
    tasks: int
    joint_tasks: int
    joint_share: float | None
    meets_joint_target: bool | None
    inspections: int
    entities: int
    problems_found: int
    published: int
    on_time: int
    late: int
    on_time_share: float | None
    publication_unknown: int
    on_time_estimated: int
    deadline_working_days: int | None
    cases: int
    fines_yuan: Decimal


def coverage(session: Session, *, year: int | None = None, department_id: int | None = None) -> list[CoverageRow]:
    """Per department and year: batches and joint share, inspections, problems, timeliness, cases
    and fines. Newest year first, then by number of tasks."""
    g = StatTaskGroup
    key = (g.year, g.department_id)
    sums = [func.sum(getattr(g, f)) for f in _GROUP_COUNTS]
    groups = {(y, d): rest for y, d, *rest in session.execute(
        select(*key, func.count(distinct(g.task_id)), func.count(distinct(case((g.joint, g.task_id)))), *sums)
        .where(*year_department_filters(g, year, department_id)).group_by(*key))}
    days: dict[tuple, int] = {}
    for y, d, n, _ in session.execute(
            select(*key, g.deadline_working_days, func.sum(g.inspections)).where(*year_department_filters(g, year, department_id))
            .group_by(*key, g.deadline_working_days).order_by(func.sum(g.inspections), g.deadline_working_days.desc())):
        days[(y, d)] = n  # ascending order: the rule that covers the most inspections is written last
    entities = {(y, d): n for y, d, n in session.execute(
        select(StatDepartmentYear.year, StatDepartmentYear.department_id, StatDepartmentYear.entities)
        .where(*year_department_filters(StatDepartmentYear, year, department_id)))}
    cases = {(y, d): (n, f) for y, d, n, f in session.execute(
        select(StatCase.year, StatCase.department_id, func.sum(StatCase.cases), func.sum(StatCase.fines_yuan))
        .where(*year_department_filters(StatCase, year, department_id)).group_by(StatCase.year, StatCase.department_id))}
    names = _department_names(session, {d for _, d in groups.keys() | cases.keys()})
    rows = []
    for y, d in groups.keys() | cases.keys():
        tasks, joint, inspections, problems, published, on_time, late, unknown, estimated = groups.get((y, d), [0] * 9)
        n_cases, fines = cases.get((y, d), (0, 0))
        share = _share(joint, tasks)
        rows.append(CoverageRow(
            department_id=d, department=names[d], year=y, tasks=tasks, joint_tasks=joint, joint_share=share,
            meets_joint_target=None if share is None else share >= JOINT_TARGET, inspections=inspections,
            entities=entities.get((y, d), 0), problems_found=problems, published=published, on_time=on_time,
            late=late, on_time_share=_share(on_time, on_time + late), publication_unknown=unknown,
            on_time_estimated=estimated, deadline_working_days=days.get((y, d)), cases=n_cases,
            fines_yuan=Decimal(fines).quantize(Decimal("0.01"))))
    return sorted(rows, key=lambda r: (-r.year, -r.tasks, -r.cases, r.department))


def _department_names(session: Session, ids: set[int]) -> dict[int, str]:
    return dict(session.execute(select(Department.id, Department.name).where(Department.id.in_(ids))).all()) \
        if ids else {}


def latest_year(session: Session) -> int | None:
    """The newest year with inspections, else with tasks."""
    return (session.scalar(select(func.max(StatTaskGroup.year)).where(StatTaskGroup.inspections > 0))
            or session.scalar(select(func.max(StatTaskGroup.year))))


def headline(session: Session, year: int | None = None) -> dict:
    """The home page figures for a year (the latest by default); the current year is provisional."""
    year = year if year is not None else latest_year(session)
    g = StatTaskGroup
    tasks, joint, inspections, problems, on_time, late = session.execute(
        select(func.count(distinct(g.task_id)), func.count(distinct(case((g.joint, g.task_id)))),
               func.sum(g.inspections), func.sum(g.problems_found), func.sum(g.on_time), func.sum(g.late))
        .where(g.year == year)).one()
    entities = session.scalar(select(StatYear.entities_inspected).where(StatYear.year == year))
    return {"year": year, "provisional": year is not None and year >= dt.date.today().year,
            "tasks": tasks, "joint_tasks": joint, "inspections": inspections or 0, "entities_inspected": entities or 0,
            "problems_found": problems or 0, "problem_share": _share(problems or 0, inspections or 0),
            "joint_share": _share(joint, tasks), "on_time_share": _share(on_time or 0, (on_time or 0) + (late or 0))}


# --- the official form (seed 003, 附件3) -------------------------------------------------------

FORM_ROWS = {  # (category, level) → the form's row label
    (SYSTEM, OWN): "市政府有关部门本级开展抽查信息",
    (SYSTEM, LOWER): "县区政府有关部门开展系统抽查信息",
    (JOINT, OWN): "市政府有关部门本级开展联合抽查信息",
    (JOINT, LOWER): "县区辖区内开展部门联合抽查信息",
}
TOTAL = "合计"


@dataclass(frozen=True)
class Attachment3Row:
    """One row of 附件3 for one department (None: all departments) — DEFINITIONS["counting_rule"]."""

    department_id: int | None
    department: str
    category: str  # 系统内双随机抽查 / 部门联合抽查
    level: str  # 本级 / 下级
    label: str
    batches: int
    entities: int  # 抽查数量（户）
    published_system: int  # 公示系统
    published_professional: int | None  # 专业系统: no source says
    published_website: int | None  # 部门网站: no source says
    cases: int
    fines_wan: Decimal  # 万元


def attachment3(session: Session, year: int) -> list[Attachment3Row]:
    """附件3's four rows for every department with figures in the year, then for all (合计)."""
    g = StatTaskGroup
    figures: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0, Decimal(0)])
    for d, joint, level, batches, entities, published in session.execute(
            select(g.department_id, g.joint, g.level, func.count(distinct(g.task_id)), func.sum(g.inspections),
                   func.sum(g.published)).where(g.year == year).group_by(g.department_id, g.joint, g.level)):
        figures[(d, JOINT if joint else SYSTEM, level)][:3] = [batches, entities, published]
    for d, joint, level, cases, fines in session.execute(
            select(StatCase.department_id, StatCase.joint, StatCase.level, StatCase.cases, StatCase.fines_yuan)
            .where(StatCase.year == year)):
        figures[(d, JOINT if joint else SYSTEM, level)][3:] = [cases, fines]
    names = _department_names(session, {d for d, _, _ in figures})
    totals: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0, Decimal(0)])
    for (_, category, level), values in figures.items():
        totals[(None, category, level)] = [a + b for a, b in zip(totals[(None, category, level)], values)]
    rows = []
    for d in sorted(names, key=names.get) + [None]:
        source = totals if d is None else figures
        for category, level in FORM_ROWS:
            batches, entities, published, cases, fines = source.get((d, category, level), [0, 0, 0, 0, Decimal(0)])
            rows.append(Attachment3Row(d, names.get(d, TOTAL), category, level, FORM_ROWS[(category, level)],
                                       batches, entities, published, None, None, cases,
                                       (Decimal(fines) / 10000).quantize(Decimal("0.0001"))))
    return rows


_HEADER = ["区分", "类别", "抽查批次", "抽查数量（户）", "抽查结果公示数量（户）", None, None, "双随机抽查案件数（件）",
           "案件处罚金额（万元）"]
_CHANNELS = ["公示系统", "专业系统", "部门网站"]
_NOTES = ["1.为防止重复统计，抽查批次、抽查数量和公示数量由联合抽查发起部门统计，案件数、罚没金额由参与部门分别统计。",
          "2.涉及市场主体的抽查检查结果必须归集至公示系统，其他抽查检查结果可通过专业抽查系统或部门网站等渠道进行公示。",
          "3.市州政府统计既含本级有关部门双随机抽查信息，也含所属县区政府有关部门双随机抽查信息。"]


def attachment3_xlsx(session: Session, year: int) -> bytes:
    """附件3 as XLSX, laid out like the form: a sheet for all departments (合计), then one each."""
    rows = attachment3(session, year)
    wb = Workbook()
    wb.remove(wb.active)
    by_department: dict[str, list[Attachment3Row]] = defaultdict(list)
    for r in rows:
        by_department[r.department].append(r)
    names = [TOTAL] + [n for n in by_department if n != TOTAL]
    for name, title in zip(names, sheet_titles(names)):
        _form_sheet(wb.create_sheet(title), year, name, by_department[name])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _form_sheet(ws, year: int, department: str, rows: list[Attachment3Row]) -> None:
    thin = Side(style="thin")
    ws.append(["“双随机、一公开”监管信息统计表"])
    ws.append([f"（{year}年度）"])
    ws.append([f"填报单位：{'全部部门' if department == TOTAL else department}", None, None, None, None, None,
               f"生成日期：{dt.date.today():%Y年%m月%d日}"])
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


# --- planned vs actual, burden, directory coverage, credit link -------------------------------

PLAN_STATUS = {"met": "达到", "under": "未达到", "over": "超出", "unknown": "未公布"}
APPROXIMATE_TOLERANCE = 0.10


@dataclass(frozen=True)
class PlanRow:
    """A task's inspected entities against its 抽取数量 and 抽取比例 (DEFINITIONS["planned_vs_actual"])."""

    task_id: int
    task_no: str
    name: str
    year: int | None
    department_id: int | None
    planned_count: int | None
    planned_qualifier: str | None  # exact, approximate, minimum
    planned_text: str | None
    actual: int
    status: str  # met, under, over, unknown
    status_text: str
    ratio_percent: Decimal | None
    directory_size: int | None
    expected_from_ratio: int | None
    actual_ratio_percent: float | None


def plan_status(planned: int | None, qualifier: str | None, actual: int) -> str:
    """met / under / over against a planned count that is exact, approximate (±10%) or a minimum."""
    if planned is None:
        return "unknown"
    if qualifier == "minimum":
        return "met" if actual >= planned else "under"
    slack = math.floor(planned * APPROXIMATE_TOLERANCE) if qualifier == "approximate" else 0
    return "under" if actual < planned - slack else "over" if actual > planned + slack else "met"


def _directory_size(extras: dict) -> int | None:
    for header in DIRECTORY_SIZE_HEADERS:
        text = str(extras.get(header) or "").replace(",", "").strip()
        if text.isdigit():
            return int(text)
    return None


def planned_vs_actual(session: Session, *, year: int | None = None, department_id: int | None = None,
                      task_id: int | None = None) -> list[PlanRow]:
    """Every published task (of a year, a department or one task) with what was actually inspected."""
    actual = (select(StatTaskGroup.task_id, func.sum(StatTaskGroup.inspections).label("n"))
              .group_by(StatTaskGroup.task_id).subquery())
    query = (select(Task, func.coalesce(actual.c.n, 0)).outerjoin(actual, actual.c.task_id == Task.id)
             .order_by(Task.year.desc(), Task.task_no))
    for column, value in ((Task.year, year), (Task.lead_department_id, department_id), (Task.id, task_id)):
        if value is not None:
            query = query.where(column == value)
    rows = []
    for task, n in session.execute(query):
        status = plan_status(task.planned_count, task.planned_count_qualifier, n)
        size = _directory_size(task.extras or {})
        expected = math.ceil(task.ratio_percent * size / 100) if size and task.ratio_percent is not None else None
        rows.append(PlanRow(task.id, task.task_no, task.name, task.year, task.lead_department_id, task.planned_count,
                            task.planned_count_qualifier, task.planned_count_text, n, status, PLAN_STATUS[status],
                            task.ratio_percent, size, expected, 100 * n / size if size else None))
    return rows


def burden(session: Session, year: int | None = None) -> list[dict]:
    """Per year (or one year): entities inspected under more than one task, their visits, and how
    many of those visits were not part of a joint inspection (DEFINITIONS["burden"])."""
    query = select(StatYear).order_by(StatYear.year.desc())
    if year is not None:
        query = query.where(StatYear.year == year)
    return [{"year": s.year, "entities_inspected": s.entities_inspected, "multi_task_entities": s.multi_task_entities,
             "multi_task_share": _share(s.multi_task_entities, s.entities_inspected),
             "multi_task_visits": s.multi_task_visits, "separate_visits": s.separate_visits}
            for s in session.scalars(query)]


def directory_coverage(session: Session) -> dict:
    """Share of the directory inspected in the last 1, 3 and 5 years up to the latest year with
    data, and how many were never drawn in 5 years (DEFINITIONS["coverage"])."""
    year = latest_year(session)
    by_year = Counter(dict(session.execute(
        select(StatDirectory.last_inspected_year, func.sum(StatDirectory.entities))
        .where(StatDirectory.in_directory).group_by(StatDirectory.last_inspected_year)).all()))
    size = sum(by_year.values())
    out = {"year": year, "directory_size": size}
    for n in (1, 3, 5):
        inspected = sum(c for y, c in by_year.items() if year is not None and y > year - n)
        out[f"inspected_{n}y"], out[f"share_{n}y"] = inspected, _share(inspected, size)
    out["never_drawn_5y"] = size - out["inspected_5y"]
    return out


def never_drawn(session: Session, *, limit: int = 100, after_id: int | None = None) -> list[MarketEntity]:
    """Directory entities not inspected in the last 5 years, by id (keyset: pass the last id seen)."""
    year = latest_year(session) or 0
    query = (select(MarketEntity).join(StatEntity, StatEntity.entity_id == MarketEntity.id)
             .where(StatEntity.in_directory, or_(StatEntity.last_inspected_year.is_(None),
                                                  StatEntity.last_inspected_year <= year - 5))
             .order_by(MarketEntity.id).limit(limit))
    if after_id is not None:
        query = query.where(MarketEntity.id > after_id)
    return list(session.scalars(query))


def credit_link(session: Session, year: int | None = None) -> list[dict]:
    """Per credit risk class (A–D, '' unclassified) in a year (the latest by default): inspections
    per 100 entities of the class, share with problems found, and the penalties and abnormal-list
    entries that followed within 180 days (DEFINITIONS["credit_link"])."""
    year = year if year is not None else latest_year(session)
    sizes = dict(session.execute(select(StatDirectory.risk_class, func.sum(StatDirectory.entities))
                                 .group_by(StatDirectory.risk_class)).all())
    stats = {s.risk_class: s for s in session.scalars(select(StatCredit).where(StatCredit.year == year))}
    rows = []
    for cls in RISK_CLASSES:
        s, entities = stats.get(cls), sizes.get(cls, 0)
        inspections = s.inspections if s else 0
        rows.append({"year": year, "risk_class": cls or None, "entities": entities, "inspections": inspections,
                     "per_100_entities": None if not entities else 100 * inspections / entities,
                     "problems_found": s.problems_found if s else 0,
                     "problem_share": _share(s.problems_found, inspections) if s else None,
                     "followed_by_penalty": s.followed_by_penalty if s else 0,
                     "followed_by_abnormal": s.followed_by_abnormal if s else 0})
    return rows
