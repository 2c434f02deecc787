"""The demo city's generation: entities, tasks, results and credit records, drawn from one
`random.Random(seed)` and written row by row as published-style CSV files."""
from __future__ import annotations

import bisect
import csv
import datetime as dt
import math
import operator
import random
from array import array
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

from stdnum.cn.uscc import calc_check_digit as uscc_check

from gongshi.democity.tables import (
    ABN_ANNUAL,
    ABN_CONTACT,
    ABN_FALSE,
    ABN_INSTANT,
    CITY,
    CITY_CODE,
    CREDIT_HEADERS,
    DEPTS,
    ENTITY_HEADERS,
    ENTITY_TYPES,
    INDUSTRIES,
    ITEMS,
    OUT_REASON,
    REG_AUTHORITY,
    REGIONS,
    RESULT_HEADERS,
    RISK,
    RISK_FACTOR,
    SERIOUS_3Y,
    SERIOUS_FOOD,
    SERIOUS_OTHER,
    STATUS_RESULT,
    STATUSES,
    TASK_HEADERS,
    USCC_ALPHABET,
    ZIHAO,
    Dept,
    Item,
    Region,
    authority,
    zihao_text,
)
from gongshi.store.workdays import is_workday

# Organisation code (GB 11714) weights for its own check character (python-stdnum has no GB 11714).
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Cumulative weights, to draw a region and a trade with one random number each.
_REGION_CUM = list(accumulate(r.weight for r in REGIONS))
_INDUSTRY_CUM = list(accumulate(i.weight for i in INDUSTRIES))


def _coprime(n: int, start: int) -> int:
    m = start
    while math.gcd(m, n) != 1:
        m += 1
    return m


_ZIHAO_STEP = _coprime(len(ZIHAO), 1009)  # walks every 字号 once before repeating


# --- calendar -------------------------------------------------------------------------------

class WorkCalendar:
    """China's working days (store/workdays.py: chinesecalendar with 调休, Monday–Friday beyond its
    data) indexed by ordinal, for a million lookups."""

    def __init__(self, first_year: int, last_year: int):
        self.start = dt.date(first_year, 1, 1).toordinal()
        end = dt.date(last_year, 12, 31).toordinal()
        self.days: list[int] = []
        self.next_index = array("i")  # per calendar day: index of the first working day on or after it
        for o in range(self.start, end + 1):
            self.next_index.append(len(self.days))
            if is_workday(dt.date.fromordinal(o)):
                self.days.append(o)
        self.next_index.append(len(self.days))

    def index_on_or_after(self, ordinal: int) -> int:
        return self.next_index[ordinal - self.start]

    def add(self, ordinal: int, n: int) -> int:
        """The n-th working day after `ordinal` (n ≥ 1)."""
        return self.days[self.index_on_or_after(ordinal + 1) + n - 1]

    def on_or_after(self, ordinal: int) -> int:
        return self.days[self.index_on_or_after(ordinal)]


class DateWriter:
    """Dates mostly as 2023-05-18, some as 2023/5/18 or 2023年5月18日 (per row)."""

    FORMATS = ("{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}年{m}月{d}日")

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.cache: dict[tuple[int, int], str] = {}

    def style(self) -> int:
        r = self.rng.random()
        return 0 if r < 0.86 else (1 if r < 0.95 else 2)

    def text(self, ordinal: int, style: int) -> str:
        key = (ordinal, style)
        s = self.cache.get(key)
        if s is None:
            day = dt.date.fromordinal(ordinal)
            s = self.cache[key] = self.FORMATS[style].format(y=day.year, m=day.month, d=day.day)
        return s


# --- the city -------------------------------------------------------------------------------

class Entities:
    """Per-entity small integers; names and USCCs are rebuilt from them on demand."""

    def __init__(self, n: int, rng: random.Random):
        self.n = n
        self.region = array("B")
        self.industry = array("B")
        self.kind = array("B")        # index in KINDS
        self.word = array("B")
        self.suffix = array("B")
        self.prefix = array("B")      # companies: 0 南通, 1 江苏, 2 local
        self.town = array("B")
        self.zihao = array("I")
        self.city_reg = array("B")    # registered by the city bureau
        self.founded = array("I")
        self.status = array("B")
        self.risk = array("B")
        self.listed = array("I")      # 经营异常名录 listing ordinal, 0 if never listed
        self.org_offset = rng.randrange(31 ** 6)
        self.num_offset = rng.randrange(10 ** 8)

    KINDS = ("indiv", "company", "share", "coop")

    def add(self, **values: int) -> None:
        """Append one entity: a value for every per-entity array."""
        for name, value in values.items():
            getattr(self, name).append(value)

    def name(self, i: int) -> str:
        ind = INDUSTRIES[self.industry[i]]
        region = REGIONS[self.region[i]]
        zh = zihao_text(self.zihao[i])
        word = ind.words[self.word[i]]
        kind = self.KINDS[self.kind[i]]
        if kind == "indiv":
            return region.full + zh + word + ind.suffixes[self.suffix[i]]
        if kind == "coop":
            return region.full + region.towns[self.town[i]] + zh + word + "专业合作社"
        prefix = ("南通", "江苏", region.company)[self.prefix[i]]
        return prefix + zh + word + ("股份有限公司" if kind == "share" else "有限公司")

    def uscc(self, i: int) -> str:
        kind = self.KINDS[self.kind[i]]
        area = CITY_CODE if self.city_reg[i] else REGIONS[self.region[i]].code
        if kind != "indiv" and self.founded[i] < _MA_FROM:
            v = (i * 48271 + self.num_offset) % 10 ** 8
            body = f"{v:08d}"
        else:
            v = (i * 387420489 + self.org_offset) % 31 ** 6
            chars = []
            for _ in range(6):
                v, r = divmod(v, 31)
                chars.append(USCC_ALPHABET[r])
            body = "MA" + "".join(reversed(chars))
        org = body + org_check(body)
        first17 = REG_AUTHORITY[kind] + area + org
        return first17 + uscc_check(first17)

    def reg_authority(self, i: int) -> str:
        if self.city_reg[i]:
            return CITY + "市场监督管理局"
        return REGIONS[self.region[i]].full + "市场监督管理局"


_MA_FROM = dt.date(2016, 1, 1).toordinal()


_ORG_VALUE = {c: (int(c) if c.isdigit() else ord(c) - 55) for c in USCC_ALPHABET}


def org_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    c = 11 - sum(map(operator.mul, map(_ORG_VALUE.__getitem__, body), _ORG_WEIGHTS)) % 11
    return "X" if c == 10 else ("0" if c == 11 else str(c))


@dataclass
class Task:
    year: int
    plan_no: str
    plan_name: str
    task_no: str
    name: str
    dept: Dept
    items: list[Item]
    partners: list[Dept]
    pool: array
    draw: int
    deadline: int
    planned: int
    style: str                 # exact, approx, minimum
    ratio_text: str
    city_level: bool           # carried out by the city bureau rather than district ones
    authorities: list[str] = field(default_factory=list)  # per region index
    # A randomness-audit city's 综合抽查: drawn from the whole county, weighted per entity type.
    type_weights: dict[str, float] | None = None
    objects: str = ""  # 抽查对象范围 when not its first item's (the 综合抽查 draw every kind)


class _Credit:
    """The credit file writer with decision-number counters."""

    def __init__(self, writer, rng: random.Random, dates: DateWriter, horizon: int):
        self.w = writer
        self.rng = rng
        self.dates = dates
        self.horizon = horizon
        self.numbers: dict[tuple[str, str, int], int] = {}

    def row(self, uscc, name, kind, ordinal, authority, reason="", number="", amount="", risk=""):
        if ordinal > self.horizon:
            return False
        self.w.writerow([uscc, name, kind, self.dates.text(ordinal, self.dates.style()), authority, reason,
                         number, amount, risk])
        return True

    def penalty(self, uscc, name, ordinal, dept: Dept, region: Region | None, reason: str, small: bool = False):
        """A 行政处罚 with its decision number (通市监处罚〔2023〕118号); smaller fines for 个体工商户."""
        year = dt.date.fromordinal(ordinal).year
        abbr = region.case_abbr if region is not None and dept.district else "通"
        key = (abbr, dept.abbr, year)
        n = self.numbers.get(key)
        n = self.rng.randint(1, 60) if n is None else n + self.rng.randint(1, 3)
        self.numbers[key] = n
        number = f"{abbr}{dept.case}〔{year}〕{n}号"
        fines = dept.fines[: (len(dept.fines) + 1) // 2] if small else dept.fines
        amount = "" if self.rng.random() < 0.07 else f"{self.rng.choice(fines):.2f}"
        return self.row(uscc, name, "行政处罚", ordinal, authority(dept, region), reason, number, amount)


def _open(path: Path):
    f = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115 — the caller closes it in its finally
    return f, csv.writer(f)


def generate_city(out_dir: Path, entities: int = 2000, years: range = range(2021, 2026), seed: int = 20210423,
                  progress: bool = False, draw_bias: dict[str, float] | None = None) -> dict[str, Path]:
    """Write entities.csv (检查对象名录), tasks.csv (抽查任务), results.csv (抽查检查结果) and
    credit.csv (信用信息) for a synthetic Nantong; returns the paths by ingest kind.

    `draw_bias` makes a city for the randomness audit (store/draw_audit.py): every year each
    district 市场监督管理局 also runs a 不定向 综合抽查 of AUDIT_RATIO of its county's entities, and
    every other task is published as 定向 (it draws from entities that meet its conditions). The
    综合抽查 draws each entity type (ENTITY_TYPES' words) with the weight given, 1 for the rest:
    {} is a fair draw, {"个体工商户": 3} draws 个体工商户 at three times the rate of the others."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    years = range(years.start, years.stop)
    rng = random.Random(seed)
    cal = WorkCalendar(years.start - 1, years.stop + 1)
    dates = DateWriter(rng)
    horizon = dt.date(years.stop, 3, 31).toordinal()
    paths = {"entity": out_dir / "entities.csv", "task": out_dir / "tasks.csv",
             "result": out_dir / "results.csv", "credit": out_dir / "credit.csv"}

    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=entities, desc="entities", unit="entity")

    credit_file, credit_writer = _open(paths["credit"])
    credit = _Credit(credit_writer, rng, dates, horizon)
    credit_writer.writerow(CREDIT_HEADERS)
    try:
        ents, pools = _write_entities(paths["entity"], entities, years, rng, cal, dates, credit, bar)
        if bar is not None:
            bar.close()
        tasks = _write_tasks(paths["task"], ents, pools, years, rng, cal, dates, draw_bias)
        if progress:
            from tqdm import tqdm
            bar = tqdm(total=len(tasks), desc="tasks", unit="task")
        _write_results(paths["result"], ents, tasks, rng, cal, dates, credit, bar)
        if bar is not None:
            bar.close()
    finally:
        credit_file.close()
    return paths


def _founding_dates(n: int, last_year: int, rng: random.Random):
    """Founding ordinals in increasing order (the directory is in registration order)."""
    first = 1995
    weights = [1 + max(0, y - 2000) * 0.3 for y in range(first, last_year + 1)]
    total = sum(weights)
    counts = [int(n * w / total) for w in weights]
    for k in range(n - sum(counts)):
        counts[-1 - (k % len(counts))] += 1
    for y, c in zip(range(first, last_year + 1), counts):
        start = dt.date(y, 1, 1).toordinal()
        length = dt.date(y, 12, 31).toordinal() - start + 1
        yield from sorted(start + rng.randrange(length) for _ in range(c))


def _write_entities(path, n, years, rng, cal, dates, credit, bar):
    ents = Entities(n, rng)
    pools: dict[str, array] = {}
    counters: dict[tuple, list[int]] = {}   # name key -> [next counter, offset]
    f, w = _open(path)
    w.writerow(ENTITY_HEADERS)
    serious_cut = dt.date(years.stop - 1, 12, 31).toordinal()
    random_ = rng.random
    try:
        for i, founded in enumerate(_founding_dates(n, years.stop - 1, rng)):
            ri = bisect.bisect_left(_REGION_CUM, random_() * _REGION_CUM[-1])
            ii = bisect.bisect_left(_INDUSTRY_CUM, random_() * _INDUSTRY_CUM[-1])
            region, ind = REGIONS[ri], INDUSTRIES[ii]
            kind = ind.kind
            if kind == "company" and random_() < 0.04 and "industry_safety" in ind.tags:
                kind = "share"
            ki = Entities.KINDS.index(kind)
            word = rng.randrange(len(ind.words))
            suffix = rng.randrange(len(ind.suffixes)) if ind.suffixes else 0
            town = rng.randrange(len(region.towns))
            if kind in ("company", "share"):
                prefix = rng.choices((0, 1, 2), (45, 15, 40) if kind == "company" else (50, 50, 0))[0]
                pre = ("南通", "江苏", region.company)[prefix]
                key = (pre, ii, word, kind)
                city_reg = 1 if prefix != 2 and random_() < 0.6 else 0
            else:
                prefix = 0
                key = (ri, ii, word, town if kind == "coop" else -1)
                city_reg = 0
            counter = counters.get(key)
            if counter is None:
                counter = counters[key] = [0, rng.randrange(len(ZIHAO))]
            c = counter[0]
            counter[0] += 1
            zh = (c % len(ZIHAO) * _ZIHAO_STEP + counter[1]) % len(ZIHAO) + len(ZIHAO) * (c // len(ZIHAO))
            r = random_()
            status = 0 if r < 0.88 else (1 if r < 0.96 else (2 if r < 0.985 else 3))
            r = random_()
            risk = 0 if r < 0.15 else (1 if r < 0.80 else (2 if r < 0.95 else 3))

            ents.add(region=ri, industry=ii, kind=ki, word=word, suffix=suffix, prefix=prefix, town=town,
                     zihao=zh, city_reg=city_reg, founded=founded, status=status, risk=risk, listed=0)
            for tag in ind.tags:
                pool = pools.get(tag)
                if pool is None:
                    pool = pools[tag] = array("I")
                pool.append(i)

            uscc, name = ents.uscc(i), ents.name(i)
            road = region.roads[rng.randrange(len(region.roads))]
            address = f"江苏省{region.full}{region.towns[town]}{road}{rng.randint(1, 399)}号"
            if kind == "indiv" and random_() < 0.4:
                address += f"{rng.randint(1, 3)}0{rng.randint(1, 9)}室"
            w.writerow([uscc, name, ENTITY_TYPES[kind], region.code, address, ind.sector,
                        dates.text(founded, dates.style()), STATUSES[status], ents.reg_authority(i)])

            # Background credit records: annual-report abnormal listings, complaint-driven
            # penalties and one risk classification.
            if kind != "indiv":
                for y in years:
                    if dt.date(y - 1, 6, 30).toordinal() > founded and random_() < 0.025 and not ents.listed[i]:
                        on = cal.on_or_after(dt.date(y, 7, 1).toordinal() + rng.randrange(20))
                        if credit.row(uscc, name, "列入经营异常名录", on, ents.reg_authority(i), ABN_ANNUAL):
                            ents.listed[i] = on
                            _after_listing(credit, ents, i, uscc, name, on, ABN_ANNUAL, rng, cal, serious_cut)
            for y in years:
                if random_() < 0.006 and founded < dt.date(y, 1, 1).toordinal():
                    dept = DEPTS[rng.choice(("SJ", "SJ", "SJ", "WJ", "HB", "YJ", "WL", "JT", "NY"))]
                    items = [it for it in ITEMS if it.dept == dept.abbr and it.tag in ind.tags and not it.disclosure]
                    if items:
                        it = rng.choice(items)
                        on = cal.on_or_after(dt.date(y, 1, 1).toordinal() + rng.randrange(350))
                        credit.penalty(uscc, name, on, dept, region, rng.choice(it.violations), kind == "indiv")
            if random_() < (0.6 if kind != "indiv" else 0.2):
                y = rng.choice(years)
                on = max(cal.on_or_after(dt.date(y, 3, 1).toordinal() + rng.randrange(30)), founded + 1)
                credit.row(uscc, name, "信用风险分类", on, CITY + "市场监督管理局", "企业信用风险分类结果", risk=RISK[risk])
            if bar is not None and i % 1000 == 999:
                bar.update(1000)
        if bar is not None:
            bar.update(n % 1000)
    finally:
        f.close()
    return ents, pools


def _after_listing(credit, ents, i, uscc, name, on, reason, rng, cal, serious_cut):
    """Maybe a removal (移出) later; unremoved for 3 years → 严重违法失信名单."""
    if rng.random() < 0.45:
        out = cal.on_or_after(on + rng.randint(15, 420))
        credit.row(uscc, name, "移出经营异常名录", out, ents.reg_authority(i), OUT_REASON[reason])
    else:
        d = dt.date.fromordinal(on)
        try:
            due = dt.date(d.year + 3, d.month, d.day).toordinal()
        except ValueError:
            due = dt.date(d.year + 3, d.month, 28).toordinal()
        if due <= serious_cut and rng.random() < 0.3:
            credit.row(uscc, name, "列入严重违法失信名单", cal.on_or_after(due + rng.randint(1, 30)),
                       ents.reg_authority(i), SERIOUS_3Y)


def _ratio_text(ratio: float, rng: random.Random) -> tuple[str, float]:
    """A published 抽取比例: a round percentage, or an exact one with decimals (15.38%)."""
    pct = ratio * 100
    if rng.random() < 0.6 or pct >= 50:
        value = max(1, round(pct)) if pct >= 1 else max(0.1, round(pct, 1))
        return f"{value:g}%", value / 100
    text = f"{pct:.2f}".rstrip("0").rstrip(".")
    return text + "%", ratio


def _write_tasks(path, ents: Entities, pools, years, rng, cal, dates, draw_bias=None) -> list[Task]:
    by_dept: dict[str, dict[str, list[Item]]] = {}
    for it in ITEMS:
        by_dept.setdefault(it.dept, {}).setdefault(it.name, []).append(it)
    empty = array("I")
    tasks: list[Task] = []
    f, w = _open(path)
    w.writerow(TASK_HEADERS)
    try:
        for year in years:
            year_tasks: list[Task] = []
            for abbr, dept in DEPTS.items():
                plan_no = f"{CITY_CODE}-{year}-{abbr}"
                plan_name = f"{authority(dept, None)}{year}年度“双随机、一公开”抽查工作计划"
                groups = list(by_dept[abbr].values())
                n_tasks = rng.randint(*dept.tasks)
                order = []
                while len(order) < n_tasks:
                    batch = groups[:]
                    rng.shuffle(batch)
                    order.extend(batch)
                order = order[:n_tasks]
                n_joint = round(n_tasks * rng.uniform(0.08, 0.26))
                joint_at = set(rng.sample(range(n_tasks), n_joint))
                seen: dict[str, int] = {}
                for seq, group in enumerate(order, 1):
                    base = group[0]
                    seen[base.name] = seen.get(base.name, 0) + 1
                    items = list(group)
                    partners: list[Dept] = []
                    if seq - 1 in joint_at:
                        partners = _pick_partners(base, rng)
                        for p in partners:
                            items.append(_partner_item(p, base, rng))
                    elif len(items) == 1 and rng.random() < 0.25:
                        extra = [g[0] for g in groups if g[0].name != base.name and g[0].tag in _COMPATIBLE[base.tag]]
                        if extra:
                            items.append(rng.choice(extra))
                    items = items[:4]
                    draw = cal.on_or_after(dt.date(year, rng.choice((3, 3, 4, 4, 5, 6, 7, 8, 9)), 1).toordinal()
                                           + rng.randrange(25))
                    end = dt.date(year, 11, 30 if dt.date.fromordinal(draw).month <= 8 else 12).toordinal()
                    end = min(end, dt.date(year, 12, 20).toordinal())
                    deadline = min(draw + rng.randint(60, 150), end)
                    deadline = cal.days[cal.index_on_or_after(deadline + 1) - 1]  # last working day ≤ deadline
                    batch_no = seen[base.name]
                    if partners:
                        name = f"{year}年度{base.name.removesuffix('检查').removesuffix('抽查')}部门联合抽查"
                    else:
                        name = f"{year}年度{base.name}"
                    if batch_no > 1:
                        name += f"（第{'一二三四五六'[batch_no - 1]}批）"
                    pool = pools.get(base.tag, empty)
                    task = Task(year, plan_no, plan_name, f"{plan_no}-{seq:03d}", name, dept, items, partners,
                                pool, draw, deadline, 0, "exact", "", rng.random() < 0.15)
                    task.authorities = [_authorities(task, r) for r in REGIONS]
                    year_tasks.append(task)
            _allocate(year_tasks, ents, year, rng)
            if draw_bias is not None:
                year_tasks += _audit_tasks(ents, year, cal, draw_bias)
            for t in year_tasks:
                count = str(t.planned) if t.style == "exact" else (
                    f"约{t.planned}" if t.style == "approx" else f"不少于{t.planned}")
                objects = t.objects or t.items[0].objects
                style = dates.style()
                w.writerow([t.plan_no, t.plan_name, t.task_no, t.name,
                            _task_type(t, audit=draw_bias is not None),
                            "重点检查" if t.items[0].key else "一般检查",
                            "；".join(dict.fromkeys(it.name for it in t.items)),
                            "；".join(dict.fromkeys(it.basis for it in t.items)),
                            f"全市{objects}" if not objects.startswith("辖区") else objects.replace("辖区", "全市"),
                            authority(t.dept, None), "、".join(p.short for p in t.partners),
                            t.ratio_text, count, dates.text(t.draw, style), dates.text(t.deadline, style)])
            tasks.extend(year_tasks)
    finally:
        f.close()
    return tasks


def _task_type(t: Task, audit: bool) -> str:
    """Tasks of items any entity of a kind can be checked on are published as 不定向, their
    抽查对象范围 naming that kind (全市个体工商户); in an audit city only the 综合抽查 are, since the
    others draw from pools of entities meeting conditions."""
    if audit:
        return "不定向" if t.type_weights is not None else "定向"
    return "不定向" if t.items[0].tag in ("ent", "indiv", "company") else "定向"


AUDIT_RATIO = 0.1  # of a county's entities, in AUDIT_BATCHES equal batches a year
AUDIT_BATCHES = ((3, "第一批"), (9, "第二批"))  # month drawn, name


def _audit_tasks(ents: Entities, year: int, cal, weights: dict[str, float]) -> list[Task]:
    """The 不定向 综合抽查 of each county 市场监督管理局, drawn in batches."""
    dept = DEPTS["SJ"]
    item = next(it for it in ITEMS if it.dept == "SJ" and it.tag == "ent")
    plan_no = f"{CITY_CODE}-{year}-SJ"
    deadline = cal.days[cal.index_on_or_after(dt.date(year, 12, 15).toordinal() + 1) - 1]
    tasks = []
    for ri, region in enumerate(REGIONS):
        pool = array("I", (i for i in range(len(ents.founded)) if ents.region[i] == ri))
        for b, (month, batch) in enumerate(AUDIT_BATCHES):
            draw = cal.on_or_after(dt.date(year, month, 1).toordinal())
            planned = max(1, math.ceil(AUDIT_RATIO / len(AUDIT_BATCHES) * _eligible(pool, ents, draw)))
            task = Task(year, plan_no, f"{authority(dept, None)}{year}年度“双随机、一公开”抽查工作计划",
                        f"{plan_no}-9{ri}{b}", f"{year}年度{region.full}市场主体综合抽查（{batch}）", dept, [item], [],
                        pool, draw, deadline, planned, "exact", f"{AUDIT_RATIO / len(AUDIT_BATCHES):.0%}", False,
                        type_weights=weights, objects="辖区内各类市场主体")
            task.authorities = [_authorities(task, r) for r in REGIONS]
            tasks.append(task)
    return tasks


def _compatible() -> dict[str, set[str]]:
    """tag → tags that every entity carrying it also carries."""
    out: dict[str, set[str]] = {}
    for ind in INDUSTRIES:
        for t in ind.tags:
            out[t] = set(ind.tags) if t not in out else out[t] & set(ind.tags)
    return out


_COMPATIBLE = _compatible()
assert all(it.tag in _COMPATIBLE for it in ITEMS), "every checklist tag needs entities"
_GENERIC_TAGS = ("ent", "indiv", "company")  # items any entity can be checked on (公示, 劳动, 发票)
_GENERIC_PARTNERS = ("SJ", "RS", "SWJ", "WJ", "YJ", "GA")


def _fits(dept_abbr: str, base: Item) -> list[Item]:
    """A partner's items that make sense for the entities a task draws."""
    compatible = _COMPATIBLE[base.tag]
    fits = [it for it in ITEMS if it.dept == dept_abbr and it.tag in compatible and it.tag not in _GENERIC_TAGS]
    return fits or [it for it in ITEMS if it.dept == dept_abbr and it.tag in _GENERIC_TAGS]


def _pick_partners(base: Item, rng: random.Random) -> list[Dept]:
    named = [p for p in base.partners if p != base.dept and _fits(p, base)]
    others = [p for p in _GENERIC_PARTNERS if p != base.dept and p not in named and _fits(p, base)]
    # Departments with a specific item for these entities first; a generic one (公示, 劳动, 发票)
    # when there is none, or now and then as an extra.
    specific = [p for p in others if _fits(p, base)[0].tag not in _GENERIC_TAGS]
    generic = [p for p in others if p not in specific]
    rng.shuffle(specific)
    rng.shuffle(generic)
    candidates = named + specific
    chosen = candidates[: rng.choice((1, 1, 1, 2, 2, 3))]
    if generic and (not chosen or (len(chosen) < 3 and rng.random() < 0.25)):
        chosen.append(generic[0])
    return [DEPTS[p] for p in chosen]


def _partner_item(dept: Dept, base: Item, rng: random.Random) -> Item:
    return rng.choice(_fits(dept.abbr, base))


def _authorities(task: Task, region: Region) -> str:
    where = None if task.city_level else region
    names = [authority(task.dept, where)] + [authority(p, where) for p in task.partners]
    return "、".join(dict.fromkeys(names))


def _allocate(tasks: list[Task], ents: Entities, year: int, rng: random.Random) -> None:
    """Planned counts: about 15–25% of the year's entities drawn in all, shared by pool size."""
    mid = dt.date(year, 6, 30).toordinal()
    alive = bisect.bisect_right(ents.founded, mid)
    target = rng.uniform(0.19, 0.30) * alive
    sizes = [_eligible(t.pool, ents, t.draw) for t in tasks]
    weights = [(2.0 if t.items[0].key else 1.0) * (1.4 if t.partners else 1.0) * rng.uniform(0.4, 1.8) * s
               for t, s in zip(tasks, sizes)]
    total = sum(weights) or 1.0
    for t, size, wt in zip(tasks, sizes, weights):
        want = target * wt / total
        ratio = min(1.0, want / size) if size else rng.choice((0.03, 0.05, 0.1))
        if t.items[0].key:
            ratio = min(1.0, ratio * rng.uniform(1.0, 1.5))
        t.ratio_text, ratio = _ratio_text(ratio, rng)
        planned = max(1, math.ceil(ratio * size)) if size else max(1, rng.randint(1, 5))
        r = rng.random()
        if r < 0.12 and planned >= 20:
            t.style = "approx"
            planned = round(planned, -1) if planned >= 50 else planned
        elif r < 0.22:
            t.style = "minimum"
        t.planned = planned


def _eligible(pool: array, ents: Entities, ordinal: int) -> int:
    """How many of a pool (in founding order) were founded before `ordinal`."""
    return bisect.bisect_left(pool, ordinal, key=ents.founded.__getitem__)


# Result vocabularies.
R_OK = "未发现问题"
R_NOT_FOUND = "通过登记的住所（经营场所）无法联系"
R_NO_ACTIVITY = "未发现开展本次抽查涉及的经营活动"
R_CLOSED = "已关闭停业或正在组织清算"
R_REFUSED = "不配合检查情节严重"
R_FIXED = "发现问题经责令已改正"
R_PENDING = "发现问题待后续处理"
R_UNDISCLOSED = "未按规定公示应当公示的信息"
R_FALSE = "公示信息隐瞒真实情况弄虚作假"
R_OTHER = "违反其他部门相关规定"


def _write_results(path, ents: Entities, tasks: list[Task], rng, cal, dates, credit: _Credit, bar):
    f, w = _open(path)
    w.writerow(RESULT_HEADERS)
    serious_cut = dt.date(tasks[-1].year, 12, 31).toordinal() if tasks else 0
    random_, writerow = rng.random, w.writerow
    try:
        for t in tasks:
            size = _eligible(t.pool, ents, t.draw)
            if size:
                if t.style == "approx":
                    k = round(t.planned * rng.uniform(0.9, 1.1))
                elif t.style == "minimum":
                    k = round(t.planned * rng.uniform(1.0, 1.2))
                else:
                    k = t.planned if random_() < 0.9 else round(t.planned * rng.uniform(0.7, 0.95))
                k = max(0, min(size, k))
                lo, hi = cal.index_on_or_after(t.draw) + 3, cal.index_on_or_after(t.deadline + 1) - 1
                hi_published = cal.index_on_or_after(t.deadline + 1)
                for j in _sample(t, ents, size, k, rng):
                    _inspect(t, t.pool[j], ents, rng, cal, dates, credit, writerow, lo, hi, hi_published,
                             serious_cut)
            if bar is not None:
                bar.update(1)
    finally:
        f.close()


def _sample(t: Task, ents: Entities, size: int, k: int, rng: random.Random) -> list[int]:
    """k of the first `size` of the task's pool: uniformly, or weighted per entity type
    (Efraimidis–Spirakis: the k largest of u^(1/w))."""
    if t.type_weights is None:
        return rng.sample(range(size), k)
    keys = [(rng.random() ** (1 / t.type_weights.get(ENTITY_TYPES[Entities.KINDS[ents.kind[t.pool[j]]]], 1.0)), j)
            for j in range(size)]
    return [j for _, j in sorted(keys, reverse=True)[:k]]


def _inspect(t: Task, i: int, ents: Entities, rng, cal, dates, credit, writerow, lo, hi, hi_published,
             serious_cut):
    """One inspection: a row per checked item, and the credit records that follow from it."""
    random_ = rng.random
    uscc, name = ents.uscc(i), ents.name(i)
    ri = ents.region[i]
    kind = ents.KINDS[ents.kind[i]]
    done = cal.days[rng.randint(lo, max(lo, hi))]
    r = random_()
    if r < 0.03:
        published = None
    elif r < 0.13:  # late: after 20 working days from the task deadline
        published = cal.days[hi_published + rng.randint(20, 60)]
    else:
        published = cal.add(done, min(20, 1 + int(rng.expovariate(1 / 5))))
    style = dates.style()
    done_text = dates.text(done, style)
    published_text = dates.text(published, style) if published else ""
    auth = t.authorities[ri]

    whole = None
    if ents.status[i] and random_() < 0.2:
        whole = STATUS_RESULT[ents.status[i]]
    else:
        r = random_()
        whole = (R_NOT_FOUND if r < 0.02 else R_NO_ACTIVITY if r < 0.055 else R_CLOSED if r < 0.062
                 else R_REFUSED if r < 0.064 else None)
    items = t.items
    if kind == "indiv":
        items = [_INDIV_FOR.get(it.code, it) for it in items]
    elif kind != "indiv":
        items = [_ENT_FOR.get(it.code, it) for it in items]
    if whole is not None:
        for it in items:
            writerow([uscc, name, t.task_no, t.name, auth, it.sub_item, whole, done_text, published_text, ""])
        if whole == R_NOT_FOUND and kind != "indiv" and not ents.listed[i]:
            on = cal.add(done, rng.randint(5, 40))
            if credit.row(uscc, name, "列入经营异常名录", on, ents.reg_authority(i), ABN_CONTACT):
                ents.listed[i] = on
                _after_listing(credit, ents, i, uscc, name, on, ABN_CONTACT, rng, cal, serious_cut)
        elif whole == R_REFUSED and random_() < 0.5:
            credit.penalty(uscc, name, cal.add(done, rng.randint(20, 100)), t.dept, REGIONS[ri],
                           "拒绝、阻碍监督检查", kind == "indiv")
        return

    p = 0.085 * RISK_FACTOR[ents.risk[i]]
    region = None if t.city_level else REGIONS[ri]
    for it in items:
        follow = ""
        if random_() >= p:
            writerow([uscc, name, t.task_no, t.name, auth, it.sub_item, R_OK, done_text, published_text, ""])
            continue
        dept = DEPTS[it.dept]
        r = random_()
        if it.disclosure and kind != "indiv" and r < 0.5:
            result = R_UNDISCLOSED if r < 0.35 else R_FALSE
        elif it.dept != t.dept.abbr and r < 0.15:
            result = R_OTHER
        elif r < 0.7:
            result = R_FIXED
        else:
            result = R_PENDING
        if result == R_FIXED:
            follow = "责令改正"
        elif result in (R_PENDING, R_FALSE):
            r2 = random_()
            follow = "已立案调查" if r2 < 0.8 else ("移送司法机关" if r2 < 0.85 else "责令改正")
        elif result == R_UNDISCLOSED:
            follow = "责令改正" if random_() < 0.5 else ""
        elif result == R_OTHER:
            follow = "" if random_() < 0.6 else "责令改正"
        writerow([uscc, name, t.task_no, t.name, auth, it.sub_item, result, done_text, published_text, follow])

        # What follows on the credit record, within 180 days.
        if result in (R_UNDISCLOSED, R_FALSE) and not ents.listed[i] and random_() < 0.8:
            reason = ABN_FALSE if result == R_FALSE else ABN_INSTANT
            on = cal.add(done, rng.randint(5, 40))
            if credit.row(uscc, name, "列入经营异常名录", on, ents.reg_authority(i), reason):
                ents.listed[i] = on
                _after_listing(credit, ents, i, uscc, name, on, reason, rng, cal, serious_cut)
        if follow == "已立案调查" and random_() < 0.88 or follow == "责令改正" and random_() < 0.05:
            on = cal.add(done, rng.randint(15, 120))
            credit.penalty(uscc, name, on, dept, region, rng.choice(it.violations), kind == "indiv")
        elif follow == "移送司法机关" and random_() < 0.4:
            on = cal.add(done, rng.randint(30, 120))
            reason = SERIOUS_FOOD if it.tag in ("food_op", "catering", "food_prod") else SERIOUS_OTHER
            credit.row(uscc, name, "列入严重违法失信名单", on, authority(dept, region), reason)


def _swap_maps():
    """Enterprise 公示 items checked on a 个体工商户 become its own item, and the reverse."""
    ent = [it for it in ITEMS if it.dept == "SJ" and it.tag == "ent"]
    indiv = [it for it in ITEMS if it.dept == "SJ" and it.tag == "indiv"]
    return ({it.code: indiv[0] for it in ent}, {it.code: ent[0] for it in indiv})


_INDIV_FOR, _ENT_FOR = _swap_maps()
