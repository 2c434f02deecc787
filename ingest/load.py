"""Writing validated records into the store, inside the caller's single transaction.

A fact is found again by its natural key. Same content hash: unchanged, nothing written.
Different: the old content goes to `revision` and the row is updated in place (its id and
URL never change). Work is done in batches of set-based statements, so that a million result
rows load in minutes, not hours.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal

import orjson
from sqlalchemy import delete, distinct, func, insert, or_, select, update
from sqlalchemy.orm import Session

from gongshi.ingest.departments import DepartmentResolver
from gongshi.ingest.errors import IngestError, Problem
from gongshi.ingest.values import split_list
from gongshi.store.bulk import among, insert_rows, new_ids
from gongshi.store.models import (
    CheckItem,
    CreditEvent,
    DrawRecord,
    EntityName,
    Finding,
    IngestRun,
    Inspection,
    InspectionDepartment,
    MarketEntity,
    Plan,
    Revision,
    Source,
    Task,
    TaskDepartment,
    utcnow,
)
from gongshi.store.vocabulary import NO_PROBLEM_RESULTS, known_result

BATCH = 2000
TABLE_LABELS = {"check_item": "抽查事项", "task": "抽查任务", "plan": "抽查计划", "inspection": "抽查结果",
                "credit_event": "信用信息", "market_entity": "市场主体", "draw_record": "抽取记录"}


def _jsonable(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


HASH_PREFIX = "o"  # not a hex digit: tells these hashes from the legacy ones stored before


def content_hash(values: object) -> str:
    """The digest a fact's normalised content is compared by: SHA-256 over orjson's bytes
    (keys sorted), several times faster than the standard library's encoder."""
    text = orjson.dumps(values, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=_jsonable)
    return HASH_PREFIX + hashlib.sha256(text).hexdigest()[:63]


def legacy_hash(values: object) -> str:
    """The digest stores written before orjson hold; compared only against such a stored value."""
    text = json.dumps(values, sort_keys=True, ensure_ascii=False, default=_jsonable)
    return hashlib.sha256(text.encode()).hexdigest()


def same_content(stored: str, digest: str, content: list, leave_out: list[str]) -> bool:
    """Whether a stored hash is of this content (values, children), `leave_out` columns aside."""
    if stored == digest:
        return True
    if stored.startswith(HASH_PREFIX):
        return False
    values = {k: v for k, v in content[0].items() if k not in leave_out}
    return stored == legacy_hash([values, content[1]])


def short_hash(*parts: object) -> str:
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:8].upper()


def batched(items: Iterable, size: int = BATCH) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


OFFICE_COLUMNS = ("office_id", "lead_office_id")


class Loader:
    """Loads the records of one source; counts what it did and which ids changed."""

    def __init__(self, session: Session, source: Source, run: IngestRun, default_deadline_days: int):
        self.session, self.source, self.run = session, source, run
        self.default_deadline_days = default_deadline_days
        self.departments = DepartmentResolver(session, region=source.region_code, publisher=source.publisher)
        source.region_code = self.departments.context
        self.changed: dict[str, set[int]] = defaultdict(set)
        self.counts: dict[str, Counter] = defaultdict(Counter)  # table → inserted/updated/unchanged/withdrawn
        # Natural key → source row of the facts this run met and left unchanged; those it wrote
        # carry the run and their row in the store, so a million new rows cost no memory here.
        self._unchanged: dict[str, int | None] = {}
        self._tasks: dict[tuple, int] | None = None
        self._task_meta: dict[int, tuple[int | None, int | None, bool, int | None]] = {}

    # --- the generic upsert -----------------------------------------------------------------

    def upsert(self, model, items: list[tuple[str, dict, int | None]],
               children: list | None = None) -> dict[str, tuple[int, str]]:
        """Insert, update or leave alone each (natural key, values, source row); returns
        natural key → (id, 'inserted' | 'updated' | 'unchanged'). `children` (findings, departments;
        one entry per item) count as part of the content: a corrected item list is a correction
        of its parent. A key met again in the same run is the same fact published twice: an exact
        repeat is skipped, a repeat with other content refuses the file, naming both rows."""
        outcome: dict[str, tuple[int, str]] = {}
        existing = {
            key: (id_, old_hash, run_id, old_row)
            for id_, key, old_hash, run_id, old_row in self.session.connection().execute(
                select(model.id, model.natural_key, model.content_hash, model.ingest_run_id, model.source_row)
                .where(among(self.session, model.natural_key, {key for key, _, _ in items}))).all()
        }
        provenance = {"source_id": self.source.id, "ingest_run_id": self.run.id}
        new_rows, changed_rows, rehashed, first = [], [], [], {}
        offices = [c for c in OFFICE_COLUMNS if c in model.__table__.c]
        for i, (key, values, row) in enumerate(items):
            # Offices are read from the published names, which are hashed: an office id alone is no
            # change of content (and stores migrated to offices re-ingest their files unchanged).
            # Popped and put back rather than copied: this runs once per row of a million.
            office = [values.pop(c, None) for c in offices]
            content = [values, children[i] if children else None]
            digest = content_hash(content)
            values.update(zip(offices, office))
            earlier = self._met(key, existing.get(key), first)
            if earlier:
                self._repeat(model, row, digest, *earlier)
                if key not in first:  # met in an earlier batch, so already in the store
                    outcome[key] = (existing[key][0], "unchanged")
                continue
            first[key] = (row, digest)
            if key not in existing:
                new_rows.append({**values, **provenance, "source_row": row, "natural_key": key, "content_hash": digest})
            elif not same_content(existing[key][1], digest, content, offices):
                changed_rows.append({**values, **provenance, "source_row": row, "natural_key": key,
                                     "content_hash": digest, "id": existing[key][0]})
            else:
                outcome[key] = (existing[key][0], "unchanged")
                self._unchanged[key] = row
                if existing[key][1] != digest:  # a legacy hash of the same content, written anew once
                    rehashed.append({"id": existing[key][0], "content_hash": digest})
        if rehashed:
            self.session.execute(update(model), rehashed)
        if new_rows:
            # Ids are drawn before the write, so that nothing is read back (store/bulk.py).
            for r, id_ in zip(new_rows, new_ids(self.session, model.__table__, len(new_rows))):
                r["id"] = id_
                outcome[r["natural_key"]] = (id_, "inserted")
            insert_rows(self.session, model.__table__, new_rows)
        if changed_rows:
            self._snapshot(model, [r["id"] for r in changed_rows])
            self.session.execute(update(model), changed_rows)
            for r in changed_rows:
                outcome[r["natural_key"]] = (r["id"], "updated")
        table = model.__tablename__
        for id_, status in outcome.values():
            if status != "unchanged":
                self.changed[table].add(id_)
        self.counts[table]["inserted"] += len(new_rows)
        self.counts[table]["updated"] += len(changed_rows)
        self.counts[table]["unchanged"] += len(first) - len(new_rows) - len(changed_rows)
        return outcome

    def _met(self, key: str, stored: tuple | None, first: dict) -> tuple[int | None, str] | None:
        """(row, content hash) of an earlier row of this run with the same natural key: in this
        batch, left unchanged in an earlier batch, or written by this run (the store has its row)."""
        if key in first:
            return first[key]
        if key in self._unchanged:
            return self._unchanged[key], stored[1]
        if stored and stored[2] == self.run.id:
            return stored[3], stored[1]
        return None

    def _repeat(self, model, row: int | None, digest: str, first_row: int | None, first_digest: str) -> None:
        if digest != first_digest:
            label = TABLE_LABELS.get(model.__tablename__, model.__tablename__)
            raise IngestError([Problem(self.source.name, row, None, None,
                                       f"与第{first_row}行是同一条{label}，但内容不同：无法判断哪一行是对的")])

    def _snapshot(self, model, ids: list[int]) -> None:
        """Keep the superseded content, children included, in `revision`."""
        now = utcnow()
        rows = self.session.execute(select(model.__table__).where(model.id.in_(ids))).mappings().all()
        children = self._children(model, ids)
        self.session.execute(insert(Revision), [
            {"table_name": model.__tablename__, "record_id": r["id"], "natural_key": r["natural_key"],
             "data": {k: _jsonable(val) for k, val in r.items()} | children.get(r["id"], {}),
             "source_id": r["source_id"], "superseded_at": now, "superseded_by_run_id": self.run.id}
            for r in rows
        ])

    def _children(self, model, ids: list[int]) -> dict[int, dict]:
        out: dict[int, dict] = defaultdict(lambda: defaultdict(list))
        if model is Inspection:
            # In published order: without ORDER BY, PostgreSQL returns rows rewritten in place in any order.
            for f in self.session.execute(select(Finding.__table__).where(Finding.inspection_id.in_(ids))
                                          .order_by(Finding.inspection_id, Finding.position)).mappings():
                out[f["inspection_id"]]["findings"].append({"item": f["item"], "result": f["result"]})
            for d in self.session.execute(select(InspectionDepartment.__table__)
                                          .where(InspectionDepartment.inspection_id.in_(ids))
                                          .order_by(InspectionDepartment.inspection_id,
                                                    InspectionDepartment.position)).mappings():
                out[d["inspection_id"]]["departments"].append(d["published_name"])
        elif model is Task:
            for d in self.session.execute(select(TaskDepartment.__table__).where(TaskDepartment.task_id.in_(ids))
                                          .order_by(TaskDepartment.task_id, TaskDepartment.position)).mappings():
                out[d["task_id"]]["departments"].append(d["published_name"])
        return out

    def _replace_children(self, child, fk: str, outcome: dict, rows_by_key: dict[str, list],
                          columns: tuple[str, ...] | None = None) -> None:
        """Children of inserted and updated parents are (re)written; unchanged ones are left.
        Children are dicts, or with `columns` tuples of those columns (their parent's comes first)."""
        updated = [id_ for id_, status in outcome.values() if status == "updated"]
        if updated:
            self.session.execute(delete(child).where(getattr(child, fk).in_(updated)))
        rows = []
        for key, children in rows_by_key.items():
            parent, status = outcome[key]
            if status == "unchanged":
                continue
            if columns:
                rows += [(parent, *c) for c in children]
                continue
            for r in children:  # each child's dict is its own: given its parent in place
                r[fk] = parent
            rows += children
        insert_rows(self.session, child.__table__, rows, columns=columns and (fk, *columns))

    # --- entities ---------------------------------------------------------------------------

    def ensure_entities(self, refs: list[dict], rows: list[int | None], region_of: list[str | None]) -> list[int]:
        """Ids for entity references met in results and credit records; entities not in the
        directory yet are created from what the row says (name, region), and every name
        they are published under is kept in their name history."""
        keys = [self.entity_key(r) for r in refs]
        found = self._entity_ids(set(keys))  # key → (id, current name)
        missing = {}
        for key, ref, row, region in zip(keys, refs, rows, region_of):
            if key not in found and key not in missing:
                values = {"uscc": ref["uscc"], "reg_no": ref["reg_no"], "name": ref["name"] or key,
                          "region_code": region or _region_of_uscc(ref["uscc"])}
                missing[key] = (key, values, row)
        if missing:
            outcome = self.upsert(MarketEntity, list(missing.values()))
            found.update({k: (v[0], None) for k, v in outcome.items()})
        ids = [found[k][0] for k in keys]
        # An entity's current name is always in its name history already (every writer of the
        # name records it), so only other names are looked up.
        self.record_names([(found[k][0], r["name"], row) for k, r, row in zip(keys, refs, rows)
                           if r["name"] and r["name"] != found[k][1]])
        return ids

    @staticmethod
    def entity_key(ref: dict) -> str:
        return f"entity:{ref['uscc']}" if ref["uscc"] else f"entity:reg:{ref['reg_no']}"

    def _entity_ids(self, keys: set[str]) -> dict[str, int]:
        return {k: (i, name) for i, k, name in self.session.connection().execute(
            select(MarketEntity.id, MarketEntity.natural_key, MarketEntity.name)
            .where(among(self.session, MarketEntity.natural_key, keys))).all()}

    def record_names(self, names: list[tuple[int, str, int | None]]) -> None:
        wanted = {(i, n): row for i, n, row in names}
        if not wanted:
            return
        # By entity id alone: SQLite cannot use the (entity_id, name) index for a row-value IN.
        have = set(self.session.connection().execute(select(EntityName.entity_id, EntityName.name).where(
            among(self.session, EntityName.entity_id, {i for i, _ in wanted}))).all())
        new = [{"entity_id": i, "name": n, "source_id": self.source.id, "source_row": row}
               for (i, n), row in wanted.items() if (i, n) not in have]
        insert_rows(self.session, EntityName.__table__, new)

    def load_entities(self, records: Iterable[dict]) -> None:
        for batch in batched(records):
            items = []
            for r in batch:
                ref = r["entity"]
                values = {"uscc": ref["uscc"], "reg_no": ref["reg_no"], "name": ref["name"],
                          "entity_type": r["entity_type"], "region_code": r["region"] or _region_of_uscc(ref["uscc"]),
                          "address": r["address"], "industry": r["industry"], "established_on": r["established_on"],
                          "status": r["status"], "registration_authority": r["registration_authority"],
                          "extras": r["extras"]}
                items.append((self.entity_key(ref), values, r["row"]))
            outcome = self.upsert(MarketEntity, items)
            names = []
            for (key, values, row), r in zip(items, batch):
                id_ = outcome[key][0]
                names += [(id_, n, row) for n in r["former_names"]] + [(id_, values["name"], row)]
            self.record_names(names)

    def load_draws(self, records: Iterable[dict]) -> None:
        """Draw records, one per (task, directory, seed): a corrected record of the same draw
        supersedes the old one, whose content stays in `revision`."""
        items = []
        for r in records:
            params, directory = r["parameters"], r["directory"]
            values = {"task_no": params.get("task_no"), "algorithm": r["algorithm"], "version": r["version"],
                      "seed": r["seed"], "directory_name": directory.get("name"),
                      "directory_sha256": directory["sha256"], "directory_rows": len(directory["usccs"]),
                      "selected_count": len(r["selected"]), "record": r}
            key = f"draw:{params.get('task_no') or ''}:{directory['sha256']}:{short_hash(r['seed'])}"
            items.append((key, values, None))
        self.upsert(DrawRecord, items)

    # --- checklists -------------------------------------------------------------------------

    def load_checklist(self, records: Iterable[dict]) -> None:
        keys_by_department: dict[int, set[str]] = defaultdict(set)
        for batch in batched(records):
            items = []
            for r in batch:
                dept = self.departments.resolve(r.pop("department")).department_id
                key = f"check_item:{dept}:{r['code']}" if r["code"] else \
                    f"check_item:{dept}:{r['name']}:{r['sub_item'] or ''}"
                row = r.pop("row")
                items.append((key, {**r, "department_id": dept, "status": "current", "withdrawn_at": None,
                                    "withdrawn_by_run_id": None}, row))
                keys_by_department[dept].add(key)
            self.upsert(CheckItem, items)
        self._withdraw_missing(keys_by_department)

    def _withdraw_missing(self, keys_by_department: dict[int, set[str]]) -> None:
        """A checklist is its departments' whole current list: items it no longer has are
        withdrawn (not deleted), with the run that withdrew them."""
        for dept, keys in keys_by_department.items():
            current = self.session.execute(
                select(CheckItem.id, CheckItem.natural_key)
                .where(CheckItem.department_id == dept, CheckItem.status == "current")).all()
            gone = [id_ for id_, key in current if key not in keys]
            if gone:
                self.session.execute(update(CheckItem).where(CheckItem.id.in_(gone)).values(
                    status="withdrawn", withdrawn_at=utcnow(), withdrawn_by_run_id=self.run.id))
                self.counts["check_item"]["withdrawn"] += len(gone)
                self.changed["check_item"].update(gone)

    # --- plans and tasks --------------------------------------------------------------------

    def plan_id(self, plan: dict, row: int | None) -> tuple[int, str]:
        """The plan's id and its (published or derived) number, creating it when new."""
        if plan["plan_no"]:
            key, plan_no, published = f"plan:{plan['plan_no']}", plan["plan_no"], True
        else:
            key = f"plan:{plan['year'] or ''}:{plan['name']}"
            plan_no, published = f"P{plan['year'] or ''}-{short_hash(plan['name'])}", False
        existing = self.session.execute(select(Plan.id, Plan.plan_no).where(Plan.natural_key == key)).first()
        if existing:
            return existing[0], existing[1]
        values = {"plan_no": plan_no, "plan_no_published": published, "name": plan["name"] or plan_no,
                  "year": plan["year"], "publisher": self.source.publisher}
        outcome = self.upsert(Plan, [(key, values, row)])
        return outcome[key][0], plan_no

    def load_tasks(self, records: Iterable[dict]) -> None:
        plans: dict[tuple, tuple[int, str]] = {}
        for batch in batched(records, 500):
            items, departments, names = [], {}, []
            for r in batch:
                plan = r.pop("plan")
                plan_ref = (plan["plan_no"], plan["name"], plan["year"])
                if plan_ref not in plans:
                    plans[plan_ref] = self.plan_id(plan, r["row"])
                plan_id, plan_no = plans[plan_ref]
                key, values, depts = self._task_values(r, plan_id, plan_no, plan["year"])
                items.append((key, values, r["row"]))
                departments.setdefault(key, depts)
                names.append([d["published_name"] for d in depts])
            outcome = self.upsert(Task, items, names)
            self._replace_children(TaskDepartment, "task_id", outcome, departments)
            self._apply_to_inspections([id_ for id_, status in outcome.values() if status == "updated"])
        self._tasks = None

    def _apply_to_inspections(self, task_ids: list[int]) -> None:
        """A corrected task's lead department and joint flag hold for the inspections already
        published under it (lead: the task's initiator when known, else the first authority)."""
        if not task_ids:
            return
        authorities = (select(func.count(distinct(InspectionDepartment.department_id)))
                       .where(InspectionDepartment.inspection_id == Inspection.id).scalar_subquery())

        def of_task(column):  # each inspection reads its own task's value, at any depth of nesting
            return select(column).where(Task.id == Inspection.task_id).correlate_except(Task).scalar_subquery()

        lead = of_task(Task.lead_department_id)
        own_office = (select(InspectionDepartment.office_id)
                      .where(InspectionDepartment.inspection_id == Inspection.id,
                             InspectionDepartment.department_id == lead)
                      .order_by(InspectionDepartment.position).limit(1).scalar_subquery())
        self.session.execute(
            update(Inspection).where(Inspection.task_id.in_(task_ids)).values(
                lead_department_id=func.coalesce(lead, Inspection.lead_department_id),
                lead_office_id=func.coalesce(own_office, of_task(Task.lead_office_id),
                                             Inspection.lead_office_id),
                joint=or_(of_task(Task.joint), authorities > 1)))
        self.changed["inspection"].update(
            self.session.scalars(select(Inspection.id).where(Inspection.task_id.in_(task_ids))))

    def _task_values(self, r: dict, plan_id: int | None, plan_no: str, year: int | None):
        r = {k: v for k, v in r.items() if k != "row"}
        if r["task_no"]:
            key, task_no, published = f"task:{r['task_no']}", r["task_no"], True
        else:
            suffix = f"{r['seq']:02d}" if r.get("seq") is not None else short_hash(r["name"])
            key, task_no, published = f"task:{plan_no}:{suffix}", f"{plan_no}-{suffix}", False
        # The first 检查主体 leads; other bodies and the 联合检查部门 take part.
        body = split_list(r.get("body_text"))
        names = body + [n for n in split_list(r.get("partners_text")) if n not in body]
        depts, seen = [], set()
        for position, name in enumerate(names):
            resolved = self.departments.resolve(name)
            if resolved.department_id in seen:
                continue
            seen.add(resolved.department_id)
            depts.append({"position": position, "department_id": resolved.department_id,
                          "office_id": resolved.office_id, "role": "lead" if not depts else "partner",
                          "published_name": name})
        year = year or (r["deadline"].year if r.get("deadline") else None)
        values = {**r, "plan_id": plan_id, "task_no": task_no, "task_no_published": published, "year": year,
                  "lead_department_id": depts[0]["department_id"] if depts else None,
                  "lead_office_id": depts[0]["office_id"] if depts else None, "joint": len(depts) > 1,
                  "deadline_working_days": self.source.deadline_working_days}
        return key, values, depts

    # --- results ----------------------------------------------------------------------------

    def _task_index(self) -> dict[tuple, int]:
        if self._tasks is None:
            self._tasks = {}
            rows = self.session.execute(select(Task.id, Task.task_no, Task.name, Task.year, Task.lead_department_id,
                                               Task.lead_office_id, Task.joint, Task.deadline_working_days))
            for id_, task_no, name, year, lead, lead_office, joint, days in rows:
                self._tasks[("no", task_no)] = id_
                self._tasks.setdefault(("name", name), id_)
                self._tasks[("name", name, year)] = id_
                self._task_meta[id_] = (lead, lead_office, joint, days)
        return self._tasks

    def task_for(self, ref: dict, year: int | None, row: int | None) -> int:
        """The task a result names: by number, else by name (the completion year breaking
        ties); a task not published yet is created from what the result says of it."""
        index = self._task_index()
        if ref["task_no"] and ("no", ref["task_no"]) in index:
            return index[("no", ref["task_no"])]
        if not ref["task_no"] and ref["name"]:
            found = index.get(("name", ref["name"], year)) or index.get(("name", ref["name"]))
            if found:
                return found
        plan = {"plan_no": ref["plan_no"], "name": ref["plan_name"], "year": year}
        plan_id, plan_no = (self.plan_id(plan, row) if (ref["plan_no"] or ref["plan_name"]) else (None, "R"))
        record = {"task_no": ref["task_no"], "name": ref["name"] or ref["task_no"], "task_type": ref["task_type"],
                  "task_type_text": ref["task_type"], "row": row}
        key, values, _ = self._task_values(record, plan_id, plan_no if plan_id else f"R{year or ''}", year)
        values["deadline_working_days"] = None
        id_ = self.upsert(Task, [(key, values, row)])[key][0]
        index[("no", values["task_no"])] = id_
        index[("name", values["name"])] = index[("name", values["name"], year)] = id_
        self._task_meta[id_] = (None, None, False, None)
        return id_

    def load_results(self, inspections: Iterable[dict]) -> None:
        for batch in batched(inspections):
            refs = [r["entity"] for r in batch]
            entity_ids = self.ensure_entities(refs, [r["row"] for r in batch], [r["region"] for r in batch])
            items, children, findings, authorities = [], [], {}, {}
            for r, entity_id in zip(batch, entity_ids):
                year = r["completed_on"].year if r["completed_on"] else None
                task_id = self.task_for(r["task"], year, r["row"])
                key = f"inspection:{task_id}:{entity_id}"
                values, found, depts = self._inspection_values(r, task_id, entity_id)
                items.append((key, values, r["row"]))
                children.append([r["finding_pairs"], r["authorities"]])
                findings.setdefault(key, found)
                authorities.setdefault(key, depts)
            outcome = self.upsert(Inspection, items, children)
            self._replace_children(Finding, "inspection_id", outcome, findings, FINDING_COLUMNS)
            self._replace_children(InspectionDepartment, "inspection_id", outcome, authorities)

    def _inspection_values(self, r: dict, task_id: int, entity_id: int):
        lead, lead_office, task_joint, task_days = self._task_meta.get(task_id, (None, None, False, None))
        depts = []
        for position, name in enumerate(r["authorities"]):
            resolved = self.departments.resolve(name)
            depts.append({"position": position, "department_id": resolved.department_id,
                          "office_id": resolved.office_id, "published_name": name,
                          "region_code": resolved.region_code})
        lead = lead or (depts[0]["department_id"] if depts else None)
        # The lead kind's office among the authorities did the work: a county office under a city's task.
        own = next((d["office_id"] for d in depts if d["department_id"] == lead), lead_office)
        values = {
            "entity_id": entity_id, "task_id": task_id, "completed_on": r["completed_on"],
            "published_on": r["published_on"],
            "deadline_working_days": task_days or self.source.deadline_working_days or self.default_deadline_days,
            "authorities_text": r["authorities_text"],
            "lead_department_id": lead, "lead_office_id": own,
            "joint": task_joint or len({d["department_id"] for d in depts}) > 1,
            "problems_found": r["problems_found"], "result_text": r["result_text"],
            "follow_up": r["follow_up"], "region_code": r["region"] or (depts[0]["region_code"] if depts else None),
            "note": r["note"], "extras": r["extras"],
        }
        return values, r["findings"], depts

    # --- credit -----------------------------------------------------------------------------

    def load_credit(self, records: Iterable[dict]) -> None:
        for batch in batched(records):
            entity_ids = self.ensure_entities([r["entity"] for r in batch], [r["row"] for r in batch],
                                              [None] * len(batch))
            items = []
            for r, entity_id in zip(batch, entity_ids):
                resolved = self.departments.resolve(r["authority_text"]) if r["authority_text"] else None
                if r["kind"] == "信用风险分类":
                    key = f"credit:{entity_id}:{r['kind']}:{r['decided_on'] or ''}"
                elif r["decision_no"]:
                    key = f"credit:{entity_id}:{r['kind']}:{r['decision_no']}"
                else:
                    key = (f"credit:{entity_id}:{r['kind']}:{r['decided_on'] or ''}:"
                           f"{short_hash(r['authority_text'], r['reason'], r['content'])}")
                values = {k: r[k] for k in ("kind", "kind_text", "decided_on", "authority_text", "reason",
                                            "decision_no", "content", "amount_yuan", "amount_text", "risk_class",
                                            "extras")}
                values |= {"entity_id": entity_id,
                           "department_id": resolved.department_id if resolved else None,
                           "office_id": resolved.office_id if resolved else None,
                           "authority_region_code": resolved.region_code if resolved else None}
                items.append((key, values, r["row"]))
            self.upsert(CreditEvent, items)


class StagedRecords:
    """Validated records with memory that stays flat whatever the file's size: staged in a
    temporary SQLite file as they are validated (the first pass, which finds every problem), then
    read back one at a time, in file order, by the loader (the second pass)."""

    def __init__(self, records: Iterable[dict]):
        # "": SQLite's private temporary database, on disk (beyond a bounded cache) and deleted on
        # close; a scratch file needs no journal.
        self._db = sqlite3.connect("")
        self._db.executescript("PRAGMA journal_mode=OFF; PRAGMA cache_size=-16384;"
                               "CREATE TABLE staged (key TEXT, row INTEGER, record BLOB)")
        for batch in batched(records):
            self._db.executemany("INSERT INTO staged VALUES (?, ?, ?)",
                                 [(self.key(r), r["row"], pickle.dumps(r, pickle.HIGHEST_PROTOCOL))
                                  for r in batch])

    @staticmethod
    def key(r: dict) -> str | None:
        return None

    def __iter__(self) -> Iterator[dict]:
        for (blob,) in self._db.execute("SELECT record FROM staged ORDER BY rowid"):
            yield pickle.loads(blob)

    def __enter__(self) -> StagedRecords:
        return self

    def __exit__(self, *exc) -> None:
        self._db.close()


class StagedInspections(StagedRecords):
    """Result rows, staged as any records are, read back grouped into inspections (rows of the
    same task and entity are one inspection, in files with one row per item), in the order of each
    one's first row."""

    @staticmethod
    def key(r: dict) -> str:
        return inspection_key(r)

    def __iter__(self) -> Iterator[dict]:
        self._db.execute("CREATE TABLE first AS SELECT key, MIN(row) AS first FROM staged GROUP BY key")
        yield from group_adjacent((key, pickle.loads(blob)) for key, blob in self._db.execute(
            "SELECT s.key, s.record FROM staged s JOIN first f USING (key) ORDER BY f.first, s.row"))


def inspection_key(r: dict) -> str:
    task = r["task"]
    return "\x1f".join((task["task_no"] or "", "" if task["task_no"] else task["name"] or "",
                        r["entity"]["uscc"] or r["entity"]["reg_no"] or ""))


def _findings(r: dict) -> list[tuple]:
    return [(item, result, r["row"]) for item, result in r["findings"]]


FINDING_COLUMNS = ("position", "item", "result", "result_known", "source_row")


def prepare_inspection(g: dict) -> dict:
    """What an inspection's findings add up to, once all its rows are grouped: each finding as a
    row of FINDING_COLUMNS, the results in order of first mention, whether any is a problem, and
    the (item, result) pairs its content hash covers. Needs no store, so that a streamed file's
    reading process does this work beside the loader."""
    findings, results, problems = [], [], False
    for position, (item, result, row) in enumerate(g["findings"]):
        known = known_result(result)
        findings.append((position, item, result, known is not None or result is None, row))
        if result and result not in results:
            results.append(result)
            problems = problems or (known or result) not in NO_PROBLEM_RESULTS
    g["findings"], g["finding_pairs"] = findings, [[item, result] for _, item, result, _, _ in findings]
    g["result_text"], g["problems_found"] = "；".join(results) or None, problems
    return g


def group_adjacent(keyed: Iterable[tuple[str, dict]]) -> Iterator[dict]:
    """Each run of (inspection_key, row) pairs with the same key as one prepared inspection."""
    group, key = None, None
    for next_key, record in keyed:
        if next_key == key:
            merge_row(group, record)
            continue
        if group is not None:
            yield prepare_inspection(group)
        group, key = {**record, "findings": _findings(record)}, next_key
    if group is not None:
        yield prepare_inspection(group)


def merge_row(g: dict, r: dict) -> None:
    """One more row of inspection `g`: its items, authorities, latest dates and notes join it."""
    g["findings"].extend(_findings(r))
    for name in r["authorities"]:
        if name not in g["authorities"]:
            g["authorities"].append(name)
    g["authorities_text"] = "、".join(g["authorities"]) or None
    for date_field in ("completed_on", "published_on"):
        dates = [d for d in (g[date_field], r[date_field]) if d]
        g[date_field] = max(dates) if dates else None
    for text_field in ("follow_up", "note"):
        if r[text_field] and r[text_field] not in (g[text_field] or ""):
            g[text_field] = "；".join(filter(None, [g[text_field], r[text_field]]))
    g["extras"] = {**r["extras"], **g["extras"]}


def _region_of_uscc(uscc: str | None) -> str | None:
    """Characters 3–8 of a USCC are the registering authority's region code."""
    return uscc[2:8] if uscc else None
