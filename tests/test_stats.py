"""Statistics on a small hand-made world, with every expectation computed by hand.

The world (2021, Nantong): 市场监督管理局 leads T1 (约3), T2 (joint with 卫健, 不少于2) and T4 (no
results yet); 生态环境局 leads T3 (3). Six entities E1–E6 in the directory; E6 is never inspected.

    T1  E1  崇川区 office (下级)  未发现问题                completed 09-30  published 11-02  on time
    T1  E2  city office (本级)    发现问题经责令已改正      completed 09-30  published 11-04  late
    T1  E3  崇川区 office (下级)  未发现开展…经营活动       completed 06-01  not published
    T2  E1  市监 + 卫健 (本级)    未发现问题 / 发现问题待后续处理  06-15 → 06-20  on time
    T2  E4  市监 + 卫健 (本级)    未发现问题                completed 06-15  published 06-16
    T3  E5  生态环境 (本级)       违反其他部门相关规定      completed 05-10  published 05-12

20 working days after 2021-09-30 (国庆 7 days off, Saturday 10-09 worked) is 2021-11-03.
Credit: 卫健 fines E1 5000 on 07-01 (a case for the partner 卫健); 市监 fines E2 3000 on 10-20 (a
case for 市监); 市监 fines E5 1000 on 06-01 (follows T3, but 市监 took no part: not a case);
E4 goes on the abnormal list 08-01; E3 is fined 2022-06-10 (over 180 days: not linked).
Risk classes: E1 A then C (latest wins), E2 B, E4 C.
"""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from gongshi.app import create_app
from gongshi.ingest.errors import IngestError
from gongshi.ingest.pipeline import Options
from gongshi.store import stats, stats_upkeep
from gongshi.store.models import Department, MarketEntity
from gongshi.store.workdays import is_on_time
from tests.factories import ingest, uscc, write_csv

E = {n: uscc(900 + n) for n in range(1, 7)}
CITY, DISTRICT = "南通市市场监督管理局", "南通市崇川区市场监督管理局"
RESULT_HEADER = ["统一社会信用代码", "企业名称", "抽查任务编号", "抽查任务名称", "抽查机关", "检查事项", "检查结果",
                 "检查完成日期", "公示日期"]
RESULTS = [
    [E[1], "商店1", "T-2021-001", "企业公示信息抽查", DISTRICT, "年报", "未发现问题", "2021-09-30", "2021-11-02"],
    [E[2], "商店2", "T-2021-001", "企业公示信息抽查", CITY, "年报", "发现问题经责令已改正", "2021-09-30", "2021-11-04"],
    [E[3], "商店3", "T-2021-001", "企业公示信息抽查", DISTRICT, "年报", "未发现开展本次抽查涉及的经营活动", "2021-06-01", ""],
    [E[1], "商店1", "T-2021-002", "餐饮联合抽查", f"{CITY}、南通市卫生健康委员会", "食品", "未发现问题", "2021-06-15",
     "2021-06-20"],
    [E[1], "商店1", "T-2021-002", "餐饮联合抽查", f"{CITY}、南通市卫生健康委员会", "卫生", "发现问题待后续处理",
     "2021-06-15", "2021-06-20"],
    [E[4], "商店4", "T-2021-002", "餐饮联合抽查", f"{CITY}、南通市卫生健康委员会", "食品", "未发现问题", "2021-06-15",
     "2021-06-16"],
    [E[5], "工厂5", "T-2021-003", "排污单位检查", "南通市生态环境局", "排污", "违反其他部门相关规定", "2021-05-10",
     "2021-05-12"],
]


ENTITY_HEADER = ["统一社会信用代码", "企业名称", "行政区划代码"]
ENTITIES = [[E[n], f"主体{n}", "320602"] for n in E]
TASK_HEADER = ["抽查任务编号", "抽查任务名称", "检查主体", "联合检查部门", "抽取数量", "抽取比例", "完成时限", "检查对象总数"]
TASKS = [["T-2021-001", "企业公示信息抽查", CITY, "", "约3", "5%", "2021-10-31", "60"],
         ["T-2021-002", "餐饮联合抽查", CITY, "卫健", "不少于2", "", "2021-10-31", ""],
         ["T-2021-003", "排污单位检查", "南通市生态环境局", "", "3", "", "2021-10-31", ""],
         ["T-2021-004", "计量器具检查", CITY, "", "5", "", "2021-12-31", ""]]
CREDIT_HEADER = ["统一社会信用代码", "企业名称", "信用信息类别", "决定日期", "决定机关", "决定书文号", "罚款金额（元）", "风险等级"]
CREDIT = [[E[1], "商店1", "行政处罚", "2021-07-01", "南通市卫生健康委员会", "通卫罚〔2021〕1号", "5000", ""],
          [E[2], "商店2", "行政处罚", "2021-10-20", CITY, "通市监处罚〔2021〕2号", "3000", ""],
          [E[5], "工厂5", "行政处罚", "2021-06-01", CITY, "通市监处罚〔2021〕3号", "1000", ""],
          [E[4], "商店4", "列入经营异常名录", "2021-08-01", CITY, "", "", ""],
          [E[3], "商店3", "行政处罚", "2022-06-10", CITY, "通市监处罚〔2022〕4号", "800", ""],
          [E[1], "商店1", "信用风险分类", "2021-01-01", CITY, "", "", "A"],
          [E[1], "商店1", "信用风险分类", "2021-12-01", CITY, "", "", "C"],
          [E[2], "商店2", "信用风险分类", "2021-12-01", CITY, "", "", "B"],
          [E[4], "商店4", "信用风险分类", "2021-12-01", CITY, "", "", "C"]]
PLAN = {"plan_name": "南通市2021年度抽查计划", "year": 2021}


@pytest.fixture
def world(db, settings, tmp_path):
    entities = write_csv(tmp_path / "entities.csv", ENTITY_HEADER, ENTITIES)
    tasks = write_csv(tmp_path / "tasks.csv", TASK_HEADER, TASKS)
    results = write_csv(tmp_path / "results.csv", RESULT_HEADER, RESULTS)
    credit = write_csv(tmp_path / "credit.csv", CREDIT_HEADER, CREDIT)
    for kind, path in (("entity", entities), ("task", tasks), ("result", results), ("credit", credit)):
        ingest(db, settings, str(path), Options(kind=kind, **(PLAN if kind == "task" else {})))
    with db.session() as s:
        ids = dict(s.execute(select(Department.name, Department.id)).all())
    return {"sj": ids["市场监督管理局"], "wj": ids["卫生健康委员会"], "hb": ids["生态环境局"], "tmp": tmp_path}


def _row(rows, office: str):
    (row,) = [r for r in rows if r.office == office]
    return row


# --- working days ---------------------------------------------------------------------------


def test_completed_on_the_last_working_day_before_national_day():
    # 10-01..07 are off and Saturday 10-09 is worked: the 20th working day after 09-30 is 11-03
    # (Monday–Friday counting would say 10-28).
    assert is_on_time(dt.date(2021, 9, 30), dt.date(2021, 11, 3), 20) == (True, False)
    assert is_on_time(dt.date(2021, 9, 30), dt.date(2021, 11, 4), 20) == (False, False)
    # Jiangsu's 10 working days for its 2021 provincial tasks: 10-20, where Monday–Friday would say 10-14.
    assert is_on_time(dt.date(2021, 9, 30), dt.date(2021, 10, 20), 10) == (True, False)
    assert is_on_time(dt.date(2021, 9, 30), dt.date(2021, 10, 21), 10) == (False, False)


def test_a_make_up_saturday_counts_as_a_working_day():
    # 2021-09-18 (Saturday) was worked for 中秋 (09-19..21 off): one working day after Friday
    # 09-17 is that Saturday, so a publication on Wednesday 09-22 is late.
    assert is_on_time(dt.date(2021, 9, 17), dt.date(2021, 9, 18), 1) == (True, False)
    assert is_on_time(dt.date(2021, 9, 17), dt.date(2021, 9, 22), 1) == (False, False)


def test_a_year_the_calendar_does_not_know_is_counted_monday_to_friday_and_flagged():
    # 2099-03-02 is a Monday: the 20th weekday after it is 03-30.
    assert is_on_time(dt.date(2099, 3, 2), dt.date(2099, 3, 30), 20) == (True, True)
    assert is_on_time(dt.date(2099, 3, 2), dt.date(2099, 3, 31), 20) == (False, True)


def test_no_publication_date_is_unknown():
    assert is_on_time(dt.date(2021, 6, 1), None, 20) == (None, False)


# --- coverage, headline, the form -------------------------------------------------------------


def test_coverage_counts_a_joint_task_once_for_its_lead_and_a_fine_for_its_partner(db, world):
    with db.session() as s:
        rows = stats.coverage(s, year=2021)
    # The city office led T1, T2 and T4 and inspected E2 (T1), E1 and E4 (T2); the 崇川区 office
    # carried out the rest of T1 (E1, E3). Together they are the kind's figures.
    sj = _row(rows, CITY)
    assert (sj.department, sj.office_level, sj.region_code, sj.year) == ("市场监督管理局", "市", "320600", 2021)
    assert (sj.tasks, sj.joint_tasks, sj.joint_share, sj.meets_joint_target) == (3, 1, pytest.approx(1 / 3), True)
    assert (sj.inspections, sj.entities, sj.problems_found, sj.problem_share) == (3, 3, 2, pytest.approx(2 / 3))
    assert (sj.published, sj.on_time, sj.late, sj.publication_unknown, sj.on_time_estimated) == (3, 2, 1, 0, 0)
    assert sj.deadline_working_days == 20 and (sj.cases, sj.fines_yuan) == (1, Decimal("3000.00"))
    district = _row(rows, DISTRICT)
    assert (district.office_level, district.tasks, district.joint_tasks, district.inspections) == ("县", 1, 0, 2)
    assert (district.published, district.on_time, district.publication_unknown) == (1, 1, 1)
    assert [sj.inspections + district.inspections, sj.on_time + district.on_time] == [5, 3]
    # Six directory entities in 崇川区, none in the city's own code: 2 inspections per 100 is 100 / 3.
    assert (district.directory_size, district.per_100_entities) == (6, pytest.approx(100 * 2 / 6))
    assert (sj.directory_size, sj.per_100_entities) == (6, 50.0)
    wj = _row(rows, "南通市卫生健康委员会")  # took part in T2 only: no batch, no inspection, but its fine
    assert (wj.tasks, wj.inspections, wj.cases, wj.fines_yuan) == (0, 0, 1, Decimal("5000.00"))
    hb = _row(rows, "南通市生态环境局")  # 市监's fine after T3 is no case: 市监 took no part in it
    assert (hb.tasks, hb.joint_tasks, hb.inspections, hb.problems_found, hb.on_time, hb.cases) == (1, 0, 1, 1, 1, 0)
    assert hb.meets_joint_target is False
    with db.session() as s:
        assert stats.coverage(s, year=2021, department_id=world["hb"]) == [hb]


def test_headline_figures_of_the_year(db, world):
    with db.session() as s:
        h = stats.headline(s)
    assert h == {"year": 2021, "provisional": False, "tasks": 4, "joint_tasks": 1, "inspections": 6,
                 "entities_inspected": 5, "problems_found": 3, "problem_share": 0.5, "joint_share": 0.25,
                 "on_time_share": 0.8}


def test_attachment3_splits_by_kind_and_level(db, world):
    with db.session() as s:
        rows = stats.attachment3(s, 2021)
    figures = {(r.office, r.category, r.level): (r.batches, r.entities, r.published_system, r.cases, r.fines_wan)
               for r in rows}
    zero = (0, 0, 0, 0, Decimal("0.0000"))
    # Filed by the city office: T4 (no results) counts as its batch; T1 was carried out by the city
    # office (E2) and by the 崇川区 office (E1, E3), a batch of each, the latter its 下级.
    assert figures[(CITY, "系统内双随机抽查", "本级")] == (2, 1, 1, 1, Decimal("0.3000"))
    assert figures[(CITY, "系统内双随机抽查", "下级")] == (1, 2, 1, 0, Decimal("0.0000"))
    assert figures[(CITY, "部门联合抽查", "本级")] == (1, 2, 2, 0, Decimal("0.0000"))
    assert figures[(CITY, "部门联合抽查", "下级")] == zero
    assert figures[(DISTRICT, "系统内双随机抽查", "本级")] == (1, 2, 1, 0, Decimal("0.0000"))
    assert figures[(DISTRICT, "系统内双随机抽查", "下级")] == zero
    assert figures[("南通市卫生健康委员会", "部门联合抽查", "本级")] == (0, 0, 0, 1, Decimal("0.5000"))
    assert figures[("合计", "系统内双随机抽查", "本级")] == (3, 2, 2, 1, Decimal("0.3000"))
    assert figures[("合计", "部门联合抽查", "本级")] == (1, 2, 2, 1, Decimal("0.5000"))
    assert figures[("合计", "系统内双随机抽查", "下级")] == (1, 2, 1, 0, Decimal("0.0000"))
    assert [r.label for r in rows if r.office == "合计"] == list(stats.FORM_ROWS.values())
    assert all(r.published_professional is None and r.published_website is None for r in rows)


def test_attachment3_xlsx_is_laid_out_like_the_form(db, world, settings):
    response = create_app(settings, database=db).test_client().get("/stats/2021.xlsx")
    assert response.status_code == 200 and 'filename="attachment3-2021.xlsx"' in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.get_data()))
    assert wb.sheetnames[0] == "合计" and {CITY, DISTRICT, "南通市卫生健康委员会", "南通市生态环境局"} <= set(wb.sheetnames)
    ws = wb[CITY]
    assert ws["A3"].value == f"填报单位：{CITY}"
    assert ws["A1"].value == "“双随机、一公开”监管信息统计表" and ws["A2"].value == "（2021年度）"
    assert [ws.cell(4, c).value for c in range(1, 10)] == ["区分", "类别", "抽查批次", "抽查数量（户）",
                                                          "抽查结果公示数量（户）", None, None, "双随机抽查案件数（件）",
                                                          "案件处罚金额（万元）"]
    assert [ws.cell(5, c).value for c in (5, 6, 7)] == ["公示系统", "专业系统", "部门网站"]
    assert "E4:G4" in {str(r) for r in ws.merged_cells.ranges}
    assert [ws.cell(r, 1).value for r in (6, 8, 10)] == ["系统内双随机抽查", "部门联合抽查", "备注"]
    assert [ws.cell(6, c).value for c in range(2, 10)] == ["市政府有关部门本级开展抽查信息", 2, 1, 1, None, None, 1, 0.3]
    assert [ws.cell(9, c).value for c in (2, 3)] == ["县区辖区内开展部门联合抽查信息", 0]


# --- planned vs actual, burden, coverage of the directory, credit link -------------------------


def test_planned_against_actual_counts(db, world):
    with db.session() as s:
        rows = {r.task_no: r for r in stats.planned_vs_actual(s, year=2021)}
    t1 = rows["T-2021-001"]
    assert (t1.planned_count, t1.planned_qualifier, t1.actual, t1.status_text) == (3, "approximate", 3, "达到")
    # 5% of a published directory of 60 is 3 entities; 3 inspected is 5%.
    assert (t1.directory_size, t1.expected_from_ratio, t1.actual_ratio_percent) == (60, 3, 5.0)
    assert (rows["T-2021-002"].planned_qualifier, rows["T-2021-002"].status) == ("minimum", "met")
    assert (rows["T-2021-003"].actual, rows["T-2021-003"].status_text) == (1, "未达到")
    # T4's results were never loaded: the portal does not know, so it does not say "under".
    t4 = rows["T-2021-004"]
    assert (t4.actual, t4.status, t4.status_text, t4.directory_size) == (0, "no_results", "结果未公示/未导入", None)


@pytest.mark.parametrize("planned, qualifier, actual, status", [
    (10, "approximate", 9, "met"), (10, "approximate", 11, "met"), (10, "approximate", 8, "under"),
    (10, "approximate", 12, "over"), (10, "exact", 9, "under"), (10, "exact", 11, "over"),
    (10, "minimum", 30, "met"), (10, "minimum", 9, "under"), (None, None, 4, "unknown"),
    (10, "exact", 0, "no_results"), (None, None, 0, "no_results")])
def test_an_approximate_count_allows_ten_percent(planned, qualifier, actual, status):
    assert stats.plan_status(planned, qualifier, actual) == status


def test_burden_counts_entities_visited_by_several_tasks(db, world):
    with db.session() as s:
        (row,) = stats.burden(s, 2021)
    # E1 was inspected under T1 (alone) and T2 (joint): one of its two visits was not merged.
    assert row == {"year": 2021, "entities_inspected": 5, "multi_task_entities": 1, "multi_task_share": 0.2,
                   "multi_task_visits": 2, "separate_visits": 1}


def test_directory_coverage_and_the_entities_never_drawn(db, world):
    with db.session() as s:
        cov = stats.directory_coverage(s)
        never = [e.uscc for e in stats.never_drawn(s)]
    assert cov == {"year": 2021, "directory_size": 6, "inspected_1y": 5, "share_1y": 5 / 6, "inspected_3y": 5,
                   "share_3y": 5 / 6, "inspected_5y": 5, "share_5y": 5 / 6, "never_drawn_5y": 1}
    assert never == [E[6]]


def test_credit_link_by_risk_class(db, world):
    with db.session() as s:
        rows = {r["risk_class"]: r for r in stats.credit_link(s, 2021)}
    assert (rows["A"]["entities"], rows["A"]["inspections"], rows["A"]["per_100_entities"]) == (0, 0, None)
    assert (rows["B"]["entities"], rows["B"]["inspections"], rows["B"]["problem_share"]) == (1, 1, 1.0)
    c = rows["C"]  # E1 (A, then C) and E4
    assert (c["entities"], c["inspections"], c["per_100_entities"], c["problems_found"]) == (2, 3, 150.0, 1)
    assert (c["followed_by_penalty"], c["followed_by_abnormal"]) == (1, 1)
    none = rows[None]  # E3, E5, E6; E3's fine came after 180 days
    assert (none["entities"], none["inspections"], none["followed_by_penalty"]) == (3, 2, 1)


# --- kept up to date at ingest ------------------------------------------------------------------


def test_a_corrected_result_updates_the_figures_and_equals_a_rebuild(db, settings, world):
    corrected = [row[:] for row in RESULTS]
    corrected[1][8] = "2021-11-03"  # E2 under T1 now published on its last day
    path = write_csv(world["tmp"] / "results-corrected.csv", RESULT_HEADER, corrected)
    ingest(db, settings, str(path), Options(kind="result"))
    with db.session() as s:
        sj = _row(stats.coverage(s, year=2021), CITY)
        incremental = _snapshot(s)
        stats_upkeep.rebuild(s)
        assert _snapshot(s) == incremental
    assert (sj.on_time, sj.late, sj.on_time_share) == (3, 0, 1.0)


def _corrections(tmp) -> list[tuple[str, object]]:
    """A corrected file of each kind, in an order a city might publish them."""
    e7 = uscc(907)
    results = [row[:] for row in RESULTS]
    results[0][6] = "发现问题待后续处理"  # E1 under T1 found problems after all
    results.append([E[6], "主体6", "T-2021-004", "计量器具检查", CITY, "计量", "未发现问题", "2021-12-10", "2021-12-13"])
    results.append([e7, "商店7", "T-2021-001", "企业公示信息抽查", DISTRICT, "年报", "未发现问题", "2021-09-30", ""])
    tasks = [row[:] for row in TASKS]
    tasks[1][3] = ""  # T2 was not joint after all
    tasks[2][2] = CITY  # T3 was led by 市监
    credit = [row[:] for row in CREDIT]
    credit[6][7] = "B"  # E1's latest class
    credit[2][3] = "2021-05-20"
    credit[1][6] = "4000"
    credit.append([E[4], "商店4", "行政处罚", "2021-07-01", "南通市卫生健康委员会", "通卫罚〔2021〕5号", "2000", ""])
    entities = [row[:] for row in ENTITIES] + [[e7, "商店7", "320602"]]  # E7 joins the directory
    entities[2][2] = "320612"  # E3 moved to 通州区
    return [("result", write_csv(tmp / "results-2.csv", RESULT_HEADER, results)),
            ("task", write_csv(tmp / "tasks-2.csv", TASK_HEADER, tasks)),
            ("credit", write_csv(tmp / "credit-2.csv", CREDIT_HEADER, credit)),
            # A class alone: E3 has no credit outcome that would bring its year's figures along.
            ("credit", write_csv(tmp / "credit-3.csv", CREDIT_HEADER,
                                 [[E[3], "商店3", "信用风险分类", "2021-12-01", CITY, "", "", "D"]])),
            ("entity", write_csv(tmp / "entities-2.csv", ENTITY_HEADER, entities))]


def test_every_kind_of_correcting_ingest_keeps_the_figures_equal_to_a_rebuild(db, settings, world):
    for kind, path in _corrections(world["tmp"]):
        with db.session() as s:
            before = _snapshot(s)
        ingest(db, settings, str(path), Options(kind=kind, **(PLAN if kind == "task" else {})))
        with db.session() as s:
            incremental = _snapshot(s)
            stats_upkeep.rebuild(s)
            assert _snapshot(s) == incremental, kind
        assert incremental != before, kind


def test_a_failed_ingest_leaves_the_figures_alone(db, settings, world):
    with db.session() as s:
        before = _snapshot(s)
    bad = write_csv(world["tmp"] / "bad.csv", RESULT_HEADER, [RESULTS[0][:7] + ["2021-13-45", ""]] + RESULTS[1:])
    with pytest.raises(IngestError):
        ingest(db, settings, str(bad), Options(kind="result"))
    with db.session() as s:
        assert _snapshot(s) == before


def test_a_year_beyond_the_calendar_is_flagged_as_estimated(db, settings, tmp_path):
    # No deadline: the task's year is the completion year.
    path = write_csv(tmp_path / "r.csv", RESULT_HEADER, [
        [E[1], "商店1", "T-2099-001", "远期抽查", CITY, "年报", "未发现问题", "2099-03-02", "2099-03-30"],
        [E[2], "商店2", "T-2099-001", "远期抽查", CITY, "年报", "未发现问题", "2099-03-02", "2099-03-31"]])
    ingest(db, settings, str(path), Options(kind="result"))
    with db.session() as s:
        (row,) = stats.coverage(s, year=2099)
        assert s.scalar(select(MarketEntity.uscc).where(MarketEntity.uscc == E[1]))
    assert (row.on_time, row.late, row.on_time_estimated, row.on_time_share) == (1, 1, 2, 0.5)


def _snapshot(session) -> dict:
    return {m.__tablename__: sorted(tuple(r) for r in session.execute(select(*m.__table__.columns)))
            for m in stats_upkeep.STAT_MODELS}
