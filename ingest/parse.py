"""From a published table to validated, normalised records — before anything is written.

Every problem is collected (file, row, column as published, value, reason), so that a refused
file lists all that is wrong with it at once.
"""
from __future__ import annotations

import hashlib
import pickle
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from gongshi.ingest import values as v
from gongshi.ingest.errors import Problem
from gongshi.ingest.headers import ALIASES, KIND_LABELS, amount_unit, field_for, is_dropped
from gongshi.ingest.readers import Table
from gongshi.store.vocabulary import mask_personal

# Columns that hold identifiers or codes: never masked, never re-spaced.
_IDENTIFIERS = {"uscc", "reg_no", "code", "task_no", "plan_no", "decision_no", "region", "seq"}
REQUIRED = {"checklist": ("name",), "task": ("task_name",), "result": (), "credit": (), "entity": ("name",)}


@dataclass
class Mapping:
    kind: str
    fields: dict[str, tuple[int, str]]  # field → (column index, published header)
    extras: list[tuple[int, str]]  # unrecognised columns, kept as published
    dropped: list[str]  # columns naming people, never stored


def map_headers(table: Table, kind: str) -> tuple[Mapping, list[Problem]]:
    fields: dict[str, tuple[int, str]] = {}
    extras, dropped = [], []
    for index, header in enumerate(table.headers):
        if not header:
            continue
        name = field_for(header, kind)
        if is_dropped(header):
            dropped.append(header)
        elif name and name not in fields:
            fields[name] = (index, header)
        else:
            extras.append((index, header))
    problems = [Problem(table.name, None, None, None,
                        f"缺少必需的列：{ALIASES[kind][f][0]}（{KIND_LABELS[kind]}）")
                for f in REQUIRED[kind] if f not in fields]
    if kind in {"result", "credit", "entity"} and not {"uscc", "reg_no"} & fields.keys():
        problems.append(Problem(table.name, None, None, None, "缺少必需的列：统一社会信用代码（或注册号）"))
    if kind == "result" and not {"task_no", "task_name"} & fields.keys():
        problems.append(Problem(table.name, None, None, None, "缺少必需的列：抽查任务编号 或 抽查任务名称"))
    return Mapping(kind, fields, extras, dropped), problems


class Row:
    """One data row: typed access to its cells by field, recording problems as it goes."""

    def __init__(self, table: Table, mapping: Mapping, number: int, cells: list[object], problems: list[Problem]):
        self.table, self.mapping, self.number, self.cells = table, mapping, number, cells
        self.problems = problems
        self.ok = True

    def raw(self, name: str) -> object:
        where = self.mapping.fields.get(name)
        return None if where is None else self.cells[where[0]]

    def text(self, name: str) -> str | None:
        where = self.mapping.fields.get(name)
        if where is None:
            return None
        raw = self.cells[where[0]]
        return v.clean_text(raw) if name in _IDENTIFIERS else _published_text(raw)

    def header(self, name: str) -> str:
        return self.mapping.fields[name][1]

    def problem(self, name: str | None, value: object, reason: str) -> None:
        column = self.header(name) if name in self.mapping.fields else name
        self.problems.append(Problem(self.table.name, self.number, column, value, reason))
        self.ok = False

    def parse(self, name: str, parser: Callable, *args):
        raw = self.raw(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        try:
            return parser(raw, *args)
        except v.ValueProblem as exc:
            self.problem(name, raw, str(exc))
            return None

    def require(self, name: str, label: str) -> str | None:
        value = self.text(name)
        if value is None:
            self.problem(name if name in self.mapping.fields else label, None, f"{label}不能为空")
        return value

    def extras(self) -> dict[str, str]:
        out = {}
        for index, header in self.mapping.extras:
            value = _published_text(self.cells[index])
            if value is not None:
                out[header] = value
        return out

    def entity_ref(self) -> dict | None:
        """USCC (validated) or old registration number, with the name as published."""
        raw = self.text("uscc")
        uscc = reg_no = None
        if raw:
            if v.looks_like_reg_no(raw):
                reg_no = re.sub(r"\s", "", raw)
            else:
                try:
                    uscc = v.normalise_uscc(raw)
                except v.ValueProblem as exc:
                    self.problem("uscc", raw, str(exc))
                    return None
        reg_no = reg_no or self.text("reg_no")
        if not (uscc or reg_no):
            self.problem("uscc" if "uscc" in self.mapping.fields else "统一社会信用代码", None,
                         "统一社会信用代码（或注册号）不能为空")
            return None
        return {"uscc": uscc, "reg_no": None if uscc else reg_no, "name": self.text("name")}


@lru_cache(maxsize=8192, typed=True)  # authorities, tasks, items and results repeat over a file's rows
def _published_text(raw: object) -> str | None:
    return mask_personal(v.clean_text(raw))


# --- per kind --------------------------------------------------------------------------------


def parse_rows(table: Table, mapping: Mapping, problems: list[Problem], *, plan_name: str | None = None,
               year: int | None = None) -> Iterator[dict]:
    """Validated records of one table; a row with problems yields nothing and records them."""
    parse_one = _PARSERS[mapping.kind]
    context = {"plan_name": plan_name or table.title, "year": year or v.year_in(plan_name or table.title),
               "amount_unit": amount_unit(mapping.fields["amount"][1]) if "amount" in mapping.fields else "元"}
    identity = _IDENTITY.get(mapping.kind)
    # Each fact's key and content as 16-byte digests, not the records themselves: a directory of
    # a million entities would otherwise stay in memory whole to find the rows that repeat one.
    first_seen: dict[bytes, tuple[int, bytes]] = {}
    for number, cells in table.rows:
        row = Row(table, mapping, number, cells, problems)
        record = parse_one(row, context)
        if not row.ok or record is None:
            continue
        if identity:
            key, content = _digest(identity(record)), _digest(record)
            if key in first_seen:
                first_row, first = first_seen[key]
                if first != content:
                    row.problem(None, None, f"与第{first_row}行是同一条记录，但内容不同")
                continue  # an exact repeat of an earlier row adds nothing
            first_seen[key] = (number, content)
        yield record | {"row": number, "extras": row.extras()}


class Counted:
    """An iterator that counts what passes through it."""

    def __init__(self, items):
        self.items, self.count = iter(items), 0

    def __iter__(self):
        for item in self.items:
            self.count += 1
            yield item


def _digest(value: object) -> bytes:
    """Equal parsed values pickle alike: one parser builds them, so their dicts share key order."""
    return hashlib.blake2b(pickle.dumps(value, protocol=5), digest_size=16).digest()


# What identifies one fact within a file (results are the exception: their rows merge).
_IDENTITY: dict[str, Callable[[dict], tuple]] = {
    "entity": lambda r: (r["entity"]["uscc"], r["entity"]["reg_no"]),
    "task": lambda r: (r["plan"]["plan_no"], r["plan"]["name"],
                       r["task_no"] or (r["seq"] if r["seq"] is not None else r["name"])),
    "checklist": lambda r: (r["department"], r["code"] or (r["name"], r["sub_item"])),
    "credit": lambda r: (r["entity"]["uscc"], r["entity"]["reg_no"], r["kind"],
                         r["decided_on"] if r["kind"] == "信用风险分类" else
                         r["decision_no"] or (r["decided_on"], r["authority_text"], r["reason"], r["content"])),
}


def _checklist(row: Row, _ctx: dict) -> dict:
    ratio = row.parse("ratio", v.parse_ratio) or v.Ratio(None)
    department = row.text("department") or row.text("body")
    if department is None:
        row.problem("department" if "department" in row.mapping.fields else "部门", None,
                    "部门（或抽查主体）不能为空")
    return {
        "department": department, "code": row.text("code"), "category": row.text("category"),
        "name": row.require("name", "抽查事项"), "sub_item": row.text("sub_item"),
        "item_class": row.parse("item_class", lambda x: v.item_class(v.clean_text(x))),
        "item_class_text": row.text("item_class"), "basis": row.text("basis"), "body": row.text("body"),
        "object_scope": row.text("object_scope"), "content": row.text("content"),
        "ratio_percent": ratio.percent, "ratio_uncapped": ratio.uncapped, "ratio_text": row.text("ratio"),
        "frequency": row.text("frequency"), "method": row.text("method"),
        "partners_text": row.text("partners"), "note": row.text("note"),
    }


def _task(row: Row, ctx: dict) -> dict:
    ratio = row.parse("ratio", v.parse_ratio) or v.Ratio(None)
    count = row.parse("planned_count", v.parse_count) or v.Count(None, None)
    plan_name = row.text("plan_name") or ctx["plan_name"]
    plan_no = row.text("plan_no")
    if not (plan_name or plan_no):
        row.problem("抽查计划名称", None, "文件中没有计划列：请用 --plan-name 和 --year 指明所属计划")
    seq = row.parse("seq", _integer)
    return {
        "plan": {"plan_no": plan_no, "name": plan_name or plan_no,
                 "year": ctx["year"] or v.year_in(plan_name)},
        "task_no": row.text("task_no"), "seq": seq, "name": row.require("task_name", "抽查任务名称"),
        "task_type": row.parse("task_type", lambda x: v.task_type(v.clean_text(x))),
        "task_type_text": row.text("task_type"),
        "item_class": row.parse("item_class", lambda x: v.item_class(v.clean_text(x))),
        "item_class_text": row.text("item_class"), "joint_items": row.text("joint_items"),
        "basis": row.text("basis"), "object_scope": row.text("object_scope"),
        "body_text": row.text("body"), "partners_text": row.text("partners"), "field": row.text("field"),
        "method": row.text("method"), "ratio_percent": ratio.percent, "ratio_uncapped": ratio.uncapped,
        "ratio_text": row.text("ratio"), "planned_count": count.value,
        "planned_count_qualifier": count.qualifier, "planned_count_text": row.text("planned_count"),
        "frequency": row.text("frequency"), "level": row.text("level"),
        "draw_date": row.parse("draw_date", v.parse_date), "start_date": row.parse("start_date", v.parse_date),
        "deadline": row.parse("deadline", v.parse_date),
    }


def _integer(raw: object) -> int:
    text = v.clean_text(raw) or ""
    if not text.isdigit():
        raise v.ValueProblem("序号应为整数")
    return v.bounded_count(text)


_PAIR = re.compile(r"[:：]")


def _findings(row: Row) -> list[tuple[str | None, str | None]]:
    """Checked items and their results; "事项A：结果；事项B：结果" in one cell is split."""
    item, result = row.text("item"), row.text("result")
    for combined, other in ((item, result), (result, item)):
        if combined and not other and _PAIR.search(combined):
            pairs = [p for p in re.split(r"[；;\n]+", combined) if p.strip()]
            if all(_PAIR.search(p) for p in pairs):
                return [tuple(s.strip() or None for s in _PAIR.split(p, maxsplit=1)) for p in pairs]
    return [(item, result)] if item or result else []


def _result(row: Row, _ctx: dict) -> dict | None:
    entity = row.entity_ref()
    task_no, task_name = row.text("task_no"), row.text("task_name")
    if not (task_no or task_name):
        row.problem("task_no" if "task_no" in row.mapping.fields else "task_name", None,
                    "抽查任务编号和抽查任务名称不能都为空")
    region = row.text("region")
    if region and not re.fullmatch(r"\d{6}", region):
        region = None  # a region written as a name ("崇川区") is kept in extras by the loader
    return {
        "entity": entity, "region": region, "region_text": row.text("region"),
        "task": {"task_no": task_no, "name": task_name, "plan_no": row.text("plan_no"),
                 "plan_name": row.text("plan_name"), "task_type": row.parse("task_type",
                                                                            lambda x: v.task_type(v.clean_text(x)))},
        "authorities": v.split_list(row.text("authorities")), "authorities_text": row.text("authorities"),
        "completed_on": row.parse("completed_on", v.parse_date),
        "published_on": row.parse("published_on", v.parse_date),
        "findings": _findings(row), "follow_up": row.text("follow_up"), "note": row.text("note"),
    }


def _credit(row: Row, ctx: dict) -> dict | None:
    entity = row.entity_ref()
    kind_text = row.text("kind")
    kind = row.parse("kind", lambda x: v.credit_kind(v.clean_text(x))) if kind_text else None
    if kind_text is None:  # no category column: infer from what the row holds
        if row.text("decision_no") or row.text("amount"):
            kind, kind_text = "行政处罚", "行政处罚"
        elif row.text("risk_class"):
            kind, kind_text = "信用风险分类", "信用风险分类"
        else:
            row.problem("kind" if "kind" in row.mapping.fields else "信用信息类别", None, "信用信息类别不能为空")
    risk = row.parse("risk_class", lambda x: v.risk_class(v.clean_text(x)))
    if kind == "信用风险分类" and risk is None and row.ok:
        row.problem("risk_class" if "risk_class" in row.mapping.fields else "风险等级", None,
                    "信用风险分类记录缺少风险等级")
    return {
        "entity": entity, "kind": kind, "kind_text": kind_text,
        "decided_on": row.parse("decided_on", v.parse_date), "authority_text": row.text("authority"),
        "reason": row.text("reason"), "decision_no": row.text("decision_no"), "content": row.text("content"),
        "amount_yuan": row.parse("amount", v.parse_amount, ctx["amount_unit"]),
        "amount_text": row.text("amount"), "risk_class": risk,
    }


def _entity(row: Row, _ctx: dict) -> dict | None:
    entity = row.entity_ref()
    row.require("name", "企业名称")
    region = row.text("region")
    if region and not re.fullmatch(r"\d{6}", region):
        row.problem("region", region, "行政区划代码应为6位数字（GB/T 2260）")
    return {
        "entity": entity, "entity_type": row.text("entity_type"), "region": region,
        "address": row.text("address"), "industry": row.text("industry"),
        "established_on": row.parse("established_on", v.parse_date), "status": row.text("status"),
        "registration_authority": row.text("registration_authority"),
        "former_names": v.split_list(row.text("former_names")),
    }


_PARSERS: dict[str, Callable[[Row, dict], dict | None]] = {
    "checklist": _checklist, "task": _task, "result": _result, "credit": _credit, "entity": _entity,
}
