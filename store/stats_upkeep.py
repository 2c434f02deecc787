"""The statistics' aggregate tables (`Stat*` in store/models.py), kept up to date by `refresh`
inside every ingest's transaction for what that ingest changed only, so that the read functions
(store/stats.py) never go back to all the raw rows.

The work is set-based: the changed ids go into temporary tables (store/scratch.py) and each
aggregate is rewritten by INSERT … SELECT statements joined to them, so that no row per entity
or per inspection passes through Python (only the credit outcomes' 180-day linking does, for
the entities that have penalties or abnormal-list entries)."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Integer,
    String,
    Table,
    and_,
    case,
    cast,
    delete,
    distinct,
    exists,
    extract,
    false,
    func,
    insert,
    literal_column,
    or_,
    select,
    true,
    union,
    update,
)
from sqlalchemy.orm import Session, aliased

from gongshi.store.bulk import insert_rows
from gongshi.store.changes import ENTITY_OF, TASK_OF, changed_ids, touched, touched_table
from gongshi.store.models import (
    CreditEvent,
    Inspection,
    InspectionDepartment,
    MarketEntity,
    Source,
    StatCase,
    StatCredit,
    StatDirectory,
    StatEntity,
    StatOfficeYear,
    StatOutcome,
    StatTaskGroup,
    StatYear,
    Task,
    TaskDepartment,
)
from gongshi.store.scratch import Scratch, scratch
from gongshi.store.stats_definitions import DEFAULT_DEADLINE_DAYS, GROUP_COUNTS
from gongshi.store.workdays import deadline

__all__ = ["STAT_MODELS", "refresh", "rebuild", "rebuild_if_emptied", "clear"]

FOLLOW_UP = dt.timedelta(days=180)
PENALTY, ABNORMAL, RISK = "行政处罚", "列入经营异常名录", "信用风险分类"
SUMMARY = ("in_directory", "region_code", "risk_class", "last_inspected_year")  # StatEntity's columns but its key


# --- SQL expressions over the facts ----------------------------------------------------------

def _inline(value: str | int):
    """A constant written into the SQL itself: PostgreSQL only matches a GROUP BY expression
    to its SELECT twin when neither carries bound parameters."""
    return literal_column(repr(value) if isinstance(value, int) else f"'{value}'")


YEAR = func.coalesce(Task.year, cast(extract("year", Inspection.completed_on), Integer))
DAYS = func.coalesce(Inspection.deadline_working_days, _inline(DEFAULT_DEADLINE_DAYS))
EMPTY = _inline("")  # no risk class, no region


def _inspections(*columns):
    """Inspections with their task (for its year)."""
    return select(*columns).select_from(Inspection).join(Task, Task.id == Inspection.task_id)


def _count(condition):
    """How many rows of the group meet `condition` (NULL counts as not)."""
    return func.sum(case((condition, 1), else_=0))


STAT_MODELS = (StatOutcome, StatCase, StatCredit, StatOfficeYear, StatYear, StatTaskGroup, StatDirectory,
               StatEntity)


def refresh(session: Session, changed: Mapping[str, Iterable[int]]) -> None:
    """Bring the aggregates up to date for what one ingest changed (table → ids), inside the
    ingest's transaction. Work is limited to the tasks, entities and years those ids touch."""
    with scratch(session) as tmp:
        ids = changed_ids(tmp, changed)
        if not ids:
            return
        tasks = touched_table(tmp, "upkeep_task", touched(ids, TASK_OF))
        entities = touched_table(tmp, "upkeep_entity", touched(ids, ENTITY_OF))
        years = _refresh_task_groups(session, tmp, tasks) | \
            _refresh_entities(session, tmp, entities, reclassing="credit_event" in ids)
        if years:
            _refresh_years(session, tmp, years)


def rebuild(session: Session) -> None:
    """Recompute every aggregate from the facts (after a migration, or to check `refresh`)."""
    clear(session)
    refresh(session, {"task": set(session.scalars(select(Task.id))),
                      "market_entity": set(session.scalars(select(MarketEntity.id)))})


def rebuild_if_emptied(session: Session) -> None:
    """Rebuild when a store holds tasks but no task groups: a migration reshaped the aggregates."""
    if session.scalar(select(Task.id).limit(1)) is not None and \
            session.scalar(select(StatTaskGroup.task_id).limit(1)) is None:
        rebuild(session)


def clear(session: Session) -> None:
    """Empty every aggregate (before facts are deleted wholesale, or a rebuild)."""
    for model in STAT_MODELS:
        session.execute(delete(model))


# --- per task: its groups (抽查批次, 户次, timeliness) -------------------------------------------

def _refresh_task_groups(session: Session, tmp: Scratch, tasks: Table) -> set[int]:
    """Rewrite the groups of these tasks; returns the years touched before and after."""
    groups = StatTaskGroup.__table__
    of_tasks = groups.c.task_id.in_(select(tasks.c.id))
    years = set(session.scalars(delete(groups).where(of_tasks).returning(groups.c.year)))
    inspected = Inspection.task_id.in_(select(tasks.c.id))
    due = _due_dates(session, tmp, inspected)
    session.execute(insert(groups).from_select(
        ["task_id", "year", "office_id", "department_id", "deadline_working_days", "joint", *GROUP_COUNTS],
        _inspections(Inspection.task_id, YEAR, Inspection.lead_office_id, Inspection.lead_department_id, DAYS,
                     func.max(case((Inspection.joint, 1), else_=0)) == 1,
                     func.count(), _count(Inspection.problems_found), func.count(Inspection.published_on),
                     _count(Inspection.published_on <= due.c.due), _count(Inspection.published_on > due.c.due),
                     _count(or_(Inspection.completed_on.is_(None), Inspection.published_on.is_(None))),
                     _count(and_(Inspection.published_on.is_not(None), due.c.estimated)))
        .outerjoin(due, and_(due.c.completed_on == Inspection.completed_on, due.c.days == DAYS))
        .where(inspected, Inspection.lead_office_id.is_not(None), YEAR.is_not(None))
        .group_by(Inspection.task_id, YEAR, Inspection.lead_office_id, Inspection.lead_department_id, DAYS)))
    _add_empty_groups(session, tasks)
    # A task is joint when it says so or any of its inspections was carried out jointly.
    joint_group = aliased(groups)
    session.execute(update(groups).where(of_tasks, or_(
        groups.c.task_id.in_(select(Task.id).where(Task.joint)),
        groups.c.task_id.in_(select(joint_group.c.task_id).where(joint_group.c.joint)))).values(joint=true()))
    years.update(session.scalars(select(groups.c.year).where(of_tasks).distinct()))
    return years


def _due_dates(session: Session, tmp: Scratch, inspected) -> Table:
    """The publication deadline of every (completion date, working days) these inspections
    have: few thousand pairs, computed with the working-day calendar in Python."""
    due = tmp.table("upkeep_due", Column("completed_on", Date, primary_key=True),
                    Column("days", Integer, primary_key=True), Column("due", Date), Column("estimated", Boolean))
    pairs = session.execute(select(Inspection.completed_on, DAYS).distinct()
                            .where(inspected, Inspection.completed_on.is_not(None),
                                   Inspection.published_on.is_not(None))).all()
    tmp.fill(due, [{"completed_on": completed, "days": days, "due": day, "estimated": estimated}
                   for completed, days in pairs for day, estimated in [deadline(completed, days)]])
    return due


def _add_empty_groups(session: Session, tasks: Table) -> None:
    """A task is a batch of its lead office (附件3 counts batches by initiator) even when other
    offices (a city task's counties) carried out all of it, or no result is loaded yet: an empty
    group for its lead office in each of its years (its own year when it has no inspection)."""
    groups = StatTaskGroup.__table__
    in_tasks = Task.id.in_(select(tasks.c.id))
    task_years = union(
        select(groups.c.task_id, groups.c.year).where(groups.c.task_id.in_(select(tasks.c.id))),
        select(Task.id, Task.year).where(in_tasks, Task.year.is_not(None),
                                         ~exists().where(groups.c.task_id == Task.id))).subquery()
    led = aliased(groups)
    session.execute(insert(groups).from_select(
        ["task_id", "year", "office_id", "department_id", "deadline_working_days", "joint", *GROUP_COUNTS],
        select(Task.id, task_years.c.year, Task.lead_office_id, Task.lead_department_id,
               func.coalesce(Task.deadline_working_days, DEFAULT_DEADLINE_DAYS), false(),
               *[_inline(0).label(name) for name in GROUP_COUNTS])
        .join(task_years, task_years.c.task_id == Task.id)
        .where(in_tasks, Task.lead_office_id.is_not(None),
               ~exists().where(led.c.task_id == Task.id, led.c.year == task_years.c.year,
                               led.c.office_id == Task.lead_office_id))))


# --- per entity: its summary and the credit outcomes that follow its inspections --------------

def _refresh_entities(session: Session, tmp: Scratch, entities: Table, reclassing: bool) -> set[int]:
    """Bring these entities' summary (directory, risk class, last year inspected) and the
    outcomes that follow their inspections up to date; returns the years whose figures they touch.
    `reclassing`: credit records changed (risk classes come from them only)."""
    in_scope = select(entities.c.id)
    years = set(session.scalars(delete(StatOutcome.__table__).where(StatOutcome.entity_id.in_(in_scope))
                                .returning(StatOutcome.year)))
    summary, stored = _summaries(tmp, in_scope), StatEntity.__table__
    differs = or_(*(stored.c[c].is_distinct_from(summary.c[c]) for c in SUMMARY))
    if reclassing:  # an entity whose class changed moves its inspections between the classes' figures
        reclassed = (select(summary.c.entity_id).join(stored, stored.c.entity_id == summary.c.entity_id)
                     .where(stored.c.risk_class.is_distinct_from(summary.c.risk_class)))
        years.update(session.scalars(_inspections(YEAR).distinct()
                                     .where(Inspection.entity_id.in_(reclassed), YEAR.is_not(None))))
    _move_in_directory(session, summary, differs)
    # Only the summaries that changed are written: a results file changes few entities' class or region.
    session.execute(update(stored).where(stored.c.entity_id == summary.c.entity_id, differs)
                    .values({c: summary.c[c] for c in SUMMARY}))
    session.execute(insert(stored).from_select(["entity_id", *SUMMARY], select(summary.c.entity_id, *(
        summary.c[c] for c in SUMMARY)).where(~exists().where(stored.c.entity_id == summary.c.entity_id))))
    outcomes = _outcomes(session, in_scope)
    _insert(session, StatOutcome, outcomes)
    years.update(o["year"] for o in outcomes)
    return years


def _summaries(tmp: Scratch, entity_ids) -> Table:
    """These entities' summaries as they are now, in a temporary table shaped like StatEntity."""
    summary = tmp.table("upkeep_stat_entity", Column("entity_id", Integer, primary_key=True),
                        Column("in_directory", Boolean), Column("region_code", String(6)),
                        Column("risk_class", String(1)), Column("last_inspected_year", Integer))
    # The last year grouped and joined (PostgreSQL hashes it at once); the class, which few
    # entities have, by a subquery per entity (SQLite would scan a joined window per entity).
    last_year = (_inspections(Inspection.entity_id, func.max(YEAR).label("year"))
                 .where(Inspection.entity_id.in_(entity_ids)).group_by(Inspection.entity_id).subquery())
    latest_class = (select(CreditEvent.risk_class)
                    .where(CreditEvent.entity_id == MarketEntity.id, CreditEvent.kind == RISK,
                           CreditEvent.risk_class.is_not(None), CreditEvent.risk_class != "")
                    .order_by(CreditEvent.decided_on.desc().nulls_last(), CreditEvent.id.desc())
                    .limit(1).scalar_subquery())
    tmp.fill(summary, select(MarketEntity.id, Source.kind == "entity", MarketEntity.region_code, latest_class,
                             last_year.c.year)
             .join(Source, Source.id == MarketEntity.source_id)
             .outerjoin(last_year, last_year.c.entity_id == MarketEntity.id)
             .where(MarketEntity.id.in_(entity_ids)))
    return summary


def _move_in_directory(session: Session, summary: Table, differs) -> None:
    """Move the entities whose summary changes (or that are new) between the cells of the
    histogram behind directory coverage (StatDirectory), before their summaries are written."""
    stored = StatEntity.__table__
    cells = Counter({tuple(key): n for *key, n in session.execute(select(
        StatDirectory.in_directory, StatDirectory.region_code, StatDirectory.risk_class,
        StatDirectory.last_inspected_year, StatDirectory.entities))})
    moves = (*_cell(stored), *_cell(summary))  # from (none for a new entity) → to
    for *move, n in session.execute(select(*moves, func.count()).select_from(summary)
                                    .outerjoin(stored, stored.c.entity_id == summary.c.entity_id)
                                    .where(or_(stored.c.entity_id.is_(None), differs)).group_by(*moves)):
        if move[0] is not None:
            cells[tuple(move[:4])] -= n
        cells[tuple(move[4:])] += n
    session.execute(delete(StatDirectory))
    _insert(session, StatDirectory, [{"in_directory": d, "region_code": g, "risk_class": r, "last_inspected_year": y,
                                      "entities": n} for (d, g, r, y), n in cells.items() if n])


def _cell(table: Table) -> tuple:
    """An entity summary's cell in StatDirectory: '' for no region or class, 0 for never inspected."""
    return (table.c.in_directory, func.coalesce(table.c.region_code, EMPTY), func.coalesce(table.c.risk_class, EMPTY),
            func.coalesce(table.c.last_inspected_year, _inline(0)))


def _outcomes(session: Session, entity_ids) -> list[dict]:
    """Link each penalty and abnormal-list entry of these entities to the latest inspection of
    the same entity completed at most 180 days before it, preferring one its department took part in."""
    followed = (CreditEvent.entity_id.in_(entity_ids), CreditEvent.kind.in_((PENALTY, ABNORMAL)),
                CreditEvent.decided_on.is_not(None))
    events = session.execute(select(CreditEvent.id, CreditEvent.entity_id, CreditEvent.kind, CreditEvent.decided_on,
                                    CreditEvent.department_id, CreditEvent.office_id, CreditEvent.amount_yuan)
                             .where(*followed)).all()
    if not events:
        return []
    of_followed = (Inspection.entity_id.in_(select(CreditEvent.entity_id).where(*followed)),
                   Inspection.completed_on.is_not(None))
    inspections: dict[int, list] = defaultdict(list)
    for row in session.execute(_inspections(Inspection.id, Inspection.entity_id, Inspection.completed_on,
                                            YEAR.label("year"), Inspection.joint).where(*of_followed)):
        inspections[row.entity_id].append(row)
    taking_part = _departments_taking_part(session, of_followed)
    out = []
    for e in events:
        window = [i for i in inspections[e.entity_id]
                  if i.completed_on <= e.decided_on <= i.completed_on + FOLLOW_UP and i.year is not None]
        if not window:
            continue
        linked = max(window, key=lambda i: (e.department_id in taking_part[i.id], i.completed_on, i.id))
        is_case = e.kind == PENALTY and e.department_id in taking_part[linked.id]
        out.append({"credit_event_id": e.id, "entity_id": e.entity_id, "inspection_id": linked.id, "kind": e.kind,
                    "department_id": e.department_id, "office_id": e.office_id, "year": linked.year,
                    "joint": bool(linked.joint), "is_case": is_case, "amount_yuan": e.amount_yuan})
    return out


def _departments_taking_part(session: Session, inspected: tuple) -> dict[int, set[int]]:
    """Departments that took part in each inspection: its authorities and its task's departments."""
    out: dict[int, set[int]] = defaultdict(set)
    for id_, dept in session.execute(
            select(InspectionDepartment.inspection_id, InspectionDepartment.department_id)
            .where(InspectionDepartment.inspection_id.in_(select(Inspection.id).where(*inspected)))):
        out[id_].add(dept)
    for id_, dept in session.execute(select(Inspection.id, TaskDepartment.department_id)
                                     .join(TaskDepartment, TaskDepartment.task_id == Inspection.task_id)
                                     .where(*inspected)):
        out[id_].add(dept)
    return out


# --- per year: offices' years, burden, cases, credit link ------------------------------------

def _refresh_years(session: Session, tmp: Scratch, years: set[int]) -> None:
    """Recompute the per-year tables for these years, from one pass over their inspections."""
    for model in (StatOfficeYear, StatYear, StatCase, StatCredit):
        session.execute(delete(model).where(model.year.in_(years)))
    visits, entity_years = _visits(tmp, years)
    _insert(session, StatOfficeYear, _office_year_rows(session, years, visits, entity_years))
    multi = entity_years.c.inspections > 1
    session.execute(insert(StatYear).from_select(
        ["year", "entities_inspected", "multi_task_entities", "multi_task_visits", "separate_visits"],
        select(entity_years.c.year, func.count(), _count(multi),
               func.sum(case((multi, entity_years.c.inspections), else_=0)),
               func.sum(case((multi, entity_years.c.separate), else_=0))).group_by(entity_years.c.year)))
    rows = session.execute(select(StatOutcome.year, StatOutcome.office_id, StatOutcome.department_id,
                                  StatOutcome.joint, func.count(), func.coalesce(func.sum(StatOutcome.amount_yuan), 0))
                           .where(StatOutcome.year.in_(years), StatOutcome.is_case, StatOutcome.office_id.is_not(None))
                           .group_by(StatOutcome.year, StatOutcome.office_id, StatOutcome.department_id,
                                     StatOutcome.joint)).all()
    _insert(session, StatCase, [{"year": y, "office_id": o, "department_id": d, "joint": j, "cases": n,
                                 "fines_yuan": Decimal(fines)} for y, o, d, j, n, fines in rows])
    _insert(session, StatCredit, _credit_rows(session, years, visits))


def _visits(tmp: Scratch, years: set[int]) -> tuple[Table, Table]:
    """The years' inspections counted per entity and lead office (`visits`), and per entity
    (`entity_years`: inspections, distinct lead offices, those not part of a joint inspection)."""
    visits = tmp.table("upkeep_visit", Column("year", Integer), Column("entity_id", Integer),
                       Column("office_id", Integer), Column("department_id", Integer),
                       Column("inspections", Integer), Column("separate", Integer), Column("problems_found", Integer))
    tmp.fill(visits, _inspections(YEAR, Inspection.entity_id, Inspection.lead_office_id, Inspection.lead_department_id,
                                  func.count(), func.sum(case((Inspection.joint, 0), else_=1)),
                                  _count(Inspection.problems_found))
             .where(YEAR.in_(years))
             .group_by(YEAR, Inspection.entity_id, Inspection.lead_office_id, Inspection.lead_department_id))
    entity_years = tmp.table("upkeep_entity_year", Column("year", Integer, primary_key=True),
                             Column("entity_id", Integer, primary_key=True), Column("inspections", Integer),
                             Column("offices", Integer), Column("separate", Integer))
    # Per office first, so that the distinct offices are counted without a COUNT(DISTINCT)'s sort.
    offices = (select(visits.c.year, visits.c.entity_id, visits.c.office_id,
                      func.sum(visits.c.inspections).label("inspections"), func.sum(visits.c.separate).label("separate"))
               .group_by(visits.c.year, visits.c.entity_id, visits.c.office_id).subquery())
    tmp.fill(entity_years, select(offices.c.year, offices.c.entity_id, func.sum(offices.c.inspections),
                                  func.count(offices.c.office_id), func.sum(offices.c.separate))
             .group_by(offices.c.year, offices.c.entity_id))
    return visits, entity_years


def _office_year_rows(session: Session, years: set[int], visits: Table, entity_years: Table) -> list[dict]:
    """Per office and year: its distinct entities, those inspected under several tasks or by
    several offices that year, and its problem inspections followed by a credit outcome."""
    rows = {(y, o): {"year": y, "office_id": o, "department_id": d, "entities": n, "multi_task_entities": m,
                     "multi_office_entities": k, "problems_followed": 0}
            for y, o, d, n, m, k in session.execute(
                select(visits.c.year, visits.c.office_id, visits.c.department_id, func.count(),
                       _count(entity_years.c.inspections > 1), _count(entity_years.c.offices > 1))
                .join(entity_years, and_(entity_years.c.year == visits.c.year,
                                         entity_years.c.entity_id == visits.c.entity_id))
                .where(visits.c.office_id.is_not(None))
                .group_by(visits.c.year, visits.c.office_id, visits.c.department_id))}
    for y, o, n in session.execute(
            _inspections(YEAR, Inspection.lead_office_id, func.count(distinct(Inspection.id)))
            .join(StatOutcome, StatOutcome.inspection_id == Inspection.id)
            .where(YEAR.in_(years), Inspection.problems_found).group_by(YEAR, Inspection.lead_office_id)):
        if (y, o) in rows:
            rows[(y, o)]["problems_followed"] = n
    return list(rows.values())


def _insert(session: Session, model, rows: list[dict]) -> None:
    """Straight into the table (store/bulk.py): the ORM's bulk path costs more than the database here."""
    insert_rows(session, model.__table__, rows)


def _credit_rows(session: Session, years: set[int], visits: Table) -> list[dict]:
    risk = func.coalesce(StatEntity.risk_class, EMPTY)
    out: dict[tuple, dict] = {}
    for year, cls, n, problems in session.execute(
            select(visits.c.year, risk, func.sum(visits.c.inspections), func.sum(visits.c.problems_found))
            .join(StatEntity, StatEntity.entity_id == visits.c.entity_id).group_by(visits.c.year, risk)):
        out[(year, cls)] = {"year": year, "risk_class": cls, "inspections": n, "problems_found": problems,
                            "followed_by_penalty": 0, "followed_by_abnormal": 0}
    for year, cls, kind, n in session.execute(
            select(StatOutcome.year, risk, StatOutcome.kind, func.count(distinct(StatOutcome.inspection_id)))
            .join(StatEntity, StatEntity.entity_id == StatOutcome.entity_id)
            .where(StatOutcome.year.in_(years)).group_by(StatOutcome.year, risk, StatOutcome.kind)):
        if (year, cls) in out:
            out[(year, cls)]["followed_by_penalty" if kind == PENALTY else "followed_by_abnormal"] = n
    return list(out.values())
