"""Reading published tables in every encoding and layout the ingest promises."""
import json

import pytest
from sqlalchemy import select

from gongshi.ingest.errors import IngestError
from gongshi.store.models import Inspection, MarketEntity
from tests.factories import ingest, uscc, write_csv

HEADER = ["统一社会信用代码", "企业名称", "抽查任务名称", "抽查机关", "检查结果", "检查完成日期"]
ROW = [uscc(11), "海门区叠石桥家纺（门市部）", "家纺产品质量抽查", "南通市海门区市场监督管理局", "未发现问题", "2022/11/3"]


@pytest.mark.parametrize("encoding,delimiter", [("utf-8", ","), ("utf-8-sig", ","), ("gb18030", ","), ("gbk", ","),
                                                ("utf-16", "\t"), ("gb18030", "\t")])
def test_each_published_encoding_is_detected(db, settings, tmp_path, encoding, delimiter):
    path = write_csv(tmp_path / "r.csv", HEADER, [ROW], encoding=encoding, delimiter=delimiter, title="抽查结果公示表")
    report = ingest(db, settings, str(path))
    assert report.kind == "result"
    with db.session() as s:
        assert s.scalar(select(MarketEntity.name)) == "海门区叠石桥家纺（门市部）"
        assert s.scalar(select(Inspection.region_code)) == "320614"


def test_json_arrays_and_the_portals_own_api_shape(db, settings, tmp_path):
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps([dict(zip(HEADER, ROW))], ensure_ascii=False), encoding="utf-8")
    assert ingest(db, settings, str(plain)).rows == 1
    api = tmp_path / "api.json"
    api.write_text(json.dumps({"items": [{
        "uscc": uscc(12), "name": "通州区金沙镇平价超市", "task": {"task_no": "320612-2022-07", "name": "超市食品安全抽查"},
        "departments": ["南通市通州区市场监督管理局"], "completed_on": "2022-08-01",
        "findings": [{"item": "食品经营许可", "result": "未发现问题"}, {"item": "进货查验", "result": "发现问题经责令已改正"}],
    }], "next": None, "total": 1}, ensure_ascii=False), encoding="utf-8")
    report = ingest(db, settings, str(api), )
    assert report.kind == "result"
    with db.session() as s:
        inspection = s.scalar(select(Inspection).join(MarketEntity).where(MarketEntity.uscc == uscc(12)))
        assert inspection.task.task_no == "320612-2022-07" and inspection.problems_found
        assert [f.item for f in inspection.findings] == ["食品经营许可", "进货查验"]


def test_a_file_without_a_recognisable_header_is_refused_clearly(db, settings, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("关于2023年抽查工作的说明\n今年共开展抽查……\n", encoding="utf-8")
    with pytest.raises(IngestError, match="找不到表头"):
        ingest(db, settings, str(path))


def test_a_file_in_an_unknown_encoding_is_refused_clearly(db, settings, tmp_path):
    path = tmp_path / "big5.csv"
    path.write_bytes(b"\x81\x30" * 3 + b"\xff\xfe\xfd" * 5)
    with pytest.raises(IngestError, match="编码无法识别"):
        ingest(db, settings, str(path))


def test_headers_that_match_no_kind_ask_for_kind(db, settings, tmp_path):
    path = write_csv(tmp_path / "x.csv", ["统一社会信用代码", "企业名称", "序号"], [[uscc(1), "某公司", 1]])
    with pytest.raises(IngestError, match="--kind"):
        ingest(db, settings, str(path))
