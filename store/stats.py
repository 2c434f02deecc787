"""What the data says about the regime: coverage, timeliness, joint share, burden, credit link.

Each figure is defined once, in `DEFINITIONS` (store/stats_definitions.py), and read here from
the aggregate tables that store/stats_upkeep.py keeps up to date at every ingest; nothing here
goes back to all the raw rows.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, distinct, func, or_, select
from sqlalchemy.orm import Session

from gongshi.store import vocabulary
from gongshi.store.models import (
    Department,
    MarketEntity,
    StatCase,
    StatCredit,
    StatDepartmentYear,
    StatDirectory,
    StatEntity,
    StatTaskGroup,
    StatYear,
    Task,
)
from gongshi.store.queries import year_department_filters
from gongshi.store.stats_definitions import (
    DEFAULT_DEADLINE_DAYS,
    DEFINITIONS,
    GROUP_COUNTS,
    JOINT,
    JOINT_TARGET,
    LOWER,
    OWN,
    SYSTEM,
)

__all__ = ["DEFINITIONS", "DEFAULT_DEADLINE_DAYS", "JOINT_TARGET", "SYSTEM", "JOINT", "CoverageRow",
           "TOTAL", "Attachment3Row", "PlanRow", "coverage", "headline", "latest_year", "attachment3", "planned_vs_actual",
           "plan_status", "burden", "directory_coverage", "never_drawn", "credit_link"]

RISK_CLASSES = (*vocabulary.RISK_CLASSES, "")  # '' for entities never classified
# Published columns (kept in a task's extras) that give the size of the directory it drew from.
DIRECTORY_SIZE_HEADERS = ("检查对象总数", "名录库户数", "抽查对象总数", "市场主体总数")


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None



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
    sums = [func.sum(getattr(g, f)) for f in GROUP_COUNTS]
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


# --- the official form: 附件3, the yearly “双随机、一公开”监管信息统计表 ---------------------------

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
