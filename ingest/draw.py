"""Draws anyone can re-run (可复核的随机抽取): a department draws entities from its directory
(检查对象名录库) with a public seed fixed in advance; the record it publishes lets anyone
re-derive the selection from the same directory and see that nothing was chosen by hand.

The algorithm (ALGORITHM, version 1), the same on every machine and Python version:

1. The population is every USCC of the directory (normalised: upper case, check character
   valid, no repeats), minus the excluded USCCs, in ascending order.
2. Each USCC gets the key SHA-256(seed as UTF-8 ‖ 0x00 ‖ USCC as ASCII); the population is
   ranked by key (hex, ascending). The seed decides the order; no one can steer it once the
   seed is public, and anyone can compute it with any SHA-256 tool.
3. How many: `count` N, or `ratio` r of the population rounded up (抽取比例 is a minimum:
   "不低于5%"), computed exactly in decimal.
4. Stratified (by a directory column, e.g. 市场主体类型): each stratum (its published value,
   blank as "（空）") gets ceil(r × its size) for a ratio; for a count, N is shared in
   proportion to stratum sizes by largest remainders (Hamilton), ties to the stratum whose
   name sorts first. Each stratum takes the first of its own ranking.
5. `selected` lists the chosen USCCs in draw order: ascending key.
"""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from gongshi.ingest import values as v
from gongshi.ingest.errors import Problem
from gongshi.ingest.headers import ALIASES, field_for
from gongshi.ingest.parse import map_headers
from gongshi.ingest.readers import ReadError, Table, detect_encoding, detect_format, read_table

ALGORITHM = "gongshi-sha256-rank"
VERSION = 1
BLANK_STRATUM = "（空）"
# The record's fields a verifier needs; the rest (description, strata) is for people.
RECORD_FIELDS = ("algorithm", "version", "directory", "seed", "parameters", "selected")


class DrawError(Exception):
    """A directory, exclusion list, parameter or record that cannot be drawn from or verified."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Directory:
    name: str
    sha256: str
    usccs: list[str]  # in file order, normalised, unique
    strata: dict[str, str] | None  # USCC → stratum, when stratified


@dataclass(frozen=True)
class Parameters:
    count: int | None = None
    ratio: str | None = None  # as given, e.g. "5%"
    stratify_by: str | None = None
    exclude: tuple[str, ...] = ()  # sorted, normalised
    task_no: str | None = None

    def as_json(self) -> dict:
        return {"count": self.count, "ratio": self.ratio, "stratify_by": self.stratify_by,
                "exclude": list(self.exclude), "task_no": self.task_no}


# --- reading ----------------------------------------------------------------------------------


def read_directory(path: Path, stratify_by: str | None = None) -> Directory:
    """The USCCs of a directory file (any entity file Gongshi can ingest); DrawError lists every
    bad row (invalid USCC, repeated USCC, no USCC)."""
    table = _table(path)
    mapping, problems = map_headers(table, "entity")
    if "uscc" not in mapping.fields:
        raise DrawError([f"{path.name}：名录库缺少“统一社会信用代码”列"])
    if problems:
        raise DrawError([str(p) for p in problems])
    column = mapping.fields["uscc"][0]
    stratum_column = _column(table, stratify_by) if stratify_by else None
    usccs, strata, seen, errors = [], {}, {}, []
    for number, cells in table.rows:
        uscc = _uscc(cells[column], number, table.headers[column], table.name, errors)
        if uscc is None:
            continue
        if uscc in seen:
            errors.append(str(Problem(table.name, number, table.headers[column], uscc, f"与第{seen[uscc]}行重复")))
            continue
        seen[uscc] = number
        usccs.append(uscc)
        if stratum_column is not None:
            strata[uscc] = v.clean_text(cells[stratum_column]) or BLANK_STRATUM
    if errors:
        raise DrawError(errors)
    if not usccs:
        raise DrawError([f"{path.name}：名录库中没有市场主体"])
    return Directory(path.name, sha256_file(path), usccs, strata if stratum_column is not None else None)


def read_exclusions(path: Path) -> tuple[str, ...]:
    """USCCs not to draw (e.g. inspected already this year): one per line, or any table with a
    统一社会信用代码 column (a result file, a directory)."""
    if not path.is_file():
        raise DrawError([f"找不到文件：{path}"])
    try:
        table = _table(path)
    except DrawError:
        table = None
    errors: list[str] = []
    if table is not None and (column := _uscc_column(table)) is not None:
        cells = ((n, row[column]) for n, row in table.rows)
        header = table.headers[column]
    else:
        lines = _text(path).splitlines()
        cells = ((n, line) for n, line in enumerate(lines, 1) if line.strip() and not line.startswith("#"))
        header = None
    found = {u for n, cell in cells if (u := _uscc(cell, n, header, path.name, errors))}
    if errors:
        raise DrawError(errors)
    return tuple(sorted(found))


def _table(path: Path) -> Table:
    if not path.is_file():
        raise DrawError([f"找不到文件：{path}"])
    try:
        table = read_table(path, path.name, detect_format(path))
    except ReadError as exc:
        raise DrawError([str(p) for p in exc.problems]) from exc
    table.rows = _checked(table.rows)
    return table


def _checked(rows: Iterator[tuple[int, list[object]]]) -> Iterator[tuple[int, list[object]]]:
    """Rows as the reader streams them; a row beyond the reader's limits refuses the file."""
    try:
        yield from rows
    except ReadError as exc:
        raise DrawError([str(p) for p in exc.problems]) from exc


def _text(path: Path) -> str:
    """A plain text file in any of the published encodings."""
    try:
        return path.read_text(encoding=detect_encoding(path, path.name))
    except ReadError as exc:
        raise DrawError([str(p) for p in exc.problems]) from exc


def _uscc_column(table: Table) -> int | None:
    return next((i for i, h in enumerate(table.headers) if field_for(h, "entity") == "uscc"), None)


def _column(table: Table, wanted: str) -> int:
    """A column named by its header as published or by any alias of the same field."""
    field = wanted if wanted in ALIASES["entity"] else field_for(wanted, "entity")
    for index, header in enumerate(table.headers):
        if header == wanted or (field is not None and field_for(header, "entity") == field):
            return index
    raise DrawError([f"名录库中没有“{wanted}”列（分层依据）；现有的列：{'、'.join(h for h in table.headers if h)}"])


def _uscc(cell: object, number: int, header: str | None, name: str, errors: list[str]) -> str | None:
    text = v.clean_text(cell)
    if text is None:
        errors.append(str(Problem(name, number, header, None, "统一社会信用代码不能为空")))
        return None
    try:
        return v.normalise_uscc(text)
    except v.ValueProblem as exc:
        errors.append(str(Problem(name, number, header, text, str(exc))))
        return None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- the draw ---------------------------------------------------------------------------------


def draw_key(seed: str, uscc: str) -> str:
    return hashlib.sha256(seed.encode("utf-8") + b"\x00" + uscc.encode("ascii")).hexdigest()


def parse_ratio(text: str) -> Fraction:
    """A ratio as published ("5%", "2.5%", "5‰", "0.05") → an exact fraction in (0, 1]."""
    try:
        percent = v.parse_ratio(text).percent
    except v.ValueProblem as exc:
        raise DrawError([f"抽取比例“{text}”有误：{exc}"]) from exc
    if percent is None or percent <= 0:
        raise DrawError([f"抽取比例“{text}”有误：应为大于0、不超过100%的比例，如 5%"])
    return Fraction(Decimal(percent)) / 100


def allocate(sizes: dict[str, int], count: int | None, ratio: Fraction | None) -> dict[str, int]:
    """How many to take from each stratum (one stratum "" when not stratified)."""
    if ratio is not None:
        return {name: math.ceil(ratio * size) for name, size in sizes.items()}
    total = sum(sizes.values())
    if count > total:
        raise DrawError([f"抽取数量 {count} 超过可抽取的市场主体数 {total}"])
    quotas = {name: Fraction(count * size, total) for name, size in sizes.items()}
    shares = {name: math.floor(q) for name, q in quotas.items()}
    by_remainder = sorted(quotas, key=lambda name: (-(quotas[name] - shares[name]), name))
    for name in by_remainder[: count - sum(shares.values())]:
        shares[name] += 1
    return shares


def select(directory: Directory, seed: str, params: Parameters) -> tuple[list[str], dict[str, dict[str, int]]]:
    """The selection in draw order, and per stratum its population and how many were drawn."""
    if not seed.strip():
        raise DrawError(["随机种子不能为空：请使用事先公开的文字，如“2024年第一批抽查 2024-03-01 上证指数收盘价”"])
    if (params.count is None) == (params.ratio is None):
        raise DrawError(["请给出抽取数量（--count）或抽取比例（--ratio）之一"])
    if params.count is not None and params.count < 1:
        raise DrawError(["抽取数量应为正整数"])
    excluded = set(params.exclude)
    keyed = sorted((draw_key(seed, u), u) for u in directory.usccs if u not in excluded)
    strata: dict[str, list[str]] = {}
    for _, uscc in keyed:
        strata.setdefault(directory.strata[uscc] if directory.strata else "", []).append(uscc)
    ratio = parse_ratio(params.ratio) if params.ratio is not None else None
    shares = allocate({name: len(members) for name, members in strata.items()}, params.count, ratio)
    chosen = {u for name, members in strata.items() for u in members[: shares[name]]}
    summary = {name: {"population": len(strata[name]), "selected": shares[name]} for name in sorted(strata)}
    return [u for _, u in keyed if u in chosen], summary


def make_record(directory: Directory, seed: str, params: Parameters) -> dict:
    selected, summary = select(directory, seed, params)
    record = {
        "algorithm": ALGORITHM, "version": VERSION,
        "description": "按 SHA-256(种子‖0x00‖统一社会信用代码) 从小到大排序，取前 N 户；"
                       "比例向上取整；分层时按比例分配，余数按最大余额法。",
        "directory": {"name": directory.name, "sha256": directory.sha256, "rows": len(directory.usccs),
                      "usccs": sorted(directory.usccs)},
        "seed": seed, "parameters": params.as_json(), "selected": selected,
    }
    if directory.strata is not None:
        record["strata"] = summary
    return record


def write_record(record: dict, path: Path) -> None:
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


# --- verifying ------------------------------------------------------------------------------


def load_record(path: Path) -> dict:
    """A record as written by `gongshi draw`, checked field by field (DrawError names each flaw)."""
    if not path.is_file():
        raise DrawError([f"找不到抽取记录：{path}"])
    try:
        record = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise DrawError([f"{path.name}：抽取记录不是有效的 JSON（{exc!r}）"]) from exc
    return check_record(record, path.name)


def check_record(record: object, name: str) -> dict:
    if not isinstance(record, dict):
        raise DrawError([f"{name}：抽取记录应为 JSON 对象"])
    missing = [f for f in RECORD_FIELDS if f not in record]
    if missing:
        raise DrawError([f"{name}：抽取记录缺少字段：{'、'.join(missing)}"])
    if record["algorithm"] != ALGORITHM or record["version"] != VERSION:
        raise DrawError([f"{name}：未知的抽取算法“{record['algorithm']}”版本 {record['version']}"
                         f"（本程序实现 {ALGORITHM} 版本 {VERSION}）"])
    problems = []
    directory, params = record["directory"], record["parameters"]
    if not isinstance(directory, dict) or not {"sha256", "usccs"} <= directory.keys():
        problems.append("directory 应含 sha256 和 usccs")
    if not isinstance(params, dict) or not {"count", "ratio"} <= params.keys():
        problems.append("parameters 应含 count 和 ratio")
    if not isinstance(record["seed"], str):
        problems.append("seed 应为文字")
    if isinstance(params, dict):
        problems += _parameter_problems(params)
    if problems:
        raise DrawError([f"{name}：{p}" for p in problems])
    for label, values in (("directory.usccs", directory["usccs"]), ("selected", record["selected"]),
                          ("parameters.exclude", params.get("exclude") or [])):
        problems += _uscc_list_problems(label, values)
    if problems:
        raise DrawError([f"{name}：{p}" for p in problems])
    return record


def _parameter_problems(params: dict) -> list[str]:
    count = params.get("count")
    problems = [] if count is None or (isinstance(count, int) and not isinstance(count, bool)) \
        else ["parameters.count 应为整数或 null"]
    return problems + [f"parameters.{name} 应为文字或 null" for name in ("ratio", "stratify_by", "task_no")
                       if not isinstance(params.get(name), str | None)]


def _uscc_list_problems(label: str, values: object) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(x, str) for x in values):
        return [f"{label} 应为统一社会信用代码的列表"]
    problems, seen = [], set()
    for position, value in enumerate(values, 1):
        try:
            uscc = v.normalise_uscc(value)
        except v.ValueProblem as exc:
            problems.append(f"{label} 第{position}项“{value}”：{exc}")
            continue
        if uscc in seen:
            problems.append(f"{label} 第{position}项“{value}”重复")
        seen.add(uscc)
    return problems


def record_parameters(record: dict) -> Parameters:
    p = record["parameters"]
    return Parameters(count=p.get("count"), ratio=p.get("ratio"), stratify_by=p.get("stratify_by"),
                      exclude=tuple(v.normalise_uscc(u) for u in p.get("exclude") or []), task_no=p.get("task_no"))


@dataclass(frozen=True)
class Verdict:
    problems: list[str]  # empty when the record follows from the directory
    notes: list[str]


def verify(record: dict, directory: Directory) -> Verdict:
    """Re-derive the record's selection from `directory` and say what differs."""
    recorded = {v.normalise_uscc(u) for u in record["directory"]["usccs"]}
    if recorded != set(directory.usccs):
        return Verdict(_directory_changes(recorded, set(directory.usccs)), [])
    notes = []
    if record["directory"]["sha256"] != directory.sha256:
        notes.append("名录库文件的 sha256 与记录不同，但统一社会信用代码相同（可能改了其他列或文件格式）")
    expected, _ = select(directory, record["seed"], record_parameters(record))
    selected = [v.normalise_uscc(u) for u in record["selected"]]
    return Verdict(_selection_changes(selected, expected) if selected != expected else [], notes)


def is_record(path: Path) -> bool:
    """A JSON object with an "algorithm" field is a draw record, not a table to ingest."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError, OSError):  # not JSON, or too deep to be a record
        return False
    return isinstance(data, dict) and "algorithm" in data


def self_check(record: dict) -> list[str]:
    """What can be checked without the directory file: the selection is drawn from the record's
    own USCC list, and — when not stratified (strata need the directory's columns) — follows
    from it exactly."""
    usccs = [v.normalise_uscc(u) for u in record["directory"]["usccs"]]
    selected = [v.normalise_uscc(u) for u in record["selected"]]
    strange = [u for u in selected if u not in set(usccs)]
    if strange:
        return [f"抽中的市场主体不在记录的名录中：{_some(strange)}"]
    params = record_parameters(record)
    if params.stratify_by:
        return []
    expected, _ = select(Directory(record["directory"].get("name") or "", "", usccs, None), record["seed"], params)
    return _selection_changes(selected, expected) if selected != expected else []


def _directory_changes(recorded: set[str], current: set[str]) -> list[str]:
    added, removed = sorted(current - recorded), sorted(recorded - current)
    out = ["名录库与抽取时不同，抽取无法复核："]
    if added:
        out.append(f"  新增 {len(added)} 户：{_some(added)}")
    if removed:
        out.append(f"  减少 {len(removed)} 户：{_some(removed)}")
    return out


def _selection_changes(recorded: list[str], expected: list[str]) -> list[str]:
    out = ["抽取结果与算法不符："]
    should, have = set(expected), set(recorded)
    for position, uscc in enumerate(recorded, 1):
        if uscc not in should:
            out.append(f"  记录中第{position}个 {uscc} 不应被抽中")
    missing = [u for u in expected if u not in have]
    if missing:
        out.append(f"  应抽中但记录中没有：{_some(missing)}")
    if not out[1:] and recorded != expected:
        out.append("  抽中的市场主体相同，但顺序与算法不符")
    return out


def _some(usccs: list[str], limit: int = 20) -> str:
    shown = "、".join(usccs[:limit])
    return shown + (f" 等 {len(usccs)} 户" if len(usccs) > limit else "")

