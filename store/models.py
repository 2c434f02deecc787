"""The store's tables: SQLAlchemy 2.x typed declarative models.

Every published fact (check item, plan, task, entity, inspection, credit event) carries its
provenance (`source_id`, `source_row`, `ingest_run_id`), a `natural_key` that identifies the
same fact across re-publications, and a `content_hash` of its normalised content, so that a
re-ingest can tell "unchanged" from "corrected". A corrected fact is updated in place (its id,
and so its URL, never changes) after its previous content is copied into `revision`.

The same models run unchanged on SQLite and PostgreSQL: only portable column types are used.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from gongshi.store.localtime import local

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Naive UTC timestamp: SQLite keeps no time zone, so the store is UTC throughout."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        dict[str, Any]: JSON,
        Decimal: Numeric(16, 2),
        dt.datetime: DateTime(),
        str: Text,
    }


# --- provenance -----------------------------------------------------------------------------


class Source(Base):
    """One fetched version of a published file or URL (来源), archived by its sha256."""

    __tablename__ = "source"
    __table_args__ = (UniqueConstraint("uri", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str]  # absolute path or URL as given
    name: Mapped[str]  # file name shown to people
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    fetched_at: Mapped[dt.datetime]
    kind: Mapped[str] = mapped_column(String(16))
    file_format: Mapped[str] = mapped_column(String(8))  # csv, xlsx, xls, json
    encoding: Mapped[str | None] = mapped_column(String(16))
    publisher: Mapped[str | None]
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    archive_path: Mapped[str]  # relative to the instance folder
    # Publication deadline (公示时限) in working days that applies to this source's results.
    deadline_working_days: Mapped[int | None]
    # Where names without a region are placed: `--region`, else the publisher's region.
    region_code: Mapped[str | None] = mapped_column(String(6))


class IngestRun(Base):
    """One successful load of a source (导入批次). Failed loads leave no trace in the store."""

    __tablename__ = "ingest_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    kind: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime]
    rows: Mapped[int]
    inserted: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    withdrawn: Mapped[int] = mapped_column(default=0)
    # Published columns the ingest did not recognise, and those it dropped (inspector names).
    notes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The rows whose search documents this run changed, as id ranges ({table: [[first, last], …]}),
    # kept until the index update has finished: a run killed between its commit and the end of
    # its index update is replayed from here (gongshi.service.replay_index).
    index_pending: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))

    source: Mapped[Source] = relationship()

    @staticmethod
    def id_ranges(changed: dict[str, set[int]]) -> dict[str, list[list[int]]]:
        """{table: ids} as runs of consecutive ids: a load's new rows are few ranges, not millions of ids."""
        out: dict[str, list[list[int]]] = {}
        for table, ids in changed.items():
            ranges: list[list[int]] = []
            for id_ in sorted(ids):
                if ranges and ranges[-1][1] == id_ - 1:
                    ranges[-1][1] = id_
                else:
                    ranges.append([id_, id_])
            if ranges:
                out[table] = ranges
        return out

    @property
    def pending_ids(self) -> dict[str, set[int]]:
        return {table: {i for first, last in ranges for i in range(first, last + 1)}
                for table, ranges in (self.index_pending or {}).items()}


class SourceFeed(Base):
    """A URL that `gongshi pull` watches, with the validators of its last fetch."""

    __tablename__ = "source_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(unique=True)
    kind: Mapped[str | None] = mapped_column(String(16))
    publisher: Mapped[str | None]
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    last_checked_at: Mapped[dt.datetime | None]
    last_changed_at: Mapped[dt.datetime | None]
    last_status: Mapped[str | None]


class Provenance:
    """Columns every published fact carries: where it came from and what it said."""

    natural_key: Mapped[str] = mapped_column(unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"), index=True)
    source_row: Mapped[int | None]  # 1-based data row under the header
    ingest_run_id: Mapped[int] = mapped_column(ForeignKey("ingest_run.id"))
    extras: Mapped[dict[str, Any]] = mapped_column(default=dict)  # unrecognised columns, as published


class Revision(Base):
    """A superseded version of a fact (历史版本): what it said before a corrected file replaced it."""

    __tablename__ = "revision"
    __table_args__ = (Index("ix_revision_record", "table_name", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    table_name: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int]
    natural_key: Mapped[str]
    data: Mapped[dict[str, Any]]
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    superseded_at: Mapped[dt.datetime]
    superseded_by_run_id: Mapped[int] = mapped_column(ForeignKey("ingest_run.id"))


# --- reference data -------------------------------------------------------------------------


class Region(Base):
    """Administrative division (行政区划) by its GB/T 2260 six-digit code."""

    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str]  # 崇川区
    full_name: Mapped[str]  # 江苏省南通市崇川区
    parent_code: Mapped[str | None] = mapped_column(String(6))
    level: Mapped[str] = mapped_column(String(4))  # 省, 市, 县


class Department(Base):
    """A kind of inspecting department (部门 / 检查主体 / 抽查机关), e.g. 市场监督管理局.

    A kind only groups offices (`Office`): 南通市市场监督管理局 and 如皋市市场监督管理局 are two
    offices of this one kind.
    """

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    short_name: Mapped[str] = mapped_column(String(16))
    # False for a name first met in a published file and not in the reference list.
    recognized: Mapped[bool] = mapped_column(default=True)

    aliases: Mapped[list[DepartmentAlias]] = relationship(back_populates="department")


class DepartmentAlias(Base):
    """Another way a department is written (市监 → 市场监督管理局, 农村农业 → 农业农村局)."""

    __tablename__ = "department_alias"

    alias: Mapped[str] = mapped_column(String(64), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))

    department: Mapped[Department] = relationship(back_populates="aliases")


class Office(Base):
    """An office (机关): a department kind in one region at one level (省/市/县), e.g.
    如皋市市场监督管理局. Plans, draws, results and the 附件3 form belong to offices.

    A name that cannot be placed in a region is an office of its own with `placed` False and no
    region: flagged, never merged into another office (store/offices.py reads the names)."""

    __tablename__ = "office"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(unique=True)  # "kind id:region code", or "kind id:?name" when unplaced
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    level: Mapped[str | None] = mapped_column(String(4))  # 省, 市, 县 (the region's)
    name: Mapped[str]  # 南通市市场监督管理局; an unplaced office's name as published
    placed: Mapped[bool]

    department: Mapped[Department] = relationship()
    region: Mapped[Region | None] = relationship()


# --- checklists, plans, tasks ---------------------------------------------------------------


class CheckItem(Provenance, Base):
    """A checklist item (抽查事项) of a department's 抽查事项清单.

    Lists change over time (动态调整): a later list that drops an item withdraws it
    (`status` 'withdrawn'); a changed item keeps its old wording in `revision`.
    """

    __tablename__ = "check_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    code: Mapped[str | None]
    category: Mapped[str | None]
    name: Mapped[str]
    sub_item: Mapped[str | None]
    item_class: Mapped[str | None] = mapped_column(String(8))  # 一般检查事项 / 重点检查事项
    item_class_text: Mapped[str | None]
    basis: Mapped[str | None]
    body: Mapped[str | None]
    object_scope: Mapped[str | None]
    content: Mapped[str | None]
    ratio_percent: Mapped[Decimal | None] = mapped_column(Numeric(7, 3))
    ratio_uncapped: Mapped[bool] = mapped_column(default=False)
    ratio_text: Mapped[str | None]
    frequency: Mapped[str | None]
    method: Mapped[str | None]
    partners_text: Mapped[str | None]
    note: Mapped[str | None]
    status: Mapped[str] = mapped_column(String(12), default="current")  # current, withdrawn
    withdrawn_at: Mapped[dt.datetime | None]
    withdrawn_by_run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_run.id"))

    department: Mapped[Department] = relationship()


class Plan(Provenance, Base):
    """An annual inspection plan (抽查计划)."""

    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_no: Mapped[str] = mapped_column(String(64), unique=True)  # published, or derived
    plan_no_published: Mapped[bool] = mapped_column(default=True)
    name: Mapped[str]
    year: Mapped[int | None]
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    publisher: Mapped[str | None]

    department: Mapped[Department | None] = relationship()
    tasks: Mapped[list[Task]] = relationship(back_populates="plan", order_by="Task.seq")


class Task(Provenance, Base):
    """An inspection task (抽查任务): the columns of the 附件2 task form that county and
    city notices prescribe, and those of Jiangsu's 2021 task table.

    Ratio and planned count are kept as numbers for statistics and as published text.
    """

    __tablename__ = "task"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_no: Mapped[str] = mapped_column(String(80), unique=True)  # published, or derived
    task_no_published: Mapped[bool] = mapped_column(default=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"), index=True)
    seq: Mapped[int | None]  # 序号
    name: Mapped[str]
    year: Mapped[int | None]
    task_type: Mapped[str | None] = mapped_column(String(4))  # 定向 / 不定向
    task_type_text: Mapped[str | None]
    item_class: Mapped[str | None] = mapped_column(String(8))
    item_class_text: Mapped[str | None]
    joint_items: Mapped[str | None]
    basis: Mapped[str | None]
    object_scope: Mapped[str | None]
    body_text: Mapped[str | None]  # 检查主体 / 发起部门 as published
    partners_text: Mapped[str | None]  # 联合检查部门 as published
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    lead_office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    joint: Mapped[bool] = mapped_column(default=False)
    field: Mapped[str | None]  # 抽查领域
    method: Mapped[str | None]
    ratio_percent: Mapped[Decimal | None] = mapped_column(Numeric(7, 3))
    ratio_uncapped: Mapped[bool] = mapped_column(default=False)
    ratio_text: Mapped[str | None]
    planned_count: Mapped[int | None]
    planned_count_qualifier: Mapped[str | None] = mapped_column(String(12))  # exact, approximate, minimum
    planned_count_text: Mapped[str | None]
    frequency: Mapped[str | None]
    level: Mapped[str | None]
    draw_date: Mapped[dt.date | None] = mapped_column(Date)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    deadline_working_days: Mapped[int | None]

    plan: Mapped[Plan | None] = relationship(back_populates="tasks")
    lead_department: Mapped[Department | None] = relationship()
    lead_office: Mapped[Office | None] = relationship()
    departments: Mapped[list[TaskDepartment]] = relationship(
        order_by="TaskDepartment.position", cascade="all, delete-orphan"
    )


class TaskDepartment(Base):
    """A department taking part in a task: its lead (发起部门) or a partner (参与部门)."""

    __tablename__ = "task_department"

    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    role: Mapped[str] = mapped_column(String(8))  # lead, partner
    published_name: Mapped[str]

    department: Mapped[Department] = relationship()
    office: Mapped[Office | None] = relationship()


class DrawRecord(Provenance, Base):
    """A published draw record (抽取记录) made by `gongshi draw`: the seed, the directory's
    fingerprint and the selection, so that anyone can re-run the draw (ingest/draw.py). Linked to
    its task by the published task number, which may be loaded before or after the record."""

    __tablename__ = "draw_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_no: Mapped[str | None] = mapped_column(String(80), index=True)
    algorithm: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]
    seed: Mapped[str]
    directory_name: Mapped[str | None]
    directory_sha256: Mapped[str] = mapped_column(String(64))
    directory_rows: Mapped[int]
    selected_count: Mapped[int]
    record: Mapped[dict[str, Any]]  # the record as published: downloaded and re-verified as is


# --- entities, inspections, credit ----------------------------------------------------------


class MarketEntity(Provenance, Base):
    """A market entity (市场主体 / 检查对象), keyed in public by its USCC (统一社会信用代码)."""

    __tablename__ = "market_entity"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    reg_no: Mapped[str | None] = mapped_column(String(32), unique=True)  # 注册号, before USCCs
    name: Mapped[str]
    entity_type: Mapped[str | None]
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    address: Mapped[str | None]
    industry: Mapped[str | None]
    established_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str | None]
    registration_authority: Mapped[str | None]

    names: Mapped[list[EntityName]] = relationship(order_by="EntityName.id", cascade="all, delete-orphan")

    @property
    def public_key(self) -> str:
        return self.uscc or self.reg_no or ""


class EntityName(Base):
    """Every name an entity has been published under (名称历史), first seen where."""

    __tablename__ = "entity_name"
    __table_args__ = (UniqueConstraint("entity_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"))
    name: Mapped[str] = mapped_column(String(255))
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    source_row: Mapped[int | None]


class Inspection(Provenance, Base):
    """An inspection result (抽查检查结果): one entity inspected under one task."""

    __tablename__ = "inspection"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    completed_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    deadline_working_days: Mapped[int | None]
    authorities_text: Mapped[str | None]  # 抽查机关 as published
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    # The office that carried it out for the lead kind (a county office under a city's task).
    lead_office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    joint: Mapped[bool] = mapped_column(default=False)
    # At least one item result other than 未发现问题 / 未发现开展本次抽查涉及的经营活动.
    problems_found: Mapped[bool] = mapped_column(default=False)
    result_text: Mapped[str | None]  # the distinct item results, as published
    follow_up: Mapped[str | None]
    region_code: Mapped[str | None] = mapped_column(String(6))
    note: Mapped[str | None]

    entity: Mapped[MarketEntity] = relationship()
    task: Mapped[Task] = relationship()
    lead_department: Mapped[Department | None] = relationship()
    lead_office: Mapped[Office | None] = relationship()
    findings: Mapped[list[Finding]] = relationship(order_by="Finding.position", cascade="all, delete-orphan")
    departments: Mapped[list[InspectionDepartment]] = relationship(
        order_by="InspectionDepartment.position", cascade="all, delete-orphan"
    )


class Finding(Base):
    """The result of one checked item (检查事项 → 检查结果) within an inspection."""

    __tablename__ = "finding"

    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    item: Mapped[str | None]
    result: Mapped[str | None]
    result_known: Mapped[bool] = mapped_column(default=True)  # in the published code list
    source_row: Mapped[int | None]


class InspectionDepartment(Base):
    """An authority (抽查机关) that carried out an inspection, as named in the result."""

    __tablename__ = "inspection_department"

    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    published_name: Mapped[str]
    region_code: Mapped[str | None] = mapped_column(String(6))

    department: Mapped[Department] = relationship()
    office: Mapped[Office | None] = relationship()


class CreditEvent(Provenance, Base):
    """A credit outcome (信用监管): penalty (行政处罚), abnormal list (经营异常名录) in/out,
    serious-violation list (严重违法失信名单) in/out, or a risk class (信用风险分类)."""

    __tablename__ = "credit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    kind_text: Mapped[str]
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    authority_text: Mapped[str | None]
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)  # 决定机关
    authority_region_code: Mapped[str | None] = mapped_column(String(6))
    reason: Mapped[str | None]
    decision_no: Mapped[str | None]
    content: Mapped[str | None]
    amount_yuan: Mapped[Decimal | None]
    amount_text: Mapped[str | None]
    risk_class: Mapped[str | None] = mapped_column(String(1))

    entity: Mapped[MarketEntity] = relationship()
    department: Mapped[Department | None] = relationship()
    office: Mapped[Office | None] = relationship()


FACT_TABLES: dict[str, type[Base]] = {
    "check_item": CheckItem,
    "plan": Plan,
    "task": Task,
    "market_entity": MarketEntity,
    "inspection": Inspection,
    "credit_event": CreditEvent,
    "draw_record": DrawRecord,
}


# --- statistics: aggregates maintained at ingest (store/stats.py owns them) -----------------
#
# Derived from the facts above and rebuilt for what each ingest changed, in the same transaction,
# so that pages and the API read small tables instead of recomputing from raw rows.


class StatTaskGroup(Base):
    """A task's inspections by the office that carried them out (its lead office for the kind)
    and year, with the publication timeliness of each group. A task without inspections has one
    empty row for its lead office, so that it still counts as a batch (抽查批次)."""

    __tablename__ = "stat_task_group"

    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), primary_key=True)
    deadline_working_days: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))  # the office's kind
    joint: Mapped[bool]  # the task is a 部门联合抽查
    inspections: Mapped[int]
    problems_found: Mapped[int]
    published: Mapped[int]
    on_time: Mapped[int]
    late: Mapped[int]
    publication_unknown: Mapped[int]  # no publication date (or no completion date to count from)
    on_time_estimated: Mapped[int]

    __table_args__ = (Index("ix_stat_task_group_year_department", "year", "department_id"),
                      Index("ix_stat_task_group_year_office", "year", "office_id"))


class StatOutcome(Base):
    """A penalty (行政处罚) or abnormal-list entry (列入经营异常名录) that follows an inspection of
    the same entity within 180 days, linked to the latest such inspection."""

    __tablename__ = "stat_outcome"

    credit_event_id: Mapped[int] = mapped_column(ForeignKey("credit_event.id"), primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"), index=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))  # 决定机关
    year: Mapped[int] = mapped_column(index=True)  # the inspection's year
    joint: Mapped[bool]
    # A 双随机抽查案件: a penalty by a department that took part in the inspection.
    is_case: Mapped[bool]
    amount_yuan: Mapped[Decimal | None]


class StatCase(Base):
    """Cases (案件数) and fines (处罚金额) per imposing office, year and kind of task."""

    __tablename__ = "stat_case"

    year: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), primary_key=True)
    joint: Mapped[bool] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    cases: Mapped[int]
    fines_yuan: Mapped[Decimal]


class StatOfficeYear(Base):
    """An office's year: the distinct entities it inspected, how many of them were inspected
    under more than one task or by more than one office that year (检查负担), and its
    inspections that found problems and were followed by a penalty or abnormal-list entry."""

    __tablename__ = "stat_office_year"

    year: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    entities: Mapped[int]
    multi_task_entities: Mapped[int]
    multi_office_entities: Mapped[int]
    problems_followed: Mapped[int]


class StatYear(Base):
    """A year's distinct inspected entities and its burden (进一次门、查多项事) figures."""

    __tablename__ = "stat_year"

    year: Mapped[int] = mapped_column(primary_key=True)
    entities_inspected: Mapped[int]
    multi_task_entities: Mapped[int]  # inspected under more than one task
    multi_task_visits: Mapped[int]  # their inspections
    separate_visits: Mapped[int]  # of those, not part of a joint inspection


class StatEntity(Base):
    """Per entity: in the directory (检查对象名录)?, its latest credit risk class, and the last
    year it was inspected."""

    __tablename__ = "stat_entity"
    __table_args__ = (Index("ix_stat_entity_directory_last", "in_directory", "last_inspected_year"),
                      Index("ix_stat_entity_region", "region_code", "in_directory", "last_inspected_year"))

    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"), primary_key=True)
    in_directory: Mapped[bool]
    region_code: Mapped[str | None] = mapped_column(String(6))
    risk_class: Mapped[str | None] = mapped_column(String(1))
    last_inspected_year: Mapped[int | None]


class StatDirectory(Base):
    """How many entities by directory membership, region ('' unknown), risk class ('' unknown)
    and last year inspected (0 never): the directory coverage and the credit classes' sizes."""

    __tablename__ = "stat_directory"

    in_directory: Mapped[bool] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    risk_class: Mapped[str] = mapped_column(String(1), primary_key=True)
    last_inspected_year: Mapped[int] = mapped_column(primary_key=True)
    entities: Mapped[int]


class StatCredit(Base):
    """Inspections of a year by the entity's credit risk class ('' unknown): how many, how many
    found problems, and how many were followed within 180 days by a penalty or an abnormal-list
    entry."""

    __tablename__ = "stat_credit"

    year: Mapped[int] = mapped_column(primary_key=True)
    risk_class: Mapped[str] = mapped_column(String(1), primary_key=True)
    inspections: Mapped[int]
    problems_found: Mapped[int]
    followed_by_penalty: Mapped[int]
    followed_by_abnormal: Mapped[int]


# --- correction requests (更正申请): a business says a published fact is wrong ---------------
#
# Written by the portal, not published by a department: no provenance columns. The request is
# public (its reference, what is said to be wrong, the answer); the contact details are for the
# answering department only and are never shown on a page, in the API or in a download.

CORRECTION_STATUSES = ("待处理", "已更正", "未予更正")
CORRECTION_PENDING = CORRECTION_STATUSES[0]


class CorrectionRequest(Base):
    """A request to correct one fact of an entity's record, routed to the department owning it."""

    __tablename__ = "correction_request"
    __table_args__ = (
        Index("ix_correction_request_fact", "fact_table", "fact_id"),
        CheckConstraint("contact_phone IS NOT NULL OR contact_email IS NOT NULL", name="contact"),
        CheckConstraint("status IN ('待处理', '已更正', '未予更正')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"), index=True)
    fact_table: Mapped[str] = mapped_column(String(32))  # inspection, credit_event, market_entity
    fact_id: Mapped[int]
    # The department that owns the fact: its kind (for statistics) and the office as published.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    department_name: Mapped[str]
    claim: Mapped[str]  # 有误之处
    correction: Mapped[str]  # 应更正为
    contact_name: Mapped[str | None] = mapped_column(String(64))  # private
    contact_phone: Mapped[str | None] = mapped_column(String(32))  # private
    contact_email: Mapped[str | None] = mapped_column(String(254))  # private
    status: Mapped[str] = mapped_column(String(8), default=CORRECTION_PENDING, index=True)
    reply: Mapped[str | None]  # the department's public answer
    # The claim and correction are the requester's own words: public only once the owning office
    # has read them (`gongshi corrections --publish`); until then only the request's existence.
    text_published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The reference number given when the store was busy and the request waited in the spool
    # (store/correction_queue.py); it stays the request's number once recorded.
    queued_ref: Mapped[str | None] = mapped_column(String(32), unique=True)

    entity: Mapped[MarketEntity] = relationship()

    @property
    def ref(self) -> str:
        """The public reference number, e.g. GZ-2026-000123: derived from the id and the year
        filed (in Beijing time), both of which never change; or the spool's, e.g. GZ-2026-Q7K3M9P2XD."""
        return self.queued_ref or f"GZ-{local(self.created_at).year}-{self.id:06d}"

    @property
    def pending(self) -> bool:
        return self.status == CORRECTION_PENDING


# An entity's requests, newest first, read with its record (MarketEntity is declared above).
MarketEntity.corrections = relationship(CorrectionRequest, order_by=CorrectionRequest.id.desc(), viewonly=True)
