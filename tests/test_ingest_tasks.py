"""Plans, tasks, checklists, credit records and entity directories."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from gongshi.ingest.errors import IngestError
from gongshi.ingest.pipeline import Options
from gongshi.store.models import CheckItem, CreditEvent, Department, EntityName, MarketEntity, Plan, Revision, Task
from tests.conftest import SAMPLE
from tests.factories import ingest, uscc, write_csv, write_xlsx

SEED_004 = SAMPLE / "jiangsu_2021_tasks.csv"


def load_seed_004(db, settings):
    return ingest(db, settings, str(SEED_004), Options(year=2021, deadline_working_days=10))


def test_seed_004_gives_its_20_tasks_as_published(db, settings):
    report = load_seed_004(db, settings)
    assert report.kind == "task" and report.rows == 20
    with db.session() as s:
        tasks = s.scalars(select(Task).order_by(Task.seq)).all()
        assert [t.seq for t in tasks] == list(range(1, 21))
        first, seventeenth = tasks[0], tasks[16]
        assert first.name == "全省校外培训机构联合抽查" and first.field == "教育培训"
        assert (first.planned_count, first.planned_count_qualifier, first.planned_count_text) == (1000, "approximate", "约1000")
        assert (seventeenth.planned_count, seventeenth.planned_count_qualifier) == (13, "minimum")
        assert tasks[1].planned_count_qualifier == "exact" and tasks[1].planned_count == 354
        assert tasks[8].ratio_percent == Decimal("15.38") and tasks[8].ratio_text == "15.38%"
        assert tasks[18].ratio_percent == Decimal("0.2")
        assert tasks[18].field is None and tasks[19].field is None and tasks[17].field == "安全生产"
        assert all(t.joint for t in tasks) and all(t.deadline_working_days == 10 for t in tasks)
        assert [d.published_name for d in first.departments] == ["教育", "市监", "公安", "金融", "税务"]
        assert first.lead_department.name == "教育局"
        last = tasks[19]
        assert last.partners_text == "应急、农村农业"
        assert [(d.published_name, d.department.name, d.role) for d in last.departments] == [
            ("应急", "应急管理局", "lead"), ("农村农业", "农业农村局", "partner")]
        assert tasks[10].departments[0].department_id == last.departments[1].department_id  # 农业农村 = 农村农业
        plan = s.scalar(select(Plan))
        assert plan.name == "江苏省市场监管领域2021年度部门联合双随机监管任务" and plan.year == 2021
        assert not plan.plan_no_published and all(t.plan_id == plan.id for t in tasks)
        assert len({t.task_no for t in tasks}) == 20


def test_a_corrected_task_table_updates_tasks_in_place_and_keeps_history(db, settings, tmp_path):
    load_seed_004(db, settings)
    text = SEED_004.read_text(encoding="utf-8-sig").replace("约1000", "1050")
    corrected = tmp_path / "jiangsu_2021_tasks_corrected.csv"
    corrected.write_text(text, encoding="utf-8-sig")
    with db.session() as s:
        before = s.scalar(select(Task.id).where(Task.seq == 1))
    report = ingest(db, settings, str(corrected), Options(year=2021, deadline_working_days=10))
    assert report.counts["updated"] == 1 and report.counts["unchanged"] == 19
    with db.session() as s:
        task = s.scalar(select(Task).where(Task.seq == 1))
        assert task.id == before and task.planned_count == 1050 and task.planned_count_qualifier == "exact"
        old = s.scalar(select(Revision).where(Revision.record_id == task.id, Revision.table_name == "task"))
        assert old.data["planned_count_text"] == "约1000" and old.data["departments"][:2] == ["教育", "市监"]


ATTACHMENT_2 = ["序号", "抽查计划编号", "抽查计划名称", "抽查任务编号", "抽查任务名称", "抽查类型（定向或不定向）",
                "抽查事项类别（一般检查或重点检查）", "部门联合抽查事项", "抽查依据", "抽查对象范围", "检查主体", "计划抽取日期", "完成时限"]


def test_seed_003_attachment_2_as_xlsx_with_excel_dates(db, settings, tmp_path):
    path = write_xlsx(tmp_path / "计划表.xlsx", ATTACHMENT_2, [
        [1, "620422-2021-01", "会宁县2021年度部门联合双随机抽查计划", "620422-2021-01-03", "餐饮服务单位联合检查", "不定向",
         "重点检查", "食品经营许可情况；从业人员健康证明", "《食品安全法》", "全县餐饮服务单位", "县市场监管局、县卫生健康局",
         dt.datetime(2021, 5, 10), dt.datetime(2021, 11, 30)],
    ], title="部门联合双随机抽查工作计划表")
    ingest(db, settings, str(path))
    with db.session() as s:
        task = s.scalar(select(Task).where(Task.task_no == "620422-2021-01-03"))
        assert task.task_type == "不定向" and task.item_class == "重点检查事项" and task.item_class_text == "重点检查"
        assert task.draw_date == dt.date(2021, 5, 10) and task.deadline == dt.date(2021, 11, 30)
        assert task.plan.plan_no == "620422-2021-01" and task.plan.year == 2021 and task.plan.plan_no_published
        assert [d.department.name for d in task.departments] == ["市场监督管理局", "卫生健康委员会"] and task.joint


def test_a_task_file_without_plan_columns_or_plan_name_is_refused(db, settings, tmp_path):
    path = write_csv(tmp_path / "t.csv", ["任务名称", "联合检查部门", "抽取比例", "抽取数量"], [["某任务", "市监", "5%", "10"]])
    with pytest.raises(IngestError, match="--plan-name"):
        ingest(db, settings, str(path), Options(kind="task"))


CHECKLIST = ["事项编码", "部门", "抽查事项", "抽查子项", "事项类别", "抽查依据", "检查内容", "抽查比例"]


def test_checklist_versions_withdraw_dropped_items_and_keep_changed_wording(db, settings, tmp_path):
    first = write_csv(tmp_path / "清单v1.csv", CHECKLIST, [
        ["SJ-001", "南通市市场监督管理局", "企业公示信息抽查", "年报公示信息", "一般", "《企业信息公示暂行条例》", "年报内容", "5%"],
        ["SJ-002", "南通市市场监督管理局", "特种设备使用单位检查", "", "重点检查事项", "《特种设备安全法》", "使用登记", "不设上限"],
        ["HB-001", "南通市生态环境局", "排污许可执行情况检查", "", "一般", "《排污许可管理条例》", "排污口", "3%"],
    ])
    ingest(db, settings, str(first))
    second = write_csv(tmp_path / "清单v2.csv", CHECKLIST, [
        ["SJ-001", "南通市市场监督管理局", "企业公示信息抽查", "年报公示信息", "一般", "《企业信息公示暂行条例》第十四条", "年报内容", "5%"],
    ])
    report = ingest(db, settings, str(second))
    assert report.counts == {"inserted": 0, "updated": 1, "unchanged": 0, "withdrawn": 1}
    with db.session() as s:
        items = {i.code: i for i in s.scalars(select(CheckItem))}
        assert items["SJ-001"].status == "current" and items["SJ-001"].basis.endswith("第十四条")
        assert items["SJ-002"].status == "withdrawn" and items["SJ-002"].withdrawn_by_run_id is not None
        assert items["SJ-002"].ratio_uncapped and items["SJ-002"].item_class == "重点检查事项"
        assert items["HB-001"].status == "current"  # another department's list is not touched
        assert s.scalar(select(Revision.data).where(Revision.record_id == items["SJ-001"].id))["basis"] == "《企业信息公示暂行条例》"


def test_credit_records_in_wan_yuan_and_all_kinds(db, settings, tmp_path):
    header = ["统一社会信用代码", "企业名称", "信用信息类别", "决定日期", "决定机关", "事由", "决定书文号", "罚款金额（万元）", "风险等级"]
    path = write_csv(tmp_path / "credit.csv", header, [
        [uscc(1), "南通鑫达餐饮管理有限公司", "行政处罚", "2023-07-01", "南通市崇川区市场监督管理局", "超范围经营", "崇市监处罚〔2023〕118号", "0.5", ""],
        [uscc(1), "南通鑫达餐饮管理有限公司", "列入经营异常名录", "2023-08-01", "南通市市场监督管理局", "通过登记的住所或者经营场所无法联系", "", "", ""],
        [uscc(1), "南通鑫达餐饮管理有限公司", "信用风险分类", "2023-12-31", "南通市市场监督管理局", "", "", "", "C类"],
    ])
    ingest(db, settings, str(path))
    with db.session() as s:
        events = {e.kind: e for e in s.scalars(select(CreditEvent))}
        penalty = events["行政处罚"]
        assert penalty.amount_yuan == Decimal("5000.00") and penalty.amount_text == "0.5"
        assert penalty.department.name == "市场监督管理局" and penalty.authority_region_code == "320602"
        assert events["信用风险分类"].risk_class == "C" and events["列入经营异常名录"].decided_on == dt.date(2023, 8, 1)


def test_an_entity_directory_renames_an_entity_and_keeps_its_former_name(db, settings, tmp_path):
    header = ["统一社会信用代码", "企业名称", "市场主体类型", "行政区划代码", "住所", "成立日期"]
    ingest(db, settings, str(write_csv(tmp_path / "e1.csv", header, [
        [uscc(3), "南通和顺百货商店", "个体工商户", "320602", "崇川区和平路1号", "2015/3/8"]])))
    report = ingest(db, settings, str(write_csv(tmp_path / "e2.csv", header, [
        [uscc(3), "南通市崇川区和顺百货有限公司", "有限责任公司", "320602", "崇川区和平路1号", "2015/3/8"]])))
    assert report.counts["updated"] == 1
    with db.session() as s:
        entity = s.scalar(select(MarketEntity).where(MarketEntity.uscc == uscc(3)))
        assert entity.name == "南通市崇川区和顺百货有限公司" and entity.established_on == dt.date(2015, 3, 8)
        assert [n.name for n in entity.names] == ["南通和顺百货商店", "南通市崇川区和顺百货有限公司"]


def test_an_unknown_department_is_kept_as_a_new_unrecognised_department(db, settings, tmp_path):
    path = write_csv(tmp_path / "r.csv", ["统一社会信用代码", "企业名称", "抽查任务名称", "抽查机关", "检查结果"],
                     [[uscc(4), "如东县洋口港渔业合作社", "渔船安全检查", "如东县洋口港经济开发区管委会", "未发现问题"]])
    ingest(db, settings, str(path))
    with db.session() as s:
        dept = s.scalar(select(Department).where(Department.recognized.is_(False)))
        assert dept.name == "洋口港经济开发区管委会"
        assert s.scalar(select(EntityName.name)) == "如东县洋口港渔业合作社"


def test_a_repeated_row_is_harmless_but_a_conflicting_one_is_refused(db, settings, tmp_path):
    header = ["统一社会信用代码", "企业名称", "市场主体类型", "行政区划代码"]
    same = [uscc(21), "如东县掘港镇兴隆饭店", "个体工商户", "320623"]
    assert ingest(db, settings, str(write_csv(tmp_path / "ok.csv", header, [same, same]))).rows == 1
    conflicting = [uscc(22), "如东县掘港镇兴隆饭店", "个体工商户", "320623"], [uscc(22), "如东县兴隆餐饮店", "个体工商户", "320623"]
    with pytest.raises(IngestError) as refused:
        ingest(db, settings, str(write_csv(tmp_path / "bad.csv", header, list(conflicting))))
    assert [str(p) for p in refused.value.problems] == ["bad.csv:2: 与第1行是同一条记录，但内容不同"]


def test_a_corrected_lead_department_applies_to_inspections_already_published(db, settings, tmp_path):
    from gongshi.store.models import Inspection

    header = ["抽查计划编号", "抽查计划名称", "抽查任务编号", "抽查任务名称", "检查主体", "联合检查部门"]
    plan = ["320600-2024-SJ", "南通市2024年度抽查计划"]
    tasks = [plan + ["320600-2024-SJ-001", "餐饮单位检查", "南通市市场监督管理局", ""],
             plan + ["320600-2024-SJ-002", "公共场所检查", "南通市市场监督管理局", ""],
             plan + ["320600-2024-SJ-003", "药店检查", "南通市市场监督管理局", ""]]
    ingest(db, settings, str(write_csv(tmp_path / "t1.csv", header, tasks)))
    shops = [(uscc(31), "南通市崇川区好味面馆"), (uscc(32), "南通市崇川区悦来浴室"), (uscc(33), "南通市崇川区康宁药房")]
    results = write_csv(tmp_path / "r.csv", ["统一社会信用代码", "企业名称", "抽查任务编号", "抽查机关", "检查结果"],
                        [[code, name, task[2], "南通市崇川区市场监督管理局", "未发现问题"]
                         for (code, name), task in zip(shops, tasks)])
    ingest(db, settings, str(results))
    # Two tasks corrected, each its own way; the third unchanged.
    corrected = [tasks[0][:4] + ["南通市卫生健康委员会", "市监"], tasks[1][:4] + ["南通市教育局", ""], tasks[2]]
    report = ingest(db, settings, str(write_csv(tmp_path / "t2.csv", header, corrected)))
    with db.session() as s:
        by_task = {i.task.task_no: i for i in s.scalars(select(Inspection))}
        food, baths, pharmacy = (by_task[t[2]] for t in tasks)
        assert {food.id, baths.id} <= report.changed["inspection"]
        assert food.lead_department.name == "卫生健康委员会" and food.joint
        assert baths.lead_department.name == "教育局" and not baths.joint
        assert pharmacy.lead_department.name == "市场监督管理局" and not pharmacy.joint
