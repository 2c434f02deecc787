"""Marshmallow schemas of the API: what each response holds (English snake_case names,
documented in Chinese) and which query parameters each list accepts. The OpenAPI document is
generated from these, so the descriptions here are the API's data dictionary."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from types import SimpleNamespace

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate
from marshmallow.experimental.context import Context

from gongshi.api.context import external_url
from gongshi.api.problems import invalid
from gongshi.store.queries import on_time
from gongshi.store.standing import standing
from gongshi.store.vocabulary import KNOWN_RESULTS
from gongshi.store.workdays import china_today

USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"
USCC_RE = re.compile(USCC_PATTERN)
MAX_ID = 2**31 - 1


@dataclass
class Lookups:
    """Names a dump needs that the models keep as ids: departments, regions and sources."""

    departments: dict = field(default_factory=dict)
    regions: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)


LOOKUPS = Context[Lookups]  # `with LOOKUPS(lookups): schema.dump(...)`


def _meta(description: str, **extra) -> dict:
    return {"description": description, **extra}


def string(description: str, **kw) -> fields.String:
    return fields.String(allow_none=True, required=True, metadata=_meta(description), **kw)


def integer(description: str, **kw) -> fields.Integer:
    return fields.Integer(allow_none=True, required=True, metadata=_meta(description), **kw)


def boolean(description: str, **kw) -> fields.Boolean:
    return fields.Boolean(allow_none=True, required=True, metadata=_meta(description), **kw)


def date(description: str, **kw) -> fields.Date:
    return fields.Date(allow_none=True, required=True, metadata=_meta(description), **kw)


def number(description: str, **kw) -> fields.Float:
    return Rounded(allow_none=True, required=True, metadata=_meta(description), **kw)


class Rounded(fields.Float):
    """A number with at most two decimals (money in 元, percentages), from Decimal or float."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else round(float(value), 2)


class UtcDateTime(fields.DateTime):
    """The store keeps naive UTC: say so in the ISO 8601 text."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.replace(tzinfo=dt.UTC).isoformat()


class Computed(fields.Nested):
    """A nested object computed from the dumped object (e.g. its source, looked up by id), so
    that the OpenAPI document still refers to the nested schema."""

    def __init__(self, nested, compute, **kwargs):
        super().__init__(nested, required=True, **kwargs)
        self.compute = compute

    def serialize(self, attr, obj, accessor=None, **kwargs):
        return self._serialize(self.compute(obj), attr, obj, **kwargs)


def computed(compute, json_type: str, description: str) -> fields.Function:
    """A scalar computed from the dumped object; nullable (apispec adds the "null")."""
    return fields.Function(compute, required=True, allow_none=True, metadata=_meta(description, type=json_type))


class Out(Schema):
    """Output schemas: every field is always present (null when not published)."""


# --- small shared pieces --------------------------------------------------------------------


class RegionSchema(Out):
    code = fields.String(required=True, metadata=_meta("行政区划代码（GB/T 2260 六位）"))
    name = string("行政区划名称，如 崇川区")


class DepartmentRefSchema(Out):
    id = fields.Integer(required=True, metadata=_meta("部门编号，见 /api/v1/departments"))
    name = fields.String(required=True, metadata=_meta("部门规范名称，如 市场监督管理局"))


class NamedDepartmentSchema(Out):
    """A department as a fact names it (rows of task_department, inspection_department)."""

    id = fields.Integer(attribute="department_id", required=True, metadata=_meta("部门编号"))
    name = fields.Function(lambda d: LOOKUPS.get().departments[d.department_id].name, required=True,
                           metadata=_meta("部门规范名称", type="string"))
    published_name = string("来源文件中的写法（原文），如 崇川区市场监督管理局")


class TaskDepartmentSchema(NamedDepartmentSchema):
    role = fields.String(required=True, metadata=_meta("lead：发起部门；partner：参与部门"))


class SourceSchema(Out):
    """A published file or URL as fetched: where the data came from, and when."""

    id = fields.Integer(required=True, metadata=_meta("来源编号"))
    name = fields.String(required=True, metadata=_meta("来源文件名"))
    url = string("来源网址（本地导入的文件为 null）")
    publisher = string("发布机关")
    fetched_at = UtcDateTime(required=True, metadata=_meta("获取时间（UTC，ISO 8601）"))
    sha256 = fields.String(required=True, metadata=_meta("来源文件的 SHA-256，可核对存档原件"))
    kind = fields.String(required=True, metadata=_meta("来源类型：checklist 抽查事项清单、task 抽查任务、"
                                                       "result 抽查结果、credit 信用信息、entity 检查对象名录"))
    file_format = fields.String(required=True, metadata=_meta("文件格式：csv、xlsx、xls、json"))


class SourceRefSchema(SourceSchema):
    """Where one fact was published: the source, and the row in it."""

    row = integer("数据在来源文件中的行号（表头下第 1 行为 1）")


def _source_of(src) -> dict:
    return {"id": src.id, "name": src.name, "url": src.uri if src.uri.startswith(("http://", "https://")) else None,
            "publisher": src.publisher, "fetched_at": src.fetched_at, "sha256": src.sha256,
            "kind": src.kind, "file_format": src.file_format}


def _source(obj) -> dict | None:
    src = LOOKUPS.get().sources.get(obj.source_id)
    return None if src is None else {**_source_of(src), "row": obj.source_row}


def _department(department_id: int | None) -> dict | None:
    dept = LOOKUPS.get().departments.get(department_id)
    return None if dept is None else {"id": dept.id, "name": dept.name}


def source_field() -> Computed:
    return Computed(SourceRefSchema, _source, allow_none=True, metadata=_meta("出处：来源文件、获取时间与行号"))


def department_field(attribute: str, description: str) -> Computed:
    return Computed(DepartmentRefSchema, lambda obj: _department(getattr(obj, attribute)), allow_none=True,
                    metadata=_meta(description))


# --- checklists, plans, tasks ---------------------------------------------------------------


class TaskRefSchema(Out):
    task_no = fields.String(required=True, metadata=_meta("抽查任务编号"))
    name = fields.String(required=True, metadata=_meta("抽查任务名称"))
    plan_no = computed(lambda t: t.plan.plan_no if t.plan else None, "string", "抽查计划编号")


class PlanRefSchema(Out):
    plan_no = fields.String(required=True, metadata=_meta("抽查计划编号（未公布编号时为派生编号）"))
    name = fields.String(required=True, metadata=_meta("抽查计划名称"))
    year = integer("年度")


class TaskSchema(Out):
    task_no = fields.String(required=True, metadata=_meta("抽查任务编号"))
    task_no_published = fields.Boolean(required=True, metadata=_meta("编号是否为公布原文（false：派生编号）"))
    plan = fields.Nested(PlanRefSchema, required=True, allow_none=True, metadata=_meta("所属抽查计划"))
    seq = integer("序号")
    name = fields.String(required=True, metadata=_meta("抽查任务名称"))
    year = integer("年度")
    task_type = string("抽查类型：定向 / 不定向")
    task_type_text = string("抽查类型（原文）")
    item_class = string("事项类别：一般检查事项 / 重点检查事项")
    item_class_text = string("事项类别（原文）")
    joint_items = string("部门联合抽查事项")
    basis = string("抽查依据")
    object_scope = string("抽查对象范围")
    body_text = string("检查主体（原文）")
    partners_text = string("联合检查部门（原文）")
    departments = fields.List(fields.Nested(TaskDepartmentSchema), required=True, metadata=_meta("参与的部门"))
    lead_department = department_field("lead_department_id", "发起部门")
    joint = fields.Boolean(required=True, metadata=_meta("是否部门联合抽查"))
    field = string("抽查领域")
    method = string("检查方式")
    ratio_percent = number("抽取比例（%，数值）")
    ratio_text = string("抽取比例（原文），如 15.38%")
    ratio_uncapped = fields.Boolean(required=True, metadata=_meta("比例不设上限（重点检查事项）"))
    planned_count = integer("抽取数量（数值）")
    planned_count_text = string("抽取数量（原文），如 约1000、不少于13")
    planned_count_qualifier = string("抽取数量的性质：exact 确数、approximate 约数、minimum 下限")
    planned_count_approximate = computed(
        lambda t: t.planned_count_qualifier == "approximate" if t.planned_count is not None else None,
        "boolean", "抽取数量是否为约数")
    frequency = string("检查频次")
    level = string("检查层级")
    draw_date = date("计划抽取日期")
    start_date = date("开始日期")
    deadline = date("完成时限")
    deadline_working_days = integer("结果公示时限（工作日）")
    source = source_field()


class PlanSchema(Out):
    plan_no = fields.String(required=True, metadata=_meta("抽查计划编号（未公布编号时为派生编号）"))
    plan_no_published = fields.Boolean(required=True, metadata=_meta("编号是否为公布原文"))
    name = fields.String(required=True, metadata=_meta("抽查计划名称"))
    year = integer("年度")
    department = department_field("department_id", "制定计划的部门")
    publisher = string("发布机关")
    source = source_field()


class PlanDetailSchema(PlanSchema):
    tasks = fields.List(fields.Nested(TaskRefSchema), required=True, metadata=_meta("计划中的抽查任务"))


class CheckItemSchema(Out):
    id = fields.Integer(required=True, metadata=_meta("抽查事项编号（本站）"))
    department = department_field("department_id", "抽查主体部门")
    code = string("事项编码")
    category = string("抽查类别")
    name = fields.String(required=True, metadata=_meta("抽查事项名称"))
    sub_item = string("抽查子项")
    item_class = string("事项类别：一般检查事项 / 重点检查事项")
    item_class_text = string("事项类别（原文）")
    basis = string("抽查依据")
    body = string("抽查主体（原文）")
    object_scope = string("抽查对象")
    content = string("检查内容")
    ratio_percent = number("抽查比例（%，数值）")
    ratio_uncapped = fields.Boolean(required=True, metadata=_meta("比例不设上限"))
    ratio_text = string("抽查比例（原文）")
    frequency = string("抽查频次")
    method = string("检查方式")
    partners_text = string("参与部门（原文）")
    note = string("备注")
    status = fields.String(required=True, metadata=_meta("current：现行；withdrawn：已从清单中移除"))
    source = source_field()


class DepartmentSchema(Out):
    id = fields.Integer(required=True, metadata=_meta("部门编号"))
    name = fields.String(required=True, metadata=_meta("规范名称"))
    short_name = fields.String(required=True, metadata=_meta("简称"))
    recognized = fields.Boolean(required=True, metadata=_meta("是否在参考名单中（false：首次见于来源文件）"))
    aliases = fields.Function(lambda d: sorted(a.alias for a in d.aliases), required=True,
                              metadata=_meta("来源文件中的其他写法", type="array", items={"type": "string"}))


def _region_of(code: str | None, name: str | None) -> dict | None:
    return {"code": code, "name": name} if code else None


class OfficeRefSchema(Out):
    """An office (机关): a department kind in one region at one level (dumped from store.stats.OfficeRow)."""

    id = fields.Integer(required=True, metadata=_meta("机关编号，见 /api/v1/offices"))
    name = fields.String(required=True, metadata=_meta("机关名称，如 南通市市场监督管理局；地区未知的为来源原文"))
    region = Computed(RegionSchema, lambda o: _region_of(o.region_code, o.region_name), allow_none=True,
                      metadata=_meta("所在行政区划；无法确定地区的机关为 null"))
    level = string("层级：省、市、县；地区未知的为 null")


class OfficeSchema(OfficeRefSchema):
    placed = fields.Boolean(required=True, metadata=_meta("是否已确定所在地区（false：名称无法定位，单列，不与其他机关合并）"))
    department = Computed(DepartmentRefSchema, lambda o: {"id": o.department_id, "name": o.department},
                          metadata=_meta("部门（种类），如 市场监督管理局"))


# --- entities, inspections, credit ----------------------------------------------------------


class FindingSchema(Out):
    item = string("检查事项")
    result = string("检查结果（原文）")


class EntityRefSchema(Out):
    uscc = string("统一社会信用代码")
    name = fields.String(required=True, metadata=_meta("名称"))


class InspectionSchema(Out):
    id = fields.Integer(required=True, metadata=_meta("抽查结果编号（永久不变）"))
    entity = fields.Nested(EntityRefSchema, required=True, metadata=_meta("检查对象"))
    task = fields.Nested(TaskRefSchema, required=True, metadata=_meta("抽查任务"))
    task_type = computed(lambda i: i.task.task_type, "string", "抽查类型：定向 / 不定向")
    departments = fields.List(fields.Nested(NamedDepartmentSchema), required=True, metadata=_meta("抽查机关"))
    lead_department = department_field("lead_department_id", "发起部门（统计时按此部门计）")
    joint = fields.Boolean(required=True, metadata=_meta("是否部门联合抽查"))
    completed_on = date("检查完成日期")
    published_on = date("公示日期")
    deadline_working_days = integer("公示时限（工作日）")
    on_time = computed(lambda i: on_time(i.completed_on, i.published_on, i.deadline_working_days), "boolean",
                       "是否在时限内公示（按含调休的工作日计算；日期未知时为 null）")
    problems_found = fields.Boolean(required=True, metadata=_meta("是否发现问题"))
    findings = fields.List(fields.Nested(FindingSchema), required=True, metadata=_meta("各检查事项的结果"))
    follow_up = string("后续处置（立案、处罚、移送等）")
    source = source_field()


class EntityInspectionSchema(InspectionSchema):
    """An inspection within its entity's record (the entity is the record itself)."""

    class Meta:
        exclude = ("entity",)


class CreditEventSchema(Out):
    id = fields.Integer(required=True, metadata=_meta("信用信息编号"))
    kind = fields.String(required=True, metadata=_meta("类别代码"))
    kind_text = fields.String(required=True, metadata=_meta("类别（原文），如 行政处罚、列入经营异常名录"))
    decided_on = date("决定日期")
    authority = fields.String(attribute="authority_text", required=True, allow_none=True,
                              metadata=_meta("决定机关（原文）"))
    department = department_field("department_id", "决定机关所属部门")
    reason = string("事由")
    decision_no = string("决定书文号")
    amount_yuan = number("罚款金额（元，两位小数）")
    amount_text = string("罚款金额（原文）")
    risk_class = string("信用风险分类 A–D")
    source = source_field()


class CorrectionSchema(Out):
    """A correction request's public part; the requester's contact details are never published."""

    ref = fields.String(required=True, metadata=_meta("更正申请编号，如 GZ-2026-000123，或数据库繁忙时受理的 GZ-2026-Q7K3M9P2XD（永久不变）"))
    url = computed(lambda c: external_url("corrections.status", ref=c.ref), "string",
                   "更正申请页面地址")
    fact_table = fields.String(required=True, metadata=_meta("所涉信息的类别：inspection 抽查结果、"
                                                             "credit_event 信用信息、market_entity 登记信息"))
    fact_id = fields.Integer(required=True, metadata=_meta("所涉信息的编号（抽查结果编号、信用信息编号等）"))
    text_published = fields.Boolean(required=True, metadata=_meta("申请内容是否已由受理部门审核公开"))
    claim = computed(lambda c: c.claim if c.text_published else None, "string",
                     "申请人所述有误之处（受理部门审核公开前为 null）")
    correction = computed(lambda c: c.correction if c.text_published else None, "string",
                          "申请人所述应更正为（受理部门审核公开前为 null）")
    department = department_field("department_id", "受理部门所属部门（所涉信息的发起部门或决定机关）")
    department_name = fields.String(required=True, metadata=_meta("受理部门（所涉信息中的写法，或来源的发布单位）"))
    status = fields.String(required=True, metadata=_meta("处理状态：待处理、已更正、未予更正"))
    reply = string("受理部门的答复（待处理时为 null）")
    created_at = UtcDateTime(required=True, metadata=_meta("提交时间（UTC，ISO 8601）"))
    updated_at = UtcDateTime(required=True, metadata=_meta("最近更新时间（UTC，ISO 8601）"))


def _region(entity) -> dict | None:
    if not entity.region_code:
        return None
    region = LOOKUPS.get().regions.get(entity.region_code)
    return {"code": entity.region_code, "name": region.name if region else None}


class EnterpriseSummarySchema(Out):
    uscc = string("统一社会信用代码（18 位）")
    reg_no = string("注册号（无统一社会信用代码的老主体）")
    name = fields.String(required=True, metadata=_meta("名称"))
    entity_type = string("市场主体类型：企业、个体工商户、农民专业合作社等")
    region = Computed(RegionSchema, _region, allow_none=True, metadata=_meta("所在行政区划"))
    address = string("住所")


class ListStandingSchema(Out):
    listed = fields.Boolean(required=True, metadata=_meta("目前是否在名单中"))
    since = date("最近一次列入的决定日期")
    removed_on = date("最近一次列入被移出的日期（仍在名单中时为 null）")
    credit_event_id = integer("决定目前状态的信用信息编号（见 credit_events）", attribute="event_id")


class StandingSchema(Out):
    """store.standing.Standing: the figures of the summary at the top of the entity's page."""

    abnormal_list = fields.Nested(ListStandingSchema, attribute="abnormal", required=True,
                                  metadata=_meta("经营异常名录"))
    serious_violation_list = fields.Nested(ListStandingSchema, attribute="serious", required=True,
                                           metadata=_meta("严重违法失信名单"))
    penalties = fields.Integer(required=True, metadata=_meta("行政处罚次数"))
    fines_yuan = number("罚款金额合计（元）")
    latest_inspection_id = integer("最近一次抽查结果的编号")
    latest_inspection_on = date("最近一次抽查的完成日期")
    latest_problems_found = boolean("最近一次抽查是否发现问题")
    recent_problems = fields.Integer(required=True, metadata=_meta("近三年（recent_since 以来）发现问题的抽查次数"))
    recent_since = date("“近三年”的起始日期（按北京时间的今天计算）")
    risk_class = string("最新的信用风险分类 A–D")
    risk_meaning = string("该分类的含义，如 一般风险")
    risk_decided_on = date("该分类的评定日期")
    closed = string("登记状态为注销或吊销时：注销 / 吊销")


class EnterpriseSchema(EnterpriseSummarySchema):
    standing = Computed(StandingSchema, lambda e: standing(e.entity, e.inspections, e.credit_events, china_today()),
                        metadata=_meta("信用状况一览：是否在经营异常名录、严重违法失信名单中，处罚，最近一次抽查，风险分类"))
    former_names = fields.Function(lambda e: [n.name for n in e.names if n.name != e.name], required=True,
                                   metadata=_meta("曾用名", type="array", items={"type": "string"}))
    industry = string("行业")
    established_on = date("成立日期")
    status = string("登记状态")
    registration_authority = string("登记机关")
    inspections = fields.List(fields.Nested(EntityInspectionSchema), required=True, metadata=_meta("抽查结果，最新在前"))
    credit_events = fields.List(fields.Nested(CreditEventSchema), required=True,
                                metadata=_meta("信用信息，最新在前"))
    corrections = fields.List(fields.Nested(CorrectionSchema), required=True,
                              metadata=_meta("针对本记录信息的更正申请（公开部分），最新在前"))
    sources = Computed(SourceSchema, lambda e: [_source_of(s) for s in LOOKUPS.get().sources.values()],
                       many=True, metadata=_meta("本记录用到的全部来源"))
    source = source_field()


class ProblemSchema(Out):
    type = fields.String(required=True, metadata=_meta("问题类型（about:blank）"))
    title = fields.String(required=True, metadata=_meta("标题"))
    status = fields.Integer(required=True, metadata=_meta("HTTP 状态码"))
    detail = fields.String(required=True, metadata=_meta("说明（中文），指出出错的参数"))
    instance = fields.String(required=True, metadata=_meta("请求的路径"))
    parameter = fields.String(metadata=_meta("出错的参数名"))


# --- query parameters -----------------------------------------------------------------------

class Args(Schema):
    """Query parameters: unknown names are refused, empty values are ignored (`?q=`)."""

    class Meta:
        unknown = RAISE

    @pre_load
    def _drop_empty(self, data, **kwargs):
        return {k: v for k, v in data.items() if v != ""}


def arg_int(description: str, low: int, high: int, **kw) -> fields.Integer:
    return fields.Integer(validate=validate.Range(low, high, error=f"应在 {low} 到 {high} 之间"),
                          error_messages={"invalid": "应为整数"}, strict=False,
                          metadata=_meta(description), **kw)


def arg_bool(description: str) -> fields.Boolean:
    return fields.Boolean(error_messages={"invalid": "应为 true 或 false"},
                          metadata=_meta(description, type="boolean"))


def arg_str(description: str, max_length: int = 200, **kw) -> fields.String:
    """Free text; a NUL character, which no database column can hold, is refused (and documented)."""
    return fields.String(validate=[validate.Length(max=max_length, error=f"不能超过 {max_length} 个字符"),
                                   validate.Regexp(r"^[^\x00]*$", error="不能包含空字符")],
                         metadata=_meta(description), **kw)


def year_arg(description: str = "年度") -> fields.Integer:
    return arg_int(description, 1990, 2100)


def _number_or_name(what: str, description: str) -> fields.String:
    """A department or an office by number or by name; api.endpoint.resolve_names looks it up."""
    return fields.String(validate=[validate.Length(max=64, error="不能超过 64 个字符"),
                                   validate.Regexp(r"^(?:0*[1-9]\d{0,9}|(?![-+]?\d+$)[^\x00]+)$",
                                                   error=f"应为{what}编号（1 起的整数）或{what}名称")],
                         metadata=_meta(description))


def department_arg(description: str = "部门") -> fields.String:
    return _number_or_name("部门", description + "：编号或名称（全称、简称均可），如 7 或 市场监督管理局；"
                           "见 /api/v1/departments；没有这个部门时结果为空")


class ListArgs(Args):
    limit = arg_int("每页条数，最多 1000", 1, 1000, load_default=50)
    cursor = fields.String(validate=validate.Regexp(r"^[0-9]{1,10}$", error="游标无效，请使用上一页 next 中的地址"),
                           metadata=_meta("翻页游标：上一页 next 地址里的值，不要自己构造"))


class EnterpriseArgs(ListArgs):
    q = arg_str("名称的一部分或统一社会信用代码的开头", 100)
    region = fields.String(validate=validate.Regexp(r"^\d{6}$", error="应为六位行政区划代码"),
                           metadata=_meta("行政区划代码，如 320602"))
    entity_type = arg_str("市场主体类型，如 个体工商户", 40)


class InspectionArgs(ListArgs):
    uscc = fields.String(validate=validate.Regexp(USCC_PATTERN, error="应为 18 位统一社会信用代码"),
                         metadata=_meta("统一社会信用代码"))
    task_no = arg_str("抽查任务编号", 80)
    department = department_arg("抽查机关的部门编号")
    year = year_arg("检查完成年度")
    result = fields.String(validate=validate.OneOf(KNOWN_RESULTS, error="应为检查结果代码表中的一项：" + "、".join(KNOWN_RESULTS)),
                           metadata=_meta("某一检查事项的结果"))
    joint = arg_bool("是否部门联合抽查")
    problems_found = arg_bool("是否发现问题")


class TaskArgs(ListArgs):
    year = year_arg()
    department = department_arg("参与任务的部门编号")
    joint = arg_bool("是否部门联合抽查")
    plan_no = arg_str("抽查计划编号", 64)


class PlanArgs(ListArgs):
    year = year_arg()
    department = department_arg("制定计划的部门编号")


class CheckItemArgs(ListArgs):
    department = department_arg("抽查主体的部门编号")
    status = fields.String(validate=validate.OneOf(["current", "withdrawn"], error="应为 current 或 withdrawn"),
                           metadata=_meta("current：现行；withdrawn：已移除"))


class DownloadArgs(Args):
    year = year_arg("年度（抽查结果按完成日期，信用信息按决定日期，任务与计划按年度）")
    department = department_arg()


def load_args(schema: Args, values: dict) -> dict:
    """The parsed parameters; the first invalid one is a 400 problem naming it."""
    try:
        return schema.load(values)
    except ValidationError as exc:
        name, messages = next(iter(exc.normalized_messages().items()))
        message = messages[0] if isinstance(messages, list) else str(messages)
        raise invalid(name, "不支持此参数" if message == "Unknown field." else message) from exc


# --- statistics and search (contracts of store.stats and search) ----------------------------


class CoverageRowSchema(Out):
    """One office's year, as counts and as rates; the rules behind each figure are in
    store.stats_definitions.DEFINITIONS (shown on /about)."""

    office = Computed(OfficeRefSchema, lambda r: SimpleNamespace(id=r.office_id, name=r.office, level=r.office_level,
                                                                 region_code=r.region_code, region_name=r.region),
                      metadata=_meta("机关（批次、户次、公示数计入实施的机关，案件与罚款计入作出处罚的机关）"))
    department = Computed(DepartmentRefSchema, lambda r: {"id": r.department_id, "name": r.department},
                          metadata=_meta("部门（种类）"))
    year = fields.Integer(required=True, metadata=_meta("年度"))
    tasks = fields.Integer(required=True, metadata=_meta("抽查批次：牵头或实施的抽查任务数"))
    joint_tasks = fields.Integer(required=True, metadata=_meta("其中部门联合抽查任务数"))
    joint_share = fields.Float(required=True, allow_none=True, metadata=_meta("联合抽查占比（0–1），对照 10% 目标"))
    meets_joint_target = boolean("是否达到联合抽查不低于 10% 的目标")
    inspections = fields.Integer(required=True, metadata=_meta("抽查户次"))
    entities = fields.Integer(required=True, metadata=_meta("抽查户数（不重复的市场主体）"))
    problems_found = fields.Integer(required=True, metadata=_meta("发现问题的户次"))
    problem_share = fields.Float(required=True, allow_none=True, metadata=_meta("发现问题率（0–1）"))
    published = fields.Integer(required=True, metadata=_meta("已公示（有公示日期）的户次"))
    on_time = fields.Integer(required=True, metadata=_meta("按时公示的户次"))
    late = fields.Integer(required=True, metadata=_meta("逾期公示的户次"))
    on_time_share = fields.Float(required=True, allow_none=True, metadata=_meta("按时公示占比（0–1，不含公示情况不明的）"))
    publication_unknown = fields.Integer(required=True, metadata=_meta("公示情况不明（无公示日期）的户次"))
    on_time_estimated = fields.Integer(required=True, metadata=_meta("按时与否为估算的户次（日历未覆盖的年份）"))
    deadline_working_days = integer("适用的公示时限（工作日）")
    directory_size = integer("机关辖区内检查对象名录的市场主体数；未导入名录时为 null")
    per_100_entities = fields.Float(required=True, allow_none=True, metadata=_meta("每百户名录主体的抽查户次"))
    directory_share = fields.Float(required=True, allow_none=True,
                                   metadata=_meta("名录覆盖比例（0–1）：当年抽查的不重复主体数 ÷ 名录主体数"))
    multi_task_entities = fields.Integer(required=True, metadata=_meta("所查主体中当年被多个任务检查的户数（检查负担）"))
    multi_office_entities = fields.Integer(required=True, metadata=_meta("所查主体中当年被多个机关检查的户数（检查负担）"))
    problems_followed = fields.Integer(required=True, metadata=_meta("发现问题的户次中，180 日内有行政处罚或列入经营异常名录的"))
    credit_link_share = fields.Float(required=True, allow_none=True, metadata=_meta("信用关联比例（0–1）"))
    cases = fields.Integer(required=True, metadata=_meta("双随机抽查案件数（计入作出处罚的参与机关）"))
    fines_yuan = Rounded(required=True, metadata=_meta("案件罚没金额（元，两位小数）"))


def region_arg() -> fields.String:
    return fields.String(validate=validate.Regexp(r"^\d{6}$", error="应为六位行政区划代码"),
                         metadata=_meta("行政区划代码：该地及其下级地区（市含所辖县区）；没有数据时为空列表"))


def office_arg(description: str = "机关") -> fields.String:
    return _number_or_name("机关", description + "：编号或名称，如 12 或 如皋市市场监督管理局（也可写 如皋市市场监管局）；"
                           "见 /api/v1/offices；没有这个机关时结果为空")


class CoverageArgs(Args):
    year = year_arg()
    office = office_arg()
    department = department_arg("部门（种类）编号")
    region = region_arg()


class OfficeArgs(Args):
    department = department_arg("部门（种类）编号")
    region = region_arg()


class Attachment3RowSchema(Out):
    """One row of 附件3 (the official yearly statistics form) for one filing office (填报单位)."""

    office = Computed(OfficeRefSchema, lambda r: None if r.office_id is None else
                      SimpleNamespace(id=r.office_id, name=r.office, level=r.office_level, region_code=r.region_code,
                                      region_name=r.region), allow_none=True,
                      metadata=_meta("填报单位（机关）；合计为 null"))
    category = fields.String(required=True, metadata=_meta("类别：系统内双随机抽查 或 部门联合抽查"))
    level = fields.String(required=True, metadata=_meta("本级（填报单位自身）或 下级（辖区内下级同类机关）"))
    label = fields.String(required=True, metadata=_meta("统计表中该行的名称"))
    batches = fields.Integer(required=True, metadata=_meta("抽查批次"))
    entities = fields.Integer(required=True, metadata=_meta("抽查数量（户次）"))
    published_system = fields.Integer(required=True, metadata=_meta("抽查结果公示数量：公示系统"))
    cases = fields.Integer(required=True, metadata=_meta("双随机抽查案件数（件）"))
    fines_wan = fields.Float(required=True, metadata=_meta("案件处罚金额（万元）"))


class Attachment3Args(Args):
    year = year_arg()
    office = office_arg()


class PlanRowSchema(Out):
    """A task's inspected entities against its published 抽取数量."""

    task_no = fields.String(required=True, metadata=_meta("抽查任务编号"))
    name = fields.String(required=True, metadata=_meta("任务名称"))
    year = integer("年度")
    office_id = integer("牵头机关编号")
    planned_count = integer("公布的抽取数量")
    planned_text = string("抽取数量（原文），如 约1000")
    actual = fields.Integer(required=True, metadata=_meta("已导入的抽查户次"))
    status = fields.String(required=True, metadata=_meta("met 达到、under 未达到、over 超出、unknown 未公布抽取数量、"
                                                         "no_results 结果未公示/未导入（不判定）"))
    status_text = fields.String(required=True, metadata=_meta("状态（中文）"))


class PlanRowArgs(Args):
    year = year_arg()
    office = office_arg()
    department = department_arg("部门（种类）编号")


class DirectorySchema(Out):
    """Directory coverage (名录覆盖率) of a region, or of every loaded directory."""

    year = integer("截至年度（有检查数据的最近年度）")
    directory_size = fields.Integer(required=True, metadata=_meta("名录中的市场主体数"))
    inspected_1y = fields.Integer(required=True, metadata=_meta("最近 1 年内被抽查过的"))
    share_1y = fields.Float(required=True, allow_none=True, metadata=_meta("占比（0–1）"))
    inspected_3y = fields.Integer(required=True, metadata=_meta("最近 3 年内被抽查过的"))
    share_3y = fields.Float(required=True, allow_none=True, metadata=_meta("占比（0–1）"))
    inspected_5y = fields.Integer(required=True, metadata=_meta("最近 5 年内被抽查过的"))
    share_5y = fields.Float(required=True, allow_none=True, metadata=_meta("占比（0–1）"))
    never_drawn_5y = fields.Integer(required=True, metadata=_meta("5 年内从未被抽中的"))


class RegionArgs(Args):
    region = region_arg()


class NeverDrawnArgs(ListArgs):
    region = region_arg()


class BurdenSchema(Out):
    year = fields.Integer(required=True, metadata=_meta("年度"))
    entities_inspected = fields.Integer(required=True, metadata=_meta("被抽查的不重复市场主体数"))
    multi_task_entities = fields.Integer(required=True, metadata=_meta("被两个及以上任务检查的主体数"))
    multi_task_share = fields.Float(required=True, allow_none=True, metadata=_meta("其占比（0–1）"))
    multi_task_visits = fields.Integer(required=True, metadata=_meta("这些主体的检查户次"))
    separate_visits = fields.Integer(required=True, metadata=_meta("其中未并入部门联合抽查的户次"))


class CreditLinkSchema(Out):
    year = integer("年度")
    risk_class = string("信用风险分类 A–D；未分类为 null")
    entities = fields.Integer(required=True, metadata=_meta("该类主体数"))
    inspections = fields.Integer(required=True, metadata=_meta("抽查户次"))
    per_100_entities = fields.Float(required=True, allow_none=True, metadata=_meta("每百户抽查户次"))
    problems_found = fields.Integer(required=True, metadata=_meta("发现问题的户次"))
    problem_share = fields.Float(required=True, allow_none=True, metadata=_meta("发现问题率（0–1）"))
    followed_by_penalty = fields.Integer(required=True, metadata=_meta("180 日内有行政处罚的户次"))
    followed_by_abnormal = fields.Integer(required=True, metadata=_meta("180 日内列入经营异常名录的户次"))


class YearArgs(Args):
    year = year_arg()


class DrawAuditRowSchema(Out):
    """One group of one office's year against the office's overall rate (the method: /about#draw-audit)."""

    office_id = fields.Integer(attribute="office.office_id", required=True, metadata=_meta("机关编号"))
    office = fields.String(attribute="office.office", required=True, metadata=_meta("机关，如 崇川区市场监督管理局"))
    department = department_field("department_id", "部门")
    region = Computed(RegionSchema, _region, allow_none=True, metadata=_meta("机关所在地区"))
    year = fields.Integer(attribute="office.year", required=True, metadata=_meta("年度"))
    scope = fields.String(attribute="office.scope_label", required=True, metadata=_meta(
        "抽查对象范围中的市场主体类型，如 个体工商户、企业、农民专业合作社；未限定类型时为 全部市场主体。"
        "同一机关同一年度按范围分别审计，每个范围与该范围的名录库户数比较"))
    office_population = fields.Integer(attribute="office.population", required=True,
                                       metadata=_meta("机关辖区名录库中年初已登记、属于抽查对象范围的市场主体户数"))
    office_selected = fields.Integer(attribute="office.selected", required=True,
                                     metadata=_meta("其中被该机关不定向抽查任务抽中的户数"))
    dimension = fields.String(attribute="test.dimension", required=True, metadata=_meta(
        "分组依据：entity_type 市场主体类型、region 所在地区、age 登记年限、industry 行业、"
        "repeat_last_year 上一年度已被抽中、repeat_same_year 同一年度重复抽中、never 多年从未被抽中"))
    group = fields.String(attribute="test.group", required=True, metadata=_meta("组别，如 个体工商户"))
    population = fields.Integer(attribute="test.population", required=True, metadata=_meta("该组户数"))
    observed = fields.Integer(attribute="test.observed", required=True, metadata=_meta("实际抽中户数"))
    expected = number("随机抽取时预期抽中的户数", attribute="test.expected")
    ratio = number("实际与预期之比（1 为与随机抽取一致）", attribute="test.ratio")
    p = fields.Float(attribute="test.p", required=True, allow_none=True,
                     metadata=_meta("随机抽取出现至少这样大差距的概率（精确检验；样本太少时为 null）"))
    q = fields.Float(attribute="test.q", required=True, allow_none=True,
                     metadata=_meta("Benjamini–Hochberg 校正后的 q 值（全部检验一起校正）"))
    flagged = fields.Boolean(attribute="test.flagged", required=True, metadata=_meta("q < 0.01：明显偏离随机抽取"))
    too_small = fields.Boolean(attribute="test.too_small", required=True,
                               metadata=_meta("样本太少（预期户数不足 5），未检验"))
    finding = string("明显偏离时的中文说明")


class DrawAuditArgs(Args):
    year = year_arg()
    office = office_arg("机关（条目的 office_id 或机关名称）")
    department = department_arg("机关的部门编号（见 /api/v1/departments）")
    region = arg_str("机关所在地区的行政区划代码（六位）", max_length=6)


class SearchHitSchema(Out):
    type = fields.String(required=True, metadata=_meta("类型：enterprise 市场主体、task 抽查任务、plan 抽查计划、"
                                                       "check_item 抽查事项"))
    key = fields.String(required=True, metadata=_meta("该条的编号：统一社会信用代码（或注册号）、任务编号、计划编号或事项编号"))
    uscc = string("统一社会信用代码（市场主体）")
    task_no = string("抽查任务编号（抽查任务）")
    plan_no = string("抽查计划编号（抽查计划）")
    id = integer("抽查事项编号（抽查事项）")
    name = fields.String(required=True, metadata=_meta("名称"))
    highlight = fields.String(required=True, metadata=_meta("标出匹配部分的名称（HTML，已转义，匹配处用 <mark>）"))
    url = string("该条在接口中的地址（抽查事项无单独地址时为 null）")
    extra = fields.Dict(required=True, metadata=_meta("补充信息：地区、主体类型、曾用名、匹配方式等"))


class SearchPageSchema(Out):
    items = fields.List(fields.Nested(SearchHitSchema), required=True, metadata=_meta("本页结果，最相关在前"))
    next = string("下一页的完整地址；最后一页为 null")
    total = fields.Integer(required=True, metadata=_meta("匹配总数（total_exact 为 false 时为估计值）"))
    total_exact = fields.Boolean(required=True, metadata=_meta("total 是否为确数"))
    suggestions = fields.List(fields.String(), required=True, metadata=_meta("没有结果时的近似名称建议"))


# A query with something to look for (a letter, digit or Chinese character) and no control
# characters: what search.search accepts, so the OpenAPI document promises no more than that.
SEARCHABLE = r"^[^\x00-\x1f\x7f-\x9f]*[0-9A-Za-z\u3400-\u9fff][^\x00-\x1f\x7f-\x9f]*$"


class SearchArgs(Args):
    q = fields.String(required=True, validate=[validate.Length(1, 100, error="应为 1 到 100 个字符"),
                                               validate.Regexp(SEARCHABLE, error="应含有文字或数字，且不含控制字符")],
                      error_messages={"required": "请输入要查找的名称、统一社会信用代码或关键词"},
                      metadata=_meta("要查找的名称（可只写两三个字）、统一社会信用代码或关键词"))
    type = fields.String(validate=validate.OneOf(["enterprise", "task", "plan", "check_item"],
                                                 error="应为 enterprise、task、plan 或 check_item"),
                         metadata=_meta("只查一种：enterprise、task、plan、check_item"))
    limit = arg_int("每页条数，最多 100", 1, 100, load_default=20)
    cursor = fields.String(validate=validate.Regexp(r"^[0-9]{1,10}$", error="游标无效，请使用上一页 next 中的地址"),
                           metadata=_meta("翻页游标：上一页 next 地址里的值"))
