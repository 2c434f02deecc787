"""Loading published results: encodings, title rows, alias headers, XLSX, per-item rows; all or nothing."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from gongshi.app import create_app
from gongshi.ingest import load
from gongshi.ingest.errors import IngestError
from gongshi.ingest.pipeline import Options
from gongshi.store.models import EntityName, Finding, Inspection, MarketEntity, Revision, Task
from gongshi.store.stats_upkeep import clear as clear_stats
from tests.factories import dump, excel_date, ingest, uscc, write_csv, write_xlsx

TITLE = "南通市市场监督管理局2023年度“双随机、一公开”抽查检查结果公示"
# A city's own spelling of the result columns: every header is an alias, and two are extra.
HEADER = ["序号", "社会信用代码", "检查对象名称", "任务编号", "任务名称", "检查实施机关", "检查事项", "抽查结果",
          "检查日期", "公示时间", "处理情况", "监管领域", "检查人员"]


def result_rows(completed=dt.date(2023, 5, 18)):
    return [
        [1, uscc(1), "南通市崇川区和顺百货商店", "320600-2023-SJ-001", "企业公示信息抽查", "南通市崇川区市场监督管理局",
         "企业公示信息", "未发现问题", completed, dt.date(2023, 6, 1), "", "商贸", "张三、李四"],
        [2, uscc(1), "南通市崇川区和顺百货商店", "320600-2023-SJ-001", "企业公示信息抽查", "南通市崇川区市场监督管理局",
         "营业执照规范使用", "发现问题经责令已改正", completed, dt.date(2023, 6, 1), "责令改正", "商贸", "张三、李四"],
        [3, uscc(2), "如皋市狼山药房", "320600-2023-SJ-002", "药品零售企业联合抽查",
         "如皋市市场监督管理局、如皋市卫生健康委员会", "药品经营质量管理规范执行情况", "未发现问题", completed,
         None, "", "医药", "王五"],
    ]


def as_excel_rows(rows):
    return [[excel_date(c) if isinstance(c, dt.date) else c for c in row] for row in rows]


def as_text_rows(rows):
    return [[f"{c.year}年{c.month}月{c.day}日" if isinstance(c, dt.date) else c for c in row] for row in rows]


@pytest.fixture
def gb_csv(tmp_path):
    return write_csv(tmp_path / "结果.csv", HEADER, as_text_rows(result_rows()), encoding="gb18030", title=TITLE)


@pytest.fixture
def xlsx(tmp_path):
    return write_xlsx(tmp_path / "结果.xlsx", HEADER, as_excel_rows(result_rows()), title=TITLE)


def test_a_gb18030_csv_with_title_and_alias_headers_loads(db, settings, gb_csv):
    report = ingest(db, settings, str(gb_csv))
    assert report.kind == "result" and report.status == "loaded"
    assert report.notes == {"extras": ["序号", "监管领域"], "dropped": ["检查人员"]}
    with db.session() as s:
        shop = s.scalar(select(MarketEntity).where(MarketEntity.uscc == uscc(1)))
        inspection = s.scalar(select(Inspection).where(Inspection.entity_id == shop.id))
        assert shop.name == "南通市崇川区和顺百货商店" and shop.region_code == "320602"
        assert [(f.item, f.result) for f in inspection.findings] == [
            ("企业公示信息", "未发现问题"), ("营业执照规范使用", "发现问题经责令已改正")]
        assert inspection.problems_found and inspection.completed_on == dt.date(2023, 5, 18)
        assert inspection.published_on == dt.date(2023, 6, 1) and inspection.follow_up == "责令改正"
        assert inspection.extras == {"监管领域": "商贸", "序号": "1"}
        assert inspection.task.task_no == "320600-2023-SJ-001"
        assert inspection.source_row == 1 and inspection.source_id == report.source_id
        pharmacy = s.scalar(select(Inspection).join(MarketEntity).where(MarketEntity.uscc == uscc(2)))
        assert pharmacy.joint and [d.department.name for d in pharmacy.departments] == ["市场监督管理局", "卫生健康委员会"]
        assert [d.region_code for d in pharmacy.departments] == ["320682", "320682"]
        assert not pharmacy.problems_found and pharmacy.published_on is None
        # Inspector names are never stored, anywhere.
        assert "张三" not in repr(dump(db))


def test_the_same_results_as_xlsx_and_as_gb18030_csv_give_the_same_store(db, settings, gb_csv, xlsx, migrated):
    ingest(db, settings, str(gb_csv))
    from_csv = dump(db, provenance=False)
    # Undo, then load the XLSX into the same empty store.
    with db.session() as s:
        clear_stats(s)
        for model in (Finding, EntityName):
            s.execute(model.__table__.delete())
        from gongshi.store.models import EntityDocument, IngestRun, InspectionDepartment, Plan, Source
        for model in (InspectionDepartment, Inspection, Task, Plan, EntityDocument, MarketEntity, IngestRun, Source):
            s.execute(model.__table__.delete())
    report = ingest(db, settings, str(xlsx))
    assert report.status == "loaded" and report.kind == "result"
    assert dump(db, provenance=False) == from_csv


@pytest.mark.parametrize("fixture", ["gb_csv", "xlsx"])
def test_loading_a_file_twice_changes_nothing(db, settings, fixture, request):
    path = request.getfixturevalue(fixture)
    ingest(db, settings, str(path))
    before = dump(db)
    report = ingest(db, settings, str(path))
    assert report.status == "unchanged"
    assert dump(db) == before


def test_the_same_content_from_another_file_is_recorded_as_checked_but_changes_no_fact(db, settings, gb_csv, xlsx):
    ingest(db, settings, str(gb_csv))
    before = dump(db, provenance=False)
    report = ingest(db, settings, str(xlsx))
    assert report.counts["inserted"] == 0 and report.counts["updated"] == 0 and report.counts["unchanged"] >= 2
    assert dump(db, provenance=False) == before


def test_a_store_hashed_by_the_earlier_release_finds_the_same_facts_unchanged(db, settings, gb_csv, xlsx, monkeypatch):
    """Content hashes stored before orjson are compared as they were made, then written anew once."""
    monkeypatch.setattr(load, "content_hash", load.legacy_hash)
    ingest(db, settings, str(gb_csv))
    monkeypatch.undo()
    before = dump(db, provenance=False)
    report = ingest(db, settings, str(xlsx))
    assert report.counts["updated"] == 0 and report.counts["unchanged"] == 2
    assert dump(db, provenance=False) == before
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Revision)) == 0
        hashes = s.scalars(select(Inspection.content_hash)).all()
    assert len(hashes) == 2 and all(h.startswith(load.HASH_PREFIX) for h in hashes)


def test_every_name_an_entity_is_published_under_joins_its_history_once(db, settings, tmp_path, gb_csv):
    ingest(db, settings, str(gb_csv))
    renamed = as_text_rows(result_rows(dt.date(2023, 9, 1)))
    renamed[0][2] = renamed[1][2] = "南通市崇川区和顺超市"
    ingest(db, settings, str(write_csv(tmp_path / "改名.csv", HEADER, renamed, encoding="gb18030", title=TITLE)))
    again = as_text_rows(result_rows(dt.date(2023, 11, 1)))
    again[1][2] = "南通市崇川区和顺超市"
    ingest(db, settings, str(write_csv(tmp_path / "再次.csv", HEADER, again, encoding="gb18030", title=TITLE)))
    with db.session() as s:
        shop = s.scalar(select(MarketEntity).where(MarketEntity.uscc == uscc(1)))
        names = s.execute(select(EntityName.name, EntityName.source_row).where(EntityName.entity_id == shop.id)
                          .order_by(EntityName.id)).all()
    assert shop.name == "南通市崇川区和顺百货商店"
    assert [tuple(n) for n in names] == [("南通市崇川区和顺百货商店", 1), ("南通市崇川区和顺超市", 1)]


def test_a_file_with_a_bad_uscc_and_an_impossible_date_is_refused_whole(db, settings, tmp_path, gb_csv):
    ingest(db, settings, str(gb_csv))
    before = dump(db)
    rows = as_text_rows(result_rows(dt.date(2023, 9, 1)))
    rows[1][1] = uscc(1)[:-1] + ("0" if uscc(1)[-1] != "0" else "1")
    rows[2][8] = "2023年2月30日"
    bad = write_csv(tmp_path / "bad.csv", HEADER, rows, encoding="gb18030", title=TITLE)
    with pytest.raises(IngestError) as refused:
        ingest(db, settings, str(bad))
    messages = [str(p) for p in refused.value.problems]
    assert messages == [
        f"bad.csv:2: column '社会信用代码': value '{rows[1][1]}': 统一社会信用代码校验位错误（应为 {uscc(1)[-1]}）",
        "bad.csv:3: column '检查日期': value '2023年2月30日': 不存在的日期",
    ]
    assert dump(db) == before
    assert not list((settings.archive_dir).rglob("*.csv")) or all(
        p.name.startswith(tuple("0123456789abcdef")) for p in settings.archive_dir.rglob("*"))


def test_a_corrected_file_supersedes_the_rows_it_covers_and_keeps_the_old_version(db, settings, tmp_path, gb_csv):
    ingest(db, settings, str(gb_csv))
    rows = as_text_rows(result_rows())
    rows[1][7] = "未发现问题"  # the department corrects the second item's result
    corrected = write_csv(tmp_path / "结果（更正）.csv", HEADER, rows, encoding="gb18030", title=TITLE)
    report = ingest(db, settings, str(corrected))
    assert report.counts["updated"] == 1
    with db.session() as s:
        inspection = s.scalar(select(Inspection).join(MarketEntity).where(MarketEntity.uscc == uscc(1)))
        assert not inspection.problems_found and inspection.source_id == report.source_id
        old = s.scalar(select(Revision).where(Revision.record_id == inspection.id, Revision.table_name == "inspection"))
        assert old.data["problems_found"] is True
        assert old.data["findings"][1] == {"item": "营业执照规范使用", "result": "发现问题经责令已改正"}
        assert old.superseded_by_run_id is not None and old.source_id != report.source_id


def test_items_in_one_cell_become_findings(db, settings, tmp_path):
    path = write_csv(tmp_path / "one-cell.csv", ["统一社会信用代码", "企业名称", "抽查任务名称", "抽查机关", "检查结果", "检查完成日期"],
                     [[uscc(5), "南通鑫达餐饮管理有限公司", "餐饮服务食品安全抽查", "南通市市场监督管理局",
                       "食品经营许可：未发现问题；从业人员健康管理：发现问题待后续处理", "2024-03-02"]])
    ingest(db, settings, str(path))
    with db.session() as s:
        findings = s.execute(select(Finding.item, Finding.result).order_by(Finding.position)).all()
        assert findings == [("食品经营许可", "未发现问题"), ("从业人员健康管理", "发现问题待后续处理")]
        task = s.scalar(select(Task).where(Task.name == "餐饮服务食品安全抽查"))
        assert task is not None and not task.task_no_published


def test_an_unknown_result_value_is_kept_as_published_and_flagged(db, settings, tmp_path):
    path = write_csv(tmp_path / "r.csv", ["统一社会信用代码", "企业名称", "抽查任务名称", "抽查机关", "检查结果", "检查完成日期"],
                     [[uscc(6), "启东市海韵渔具店", "渔具销售抽查", "启东市市场监督管理局", "基本符合", "2024-03-02"]])
    ingest(db, settings, str(path))
    with db.session() as s:
        finding = s.scalar(select(Finding))
        assert finding.result == "基本符合" and finding.result_known is False


def test_personal_numbers_in_free_text_are_masked_before_storing(db, settings, tmp_path):
    path = write_csv(tmp_path / "r.csv", ["统一社会信用代码", "企业名称", "抽查任务名称", "抽查机关", "检查结果", "后续处置", "检查完成日期"],
                     [[uscc(8), "海安市顺达五金店", "五金销售抽查", "海安市市场监督管理局", "发现问题待后续处理",
                       "已约谈经营者（身份证320682199001011234，手机13905130000）", "2024-04-01"]])
    ingest(db, settings, str(path))
    with db.session() as s:
        follow_up = s.scalar(select(Inspection.follow_up))
    assert "320682199001011234" not in follow_up and "13905130000" not in follow_up and "139****0000" in follow_up


def test_dry_run_reports_what_would_change_and_writes_nothing(db, settings, gb_csv):
    before = dump(db)
    report = ingest(db, settings, str(gb_csv), Options(dry_run=True))
    assert report.status == "dry-run" and report.counts["inserted"] > 0
    assert dump(db) == before and not any(settings.archive_dir.rglob("*.csv"))


def test_the_raw_file_is_archived_by_sha256(db, settings, gb_csv):
    import hashlib

    report = ingest(db, settings, str(gb_csv))
    digest = hashlib.sha256(gb_csv.read_bytes()).hexdigest()
    archived = settings.archive_dir / digest[:2] / f"{digest}.csv"
    assert archived.read_bytes() == gb_csv.read_bytes()
    with db.session() as s:
        from gongshi.store.models import Source
        source = s.get(Source, report.source_id)
        assert source.sha256 == digest and source.encoding == "gb18030" and source.uri == str(gb_csv.resolve())


def test_many_rows_need_few_statements(db, settings, tmp_path, query_counter):
    rows = [[uscc(100 + i), f"南通市测试商店{i}", "320600-2023-SJ-009", "测试任务", "南通市市场监督管理局", "未发现问题", "2023-05-01"]
            for i in range(500)]
    path = write_csv(tmp_path / "many.csv", ["统一社会信用代码", "企业名称", "抽查任务编号", "抽查任务名称", "抽查机关", "检查结果", "检查完成日期"], rows)
    ingest(db, settings, str(path))
    # A constant count, whatever the rows: about 60 of them (temporary tables of the changed ids
    # created, filled, joined and dropped) keep the statistics and the entities' documents, set-based.
    assert len(query_counter) < 110
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Inspection)) == 500


def test_rows_of_one_inspection_far_apart_in_the_file_make_one_inspection_in_file_order(db, settings, tmp_path):
    item_1, item_2, other = result_rows()
    ingest(db, settings, str(write_csv(tmp_path / "scattered.csv", HEADER, as_text_rows([item_1, other, item_2]))))
    with db.session() as s:
        rows = s.execute(select(Inspection.id, MarketEntity.uscc, Finding.item, Finding.source_row)
                         .join(MarketEntity, MarketEntity.id == Inspection.entity_id)
                         .join(Finding, Finding.inspection_id == Inspection.id)
                         .order_by(Inspection.id, Finding.position)).all()
    assert [r[1:] for r in rows] == [(uscc(1), "企业公示信息", 1), (uscc(1), "营业执照规范使用", 3),
                                     (uscc(2), "药品经营质量管理规范执行情况", 2)]
    assert rows[0].id == rows[1].id != rows[2].id


def test_rows_written_in_bulk_by_successive_files_stay_with_their_own_entity(db, settings, tmp_path):
    """Entities met first in results, their inspections and findings are written in bulk with ids
    drawn beforehand: over two files, each entity's record shows exactly its own facts."""
    header = ["统一社会信用代码", "企业名称", "抽查任务编号", "抽查任务名称", "抽查机关", "检查事项", "检查结果", "检查完成日期"]

    def rows(first, count, task):
        return [[uscc(7000 + n), f"南通市批量商店{n}", task, f"批量任务{task}", "南通市市场监督管理局",
                 f"事项{n}", "未发现问题" if n % 2 else "发现问题待后续处理", f"2023-05-{1 + n % 28:02d}"]
                for n in range(first, first + count)]

    ingest(db, settings, str(write_csv(tmp_path / "a.csv", header, rows(0, 30, "B-1"))))
    ingest(db, settings, str(write_csv(tmp_path / "b.csv", header, rows(20, 30, "B-2"))))
    client = create_app(settings, database=db).test_client()
    for n in (0, 19, 20, 29, 30, 49):
        body = client.get(f"/api/v1/enterprises/{uscc(7000 + n)}").get_json()
        assert body["name"] == f"南通市批量商店{n}"
        tasks = {task for task, first in (("B-1", 0), ("B-2", 20)) if first <= n < first + 30}
        assert {i["task"]["task_no"] for i in body["inspections"]} == tasks
        for inspection in body["inspections"]:
            assert [(f["item"], f["result"]) for f in inspection["findings"]] == \
                [(f"事项{n}", "未发现问题" if n % 2 else "发现问题待后续处理")]
            assert inspection["completed_on"] == f"2023-05-{1 + n % 28:02d}"
