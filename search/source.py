"""Documents for the index, read from the store in batches of ids.

One document per market entity, task, plan and checklist item. Each carries what is searched
(folded names, other text, codes), the facets it counts under, its recency (the date of the
entity's latest inspection, of a task's deadline), what a hit shows, and a stamp: a hash of
all of that, which `check` compares with the store.

Reading and making are apart: `rows` reads a batch from the store as plain tuples (cheap, and
picklable), `document` makes one document from a row (folding, hashing: most of the work), so
a build can read in one process and make documents in the indexing processes (search.build).

These read queries feed only the index, so they live beside it rather than in store/queries.py.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongshi.search.text import SEPARATOR, fold
from gongshi.store.models import (
    CheckItem,
    CreditEvent,
    Department,
    EntityName,
    Inspection,
    InspectionDepartment,
    MarketEntity,
    Plan,
    Region,
    Task,
    TaskDepartment,
)

BATCH = 2000
TYPES = ("enterprise", "task", "plan", "check_item")
TYPE_LABELS = {"enterprise": "市场主体", "task": "抽查任务", "plan": "抽查计划", "check_item": "抽查事项"}
FIELD_SEPARATOR = "\x1f"
MODELS = {"enterprise": MarketEntity, "task": Task, "plan": Plan, "check_item": CheckItem}


def doc_id(kind: str, row_id: int) -> str:
    return f"{kind}:{row_id}"


def order(did: str) -> tuple[int, int]:
    """What breaks ties of recency, whichever segment a document is in: the order of all_ids
    (kind, then the newest row first)."""
    kind, _, row_id = did.partition(":")
    return TYPES.index(kind), -int(row_id)


def _doc(kind: str, row_id: int, key: str, name: str, names: list[str], other: list[str | None],
         codes: list[str | None], facets: dict[str, list], recency, extra: dict) -> dict:
    """A document: the indexed fields and the stored payload `s` that hits are made from."""
    folded = list(dict.fromkeys(f for f in map(fold, [name, *names]) if f))
    other_folded = SEPARATOR.join(f for f in map(fold, other) if f)
    code_folded = [f for f in map(fold, codes) if f]
    facet_terms = sorted({f"{k}={v}" for k, values in facets.items() for v in values if v not in (None, "")}
                         | {f"type={kind}"})
    payload = {"k": kind, "key": key, "name": name, "ns": folded, "os": other_folded, "cs": code_folded,
               "r": recency.toordinal() if recency else 0, "f": facet_terms, "x": extra}
    payload["h"] = hashlib.sha1(json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
                                .encode()).hexdigest()[:16]
    did = doc_id(kind, row_id)
    # What a query checks per candidate, uncompressed (the stored payload is zlib-compressed).
    check = FIELD_SEPARATOR.join([did, str(payload["r"]), SEPARATOR.join(folded), other_folded,
                                  SEPARATOR.join(facet_terms), SEPARATOR.join(code_folded)])
    return {"id": did, "n": SEPARATOR.join(folded), "o": other_folded, "c": SEPARATOR.join(code_folded),
            "f": SEPARATOR.join(facet_terms), "v": check.encode(), "s": payload}


@dataclass(frozen=True, slots=True)
class Checked:
    """The check column of one document, as a query reads it."""

    doc_id: str
    recency: int
    names: list[str]
    other: str
    facets: list[str]
    codes: list[str]

    @property
    def kind(self) -> str:
        return self.doc_id.partition(":")[0]

    @property
    def order(self) -> tuple[int, int]:
        return order(self.doc_id)

    @classmethod
    def parse(cls, raw: bytes) -> "Checked":
        did, recency, names, other, facets, codes = raw.decode().split(FIELD_SEPARATOR)
        return cls(did, int(recency), names.split(SEPARATOR), other, facets.split(SEPARATOR) if facets else [],
                   codes.split(SEPARATOR) if codes else [])


def regions(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Region.code, Region.name)).all())


# --- market entities ------------------------------------------------------------------------

def entity_order(session: Session) -> list[int]:
    """Every entity id, most recently inspected first: the order documents are written in."""
    latest = dict(session.execute(select(Inspection.entity_id, func.max(Inspection.completed_on))
                                  .group_by(Inspection.entity_id)).all())
    ids = session.scalars(select(MarketEntity.id)).all()
    return sorted(ids, key=lambda i: (latest.get(i) is not None, latest.get(i), i), reverse=True)


class EntityRow(NamedTuple):
    id: int
    uscc: str | None
    reg_no: str | None
    name: str
    entity_type: str | None
    address: str | None
    status: str | None
    region_code: str | None
    industry: str | None
    names: list[str]  # every recorded name, current and former
    inspections: list[tuple[dt.date | None, str | None]]  # (completed on, result text)
    departments: list[str]


def entity_rows(session: Session, ids: list[int]) -> list[EntityRow]:
    names, inspections, departments = defaultdict(list), defaultdict(list), defaultdict(set)
    for entity_id, name in session.execute(select(EntityName.entity_id, EntityName.name)
                                           .where(EntityName.entity_id.in_(ids)).order_by(EntityName.id)):
        names[entity_id].append(name)
    for entity_id, completed_on, result_text in session.execute(
            select(Inspection.entity_id, Inspection.completed_on, Inspection.result_text)
            .where(Inspection.entity_id.in_(ids))):
        inspections[entity_id].append((completed_on, result_text))
    for entity_id, dept in session.execute(
            select(Inspection.entity_id, Department.name)
            .join(InspectionDepartment, InspectionDepartment.inspection_id == Inspection.id)
            .join(Department, Department.id == InspectionDepartment.department_id)
            .where(Inspection.entity_id.in_(ids))):
        departments[entity_id].add(dept)
    e = MarketEntity
    by_id = {row[0]: row for row in session.execute(
        select(e.id, e.uscc, e.reg_no, e.name, e.entity_type, e.address, e.status, e.region_code, e.industry)
        .where(e.id.in_(ids)))}
    return [EntityRow(*by_id[i], names[i], inspections[i], sorted(departments[i])) for i in ids if i in by_id]


def entity_doc(e: EntityRow, regions: dict[str, str]) -> dict:
    former = [n for n in e.names if n != e.name]
    dates = [done for done, _ in e.inspections if done]
    latest = max(dates) if dates else None
    results = {part for _, text in e.inspections for part in (text or "").split("；") if part}
    region = regions.get(e.region_code or "", e.region_code)
    extra = {"uscc": e.uscc, "reg_no": e.reg_no, "region": region, "region_code": e.region_code,
             "entity_type": e.entity_type, "address": e.address, "status": e.status, "former_names": former,
             "latest_inspection": latest.isoformat() if latest else None, "inspections": len(e.inspections),
             "departments": e.departments}
    facets = {"region": [region], "entity_type": [e.entity_type], "department": e.departments,
              "result": results, "year": {d.year for d in dates}}
    return _doc("enterprise", e.id, e.uscc or e.reg_no or "", e.name, former,
                [e.address, region, e.entity_type, e.industry], [e.uscc, e.reg_no], facets, latest, extra)


# --- tasks, plans, checklist items ----------------------------------------------------------

class TaskRow(NamedTuple):
    id: int
    task_no: str
    name: str
    year: int | None
    task_type: str | None
    field: str | None
    deadline: dt.date | None
    draw_date: dt.date | None
    body_text: str | None
    partners_text: str | None
    joint_items: str | None
    object_scope: str | None
    plan_no: str | None
    plan_name: str | None
    departments: list[str]


def task_rows(session: Session, ids: list[int]) -> list[TaskRow]:
    departments = defaultdict(list)
    for task_id, name in session.execute(
            select(TaskDepartment.task_id, Department.name).join(Department)
            .where(TaskDepartment.task_id.in_(ids)).order_by(TaskDepartment.task_id, TaskDepartment.position)):
        departments[task_id].append(name)
    t = Task
    rows = session.execute(select(t.id, t.task_no, t.name, t.year, t.task_type, t.field, t.deadline, t.draw_date,
                                  t.body_text, t.partners_text, t.joint_items, t.object_scope, Plan.plan_no, Plan.name)
                           .outerjoin(Plan, Plan.id == t.plan_id).where(t.id.in_(ids)))
    return [TaskRow(*row, departments[row[0]]) for row in rows]


def task_doc(t: TaskRow, regions: dict[str, str]) -> dict:
    extra = {"task_no": t.task_no, "year": t.year, "plan_no": t.plan_no, "plan_name": t.plan_name,
             "departments": t.departments, "task_type": t.task_type, "field": t.field,
             "deadline": t.deadline.isoformat() if t.deadline else None}
    facets = {"department": t.departments, "year": [t.year]}
    return _doc("task", t.id, t.task_no, t.name, [],
                [t.plan_name, t.field, t.body_text, t.partners_text, t.joint_items, t.object_scope],
                [t.task_no], facets, t.deadline or t.draw_date, extra)


class PlanRow(NamedTuple):
    id: int
    plan_no: str
    name: str
    year: int | None
    publisher: str | None
    department: str | None


def plan_rows(session: Session, ids: list[int]) -> list[PlanRow]:
    return [PlanRow(*row) for row in session.execute(
        select(Plan.id, Plan.plan_no, Plan.name, Plan.year, Plan.publisher, Department.name)
        .outerjoin(Department, Department.id == Plan.department_id).where(Plan.id.in_(ids)))]


def plan_doc(p: PlanRow, regions: dict[str, str]) -> dict:
    return _doc("plan", p.id, p.plan_no, p.name, [], [p.publisher], [p.plan_no],
                {"department": [p.department], "year": [p.year]}, None,
                {"plan_no": p.plan_no, "year": p.year, "publisher": p.publisher, "department": p.department})


class CheckItemRow(NamedTuple):
    id: int
    code: str | None
    name: str
    sub_item: str | None
    category: str | None
    content: str | None
    object_scope: str | None
    basis: str | None
    item_class: str | None
    status: str | None
    department: str


def check_item_rows(session: Session, ids: list[int]) -> list[CheckItemRow]:
    c = CheckItem
    return [CheckItemRow(*row) for row in session.execute(
        select(c.id, c.code, c.name, c.sub_item, c.category, c.content, c.object_scope, c.basis, c.item_class,
               c.status, Department.name).join(Department).where(c.id.in_(ids)))]


def check_item_doc(c: CheckItemRow, regions: dict[str, str]) -> dict:
    return _doc("check_item", c.id, str(c.id), c.name, [f"{c.name}{c.sub_item}"] if c.sub_item else [],
                [c.department, c.category, c.content, c.object_scope, c.basis], [c.code],
                {"department": [c.department]}, None,
                {"code": c.code, "department": c.department, "sub_item": c.sub_item, "item_class": c.item_class,
                 "status": c.status})


ROWS = {"enterprise": entity_rows, "task": task_rows, "plan": plan_rows, "check_item": check_item_rows}
DOCUMENT = {EntityRow: entity_doc, TaskRow: task_doc, PlanRow: plan_doc, CheckItemRow: check_item_doc}


def all_ids(session: Session, kind: str) -> list[int]:
    """Ids of one kind in the order they are indexed (entities: most recently inspected first)."""
    if kind == "enterprise":
        return entity_order(session)
    return list(session.scalars(select(MODELS[kind].id).order_by(MODELS[kind].id.desc())))


def rows(session: Session, kind: str, ids: list[int]) -> Iterator[list[tuple]]:
    """The rows of `ids`, in batches, in the order given."""
    for start in range(0, len(ids), BATCH):
        yield ROWS[kind](session, ids[start:start + BATCH])


def document(row: tuple, regions: dict[str, str]) -> dict:
    return DOCUMENT[type(row)](row, regions)


def documents(session: Session, kind: str, ids: list[int]) -> Iterator[dict]:
    """The documents of `ids`, in the order given."""
    names = regions(session)
    for batch in rows(session, kind, ids):
        for row in batch:
            yield document(row, names)


def affected(session: Session, changed: dict[str, set[int]]) -> dict[str, set[int]]:
    """Which documents an ingest's changed rows touch: an inspection or a credit record (which
    may bring a new name) changes its entity's document."""
    out = {kind: set() for kind in TYPES}
    out["enterprise"] |= set(changed.get("market_entity", ()))
    out["task"] |= set(changed.get("task", ()))
    out["plan"] |= set(changed.get("plan", ()))
    out["check_item"] |= set(changed.get("check_item", ()))
    for model, table in ((Inspection, "inspection"), (CreditEvent, "credit_event")):
        ids = list(changed.get(table, ()))
        for start in range(0, len(ids), BATCH):
            out["enterprise"] |= set(session.scalars(select(model.entity_id).where(
                model.id.in_(ids[start:start + BATCH]))))
    return out
