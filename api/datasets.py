"""The downloadable datasets: their rows (from store/), and their data dictionary (Chinese titles,
types, keys) used by the downloads page and datapackage.json."""
from __future__ import annotations

import dataclasses
import datetime as dt
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from gongshi.store import queries, stats

FORMATS = {
    "csv": {"title": "CSV（UTF-8，带 BOM，Excel 可直接打开）", "mimetype": "text/csv",
            "frictionless": "csv"},
    "jsonl": {"title": "JSON Lines（每行一个 JSON 对象）", "mimetype": "application/jsonl", "frictionless": "jsonl"},
    "xlsx": {"title": "Excel 工作簿（XLSX）", "mimetype":
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "frictionless": "xlsx"},
}

TABLE_TYPES = {int: "integer", str: "string", bool: "boolean", dt.date: "date", dt.datetime: "datetime",
               Decimal: "number", float: "number"}

# Chinese titles of every column of every dataset (a test checks that none is missing).
TITLES = {
    "id": "编号", "uscc": "统一社会信用代码", "reg_no": "注册号", "name": "名称", "entity_type": "市场主体类型",
    "region_code": "行政区划代码", "address": "住所", "industry": "行业", "established_on": "成立日期",
    "status": "状态", "registration_authority": "登记机关", "source": "来源文件", "source_row": "来源行号",
    "entity_name": "市场主体名称", "task_no": "抽查任务编号", "task_name": "抽查任务名称",
    "authorities_text": "抽查机关（原文）", "lead_department": "发起部门", "joint": "部门联合抽查",
    "completed_on": "检查完成日期", "published_on": "公示日期", "deadline_working_days": "公示时限（工作日）",
    "problems_found": "发现问题", "result_text": "检查结果（原文）", "follow_up": "后续处置",
    "on_time": "按时公示", "inspection_id": "抽查结果编号", "position": "序号", "item": "检查事项",
    "result": "检查结果", "result_known": "结果在代码表中", "plan_no": "抽查计划编号", "seq": "序号",
    "year": "年度", "task_type": "抽查类型", "item_class": "事项类别", "joint_items": "部门联合抽查事项",
    "basis": "抽查依据", "object_scope": "抽查对象范围", "body_text": "检查主体（原文）",
    "partners_text": "联合检查部门（原文）", "field": "抽查领域", "method": "检查方式",
    "ratio_percent": "抽取比例（%）", "ratio_text": "抽取比例（原文）", "planned_count": "抽取数量",
    "planned_count_qualifier": "抽取数量性质（exact 确数、approximate 约数、minimum 下限）",
    "planned_count_text": "抽取数量（原文）", "frequency": "检查频次", "level": "检查层级",
    "draw_date": "计划抽取日期", "start_date": "开始日期", "deadline": "完成时限", "department": "部门",
    "publisher": "发布机关", "code": "事项编码", "category": "抽查类别", "sub_item": "抽查子项",
    "body": "抽查主体（原文）", "content": "检查内容", "kind": "类别代码", "kind_text": "类别",
    "decided_on": "决定日期", "authority_text": "决定机关（原文）", "reason": "事由", "decision_no": "决定书文号",
    "amount_yuan": "罚款金额（元）", "amount_text": "罚款金额（原文）", "risk_class": "信用风险分类",
    "short_name": "简称", "recognized": "在参考名单中", "department_id": "部门编号", "tasks": "抽查批次（任务数）",
    "joint_tasks": "部门联合抽查任务数", "joint_share": "联合抽查占比", "meets_joint_target": "达到联合抽查 10% 目标",
    "inspections": "抽查户次", "entities": "抽查户数", "published": "已公示", "late": "逾期公示",
    "on_time_share": "按时公示占比", "publication_unknown": "公示情况不明", "on_time_estimated": "按时情况为估算",
    "cases": "双随机抽查案件数", "fines_yuan": "案件罚没金额（元）",
    "office_id": "机关编号", "office": "机关", "office_level": "机关层级", "region": "行政区划",
    "problem_share": "发现问题率", "directory_size": "辖区名录主体数", "per_100_entities": "每百户抽查户次",
    "directory_share": "名录覆盖比例", "multi_task_entities": "被多个任务检查的户数",
    "multi_office_entities": "被多个机关检查的户数", "problems_followed": "发现问题后有处罚或列入异常的户次",
    "credit_link_share": "信用关联比例",
}

# What a column means beyond its title: units, codes, how it is computed (the rest say it all).
MEANINGS = {
    "id": "本站编号，永久不变，可用于引用",
    "uscc": "18 位统一社会信用代码（GB 32100-2015）",
    "reg_no": "注册号：早于统一社会信用代码的老主体才有",
    "region_code": "GB/T 2260 六位行政区划代码",
    "source": "该行数据所在的来源文件名（完整 SHA-256 见数据下载页）",
    "source_row": "在来源文件中的行号（表头下第 1 行为 1）",
    "joint": "是：部门联合抽查（多个部门同一次检查）",
    "problems_found": "是：至少一个检查事项的结果不是“未发现问题”或“未发现开展本次抽查涉及的经营活动”",
    "on_time": "是：在公示时限内公示（按含调休的工作日计算）；空白：日期未知",
    "deadline_working_days": "检查完成后应在多少个工作日内公示",
    "result_known": "是：结果写法在全国公示系统的代码表中",
    "ratio_percent": "抽取比例换算成的百分数；原文见“抽取比例（原文）”",
    "planned_count": "抽取数量换算成的整数；“约1000”记 1000，性质见下一列",
    "kind": "行政处罚、列入/移出经营异常名录、列入/移出严重违法失信名单、信用风险分类",
    "amount_yuan": "罚款金额，单位元，两位小数",
    "risk_class": "A 低风险、B 一般风险、C 较高风险、D 高风险",
    "recognized": "否：部门名称首次见于来源文件，不在参考名单中",
    "joint_share": "联合抽查任务数 ÷ 抽查批次",
    "on_time_share": "按时公示 ÷ 已公示（日期不明的不计）",
    "cases": "由参与该次抽查的部门作出的行政处罚（双随机抽查案件）",
    "fines_yuan": "上述案件的罚没金额，单位元",
}


def meaning(column: str) -> str:
    return MEANINGS.get(column, TITLES[column])


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    description: str
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[dict] = field(default_factory=list)

    def columns_typed(self) -> list[tuple[str, type]]:
        return queries.export_columns(self.name)

    def columns(self) -> list[str]:
        return [name for name, _ in self.columns_typed()]

    def rows(self, session, year: int | None, department: int | None) -> Iterator[dict]:
        return queries.export_rows(session, self.name, year, department)

    def resource(self) -> dict:
        """The Frictionless tabular resource of this dataset (as CSV)."""
        schema = {"fields": [{"name": n, "title": TITLES[n], "type": TABLE_TYPES[t]} for n, t in self.columns_typed()]}
        if self.primary_key:
            schema["primaryKey"] = self.primary_key
        if self.foreign_keys:
            schema["foreignKeys"] = self.foreign_keys
        return {"name": self.name, "title": self.title, "description": self.description,
                "path": f"{self.name}.csv", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8-sig",
                "profile": "tabular-data-resource", "schema": schema}


@dataclass(frozen=True)
class CoverageDataset(Dataset):
    """Rows computed by store.stats rather than selected from one table."""

    compute: Callable = stats.coverage

    def columns_typed(self) -> list[tuple[str, type]]:
        hints = typing.get_type_hints(stats.CoverageRow)
        return [(f.name, _plain(hints[f.name])) for f in dataclasses.fields(stats.CoverageRow)]

    def rows(self, session, year: int | None, department: int | None) -> Iterator[dict]:
        for row in self.compute(session, year=year, department_id=department):
            yield dataclasses.asdict(row)


def _plain(hint) -> type:
    """`int | None` → int."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if args else hint


def _fk(fields: str | list[str], resource: str, ref: str | list[str]) -> dict:
    return {"fields": fields, "reference": {"resource": resource, "fields": ref}}


DATASETS: dict[str, Dataset] = {d.name: d for d in (
    Dataset("enterprises", "市场主体", "检查对象名录与抽查结果中出现的市场主体；year、department 筛选该年度、该部门检查过的主体。",
            ["id"]),
    Dataset("inspections", "抽查结果", "每个市场主体在一个抽查任务中的检查结果（一行一户次）。",
            ["id"], [_fk("uscc", "enterprises", "uscc"), _fk("task_no", "tasks", "task_no")]),
    Dataset("findings", "检查事项结果", "抽查结果中各检查事项的结果（一行一个事项）。",
            ["inspection_id", "position"], [_fk("inspection_id", "inspections", "id")]),
    Dataset("tasks", "抽查任务", "抽查任务：编号、类型、部门、抽取比例与数量（数值旁保留公布原文）。",
            ["task_no"], [_fk("plan_no", "plans", "plan_no")]),
    Dataset("plans", "抽查计划", "年度抽查计划。", ["plan_no"]),
    Dataset("check-items", "抽查事项清单", "各部门的随机抽查事项清单（含已从清单移除的事项）。", ["id"]),
    Dataset("credit-events", "信用信息", "行政处罚、经营异常名录、严重违法失信名单、信用风险分类。",
            ["id"], [_fk("uscc", "enterprises", "uscc")]),
    Dataset("departments", "部门", "检查部门的规范名称与简称。", ["id"]),
    CoverageDataset("coverage", "机关抽查统计", "按机关（如南通市市场监督管理局、如皋市市场监督管理局）和年度统计："
                    "抽查批次、联合抽查占比、户次与户数、发现问题率、按时公示率、每百户名录主体抽查户次、检查负担、"
                    "信用关联、案件与罚没金额（口径见统计说明）。", ["office_id", "year"],
                    [_fk("department_id", "departments", "id")]),
)}
