"""The statistics' aggregate tables (`Stat*` in store/models.py), kept up to date by `refresh`
inside every ingest's transaction for what that ingest changed only, so that the read functions
(store/stats.py) never go back to all the raw rows."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal

from sqlalchemy import Integer, and_, case, cast, delete, distinct, extract, func, literal_column, select
from sqlalchemy.orm import Session

from gongshi.store.bulk import insert_rows
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
from gongshi.store.stats_definitions import DEFAULT_DEADLINE_DAYS, GROUP_COUNTS
from gongshi.store.workdays import is_on_time

__all__ = ["STAT_MODELS", "refresh", "rebuild", "rebuild_if_emptied", "clear", "batched_ids"]

FOLLOW_UP = dt.timedelta(days=180)
PENALTY, ABNORMAL, RISK = "行政处罚", "列入经营异常名录", "信用风险分类"
BATCH = 2000


def batched_ids(ids: Iterable[int]) -> Iterator[list[int]]:
    ids = sorted(ids)
    for start in range(0, len(ids), BATCH):
        yield ids[start:start + BATCH]


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


STAT_MODELS = (StatOutcome, StatCase, StatCredit, StatOfficeYear, StatYear, StatTaskGroup, StatDirectory,
               StatEntity)


def refresh(session: Session, changed: Mapping[str, Iterable[int]]) -> None:
    """Bring the aggregates up to date for what one ingest changed (table → ids), inside the
    ingest's transaction. Work is limited to the tasks, entities and years those ids touch."""
    changed_tasks = set(changed.get("task", ()))
    tasks, entities = set(changed_tasks), set(changed.get("market_entity", ()))
    for batch in batched_ids(changed.get("inspection", ())):
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


def rebuild_if_emptied(session: Session) -> None:
    """Rebuild when a store holds tasks but no task groups: a migration reshaped the aggregates."""
    if session.scalar(select(Task.id).limit(1)) is not None and \
            session.scalar(select(StatTaskGroup.task_id).limit(1)) is None:
        rebuild(session)


def clear(session: Session) -> None:
    """Empty every aggregate (before facts are deleted wholesale, or a rebuild)."""
    for model in STAT_MODELS:
        session.execute(delete(model))


def _column_of(session: Session, column, key, ids: set[int]) -> set[int]:
    out: set[int] = set()
    for batch in batched_ids(ids):
        out.update(session.scalars(select(column).where(key.in_(batch)).distinct()))
    return out


def _refresh_task_groups(session: Session, task_ids: set[int]) -> set[int]:
    """Rewrite the groups of these tasks; returns the years touched before and after."""
    years: set[int] = set()
    for batch in batched_ids(task_ids):
        years.update(session.scalars(delete(StatTaskGroup.__table__).where(StatTaskGroup.task_id.in_(batch))
                                     .returning(StatTaskGroup.year)))
        groups: dict[tuple, Counter] = defaultdict(Counter)
        tasks = session.execute(select(Task.id, Task.year, Task.lead_office_id, Task.lead_department_id,
                                       Task.deadline_working_days, Task.joint).where(Task.id.in_(batch))).all()
        joint = {t.id: t.joint for t in tasks}
        rows = session.execute(
            _inspections(Inspection.task_id, YEAR, Inspection.lead_office_id, Inspection.lead_department_id, DAYS,
                         Inspection.joint, Inspection.problems_found, Inspection.completed_on,
                         Inspection.published_on, func.count())
            .where(Inspection.task_id.in_(batch), Inspection.lead_office_id.is_not(None))
            .group_by(Inspection.task_id, YEAR, Inspection.lead_office_id, Inspection.lead_department_id, DAYS,
                      Inspection.joint, Inspection.problems_found, Inspection.completed_on, Inspection.published_on))
        for task_id, year, office, dept, days, is_joint, problems, completed, published, n in rows:
            if year is None:
                continue
            joint[task_id] = joint[task_id] or is_joint
            on_time, estimated = is_on_time(completed, published, days)
            g = groups[(task_id, year, office, dept, days)]
            g["inspections"] += n
            g["problems_found"] += n * problems
            g["published"] += n * (published is not None)
            g["on_time"] += n * (on_time is True)
            g["late"] += n * (on_time is False)
            g["publication_unknown"] += n * (on_time is None)
            g["on_time_estimated"] += n * estimated
        # A task is a batch of its lead office (附件3 counts batches by initiator) even when other
        # offices (a city task's counties) carried out all of it, or no result is loaded yet.
        seen = {key[:3] for key in groups}
        years_of: dict[int, set[int]] = defaultdict(set)
        for task_id, year, *_ in groups:
            years_of[task_id].add(year)
        for id_, year, office, dept, days, _ in tasks:
            for y in (years_of.get(id_) or {year}) - {None}:
                if office is not None and (id_, y, office) not in seen:
                    groups[(id_, y, office, dept, days or DEFAULT_DEADLINE_DAYS)] = Counter()
        _insert(session, StatTaskGroup, [
            {"task_id": t, "year": y, "office_id": o, "department_id": d, "deadline_working_days": days,
             "joint": bool(joint[t]), **{f: c[f] for f in GROUP_COUNTS}}
            for (t, y, o, d, days), c in groups.items()])
        years.update(key[1] for key in groups)
    return years


def _refresh_entities(session: Session, entity_ids: set[int]) -> set[int]:
    """Rewrite these entities' summary (directory, risk class, last year inspected) and the
    outcomes that follow their inspections; returns the years whose figures they touch."""
    years: set[int] = set()
    for batch in batched_ids(entity_ids):
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
                                        CreditEvent.department_id, CreditEvent.office_id, CreditEvent.amount_yuan,
                                        CreditEvent.risk_class)
                                 .where(CreditEvent.entity_id.in_(batch), CreditEvent.kind.in_((PENALTY, ABNORMAL, RISK)))
                                 .order_by(CreditEvent.entity_id, CreditEvent.decided_on.nulls_first(),
                                           CreditEvent.id)).all()
        # The last (latest) class of each entity wins.
        risk = {e.entity_id: e.risk_class for e in credit if e.kind == RISK and e.risk_class}
        directory = session.execute(select(MarketEntity.id, Source.kind == "entity", MarketEntity.region_code)
                                    .join(Source, Source.id == MarketEntity.source_id)
                                    .where(MarketEntity.id.in_(batch))).all()
        _insert(session, StatEntity, [
            {"entity_id": id_, "in_directory": bool(in_dir), "region_code": region, "risk_class": risk.get(id_),
             "last_inspected_year": max(inspected[id_], default=None)} for id_, in_dir, region in directory])
        for id_, _, _ in directory:
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
                                        Inspection.completed_on, YEAR.label("year"), Inspection.joint)
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
                    "department_id": e.department_id, "office_id": e.office_id, "year": linked.year,
                    "joint": bool(linked.joint), "is_case": is_case, "amount_yuan": e.amount_yuan})
    return out


def _departments_taking_part(session: Session, inspections: list) -> dict[int, set[int]]:
    """Departments that took part in each inspection: its authorities and its task's departments."""
    out: dict[int, set[int]] = defaultdict(set)
    by_task: dict[int, set[int]] = defaultdict(set)
    for batch in batched_ids({i.id for i in inspections}):
        for id_, dept in session.execute(select(InspectionDepartment.inspection_id, InspectionDepartment.department_id)
                                         .where(InspectionDepartment.inspection_id.in_(batch))):
            out[id_].add(dept)
    for batch in batched_ids({i.task_id for i in inspections}):
        for task_id, dept in session.execute(select(TaskDepartment.task_id, TaskDepartment.department_id)
                                             .where(TaskDepartment.task_id.in_(batch))):
            by_task[task_id].add(dept)
    for i in inspections:
        out[i.id] |= by_task[i.task_id]
    return out


def _refresh_years(session: Session, years: set[int]) -> None:
    """Recompute the per-year tables (offices' years, burden, cases, credit link) for these years."""
    for model in (StatOfficeYear, StatYear, StatCase, StatCredit):
        session.execute(delete(model).where(model.year.in_(years)))
    in_years = YEAR.in_(years)
    _insert(session, StatOfficeYear, _office_year_rows(session, in_years))
    _insert(session, StatYear, _year_rows(session, in_years))
    rows = session.execute(select(StatOutcome.year, StatOutcome.office_id, StatOutcome.department_id,
                                  StatOutcome.joint, func.count(), func.coalesce(func.sum(StatOutcome.amount_yuan), 0))
                           .where(StatOutcome.year.in_(years), StatOutcome.is_case, StatOutcome.office_id.is_not(None))
                           .group_by(StatOutcome.year, StatOutcome.office_id, StatOutcome.department_id,
                                     StatOutcome.joint)).all()
    _insert(session, StatCase, [{"year": y, "office_id": o, "department_id": d, "joint": j, "cases": n,
                                 "fines_yuan": Decimal(fines)} for y, o, d, j, n, fines in rows])
    _insert(session, StatCredit, _credit_rows(session, years, in_years))


def _office_year_rows(session: Session, in_years) -> list[dict]:
    """Per office and year: its distinct entities, those inspected under several tasks or by
    several offices that year, and its problem inspections followed by a credit outcome."""
    per_entity = (_inspections(YEAR.label("year"), Inspection.entity_id, func.count().label("n"),
                               func.count(distinct(Inspection.lead_office_id)).label("offices"))
                  .where(in_years).group_by(YEAR, Inspection.entity_id).subquery())
    visited = (_inspections(YEAR.label("year"), Inspection.entity_id, Inspection.lead_office_id.label("office_id"),
                            Inspection.lead_department_id.label("department_id"))
               .where(in_years, Inspection.lead_office_id.is_not(None)).distinct().subquery())
    rows = {(y, o): {"year": y, "office_id": o, "department_id": d, "entities": n, "multi_task_entities": m or 0,
                     "multi_office_entities": k or 0, "problems_followed": 0}
            for y, o, d, n, m, k in session.execute(
                select(visited.c.year, visited.c.office_id, visited.c.department_id, func.count(),
                       func.sum(case((per_entity.c.n > 1, 1), else_=0)),
                       func.sum(case((per_entity.c.offices > 1, 1), else_=0)))
                .join(per_entity, and_(per_entity.c.year == visited.c.year,
                                       per_entity.c.entity_id == visited.c.entity_id))
                .group_by(visited.c.year, visited.c.office_id, visited.c.department_id))}
    for y, o, n in session.execute(
            _inspections(YEAR, Inspection.lead_office_id, func.count(distinct(Inspection.id)))
            .join(StatOutcome, StatOutcome.inspection_id == Inspection.id)
            .where(in_years, Inspection.problems_found).group_by(YEAR, Inspection.lead_office_id)):
        if (y, o) in rows:
            rows[(y, o)]["problems_followed"] = n
    return [r for (y, _), r in rows.items() if y is not None]


def _insert(session: Session, model, rows: list[dict]) -> None:
    """Straight into the table (store/bulk.py): the ORM's bulk path costs more than the database here."""
    insert_rows(session, model.__table__, rows)


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
    risk = func.coalesce(StatEntity.risk_class, EMPTY)
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
    keys = (StatEntity.in_directory, func.coalesce(StatEntity.region_code, EMPTY),
            func.coalesce(StatEntity.risk_class, EMPTY), func.coalesce(StatEntity.last_inspected_year, _inline(0)))
    rows = session.execute(select(*keys, func.count()).group_by(*keys)).all()
    _insert(session, StatDirectory, [{"in_directory": d, "region_code": g, "risk_class": r, "last_inspected_year": y,
                                      "entities": n} for d, g, r, y, n in rows])
