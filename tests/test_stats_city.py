"""The generated city's statistics against an independent computation: plain Python over the
rows the ingest loaded (and over the published files themselves), with the working days from
chinesecalendar's own `find_workday`, not from store/workdays.py."""
from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from decimal import Decimal

import chinese_calendar
import pytest
from sqlalchemy import select

from gongshi.democity import generate_city
from gongshi.store import stats, stats_upkeep
from gongshi.store.models import CreditEvent, Inspection, InspectionDepartment, Office, Task, TaskDepartment
from tests.factories import ingest_city


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return generate_city(tmp_path_factory.mktemp("city"), entities=400)


@pytest.fixture
def loaded(db, settings, city):
    ingest_city(db, settings, city)
    return db


def _facts(session):
    inspections = session.execute(select(Inspection.id, Inspection.task_id, Inspection.entity_id,
                                         Inspection.completed_on, Inspection.published_on,
                                         Inspection.deadline_working_days, Inspection.lead_office_id,
                                         Inspection.joint, Inspection.problems_found)).all()
    tasks = {t.id: t for t in session.execute(select(Task.id, Task.year, Task.lead_office_id, Task.joint))}
    county = set(session.scalars(select(Office.id).where(Office.level == "县")))
    level = {i.id: "下级" if i.lead_office_id in county else "本级" for i in inspections}
    took_part = defaultdict(set)
    for i, d in session.execute(select(InspectionDepartment.inspection_id, InspectionDepartment.department_id)):
        took_part[("i", i)].add(d)
    for t, d in session.execute(select(TaskDepartment.task_id, TaskDepartment.department_id)):
        took_part[("t", t)].add(d)
    credit = session.execute(select(CreditEvent.entity_id, CreditEvent.kind, CreditEvent.decided_on,
                                    CreditEvent.department_id, CreditEvent.office_id, CreditEvent.amount_yuan)).all()
    names = dict(session.execute(select(Office.id, Office.name)).all())
    return inspections, tasks, level, took_part, credit, names


def _on_time(completed, published, n):
    if published is None or completed is None:
        return None
    return published <= chinese_calendar.find_workday(n, completed)


def _expected(session):
    """Per (year, office): the same figures, computed row by row."""
    inspections, tasks, level, took_part, credit, names = _facts(session)
    out = defaultdict(lambda: {"tasks": set(), "joint_tasks": set(), "inspections": 0, "entities": set(),
                               "problems_found": 0, "published": 0, "on_time": 0, "late": 0,
                               "publication_unknown": 0, "cases": 0, "fines_yuan": Decimal(0)})
    task_joint = {t.id: t.joint for t in tasks.values()}
    for i in inspections:
        task_joint[i.task_id] = task_joint[i.task_id] or i.joint
    for t in tasks.values():
        out[(t.year, t.lead_office_id)]["tasks"].add(t.id)
    by_entity = defaultdict(list)
    for i in inspections:
        year = tasks[i.task_id].year or i.completed_on.year
        by_entity[i.entity_id].append((i, year))
        row = out[(year, i.lead_office_id)]
        row["tasks"].add(i.task_id)
        row["inspections"] += 1
        row["entities"].add(i.entity_id)
        row["problems_found"] += i.problems_found
        row["published"] += i.published_on is not None
        on_time = _on_time(i.completed_on, i.published_on, i.deadline_working_days)
        row["on_time" if on_time else "late" if on_time is False else "publication_unknown"] += 1
    for row in out.values():
        row["joint_tasks"] = {t for t in row["tasks"] if task_joint[t]}
    for e in credit:
        if e.kind != "行政处罚" or e.decided_on is None:
            continue
        window = [(i, y) for i, y in by_entity[e.entity_id]
                  if i.completed_on <= e.decided_on <= i.completed_on + dt.timedelta(days=180)]
        part = lambda i, e=e: e.department_id in took_part[("i", i.id)] | took_part[("t", i.task_id)]  # noqa: E731
        if window:
            i, year = max(window, key=lambda p: (part(p[0]), p[0].completed_on, p[0].id))
            if part(i):
                out[(year, e.office_id)]["cases"] += 1
                out[(year, e.office_id)]["fines_yuan"] += e.amount_yuan or 0
    return {k: {**v, "tasks": len(v["tasks"]), "joint_tasks": len(v["joint_tasks"]), "entities": len(v["entities"]),
                "office": names[k[1]]} for k, v in out.items()}, inspections, tasks, level


def test_the_citys_coverage_matches_an_independent_computation(loaded, city):
    with loaded.session() as s:
        expected, inspections, tasks, level = _expected(s)
        rows = stats.coverage(s)
        headline = stats.headline(s, 2023)
        burden = {r["year"]: r for r in stats.burden(s)}
        form = stats.attachment3(s, 2023)
    fields = ("office", "tasks", "joint_tasks", "inspections", "entities", "problems_found", "published",
              "on_time", "late", "publication_unknown", "cases", "fines_yuan")
    got = {(r.year, r.office_id): {f: getattr(r, f) for f in fields} for r in rows}
    assert got == {k: {f: v[f] for f in fields} for k, v in expected.items()}
    assert len(rows) > 40 and sum(r.cases for r in rows) > 0 and sum(r.late for r in rows) > 0
    # The files themselves: one inspection per task and entity in results.csv.
    with open(city["result"], encoding="utf-8-sig", newline="") as f:
        published_pairs = {(r["抽查任务编号"], r["统一社会信用代码"]) for r in csv.DictReader(f)}
    assert sum(r.inspections for r in rows) == len(inspections) == len(published_pairs)

    year_of = {i.id: tasks[i.task_id].year for i in inspections}
    of_2023 = [i for i in inspections if year_of[i.id] == 2023]
    judged = [_on_time(i.completed_on, i.published_on, i.deadline_working_days) for i in of_2023]
    assert headline["inspections"] == len(of_2023)
    assert headline["entities_inspected"] == len({i.entity_id for i in of_2023})
    assert headline["problem_share"] == pytest.approx(sum(i.problems_found for i in of_2023) / len(of_2023))
    assert headline["on_time_share"] == pytest.approx(judged.count(True) / (judged.count(True) + judged.count(False)))

    per_entity = defaultdict(list)
    for i in of_2023:
        per_entity[i.entity_id].append(i)
    multi = [v for v in per_entity.values() if len(v) > 1]
    assert (burden[2023]["multi_task_entities"], burden[2023]["multi_task_visits"],
            burden[2023]["separate_visits"]) == (len(multi), sum(map(len, multi)),
                                                 sum(not i.joint for v in multi for i in v))
    households = sum(r.entities for r in form if r.office == "合计")
    assert households == len(of_2023)
    lower = sum(r.entities for r in form if r.office == "合计" and r.level == "下级")
    assert lower == sum(level.get(i.id) == "下级" for i in of_2023) > 0


def test_the_citys_incremental_aggregates_equal_a_rebuild(loaded):
    with loaded.session() as s:
        incremental = {m.__tablename__: sorted(tuple(r) for r in s.execute(select(*m.__table__.columns)))
                       for m in stats_upkeep.STAT_MODELS}
        stats_upkeep.rebuild(s)
        rebuilt = {m.__tablename__: sorted(tuple(r) for r in s.execute(select(*m.__table__.columns)))
                   for m in stats_upkeep.STAT_MODELS}
        coverage = stats.directory_coverage(s)
        links = stats.credit_link(s)
    assert rebuilt == incremental
    assert coverage["directory_size"] == 400 and 0 < coverage["share_1y"] < coverage["share_5y"] <= 1
    assert sum(r["followed_by_penalty"] for r in links) > 0
