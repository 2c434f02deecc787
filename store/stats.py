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
    Office,
    Region,
    StatCase,
    StatCredit,
    StatDirectory,
    StatEntity,
    StatOfficeYear,
    StatTaskGroup,
    StatYear,
    Task,
)
from gongshi.store.offices import jurisdiction, jurisdictions
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

__all__ = ["DEFINITIONS", "DEFAULT_DEADLINE_DAYS", "JOINT_TARGET", "SYSTEM", "JOINT", "CoverageRow", "OfficeRow",
           "office_rows", "directory_sizes", "never_drawn_filters",
           "TOTAL", "Attachment3Row", "PlanRow", "coverage", "headline", "latest_year", "attachment3", "planned_vs_actual",
           "plan_status", "burden", "directory_coverage", "never_drawn", "credit_link"]

RISK_CLASSES = (*vocabulary.RISK_CLASSES, "")  # '' for entities never classified
# Published columns (kept in a task's extras) that give the size of the directory it drew from.
DIRECTORY_SIZE_HEADERS = ("检查对象总数", "名录库户数", "抽查对象总数", "市场主体总数")


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None



@dataclass(frozen=True)
class CoverageRow:
    """One office's year, as counts and as rates comparable between offices (see DEFINITIONS:
    office, joint_share, on_time, problems_found, per_100_entities, burden, credit_link, cases)."""

    office_id: int
    office: str
    office_level: str | None  # 省, 市, 县; None for an office the ingest could not place
    region_code: str | None
    region: str | None
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
    problem_share: float | None
    published: int
    on_time: int
    late: int
    on_time_share: float | None
    publication_unknown: int
    on_time_estimated: int
    deadline_working_days: int | None
    directory_size: int | None  # entities of the loaded directory in the office's jurisdiction
    per_100_entities: float | None
    directory_share: float | None
    multi_task_entities: int
    multi_office_entities: int
    problems_followed: int
    credit_link_share: float | None
    cases: int
    fines_yuan: Decimal


def coverage(session: Session, *, year: int | None = None, office_id: int | None = None,
             department_id: int | None = None, region: str | None = None,
             offices: dict[int, OfficeRow] | None = None) -> list[CoverageRow]:
    """Per office and year: batches and joint share, inspections, problems, timeliness, the rate
    per 100 directory entities, burden, credit link, cases and fines. `region` keeps the offices
    of that region and every region below it (a city with its counties); `offices`, rows the
    caller has read already (`office_rows`), replaces the filters. Newest year first."""
    if offices is None:
        offices = office_rows(session, office_id=office_id, department_id=department_id, region=region)
    if not offices:
        return []
    g = StatTaskGroup
    key = (g.year, g.office_id)
    where = [g.office_id.in_(offices), *([g.year == year] if year is not None else [])]
    sums = [func.sum(getattr(g, f)) for f in GROUP_COUNTS]
    groups = {(y, o): rest for y, o, *rest in session.execute(
        select(*key, func.count(distinct(g.task_id)), func.count(distinct(case((g.joint, g.task_id)))), *sums)
        .where(*where).group_by(*key))}
    days: dict[tuple, int] = {}
    for y, o, n, _ in session.execute(
            select(*key, g.deadline_working_days, func.sum(g.inspections)).where(*where)
            .group_by(*key, g.deadline_working_days).order_by(func.sum(g.inspections), g.deadline_working_days.desc())):
        days[(y, o)] = n  # ascending order: the rule that covers the most inspections is written last
    years = {(s.year, s.office_id): s for s in session.scalars(
        select(StatOfficeYear).where(StatOfficeYear.office_id.in_(offices),
                                     *([StatOfficeYear.year == year] if year is not None else [])))}
    cases = {(y, o): (n, f) for y, o, n, f in session.execute(
        select(StatCase.year, StatCase.office_id, func.sum(StatCase.cases), func.sum(StatCase.fines_yuan))
        .where(StatCase.office_id.in_(offices), *([StatCase.year == year] if year is not None else []))
        .group_by(StatCase.year, StatCase.office_id))}
    sizes = directory_sizes(session, {o.region_code for o in offices.values() if o.region_code})
    rows = [_coverage_row(offices[o], y, groups.get((y, o), [0] * 9), years.get((y, o)), cases.get((y, o), (0, 0)),
                          days.get((y, o)), sizes.get(offices[o].region_code))
            for y, o in groups.keys() | cases.keys()]
    return sorted(rows, key=lambda r: (-r.year, -r.tasks, -r.cases, r.office))


def _coverage_row(office, year, group, office_year, case_figures, days, size) -> CoverageRow:
    tasks, joint, inspections, problems, published, on_time, late, unknown, estimated = group
    n_cases, fines = case_figures
    share = _share(joint, tasks)
    entities = office_year.entities if office_year else 0
    followed = office_year.problems_followed if office_year else 0
    return CoverageRow(
        office_id=office.id, office=office.name, office_level=office.level, region_code=office.region_code,
        region=office.region_name, department_id=office.department_id, department=office.department, year=year,
        tasks=tasks, joint_tasks=joint, joint_share=share,
        meets_joint_target=None if share is None else share >= JOINT_TARGET, inspections=inspections,
        entities=entities, problems_found=problems, problem_share=_share(problems, inspections),
        published=published, on_time=on_time, late=late, on_time_share=_share(on_time, on_time + late),
        publication_unknown=unknown, on_time_estimated=estimated, deadline_working_days=days,
        directory_size=size or None, per_100_entities=100 * inspections / size if size else None,
        directory_share=_share(entities, size or 0),
        multi_task_entities=office_year.multi_task_entities if office_year else 0,
        multi_office_entities=office_year.multi_office_entities if office_year else 0,
        problems_followed=followed, credit_link_share=_share(followed, problems), cases=n_cases,
        fines_yuan=Decimal(fines).quantize(Decimal("0.01")))


@dataclass(frozen=True)
class OfficeRow:
    id: int
    name: str
    level: str | None
    placed: bool
    region_code: str | None
    region_name: str | None
    region_parent_code: str | None
    department_id: int
    department: str


def office_rows(session: Session, *, office_id: int | None = None, department_id: int | None = None,
                region: str | None = None) -> dict[int, OfficeRow]:
    """Offices by id, with their kind's and region's names, filtered as given."""
    query = (select(Office.id, Office.name, Office.level, Office.placed, Office.region_code, Region.name,
                    Region.parent_code, Office.department_id, Department.name)
             .join(Department, Department.id == Office.department_id)
             .outerjoin(Region, Region.code == Office.region_code))
    if office_id is not None:
        query = query.where(Office.id == office_id)
    if department_id is not None:
        query = query.where(Office.department_id == department_id)
    if region is not None:
        query = query.where(Office.region_code.in_(jurisdiction(session, region)))
    return {r[0]: OfficeRow(*r) for r in session.execute(query)}


def directory_sizes(session: Session, codes: set[str]) -> dict[str, int]:
    """Entities of the loaded directory (kind `entity`) in each region's jurisdiction: the
    region and every region below it."""
    if not codes:
        return {}
    below = jurisdictions(session, codes)
    counts = dict(session.execute(
        select(StatDirectory.region_code, func.sum(StatDirectory.entities))
        .where(StatDirectory.in_directory, StatDirectory.region_code.in_(set().union(*below.values())))
        .group_by(StatDirectory.region_code)).all())
    return {code: sum(counts.get(c, 0) for c in inside) for code, inside in below.items()}


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
    """One row of 附件3 filed by one office (填报单位; None: all offices, 合计). 本级 is the
    office itself, 下级 the offices of its kind in the regions below it (DEFINITIONS["level"],
    DEFINITIONS["counting_rule"])."""

    office_id: int | None
    office: str
    office_level: str | None
    region_code: str | None
    region: str | None
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


def attachment3(session: Session, year: int, office_id: int | None = None) -> list[Attachment3Row]:
    """附件3's four rows for one filing office, or for every office with figures in the year and
    then for all of them together (合计: county offices are 下级, the others 本级)."""
    figures = _form_figures(session, year)
    offices = office_rows(session)
    if office_id is not None and office_id not in offices:
        return []
    filers = [office_id] if office_id is not None else sorted({o for o, _ in figures}, key=lambda o: offices[o].name)
    below = jurisdictions(session, {offices[f].region_code for f in filers if offices[f].region_code})
    rows = []
    for f in filers:
        office = offices[f]
        inside = below.get(office.region_code, set())
        lower = [o.id for o in offices.values()
                 if o.department_id == office.department_id and o.id != f and o.region_code in inside]
        rows += _form_rows(office, figures, {OWN: [f], LOWER: lower})
    if office_id is None:
        county = [o.id for o in offices.values() if o.level == "县"]
        rows += _form_rows(None, figures, {OWN: [o for o in offices if o not in set(county)], LOWER: county})
    return rows


def _form_figures(session: Session, year: int) -> dict[tuple, list]:
    """(office, category) → [batches, entities, published, cases, fines in 元] for the year."""
    g = StatTaskGroup
    figures: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0, Decimal(0)])
    for o, joint, batches, entities, published in session.execute(
            select(g.office_id, g.joint, func.count(distinct(g.task_id)), func.sum(g.inspections),
                   func.sum(g.published)).where(g.year == year).group_by(g.office_id, g.joint)):
        figures[(o, JOINT if joint else SYSTEM)][:3] = [batches, entities, published]
    for o, joint, cases, fines in session.execute(
            select(StatCase.office_id, StatCase.joint, StatCase.cases, StatCase.fines_yuan)
            .where(StatCase.year == year)):
        figures[(o, JOINT if joint else SYSTEM)][3:] = [cases, fines]
    return figures


def _form_rows(office: OfficeRow | None, figures: dict, levels: dict[str, list[int]]) -> list[Attachment3Row]:
    """The form's four rows for a filing office (None: 合计), summing the offices of each level."""
    filer = (office.id, office.name, office.level, office.region_code, office.region_name) if office \
        else (None, TOTAL, None, None, None)
    rows = []
    for category, level in FORM_ROWS:
        totals = [0, 0, 0, 0, Decimal(0)]
        for values in (figures[(o, category)] for o in levels[level] if (o, category) in figures):
            totals = [a + b for a, b in zip(totals, values)]
        batches, entities, published, cases, fines = totals
        rows.append(Attachment3Row(*filer, category, level, FORM_ROWS[(category, level)], batches, entities, published,
                                   None, None, cases, (Decimal(fines) / 10000).quantize(Decimal("0.0001"))))
    return rows


# --- planned vs actual, burden, directory coverage, credit link -------------------------------

PLAN_STATUS = {"met": "达到", "under": "未达到", "over": "超出", "unknown": "未公布",
               "no_results": "结果未公示/未导入"}
APPROXIMATE_TOLERANCE = 0.10


@dataclass(frozen=True)
class PlanRow:
    """A task's inspected entities against its 抽取数量 and 抽取比例 (DEFINITIONS["planned_vs_actual"])."""

    task_id: int
    task_no: str
    name: str
    year: int | None
    department_id: int | None
    office_id: int | None
    planned_count: int | None
    planned_qualifier: str | None  # exact, approximate, minimum
    planned_text: str | None
    actual: int
    status: str  # met, under, over, unknown (no planned count), no_results
    status_text: str
    ratio_percent: Decimal | None
    directory_size: int | None
    expected_from_ratio: int | None
    actual_ratio_percent: float | None


def plan_status(planned: int | None, qualifier: str | None, actual: int) -> str:
    """met / under / over against a planned count that is exact, approximate (±10%) or a minimum.
    No result at all is no_results: unpublished or not loaded, which the portal cannot tell from
    a task left undone, so it does not say "under"."""
    if actual == 0:
        return "no_results"
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
                      office_id: int | None = None, task_id: int | None = None) -> list[PlanRow]:
    """Every published task (of a year, a department, an office or one task) with what was
    actually inspected."""
    actual = (select(StatTaskGroup.task_id, func.sum(StatTaskGroup.inspections).label("n"))
              .group_by(StatTaskGroup.task_id).subquery())
    query = (select(Task, func.coalesce(actual.c.n, 0)).outerjoin(actual, actual.c.task_id == Task.id)
             .order_by(Task.year.desc(), Task.task_no))
    for column, value in ((Task.year, year), (Task.lead_department_id, department_id),
                          (Task.lead_office_id, office_id), (Task.id, task_id)):
        if value is not None:
            query = query.where(column == value)
    rows = []
    for task, n in session.execute(query):
        status = plan_status(task.planned_count, task.planned_count_qualifier, n)
        size = _directory_size(task.extras or {})
        expected = math.ceil(task.ratio_percent * size / 100) if size and task.ratio_percent is not None else None
        rows.append(PlanRow(task.id, task.task_no, task.name, task.year, task.lead_department_id, task.lead_office_id,
                            task.planned_count,
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


def directory_coverage(session: Session, region: str | None = None) -> dict:
    """Share of the directory (of a region and the regions below it, or all) inspected in the
    last 1, 3 and 5 years up to the latest year with data, and how many were never drawn in 5
    years (DEFINITIONS["coverage"])."""
    year = latest_year(session)
    where = [StatDirectory.in_directory]
    if region is not None:
        where.append(StatDirectory.region_code.in_(jurisdiction(session, region)))
    by_year = Counter(dict(session.execute(
        select(StatDirectory.last_inspected_year, func.sum(StatDirectory.entities))
        .where(*where).group_by(StatDirectory.last_inspected_year)).all()))
    size = sum(by_year.values())
    out = {"year": year, "directory_size": size}
    for n in (1, 3, 5):
        inspected = sum(c for y, c in by_year.items() if year is not None and y > year - n)
        out[f"inspected_{n}y"], out[f"share_{n}y"] = inspected, _share(inspected, size)
    out["never_drawn_5y"] = size - out["inspected_5y"]
    return out


def never_drawn_filters(session: Session, region: str | None = None) -> list:
    """Conditions on MarketEntity: in the directory (of a region and below, or all) and not
    inspected in the last 5 years up to the latest year with data."""
    year = latest_year(session) or 0
    drawn = (select(StatEntity.entity_id)
             .where(StatEntity.in_directory, or_(StatEntity.last_inspected_year.is_(None),
                                                  StatEntity.last_inspected_year <= year - 5)))
    if region is not None:
        drawn = drawn.where(StatEntity.region_code.in_(jurisdiction(session, region)))
    return [MarketEntity.id.in_(drawn)]


def never_drawn(session: Session, *, region: str | None = None, limit: int = 100,
                after_id: int | None = None) -> list[MarketEntity]:
    """Directory entities not inspected in 5 years, by id (keyset: pass the last id seen)."""
    query = select(MarketEntity).where(*never_drawn_filters(session, region)).order_by(MarketEntity.id).limit(limit)
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
