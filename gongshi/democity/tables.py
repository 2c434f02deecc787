"""What the demo city is made of: its regions, departments, checklist, trades and 字号 (read from
the TOML files beside this module), the headers of the files it writes, and the checklist file."""
from __future__ import annotations

import csv
import tomllib
from collections import Counter
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

CITY_CODE = "320600"
CITY = "南通市"

# The USCC alphabet (GB 32100-2015): the organisation code's characters too.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _words(name: str) -> dict:
    """One of the city's word lists and tables, gongshi/democity/words/<name>.toml."""
    return tomllib.loads(files("gongshi.democity").joinpath("words", f"{name}.toml").read_text(encoding="utf-8"))


def _tuples(row: dict) -> dict:
    """A table row with its lists as tuples, for the frozen dataclasses below."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in row.items()}


ENTITY_HEADERS = ["统一社会信用代码", "企业名称", "市场主体类型", "行政区划代码", "住所", "行业", "成立日期",
                  "登记状态", "登记机关"]
TASK_HEADERS = ["抽查计划编号", "抽查计划名称", "抽查任务编号", "抽查任务名称", "抽查类型", "抽查事项类别",
                "部门联合抽查事项", "抽查依据", "抽查对象范围", "检查主体", "联合检查部门", "抽取比例", "抽取数量",
                "计划抽取日期", "完成时限"]
RESULT_HEADERS = ["统一社会信用代码", "企业名称", "抽查任务编号", "抽查任务名称", "抽查机关", "检查事项", "检查结果",
                  "检查完成日期", "公示日期", "后续处置"]
CREDIT_HEADERS = ["统一社会信用代码", "企业名称", "信用信息类别", "决定日期", "决定机关", "事由", "决定书文号",
                  "罚款金额（元）", "风险等级"]
CHECKLIST_HEADERS = ["事项编码", "部门", "抽查类别", "抽查事项", "抽查子项", "事项类别", "抽查依据", "抽查主体",
                     "抽查对象", "检查内容", "抽查比例", "抽查频次", "抽查方式", "参与部门", "备注"]


# --- regions --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Region:
    code: str
    full: str          # as it prefixes names: 南通市崇川区, 如皋市
    company: str       # prefix of company names registered locally
    case_abbr: str     # in decision numbers: 崇市监处罚〔2023〕12号
    weight: float
    towns: tuple[str, ...]
    roads: tuple[str, ...]


REGIONS: tuple[Region, ...] = tuple(Region(**_tuples(row)) for row in _words("regions")["region"])


# --- departments ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Dept:
    abbr: str          # in plan/task/item numbers: 320600-2023-SJ-007, 3206-SJ-001
    name: str          # canonical name without region: 市场监督管理局
    short: str         # as in 联合检查部门: 市监
    district: bool     # has district/county bureaus that carry out inspections
    tasks: tuple[int, int]  # tasks per year (min, max)
    case: str          # decision-number word: 市监处罚
    fines: tuple[int, ...]  # typical fines in yuan


DEPTS: dict[str, Dept] = {row["abbr"]: Dept(**_tuples(row)) for row in _words("departments")["department"]}


def authority(dept: Dept, region: Region | None) -> str:
    """The published name of a department at city level (region None) or in a district."""
    prefix = region.full if region is not None and dept.district else CITY
    if dept.abbr == "SWJ":
        return f"国家税务总局{prefix}{dept.name}"
    return prefix + dept.name


# --- the checklist (抽查事项清单) ---------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """One row of the checklist: an 抽查事项 with one 抽查子项."""
    code: str
    dept: str
    category: str
    name: str
    sub_item: str
    key: bool           # 重点检查事项
    basis: str
    objects: str
    content: str
    method: str
    partners: tuple[str, ...]  # dept abbrs named as 参与部门
    tag: str            # which entities it applies to (see INDUSTRIES)
    violations: tuple[str, ...]
    disclosure: bool = False   # an 企业公示 item: its problems are 公示 results


def _items() -> list[Item]:
    items: list[Item] = []
    counters: Counter[str] = Counter()
    for row in _words("checklist")["item"]:
        counters[row["dept"]] += 1
        items.append(Item(f"{CITY_CODE[:4]}-{row['dept']}-{counters[row['dept']]:03d}", **_tuples(row),
                          disclosure=row["tag"] in ("ent", "indiv") and row["dept"] == "SJ"))
    return items


ITEMS: list[Item] = _items()
_RATIO_BY_TAG = {"ent": "3%", "indiv": "1%", "company": "3%"}


def write_checklist(path: Path) -> Path:
    """Write the 抽查事项清单 (one row per 抽查子项) as a published-style CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(CHECKLIST_HEADERS)
        for it in ITEMS:
            dept = DEPTS[it.dept]
            body = (f"{CITY}{dept.name}" if not dept.district
                    else f"市、县（市、区）{dept.name}")
            if it.dept == "SWJ":
                body = "国家税务总局南通市及各县（市、区）税务局"
            ratio = "不设上限" if it.key else _RATIO_BY_TAG.get(it.tag, "5%")
            partners = "、".join(DEPTS[p].name for p in it.partners)
            note = "可与参与部门开展联合抽查" if it.partners else ""
            if it.key:
                note = (note + "；" if note else "") + "重点检查事项，抽查比例不设上限"
            w.writerow([it.code, authority(dept, None), it.category, it.name, it.sub_item,
                        "重点检查事项" if it.key else "一般检查事项", it.basis, body, it.objects, it.content,
                        ratio, "1次/年", it.method, partners, note])
    return path


# --- industries and entity names ------------------------------------------------------------

@dataclass(frozen=True)
class Industry:
    kind: str                     # indiv (个体工商户), company (有限/股份), coop (农民专业合作社)
    words: tuple[str, ...]        # the 行业 part of the name, variants
    suffixes: tuple[str, ...]     # 个体: 商店/饭店…; company/coop: unused
    sector: str                   # 行业 (GB/T 4754 division)
    tags: tuple[str, ...]
    weight: float


def _ind(kind, words, suffixes, sector, tags, weight) -> Industry:
    type_tags = {"indiv": ("indiv",), "company": ("ent", "company"), "coop": ("ent", "coop")}[kind]
    return Industry(kind, tuple(words), tuple(suffixes), sector, tuple(tags) + type_tags, weight)


INDUSTRIES: tuple[Industry, ...] = tuple(_ind(**row) for row in _words("industries")["industry"])

# 字号 (trade names): a few local ones, 某记 names, and pairs of auspicious characters.
_NAMES = _words("names")
ZIHAO: tuple[str, ...] = tuple(dict.fromkeys(
    _NAMES["local"] + [f"{s}记" for s in _NAMES["surnames"]]
    + [a + b for a in _NAMES["first"] for b in _NAMES["second"] if a != b]
))
_EXTRA = _NAMES["extra"]  # a third character once a key has used every two-character 字号

def zihao_text(number: int) -> str:
    base, ext = number % len(ZIHAO), number // len(ZIHAO)
    return ZIHAO[base] + (_EXTRA[(ext - 1) % len(_EXTRA)] * ((ext - 1) // len(_EXTRA) + 1) if ext else "")


ENTITY_TYPES = {"indiv": "个体工商户", "company": "有限责任公司", "share": "股份有限公司", "coop": "农民专业合作社"}
REG_AUTHORITY = {"indiv": "92", "company": "91", "share": "91", "coop": "93"}
STATUSES = ("存续", "注销", "吊销", "迁出")
STATUS_RESULT = {1: "注销", 2: "被吊销", 3: "迁出"}
RISK = "ABCD"
RISK_FACTOR = (0.5, 1.0, 2.2, 3.8)

# Credit-record reasons (事由).
ABN_ANNUAL = "未按照《企业信息公示暂行条例》第八条规定的期限公示年度报告"
ABN_CONTACT = "通过登记的住所或者经营场所无法联系"
ABN_FALSE = "公示企业信息隐瞒真实情况、弄虚作假"
ABN_INSTANT = "未按照《企业信息公示暂行条例》第十条规定履行即时信息公示义务"
OUT_REASON = {
    ABN_ANNUAL: "补报未报年份的年度报告并公示",
    ABN_CONTACT: "依法办理住所或者经营场所变更登记，或者提出通过登记的住所或者经营场所可以重新取得联系",
    ABN_FALSE: "更正其公示的信息",
    ABN_INSTANT: "履行公示义务后申请移出",
}
SERIOUS_3Y = "被列入经营异常名录届满3年仍未履行相关义务"
SERIOUS_FOOD = "实施食品安全领域严重违法行为，受到较重行政处罚"
SERIOUS_OTHER = "违反法律、行政法规，性质恶劣、情节严重、社会危害较大，受到较重行政处罚"

