"""Normalising published cell values, keeping the published text beside every normalised value.

Each parser raises `ValueProblem` with a Chinese reason when a value cannot be what its
column says it is; the caller adds file, row and column.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from gongshi.store.vocabulary import CREDIT_KINDS, RISK_CLASSES, fold


class ValueProblem(ValueError):
    """A cell value that cannot be normalised; the message is the reason, in Chinese."""


# --- text -----------------------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u3000\u00a0]+")
# Characters that change how text around them is shown without being shown themselves: bidi
# embeddings, overrides and isolates (U+202E turns "abc" into "cba" on screen), zero-width
# spaces and joiners, the BOM, soft hyphens. A name holding them could pass for another name.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]")

# The largest integer a count column holds on every database (PostgreSQL's integer).
MAX_COUNT = 2**31 - 1


def clean_text(value: object) -> str | None:
    """Published text with invisible formatting characters removed and outer and repeated
    whitespace collapsed; empty cells become None."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _clean_str(str(value))


@lru_cache(maxsize=8192)  # authorities, tasks, items, results and dates repeat over a file's rows
def _clean_str(value: str) -> str | None:
    return _SPACES.sub(" ", _INVISIBLE.sub("", value)).strip() or None


# --- identifiers ----------------------------------------------------------------------------

USCC_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_ALPHABET = set(USCC_CHARACTERS)
_USCC_VALUES = {c: i for i, c in enumerate(USCC_CHARACTERS)}
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # GB 32100-2015: 3^i mod 31


@lru_cache(maxsize=8192)  # per-item files repeat each USCC on adjacent rows, once per checked item
def normalise_uscc(value: str) -> str:
    """The 18-character USCC (统一社会信用代码, GB 32100-2015) in canonical form, or ValueProblem.

    python-stdnum's `validate()` insists on digits in the first eight places and so rejects
    valid codes of authorities A/N/Y…, and its `calc_check_digit` cleans its input again, which
    costs a million-row ingest seconds: the format and the check character are computed here
    (tests/test_values.py holds them to python-stdnum's).
    """
    code = re.sub(r"[\s\-－—_.]", "", unicodedata.normalize("NFKC", value)).upper()
    if len(code) != 18:
        raise ValueProblem(f"统一社会信用代码应为18位，实为{len(code)}位")
    bad = sorted({c for c in code if c not in USCC_ALPHABET})
    if bad:
        raise ValueProblem(f"统一社会信用代码含有不允许的字符 {''.join(bad)}")
    if not code[2:8].isdigit():
        raise ValueProblem("统一社会信用代码第3至8位应为行政区划代码")
    expected = USCC_CHARACTERS[-sum(_USCC_VALUES[c] * w for c, w in zip(code, _USCC_WEIGHTS)) % 31]
    if code[17] != expected:
        raise ValueProblem(f"统一社会信用代码校验位错误（应为 {expected}）")
    return code


_REG_NO = re.compile(r"\d{13}|\d{15}")
_WHITESPACE = re.compile(r"\s")


def looks_like_reg_no(value: str) -> bool:
    """An old registration number (注册号): 13 or 15 digits."""
    return bool(_REG_NO.fullmatch(_WHITESPACE.sub("", value)))


# --- dates ----------------------------------------------------------------------------------

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_PATTERN = re.compile(
    r"(\d{4})\s*(?:[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})|年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?)"
    r"(?:\s*T?\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)


def parse_date(value: object) -> dt.date | None:
    """A date in any published form: 2021-04-23, 2021/4/23, 2021年4月23日, 2021.4.23, 20210423,
    an Excel serial number, or a date/datetime cell. Impossible dates raise ValueProblem."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _excel_serial(float(value))
    return _date_from_text(str(value))


@lru_cache(maxsize=8192)  # a file repeats a few thousand dates over its rows (a problem is raised, not cached)
def _date_from_text(value: str) -> dt.date | None:
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _excel_serial(float(text))
    if m := re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text):
        parts = m.groups()
    elif m := _DATE_PATTERN.fullmatch(text):
        parts = (m.group(1), m.group(2) or m.group(4), m.group(3) or m.group(5))
    else:
        raise ValueProblem("无法识别的日期格式")
    try:
        return dt.date(*(int(p) for p in parts))
    except ValueError:
        raise ValueProblem("不存在的日期") from None


def _excel_serial(serial: float) -> dt.date:
    if not 1 <= serial < 2958466:
        raise ValueProblem("不是有效的Excel日期序号")
    return _EXCEL_EPOCH + dt.timedelta(days=int(serial))


# --- counts, ratios, money -----------------------------------------------------------------

@dataclass(frozen=True)
class Count:
    value: int | None
    qualifier: str | None  # exact, approximate, minimum, maximum; None when not a number


_COUNT_QUALIFIERS = [
    (re.compile(r"^(约|大约|左右约|估计)"), "approximate"),
    (re.compile(r"(左右|余|多)$"), "approximate"),
    (re.compile(r"^(不少于|不低于|至少|最少|≥|>=|大于等于)"), "minimum"),
    (re.compile(r"(以上|及以上)$"), "minimum"),
    (re.compile(r"^(不超过|不多于|最多|至多|≤|<=)"), "maximum"),
    (re.compile(r"(以下|以内)$"), "maximum"),
]


def parse_count(value: object) -> Count:
    """A planned count (抽取数量): "354" exact, "约1000" approximate, "不少于13" minimum.

    Text that names no number ("按比例") keeps its text with value None."""
    if value is None or value == "":
        return Count(None, None)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Count(bounded_count(value), "exact")
    text = unicodedata.normalize("NFKC", str(value)).strip()
    qualifier = "exact"
    for pattern, meaning in _COUNT_QUALIFIERS:
        if pattern.search(text):
            qualifier = meaning
            text = pattern.sub("", text).strip()
    m = re.fullmatch(r"(\d[\d,]*)\s*(户|家|个|批次|批|次|人)?", text)
    if not m:
        return Count(None, None)
    return Count(bounded_count(m.group(1).replace(",", "")), qualifier)


def bounded_count(value: object) -> int:
    """A whole number of things, within what the store can hold."""
    try:
        number = int(value)
    except (OverflowError, ValueError):  # infinity, NaN, or thousands of digits
        raise ValueProblem("不是有效的数量") from None
    if not 0 <= number <= MAX_COUNT:
        raise ValueProblem(f"数量超出范围（0 至 {MAX_COUNT}）")
    return number


@dataclass(frozen=True)
class Ratio:
    percent: Decimal | None
    uncapped: bool = False


def parse_ratio(value: object) -> Ratio:
    """A ratio (抽取比例): "15.38%", "5‰", "0.05", "不设上限". Other text keeps percent None."""
    if value is None or value == "":
        return Ratio(None)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # Excel stores 15% as 0.15 when the cell is formatted as a percentage.
        number = Decimal(str(value))
        if not number.is_finite():
            raise ValueProblem("不是有效的比例")
        number = number * 100 if number <= 1 else number
        if not 0 <= number <= 100:
            raise ValueProblem("抽取比例应在0至100%之间")
        return Ratio(number)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if re.search(r"不设上限|不设|无上限|全覆盖", text):
        return Ratio(Decimal(100) if "全覆盖" in text else None, uncapped="全覆盖" not in text)
    m = re.fullmatch(r"(?:不低于|不少于|约|不超过)?\s*(\d+(?:\.\d+)?)\s*(%|‰)?", text)
    if not m:
        return Ratio(None)
    number = Decimal(m.group(1))
    if m.group(2) == "‰":
        number /= 10
    elif m.group(2) is None and number <= 1:
        number *= 100
    if number > 100:
        raise ValueProblem("抽取比例超过100%")
    return Ratio(number)


# Money columns are NUMERIC(16, 2): fourteen digits before the point.
MAX_AMOUNT = Decimal(10) ** 14


def parse_amount(value: object, header_unit: str = "元") -> Decimal | None:
    """Money in yuan with two decimals; the unit in the header (元/万元) or in the cell counts."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number, unit = Decimal(str(value)), header_unit
    else:
        text = unicodedata.normalize("NFKC", str(value)).replace(",", "").replace("¥", "").strip()
        if text in {"无", "-", "/", "0元", "不予罚款"}:
            return Decimal("0.00") if text in {"0元"} else None
        m = re.fullmatch(r"(?:罚款)?\s*(\d+(?:\.\d+)?)\s*(万元|万|元)?", text)
        if not m:
            raise ValueProblem("无法识别的金额")
        try:
            number = Decimal(m.group(1))
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            raise ValueProblem("无法识别的金额") from None
        unit = {"万": "万元", "万元": "万元", "元": "元"}.get(m.group(2) or "", header_unit)
    if not number.is_finite():
        raise ValueProblem("无法识别的金额")
    if unit == "万元":
        number *= 10000
    if abs(number) >= MAX_AMOUNT:
        raise ValueProblem(f"金额超出范围（不超过 {MAX_AMOUNT} 元）")
    return number.quantize(Decimal("0.01"))


# --- lists and vocabularies -----------------------------------------------------------------

_LIST_SEPARATORS = re.compile(r"[、，,;；/\n]+")


def split_list(text: str | None) -> list[str]:
    """Several departments in one cell, split on 、，,;；/ and line breaks."""
    if not text:
        return []
    return [part.strip() for part in _LIST_SEPARATORS.split(text) if part.strip()]


def task_type(text: str | None) -> str | None:
    """定向 / 不定向 (directed at named entities or drawn from a whole directory)."""
    if not text:
        return None
    folded = fold(text)
    if "不定向" in folded or "非定向" in folded:
        return "不定向"
    if "定向" in folded:
        return "定向"
    raise ValueProblem("抽查类型应为 定向 或 不定向")


def item_class(text: str | None) -> str | None:
    """一般检查事项 (ratio capped) / 重点检查事项 (no cap); 一般 and 重点 accepted."""
    if not text:
        return None
    folded = fold(text)
    if "重点" in folded:
        return "重点检查事项"
    if "一般" in folded:
        return "一般检查事项"
    raise ValueProblem("事项类别应为 一般检查事项 或 重点检查事项")


_CREDIT_FOLDED = {fold(alias): kind for kind, aliases in CREDIT_KINDS.items() for alias in aliases}


def credit_kind(text: str) -> str:
    kind = _CREDIT_FOLDED.get(fold(text))
    if kind is None:
        raise ValueProblem("未知的信用信息类别，应为 " + " / ".join(CREDIT_KINDS))
    return kind


def risk_class(text: str | None) -> str | None:
    """信用风险分类 A–D; 甲乙丙丁 and "A类" accepted."""
    if not text:
        return None
    folded = fold(text).removesuffix("类").removesuffix("级")
    value = {"甲": "A", "乙": "B", "丙": "C", "丁": "D"}.get(folded, folded)
    if value not in RISK_CLASSES:
        raise ValueProblem("信用风险分类应为 A、B、C 或 D")
    return value


def year_in(text: str | None) -> int | None:
    """The year a title names (2021年度 → 2021)."""
    m = re.search(r"(20\d{2})\s*年", text or "")
    return int(m.group(1)) if m else None
