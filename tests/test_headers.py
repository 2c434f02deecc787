"""Header matching and kind detection (FORMATS.md's alias table)."""
import pytest

from gongshi.ingest.headers import detect_kind, field_for, is_dropped


@pytest.mark.parametrize("header,kind,field", [
    ("抽查类型（定向或不定向）", "task", "task_type"), ("任 务 名 称", "task", "task_name"),
    ("抽查事项类别(一般检查或重点检查)", "task", "item_class"), ("*统一社会信用代码", "result", "uscc"),
    ("统一社会信用代码/注册号", "result", "uscc"), ("罚款金额（万元）", "credit", "amount"),
    ("罚款金额(元)", "credit", "amount"), ("检查实施机关", "result", "authorities"), ("公示时间：", "result", "published_on"),
    ("抽查市场主体数量", "task", "planned_count"), ("住所（经营场所）", "entity", "address"),
])
def test_alias_headers_map_to_their_field(header, kind, field):
    assert field_for(header, kind) == field


def test_unknown_header_names_no_field():
    assert field_for("监管领域备注说明", "result") is None


def test_inspector_columns_are_recognised_for_dropping():
    assert is_dropped("检查人员") and is_dropped("执法人员（执法证号）") and not is_dropped("检查机关")


@pytest.mark.parametrize("headers,kind", [
    (["序号", "任务名称", "抽查领域", "联合检查部门", "检查对象", "检查方式", "抽取比例", "抽取数量"], "task"),
    (["统一社会信用代码", "企业名称", "抽查机关", "检查完成日期", "检查结果", "公示日期"], "result"),
    (["统一社会信用代码", "企业名称", "信用信息类别", "决定日期", "决定机关", "决定书文号", "罚款金额（元）"], "credit"),
    (["统一社会信用代码", "企业名称", "市场主体类型", "住所", "行业", "成立日期", "登记状态"], "entity"),
    (["事项编码", "部门", "抽查事项", "事项类别", "抽查依据", "检查内容", "抽查主体"], "checklist"),
])
def test_kind_is_detected_from_headers(headers, kind):
    assert detect_kind(headers)[0] == kind


def test_ambiguous_headers_detect_no_kind():
    assert detect_kind(["统一社会信用代码", "企业名称"])[0] is None
