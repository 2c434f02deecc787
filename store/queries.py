"""Read-side queries, beside the models: pages and the API call these, never raw SQL in views."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session, joinedload, selectinload

from gongshi.store import workdays
from gongshi.store.models import (
    CORRECTION_PENDING,
    CheckItem,
    CorrectionRequest,
    CreditEvent,
    Department,
    DepartmentAlias,
    Finding,
    IngestRun,
    Inspection,
    InspectionDepartment,
    MarketEntity,
    Office,
    Plan,
    Region,
    Source,
    Task,
    TaskDepartment,
)
from gongshi.store.offices import NameReader, office_key
from gongshi.store.vocabulary import fold


def totals(session: Session) -> dict[str, int]:
    """Headline counts of what the store holds."""
    count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return {"tasks": count(Task), "inspections": count(Inspection), "entities": count(MarketEntity),
            "credit_events": count(CreditEvent), "check_items": count(CheckItem)}


def latest_inspections(session: Session, limit: int = 20) -> list[Inspection]:
    """The most recently completed inspections, with entity and task (one query)."""
    return list(session.scalars(
        select(Inspection).options(joinedload(Inspection.entity), joinedload(Inspection.task))
        .order_by(Inspection.completed_on.desc().nulls_last(), Inspection.id.desc()).limit(limit)))


def latest_runs(session: Session, limit: int = 10) -> list[IngestRun]:
    return list(session.scalars(
        select(IngestRun).options(joinedload(IngestRun.source)).order_by(IngestRun.id.desc()).limit(limit)))


# --- the open-data API and bulk downloads ---------------------------------------------------


def data_version(session: Session) -> tuple[int, dt.datetime | None]:
    """A number that every ingest and every correction request filed, published or answered, in
    any process, increases, and when the newest of these happened: caches and ETags keyed on it
    see new data at once. The number is the newest ingest run plus the requests filed, those
    whose text is published and those answered; all only grow, so their sum changes whenever one
    of them does."""
    runs = select(func.max(IngestRun.id), func.max(IngestRun.finished_at)).subquery()
    requests = select(func.count(), func.count().filter(CorrectionRequest.text_published),
                      func.count().filter(CorrectionRequest.status != CORRECTION_PENDING),
                      func.max(CorrectionRequest.updated_at)).subquery()
    one_row_each = select(runs, requests).join_from(runs, requests, true())
    newest, finished, filed, published, answered, changed = session.execute(one_row_each).one()
    return (newest or 0) + filed + published + answered, max(filter(None, (finished, changed)), default=None)


def on_time(completed_on: dt.date | None, published_on: dt.date | None, working_days: int | None) -> bool | None:
    """Published within the deadline in China's working days (store.workdays); None when a date
    or the deadline is unknown."""
    return None if working_days is None else workdays.is_on_time(completed_on, published_on, working_days)[0]


@dataclass
class Page:
    """One page of a keyset-paginated list: `after` is the id to continue from, None at the end."""

    items: list
    total: int
    after: int | None


def keyset_page(session: Session, model, where: list, after: int | None, limit: int, options: tuple = ()) -> Page:
    """Rows of `model` matching `where`, by id: a cursor of ids neither skips nor repeats rows
    while an ingest adds rows (new ids are larger) or corrects them (ids never change)."""
    total = session.scalar(select(func.count()).select_from(model).where(*where))
    stmt = select(model).where(*where).order_by(model.id).limit(limit + 1).options(*options)
    if after is not None:
        stmt = stmt.where(model.id > after)
    rows = list(session.scalars(stmt))
    more = len(rows) > limit
    return Page(rows[:limit], total, rows[limit - 1].id if more else None)


def regions(session: Session, codes: Iterable[str | None]) -> dict[str, Region]:
    wanted = {c for c in codes if c}
    return {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(wanted)))} if wanted else {}


def departments_by_id(session: Session) -> dict[int, Department]:
    """The department table is small (tens of rows): one query answers every name on a page."""
    return {d.id: d for d in session.scalars(select(Department))}


def sources(session: Session, ids: Iterable[int]) -> dict[int, Source]:
    """By id, in id order: an entity's record lists its sources in this order."""
    wanted = set(ids)
    return {s.id: s for s in session.scalars(select(Source).where(Source.id.in_(wanted))
                                             .order_by(Source.id))} if wanted else {}


def enterprise_filters(q: str | None = None, region: str | None = None, entity_type: str | None = None) -> list:
    """`q` matches a USCC prefix or part of the name."""
    where = []
    if q:
        where.append(or_(MarketEntity.uscc.startswith(q.upper(), autoescape=True),
                         MarketEntity.name.contains(q, autoescape=True)))
    if region:
        where.append(MarketEntity.region_code == region)
    if entity_type:
        where.append(MarketEntity.entity_type == entity_type)
    return where


@dataclass
class EntityRecord:
    """An entity with its inspections and credit events; other attributes read through to it."""

    entity: MarketEntity
    inspections: list[Inspection]
    credit_events: list[CreditEvent]

    def __getattr__(self, name: str):
        return getattr(self.entity, name)


ENTITY_RECORD = (selectinload(MarketEntity.names), joinedload(MarketEntity.corrections))


def entity_record(session: Session, uscc: str) -> EntityRecord | None:
    """An entity by USCC with names, inspections (task, plan, findings, authorities), credit
    events and correction requests: six queries whatever the size of the record."""
    entity = session.scalar(select(MarketEntity).where(MarketEntity.uscc == uscc).options(*ENTITY_RECORD))
    return None if entity is None else _records(session, [entity])[0]


def entity_records(session: Session, entity_ids: list[int]) -> list[EntityRecord]:
    """The records of these entities (in id order), by the same six queries for all of them."""
    entities = session.scalars(select(MarketEntity).where(MarketEntity.id.in_(entity_ids))
                               .options(*ENTITY_RECORD).order_by(MarketEntity.id)).unique().all()
    return _records(session, list(entities))


def _records(session: Session, entities: list[MarketEntity]) -> list[EntityRecord]:
    ids = [e.id for e in entities]
    inspections, credit = defaultdict(list), defaultdict(list)
    for inspection in entity_inspections(session, ids):  # newest first: kept in each entity's list
        inspections[inspection.entity_id].append(inspection)
    for event in entity_credit(session, ids):
        credit[event.entity_id].append(event)
    return [EntityRecord(e, inspections[e.id], credit[e.id]) for e in entities]


def entity_inspections(session: Session, entity_ids: list[int]) -> list[Inspection]:
    """Inspections of the entities with task, plan, findings and authorities (three queries)."""
    if not entity_ids:
        return []
    return list(session.scalars(
        select(Inspection).where(Inspection.entity_id.in_(entity_ids))
        .options(joinedload(Inspection.task).joinedload(Task.plan), selectinload(Inspection.findings),
                 selectinload(Inspection.departments))
        .order_by(Inspection.completed_on.desc().nulls_last(), Inspection.id.desc())))


def entity_credit(session: Session, entity_ids: list[int]) -> list[CreditEvent]:
    return list(session.scalars(select(CreditEvent).where(CreditEvent.entity_id.in_(entity_ids))
                                .order_by(CreditEvent.decided_on.desc().nulls_last(), CreditEvent.id.desc())))


def _year_range(column, year: int | None) -> list:
    """A calendar year as a date range, so that an index on the date column serves it."""
    return [] if year is None else [column.between(dt.date(year, 1, 1), dt.date(year, 12, 31))]


def inspection_filters(uscc: str | None = None, task_no: str | None = None, department: int | None = None,
                       year: int | None = None, result: str | None = None, joint: bool | None = None,
                       problems_found: bool | None = None) -> list:
    """`department` is any inspecting authority of the result; `year` the completion year."""
    where = _year_range(Inspection.completed_on, year)
    if uscc:
        where.append(Inspection.entity_id.in_(select(MarketEntity.id).where(MarketEntity.uscc == uscc)))
    if task_no:
        where.append(Inspection.task_id.in_(select(Task.id).where(Task.task_no == task_no)))
    if department is not None:
        where.append(Inspection.id.in_(select(InspectionDepartment.inspection_id)
                                       .where(InspectionDepartment.department_id == department)))
    if result:
        where.append(Inspection.id.in_(select(Finding.inspection_id).where(Finding.result == result)))
    if joint is not None:
        where.append(Inspection.joint.is_(joint))
    if problems_found is not None:
        where.append(Inspection.problems_found.is_(problems_found))
    return where


INSPECTION_LIST_OPTIONS = (joinedload(Inspection.entity), joinedload(Inspection.task).joinedload(Task.plan),
                           selectinload(Inspection.findings), selectinload(Inspection.departments))


def task_filters(year: int | None = None, department: int | None = None, joint: bool | None = None,
                 plan_no: str | None = None) -> list:
    where = []
    if year is not None:
        where.append(Task.year == year)
    if department is not None:
        where.append(Task.id.in_(select(TaskDepartment.task_id).where(TaskDepartment.department_id == department)))
    if joint is not None:
        where.append(Task.joint.is_(joint))
    if plan_no:
        where.append(Task.plan_id.in_(select(Plan.id).where(Plan.plan_no == plan_no)))
    return where


TASK_OPTIONS = (joinedload(Task.plan), selectinload(Task.departments))


def year_department_filters(model, year: int | None, department_id: int | None) -> list:
    """Conditions on a table's `year` and `department_id` columns, for those given."""
    where = []
    if year is not None:
        where.append(model.year == year)
    if department_id is not None:
        where.append(model.department_id == department_id)
    return where


def plan_filters(year: int | None = None, department: int | None = None) -> list:
    return year_department_filters(Plan, year, department)


def check_item_filters(department: int | None = None, status: str | None = None) -> list:
    where = []
    if department is not None:
        where.append(CheckItem.department_id == department)
    if status:
        where.append(CheckItem.status == status)
    return where


def task_by_no(session: Session, task_no: str) -> Task | None:
    return session.scalar(select(Task).where(Task.task_no == task_no).options(*TASK_OPTIONS))


def plan_by_no(session: Session, plan_no: str) -> Plan | None:
    return session.scalar(select(Plan).where(Plan.plan_no == plan_no)
                          .options(selectinload(Plan.tasks).selectinload(Task.departments)))


def _is_number(key: str) -> bool:
    """ASCII digits only: "²" and "３" are digits to str.isdigit, but no number to int()."""
    return key.isascii() and key.isdigit()


def _id(key: str) -> int | None:
    return int(key) if int(key) <= 2**31 - 1 else None


def department_id(session: Session, key: str | int) -> int | None:
    """A department's id from its number, or from its name, short name or another way it is
    written (compared folded: full-width, spaces); None when no department is known so."""
    key = str(key).strip()
    if _is_number(key):
        return _id(key)
    wanted = fold(key)
    names = session.execute(select(Department.id, Department.name, Department.short_name)).all()
    names += session.execute(select(DepartmentAlias.department_id, DepartmentAlias.alias, DepartmentAlias.alias)).all()
    return next((i for i, name, short in names if wanted in (fold(name), fold(short))), None)


def office_id(session: Session, key: str | int) -> int | None:
    """An office's id from its number, or from its name: as the portal writes it
    (如皋市市场监督管理局), or as a published file might (如皋市市场监管局), read as the ingest
    reads authority names; None when no office is known so."""
    key = str(key).strip()
    if _is_number(key):
        return _id(key)
    wanted = fold(key)
    found = next((i for i, name in session.execute(select(Office.id, Office.name)) if fold(name) == wanted), None)
    if found is not None:
        return found
    reading = NameReader(session).read(key, None)
    if reading.department_id is None or reading.region_code is None:
        return None
    return session.scalar(select(Office.id).where(Office.key == office_key(reading.department_id,
                                                                           reading.region_code, key)))


def department(session: Session, department_id: int) -> Department | None:
    return session.scalar(select(Department).where(Department.id == department_id)
                          .options(selectinload(Department.aliases)))


# --- bulk downloads: flat rows, streamed ----------------------------------------------------


def _export_enterprises(year, department):
    stmt = select(MarketEntity.id, MarketEntity.uscc, MarketEntity.reg_no, MarketEntity.name, MarketEntity.entity_type,
                  MarketEntity.region_code, MarketEntity.address, MarketEntity.industry,
                  MarketEntity.established_on, MarketEntity.status, MarketEntity.registration_authority,
                  Source.name.label("source"), MarketEntity.source_row)
    stmt = stmt.join(Source, Source.id == MarketEntity.source_id)
    if year is not None or department is not None:  # entities inspected that year / by that department
        stmt = stmt.where(MarketEntity.id.in_(select(Inspection.entity_id).where(*inspection_filters(
            year=year, department=department))))
    return stmt, MarketEntity.id


def _export_inspections(year, department):
    stmt = (select(Inspection.id, MarketEntity.uscc, MarketEntity.name.label("entity_name"), Task.task_no,
                   Task.name.label("task_name"), Inspection.authorities_text,
                   Department.name.label("lead_department"), Inspection.joint, Inspection.completed_on,
                   Inspection.published_on, Inspection.deadline_working_days, Inspection.problems_found,
                   Inspection.result_text, Inspection.follow_up, Inspection.region_code,
                   Source.name.label("source"), Inspection.source_row)
            .join(MarketEntity, MarketEntity.id == Inspection.entity_id).join(Task, Task.id == Inspection.task_id)
            .outerjoin(Department, Department.id == Inspection.lead_department_id)
            .join(Source, Source.id == Inspection.source_id)
            .where(*inspection_filters(year=year, department=department)))
    return stmt, Inspection.id


def _export_findings(year, department):
    stmt = (select(Finding.inspection_id, Finding.position, MarketEntity.uscc, Task.task_no, Finding.item,
                   Finding.result, Finding.result_known, Finding.source_row)
            .join(Inspection, Inspection.id == Finding.inspection_id)
            .join(MarketEntity, MarketEntity.id == Inspection.entity_id).join(Task, Task.id == Inspection.task_id)
            .where(*inspection_filters(year=year, department=department)))
    return stmt, (Finding.inspection_id, Finding.position)


def _export_tasks(year, department):
    stmt = (select(Task.task_no, Plan.plan_no, Task.seq, Task.name, Task.year, Task.task_type, Task.item_class,
                   Task.joint_items, Task.basis, Task.object_scope, Task.body_text, Task.partners_text,
                   Department.name.label("lead_department"), Task.joint, Task.field, Task.method,
                   Task.ratio_percent, Task.ratio_text, Task.planned_count, Task.planned_count_qualifier,
                   Task.planned_count_text, Task.frequency, Task.level, Task.draw_date, Task.start_date,
                   Task.deadline, Task.deadline_working_days, Source.name.label("source"), Task.source_row)
            .outerjoin(Plan, Plan.id == Task.plan_id)
            .outerjoin(Department, Department.id == Task.lead_department_id)
            .join(Source, Source.id == Task.source_id).where(*task_filters(year=year, department=department)))
    return stmt, Task.id


def _export_plans(year, department):
    stmt = (select(Plan.plan_no, Plan.name, Plan.year, Department.name.label("department"), Plan.publisher,
                   Source.name.label("source"), Plan.source_row)
            .outerjoin(Department, Department.id == Plan.department_id)
            .join(Source, Source.id == Plan.source_id).where(*plan_filters(year=year, department=department)))
    return stmt, Plan.id


def _export_check_items(year, department):
    stmt = (select(CheckItem.id, Department.name.label("department"), CheckItem.code, CheckItem.category,
                   CheckItem.name, CheckItem.sub_item, CheckItem.item_class, CheckItem.basis, CheckItem.body,
                   CheckItem.object_scope, CheckItem.content, CheckItem.ratio_percent, CheckItem.ratio_text,
                   CheckItem.frequency, CheckItem.method, CheckItem.partners_text, CheckItem.status,
                   Source.name.label("source"), CheckItem.source_row)
            .join(Department, Department.id == CheckItem.department_id)
            .join(Source, Source.id == CheckItem.source_id).where(*check_item_filters(department=department)))
    return stmt, CheckItem.id


def _export_credit_events(year, department):
    where = _year_range(CreditEvent.decided_on, year)
    if department is not None:
        where.append(CreditEvent.department_id == department)
    stmt = (select(CreditEvent.id, MarketEntity.uscc, MarketEntity.name.label("entity_name"), CreditEvent.kind,
                   CreditEvent.kind_text, CreditEvent.decided_on, CreditEvent.authority_text,
                   Department.name.label("department"), CreditEvent.reason, CreditEvent.decision_no,
                   CreditEvent.amount_yuan, CreditEvent.amount_text, CreditEvent.risk_class,
                   Source.name.label("source"), CreditEvent.source_row)
            .join(MarketEntity, MarketEntity.id == CreditEvent.entity_id)
            .outerjoin(Department, Department.id == CreditEvent.department_id)
            .join(Source, Source.id == CreditEvent.source_id).where(*where))
    return stmt, CreditEvent.id


def _export_departments(year, department):
    where = [] if department is None else [Department.id == department]
    stmt = select(Department.id, Department.name, Department.short_name, Department.recognized).where(*where)
    return stmt, Department.id


EXPORTS = {"enterprises": _export_enterprises, "inspections": _export_inspections, "findings": _export_findings,
           "tasks": _export_tasks, "plans": _export_plans, "check-items": _export_check_items,
           "credit-events": _export_credit_events, "departments": _export_departments}


# Columns computed per row from the others: (name, type, function of the row).
DERIVED = {"inspections": [("on_time", bool, lambda r: on_time(r["completed_on"], r["published_on"],
                                                               r["deadline_working_days"]))]}


def export_rows(session: Session, dataset: str, year: int | None = None, department: int | None = None,
                batch: int = 2000) -> Iterator[dict]:
    """Every row of a dataset as a dict, in a stable order, fetched `batch` rows at a time
    (a server-side cursor on PostgreSQL), so memory stays flat whatever the size."""
    stmt, order = EXPORTS[dataset](year, department)
    order = order if isinstance(order, tuple) else (order,)
    result = session.execute(stmt.order_by(*order).execution_options(yield_per=batch))
    derived = DERIVED.get(dataset, [])
    for row in result.mappings():
        row = dict(row)
        for name, _, compute in derived:
            row[name] = compute(row)
        yield row


def export_columns(dataset: str) -> list[tuple[str, type]]:
    """The columns of a dataset with their Python types, in order."""
    stmt, _ = EXPORTS[dataset](None, None)
    return ([(c.name, c.type.python_type) for c in stmt.selected_columns]
            + [(name, kind) for name, kind, _ in DERIVED.get(dataset, [])])


def source_by_sha256(session: Session, sha256: str) -> Source | None:
    """The newest source with this content (the same file may have been fetched from two URLs)."""
    return session.scalar(select(Source).where(Source.sha256 == sha256).order_by(Source.id.desc()).limit(1))


def all_sources(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.id)))
