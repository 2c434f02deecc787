"""Offices (机关): a department kind in one region at one level, read from published names.

南通市市场监督管理局 is not 如皋市市场监督管理局: each level of government runs its own plan and
fills its own 附件3. Names without a region are placed by their file's publisher or `--region`;
a name that cannot be placed is an office of its own, flagged, never merged.
"""
from __future__ import annotations

import importlib.util

import pytest
from sqlalchemy import select, text

from gongshi.app import create_app
from gongshi.ingest.errors import IngestError
from gongshi.ingest.pipeline import Options
from gongshi.store import stats_upkeep
from gongshi.store.db import MIGRATIONS
from gongshi.store.models import Inspection, Office, Task
from tests.conftest import SAMPLE
from tests.factories import ingest, uscc, write_csv

RESULT_HEADER = ["统一社会信用代码", "企业名称", "抽查任务编号", "抽查任务名称", "抽查机关", "检查事项", "检查结果",
                 "检查完成日期", "公示日期"]


def _offices(db) -> dict[str, tuple]:
    with db.session() as s:
        return {o.name: (o.department.name, o.region_code, o.level, o.placed) for o in s.scalars(select(Office))}


def _results(tmp_path, db, settings, authorities: list[str], options: Options | None = None):
    rows = [[uscc(700 + n), f"商店{n}", "T-2021-900", "企业公示信息抽查", name, "年报", "未发现问题", "2021-09-30",
             "2021-10-08"] for n, name in enumerate(authorities)]
    path = write_csv(tmp_path / "results.csv", RESULT_HEADER, rows)
    ingest(db, settings, str(path), options or Options(kind="result"))


def test_offices_of_one_kind_in_a_city_and_its_counties_are_distinct(db, settings, tmp_path):
    _results(tmp_path, db, settings, ["南通市市场监督管理局", "如皋市市场监督管理局", "南通市崇川区市场监督管理局",
                                      "如皋市市场监管局"])
    offices = _offices(db)
    assert offices["南通市市场监督管理局"] == ("市场监督管理局", "320600", "市", True)
    assert offices["如皋市市场监督管理局"] == ("市场监督管理局", "320682", "县", True)
    assert offices["南通市崇川区市场监督管理局"] == ("市场监督管理局", "320602", "县", True)
    assert len(offices) == 3  # 如皋市市场监管局 is the same office as 如皋市市场监督管理局


def test_a_provincial_plans_tasks_belong_to_the_provincial_office(db, settings):
    ingest(db, settings, str(SAMPLE / "jiangsu_2021_tasks.csv"),
           Options(kind="task", year=2021, publisher="江苏省市场监管领域部门联合“双随机、一公开”监管联席会议办公室"))
    with db.session() as s:
        leads = {t.lead_office.name: t.lead_office.level for t in s.scalars(select(Task))}
    assert leads and all(level == "省" for level in leads.values())
    assert "江苏省市场监督管理局" in leads


def test_an_office_with_tasks_but_no_results_yet_has_its_page(db, settings):
    """Its year has planned tasks and no inspections: nothing to chart, and the page still answers
    (the demo's provincial offices were a 500)."""
    ingest(db, settings, str(SAMPLE / "jiangsu_2021_tasks.csv"), Options(kind="task", year=2021))
    client = create_app(settings, database=db).test_client()
    offices = client.get("/api/v1/offices").get_json()["items"]
    assert offices
    for office in offices:
        page = client.get(f"/offices/{office['id']}")
        assert page.status_code == 200, office["name"]
        assert office["name"] in page.get_data(as_text=True)


def test_a_level_word_is_placed_at_that_level_above_the_publisher(db, settings, tmp_path):
    _results(tmp_path, db, settings, ["省市场监管局", "市市场监管局", "市场监管局"],
             Options(kind="result", publisher="如皋市人民政府"))
    offices = _offices(db)
    assert offices["江苏省市场监督管理局"][1:3] == ("320000", "省")
    assert offices["南通市市场监督管理局"][1:3] == ("320600", "市")
    assert offices["如皋市市场监督管理局"][1:3] == ("320682", "县")


def test_region_option_places_names_without_a_region(db, settings, tmp_path):
    _results(tmp_path, db, settings, ["市场监管局"], Options(kind="result", region="海安市"))
    assert _offices(db)["海安市市场监督管理局"][1] == "320685"


def test_an_unknown_region_option_refuses_the_file(db, settings, tmp_path):
    with pytest.raises(IngestError, match="未知的行政区划"):
        _results(tmp_path, db, settings, ["市场监管局"], Options(kind="result", region="火星市"))


def test_an_office_that_cannot_be_placed_is_kept_apart_and_flagged(db, settings, tmp_path):
    _results(tmp_path, db, settings, ["苏州工业园区市场监管局", "市场监管局", "南通市市场监督管理局"])
    offices = _offices(db)
    assert offices["苏州工业园区市场监管局"] == ("市场监督管理局", None, None, False)
    assert offices["市场监管局"] == ("市场监督管理局", None, None, False)
    assert offices["南通市市场监督管理局"][3] is True


def test_the_migration_moves_an_existing_store_to_offices(db, settings, tmp_path):
    """A store loaded before offices existed (here: its office columns emptied) gets its offices
    from the published names and its files' publishers, and its lead offices."""
    _results(tmp_path, db, settings, ["如皋市市场监督管理局", "市场监管局"],
             Options(kind="result", publisher="南通市市场监督管理局"))
    before = _offices(db)
    with db.session() as s:
        for table, column in (("inspection", "lead_office_id"), ("inspection_department", "office_id"),
                              ("task", "lead_office_id"), ("task_department", "office_id")):
            s.execute(text(f"UPDATE {table} SET {column} = NULL"))
        s.execute(text("UPDATE source SET region_code = NULL"))
        stats_upkeep.clear(s)  # derived from the offices; Database.upgrade rebuilds them
        s.execute(text("DELETE FROM office"))
        _migration("0006_offices")._move_to_offices(s)
    assert _offices(db) == before == {
        "如皋市市场监督管理局": ("市场监督管理局", "320682", "县", True),
        "南通市市场监督管理局": ("市场监督管理局", "320600", "市", True)}
    with db.session() as s:
        leads = sorted(i.lead_office.name for i in s.scalars(select(Inspection)))
    assert leads == ["南通市市场监督管理局", "如皋市市场监督管理局"]


def _migration(name: str):
    spec = importlib.util.spec_from_file_location(name, MIGRATIONS / "versions" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
