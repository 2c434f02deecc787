"""Published column headers → canonical fields, per kind of file (FORMATS.md's alias table).

Matching ignores spaces, full- versus half-width forms, a leading "*" (required-field marker)
and the bracketed hints of the official forms ("抽查类型（定向或不定向）" is "抽查类型"). A header
that names a unit ("罚款金额（万元）") keeps it, so that the unit can be honoured.
Add aliases when real files need them; never remove one.
"""
from __future__ import annotations

import re
import unicodedata

KINDS = ("checklist", "task", "result", "credit", "entity", "draw")
KIND_LABELS = {"checklist": "抽查事项清单", "task": "抽查计划/任务", "result": "抽查检查结果",
               "credit": "信用信息", "entity": "检查对象名录", "draw": "抽取记录"}

_USCC = ("统一社会信用代码", "社会信用代码", "信用代码", "统一社会信用代码/注册号", "统一代码", "USCC")
_NAME = ("企业名称", "市场主体名称", "检查对象名称", "抽查市场主体名称", "名称", "主体名称", "单位名称",
         "被抽查对象名称", "当事人名称", "经营者名称", "检查对象")

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "checklist": {
        "code": ("事项编码", "编号", "事项编号"),
        "department": ("部门", "抽查部门", "实施部门"),
        "category": ("抽查类别", "抽查领域", "事项大类"),
        "name": ("抽查事项", "抽查事项名称", "事项名称", "检查事项"),
        "sub_item": ("抽查子项", "检查子项"),
        "item_class": ("事项类别", "检查事项类别"),
        "basis": ("抽查依据", "检查依据", "法律依据"),
        "body": ("抽查主体", "检查主体", "实施主体"),
        "object_scope": ("抽查对象", "检查对象"),
        "content": ("检查内容", "抽查内容"),
        "ratio": ("抽查比例",),
        "frequency": ("抽查频次", "检查频次"),
        "method": ("抽查方式", "检查方式"),
        "partners": ("参与部门", "联合部门"),
        "note": ("备注",),
        "seq": ("序号",),
    },
    "task": {
        "seq": ("序号",),
        "plan_no": ("抽查计划编号", "计划编号"),
        "plan_name": ("抽查计划名称", "计划名称", "年度计划名称"),
        "task_no": ("抽查任务编号", "任务编号"),
        "task_name": ("抽查任务名称", "任务名称"),
        "task_type": ("抽查类型",),
        "item_class": ("抽查事项类别", "事项类别"),
        "joint_items": ("部门联合抽查事项", "抽查事项"),
        "basis": ("抽查依据",),
        "object_scope": ("抽查对象范围", "检查对象", "抽查对象"),
        "body": ("检查主体", "发起部门"),
        "partners": ("联合检查部门", "参与部门", "配合部门"),
        "field": ("抽查领域",),
        "method": ("检查方式", "抽查检查模式"),
        "ratio": ("抽取比例", "抽查比例"),
        "planned_count": ("抽取数量", "抽查数量", "抽查市场主体数量"),
        "frequency": ("检查频次", "抽查频次"),
        "level": ("检查层级",),
        "draw_date": ("计划抽取日期",),
        "deadline": ("完成时限", "检查日期至"),
        "start_date": ("检查日期自", "计划开展时间"),
        "note": ("备注",),
    },
    "result": {
        "uscc": _USCC,
        "reg_no": ("注册号",),
        "name": _NAME,
        "plan_no": ("抽查计划编号", "计划编号"),
        "plan_name": ("抽查计划名称", "计划名称"),
        "task_no": ("抽查任务编号", "任务编号"),
        "task_name": ("抽查任务名称", "任务名称"),
        "task_type": ("抽查类型",),
        "authorities": ("抽查机关", "检查机关", "检查实施机关", "实施机关"),
        "completed_on": ("抽查完成日期", "检查完成日期", "检查日期", "完成日期"),
        "item": ("检查事项", "抽查事项"),
        "result": ("检查结果", "抽查结果"),
        "published_on": ("公示日期", "公示时间"),
        "follow_up": ("后续处置", "处理情况"),
        "region": ("行政区划代码", "所属地区"),
        "note": ("备注",),
    },
    "credit": {
        "uscc": _USCC,
        "reg_no": ("注册号",),
        "name": _NAME,
        "kind": ("信用信息类别", "类别"),
        "decided_on": ("决定日期", "作出决定日期", "处罚决定日期", "列入日期", "移出日期", "分类日期"),
        "authority": ("决定机关", "作出决定机关", "决定机关名称", "处罚机关", "作出决定机关名称"),
        "reason": ("事由", "列入原因", "移出原因", "违法行为类型", "列入经营异常名录原因", "移出经营异常名录原因"),
        "decision_no": ("决定书文号", "行政处罚决定书文号", "处罚决定书文号"),
        "content": ("行政处罚内容", "处罚内容"),
        "amount": ("罚款金额（元）", "罚款金额（万元）", "处罚金额", "罚款金额", "罚没金额（元）", "罚没金额（万元）"),
        "risk_class": ("风险等级", "信用风险分类结果", "信用风险分类"),
        "note": ("备注",),
    },
    "entity": {
        "uscc": _USCC,
        "reg_no": ("注册号",),
        "name": _NAME,
        "entity_type": ("企业类型", "市场主体类型", "主体类型", "类型"),
        "region": ("行政区划代码", "所属地区", "行政区划"),
        "address": ("住所", "经营场所", "住所/经营场所", "住所（经营场所）", "地址"),
        "industry": ("行业", "所属行业", "行业门类"),
        "established_on": ("成立日期", "注册日期"),
        "status": ("登记状态", "经营状态"),
        "registration_authority": ("登记机关",),
        "former_names": ("曾用名", "历史名称"),
    },
    # A draw record (抽取记录) is a JSON object, not a table: it has no headers. It is told apart
    # by its "algorithm" field (ingest/draw.py, is_record).
    "draw": {},
}

# Columns that name people and are never stored: inspectors are not published by name (DOMAIN.md).
DROPPED = ("检查人员", "执法人员", "执法检查人员", "检查人", "执法人", "执法证号", "执法证件号",
           "检查人员执法证号", "联系电话", "联系人电话", "手机号码", "身份证号", "身份证号码", "经营者身份证号",
           "联系人")

# Fields whose presence says which kind a file is (used when --kind is not given).
SIGNATURE = {
    "checklist": {"name", "basis", "item_class", "content", "body", "category", "sub_item", "code"},
    "task": {"task_name", "ratio", "planned_count", "partners", "object_scope", "task_type", "field", "deadline"},
    "result": {"uscc", "name", "authorities", "completed_on", "result", "item", "published_on", "follow_up"},
    "credit": {"uscc", "name", "kind", "decided_on", "authority", "decision_no", "amount", "risk_class", "reason"},
    "entity": {"uscc", "name", "entity_type", "address", "industry", "established_on", "status",
               "registration_authority"},
    "draw": set(),
}

_BRACKETED = re.compile(r"\([^()]*\)")


def normalise_header(text: object) -> str:
    """The comparison form of a header: NFKC, no spaces, no leading '*', no trailing ':'."""
    folded = unicodedata.normalize("NFKC", str(text or ""))
    folded = re.sub(r"\s+", "", folded).lstrip("*").rstrip(":")
    return folded.upper() if folded.isascii() else folded


def _index(kind: str) -> dict[str, str]:
    return {normalise_header(alias): field for field, aliases in ALIASES[kind].items() for alias in aliases}


_INDEX = {kind: _index(kind) for kind in KINDS}
_DROPPED = {normalise_header(h) for h in DROPPED}
_ANY = {alias for index in _INDEX.values() for alias in index}


# JSON keys: the canonical field names themselves, and our own API's nested output as the JSON
# reader flattens it.
JSON_KEYS = {"task.task_no": "task_no", "task.name": "task_name", "task.plan_no": "plan_no",
             "region.code": "region", "departments": "authorities", "findings": "item"}


def field_for(header: object, kind: str) -> str | None:
    """The canonical field a header names in this kind of file, or None."""
    name = JSON_KEYS.get(str(header), str(header))
    if name in ALIASES[kind]:
        return name
    key = normalise_header(header)
    index = _INDEX[kind]
    if key in index:
        return index[key]
    stripped = _BRACKETED.sub("", key)
    return index.get(stripped)


def is_dropped(header: object) -> bool:
    key = normalise_header(header)
    return key in _DROPPED or _BRACKETED.sub("", key) in _DROPPED


def known_header_count(cells: list[object]) -> int:
    """How many cells of a row are known headers of any kind (finds the header row)."""
    count = 0
    for cell in cells:
        key = normalise_header(cell)
        if key and (key in _ANY or _BRACKETED.sub("", key) in _ANY):
            count += 1
    return count


def detect_kind(headers: list[object]) -> tuple[str | None, dict[str, int]]:
    """The kind whose signature fields the headers cover best; None on a tie or no match."""
    scores = {}
    for kind in KINDS:
        fields = {field_for(h, kind) for h in headers} - {None}
        scores[kind] = len(fields & SIGNATURE[kind])
    best = max(scores.values())
    winners = [k for k, v in scores.items() if v == best]
    return (winners[0] if best >= 2 and len(winners) == 1 else None), scores


def amount_unit(header: object) -> str:
    """The money unit a header names: 万元 or 元 (the default)."""
    return "万元" if "万元" in normalise_header(header) else "元"
