"""Read-side queries of the portal's pages (beside `store/queries.py`, which the API shares).

Every list is paged by page number in a stable order (ties broken by id), and every function
answers in a few queries whatever the size of the store.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session, defer, joinedload, selectinload

from gongshi.store import queries, stats
from gongshi.store.models import (
    CheckItem,
    Department,
    DrawRecord,
    Finding,
    IngestRun,
    Inspection,
    InspectionDepartment,
    MarketEntity,
    Office,
    Plan,
    Region,
    Revision,
    StatTaskGroup,
    Task,
    TaskDepartment,
)

ITEM_CLASSES = ("一般检查事项", "重点检查事项")


@dataclass
class Paged:
    """One page of a list: its items, the total, and where it sits."""

    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def paginate(session: Session, stmt, page: int, per_page: int) -> Paged:
    """`stmt` must already be ordered; the total counts the same rows."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = list(session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Paged(items, total, page, per_page)


# --- entities -------------------------------------------------------------------------------


def entity_record(session: Session, key: str) -> queries.EntityRecord | None:
    """An entity by its public key: the USCC, or the registration number of an entity without one."""
    record = queries.entity_record(session, key)
    if record is not None:
        return record
    entity = session.scalar(select(MarketEntity).where(MarketEntity.reg_no == key)
                            .options(selectinload(MarketEntity.names)))
    if entity is None:
        return None
    return queries.EntityRecord(entity, queries.entity_inspections(session, [entity.id]),
                                queries.entity_credit(session, [entity.id]))


# --- tasks and plans ------------------------------------------------------------------------


def _task_inspections(task_id: int):
    return (select(Inspection).where(Inspection.task_id == task_id)
            .options(joinedload(Inspection.entity), selectinload(Inspection.findings),
                     selectinload(Inspection.departments))
            .order_by(Inspection.completed_on.desc().nulls_last(), Inspection.id.desc()))


def task_inspections(session: Session, task_id: int, page: int, per_page: int) -> Paged:
    """The entities a task inspected, newest first, with their item results."""
    return paginate(session, _task_inspections(task_id), page, per_page)


def all_task_inspections(session: Session, task_id: int) -> list[Inspection]:
    """Every inspection of a task (for its CSV: a task inspects hundreds, not millions)."""
    return list(session.scalars(_task_inspections(task_id)))


def task_results(session: Session, task_id: int) -> list[tuple[str, int]]:
    """How many inspected entities got each item result (an entity counts once per result)."""
    rows = session.execute(
        select(Finding.result, func.count(distinct(Finding.inspection_id)))
        .join(Inspection, Inspection.id == Finding.inspection_id).where(Inspection.task_id == task_id)
        .group_by(Finding.result)).all()
    return sorted(((result or "未公布", n) for result, n in rows), key=lambda r: (-r[1], r[0]))


@dataclass(frozen=True)
class TaskProgress:
    """A task with what was actually inspected against its published 抽取数量."""

    task: Task
    actual: int
    status: str  # stats.PLAN_STATUS key
    status_text: str


def _actual_counts(session: Session, task_ids: list[int]) -> dict[int, int]:
    if not task_ids:
        return {}
    return dict(session.execute(select(StatTaskGroup.task_id, func.sum(StatTaskGroup.inspections))
                                .where(StatTaskGroup.task_id.in_(task_ids))
                                .group_by(StatTaskGroup.task_id)).all())


def progress(session: Session, tasks: list[Task]) -> list[TaskProgress]:
    """Planned against actual for these tasks, in one query (DEFINITIONS["planned_vs_actual"])."""
    actual = _actual_counts(session, [t.id for t in tasks])
    out = []
    for t in tasks:
        n = actual.get(t.id, 0)
        status = stats.plan_status(t.planned_count, t.planned_count_qualifier, n)
        out.append(TaskProgress(t, n, status, stats.PLAN_STATUS[status]))
    return out


def plan_tasks(session: Session, plan_id: int) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.plan_id == plan_id)
                                .options(selectinload(Task.departments))
                                .order_by(Task.seq.nulls_last(), Task.task_no)))


# --- departments ----------------------------------------------------------------------------


def department_tasks(session: Session, department_id: int, page: int, per_page: int) -> Paged:
    """Tasks the department led or took part in, newest year first."""
    stmt = (select(Task).where(*queries.task_filters(department=department_id))
            .options(selectinload(Task.departments))
            .order_by(Task.year.desc().nulls_last(), Task.task_no))
    return paginate(session, stmt, page, per_page)


def department_plans(session: Session, department_id: int) -> list[Plan]:
    """Plans the department initiated or that hold a task it took part in."""
    in_tasks = select(Task.plan_id).join(TaskDepartment, TaskDepartment.task_id == Task.id) \
        .where(TaskDepartment.department_id == department_id)
    return list(session.scalars(select(Plan).where((Plan.department_id == department_id) | Plan.id.in_(in_tasks))
                                .order_by(Plan.year.desc().nulls_last(), Plan.plan_no)))


def departments(session: Session) -> list[tuple[Department, int]]:
    """Every department with its number of current checklist items, the biggest lists first."""
    count = func.count(CheckItem.id)
    rows = session.execute(select(Department, count)
                           .outerjoin(CheckItem, (CheckItem.department_id == Department.id)
                                      & (CheckItem.status == "current"))
                           .group_by(Department.id).order_by(count.desc(), Department.name))
    return list(rows.all())


# --- checklists -----------------------------------------------------------------------------


def check_items(session: Session, page: int, per_page: int, department_id: int | None = None,
                item_class: str | None = None, status: str = "current") -> Paged:
    """Checklist items grouped by department, in their published order (事项编码)."""
    where = queries.check_item_filters(department_id, status)
    if item_class:
        where.append(CheckItem.item_class == item_class)
    stmt = (select(CheckItem).join(Department, Department.id == CheckItem.department_id).where(*where)
            .options(joinedload(CheckItem.department))
            .order_by(Department.name, CheckItem.code.nulls_last(), CheckItem.id))
    return paginate(session, stmt, page, per_page)


def check_item(session: Session, item_id: int) -> CheckItem | None:
    return session.scalar(select(CheckItem).where(CheckItem.id == item_id).options(joinedload(CheckItem.department)))


@dataclass(frozen=True)
class ItemChange:
    """A change between two versions of a checklist: an item reworded or withdrawn."""

    item: CheckItem
    kind: str  # 修改, 移除
    at: object  # datetime of the change
    before: dict  # the superseded wording (empty for a withdrawal)


def check_item_changes(session: Session, department_id: int | None = None, limit: int = 50) -> list[ItemChange]:
    """The latest rewordings (from `revision`) and withdrawals, newest first."""
    dept = [] if department_id is None else [CheckItem.department_id == department_id]
    revised = session.execute(select(Revision, CheckItem).join(CheckItem, CheckItem.id == Revision.record_id)
                              .where(Revision.table_name == "check_item", *dept)
                              .order_by(Revision.superseded_at.desc()).limit(limit)).all()
    withdrawn = session.scalars(select(CheckItem).where(CheckItem.status == "withdrawn", *dept)
                                .order_by(CheckItem.withdrawn_at.desc()).limit(limit))
    changes = [ItemChange(item, "修改", rev.superseded_at, rev.data) for rev, item in revised]
    changes += [ItemChange(item, "移除", item.withdrawn_at, {}) for item in withdrawn]
    return sorted(changes, key=lambda c: c.at, reverse=True)[:limit]


# --- statistics -----------------------------------------------------------------------------


def stat_years(session: Session) -> list[int]:
    """Years with statistics, newest first."""
    return list(session.scalars(select(StatTaskGroup.year).distinct().order_by(StatTaskGroup.year.desc())))


# --- feeds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedItem:
    """An inspection result as a feed entry: when it was last loaded, and whether that load
    corrected an earlier version (a revision of it exists)."""

    inspection: Inspection
    updated_at: object  # naive UTC datetime of the ingest run that wrote this version
    corrected: bool


def feed_items(session: Session, entity_id: int | None = None, department_id: int | None = None,
               offices=None, limit: int = 50) -> list[FeedItem]:
    """The results most recently published or corrected, newest first (two queries). `offices`
    (ids, or a select of them) keeps the results those offices carried out (`carried_out_by`)."""
    corrected = select(Revision.id).where(Revision.table_name == "inspection",
                                          Revision.record_id == Inspection.id).exists()
    stmt = (select(Inspection, IngestRun.finished_at, corrected)
            .join(IngestRun, IngestRun.id == Inspection.ingest_run_id)
            .options(joinedload(Inspection.entity), joinedload(Inspection.task), selectinload(Inspection.findings))
            .order_by(Inspection.ingest_run_id.desc(), Inspection.id.desc()).limit(limit))
    if entity_id is not None:
        stmt = stmt.where(Inspection.entity_id == entity_id)
    if department_id is not None:
        stmt = stmt.where(*queries.inspection_filters(department=department_id))
    if offices is not None:
        stmt = stmt.where(carried_out_by(offices))
    return [FeedItem(i, at, bool(c)) for i, at, c in session.execute(stmt).unique()]


def carried_out_by(offices):
    """Results these offices carried out: as the office that did it for the lead kind, or as any
    authority the result names (抽查机关, a joint inspection's partners included)."""
    named = select(InspectionDepartment.inspection_id).where(InspectionDepartment.office_id.in_(offices))
    return Inspection.lead_office_id.in_(offices) | Inspection.id.in_(named)


def region_offices(codes: set[str]):
    """The ids of the offices placed in these regions (a select, for `feed_items`)."""
    return select(Office.id).where(Office.region_code.in_(codes))


def task_draws(session: Session, task_no: str) -> list[DrawRecord]:
    """A task's published draw records, without their bodies (a directory's USCCs can be large)."""
    return list(session.scalars(select(DrawRecord).where(DrawRecord.task_no == task_no)
                                .options(defer(DrawRecord.record)).order_by(DrawRecord.id)))


def task_draw(session: Session, task_no: str, draw_id: int) -> DrawRecord | None:
    return session.scalar(select(DrawRecord).where(DrawRecord.id == draw_id, DrawRecord.task_no == task_no))


# --- offices (机关) and regions -----------------------------------------------------------------


def office_plans(session: Session, office_id: int) -> list[Plan]:
    """Plans that hold a task the office leads."""
    led = select(Task.plan_id).where(Task.lead_office_id == office_id)
    return list(session.scalars(select(Plan).where(Plan.id.in_(led))
                                .order_by(Plan.year.desc().nulls_last(), Plan.plan_no)))


def office_inspections(session: Session, office_id: int, limit: int) -> list[Inspection]:
    """The office's latest inspections (the ones it carried out), with entity and task."""
    return list(session.scalars(
        select(Inspection).where(Inspection.lead_office_id == office_id)
        .options(joinedload(Inspection.entity), joinedload(Inspection.task))
        .order_by(Inspection.completed_on.desc().nulls_last(), Inspection.id.desc()).limit(limit)))


def region(session: Session, code: str) -> tuple[Region, Region | None, list[Region]] | None:
    """A region, its parent and its children."""
    found = session.get(Region, code)
    if found is None:
        return None
    parent = session.get(Region, found.parent_code) if found.parent_code else None
    children = list(session.scalars(select(Region).where(Region.parent_code == code).order_by(Region.code)))
    return found, parent, children
