"""The randomness audit (抽取随机性审计): does who an office inspected look like a random draw
from its directory (检查对象名录库)?

What is audited: the inspections of 不定向 tasks (抽查类型 不定向: drawn from the whole directory
with no condition on type, trade or place). 定向 tasks draw only entities that meet stated
conditions, so their selection is not expected to look like the directory; tasks whose type is
not published are left out too.

- Office (机关): the office that carried the inspection out for the lead department (a county
  office under a city's task), e.g. 崇川区市场监督管理局 in 320602. An office the ingest could not
  place in a region has no known population: only its repeats are counted.
- Scope (抽查对象范围): a 不定向 task draws from the kinds of entity its 抽查对象范围 names
  (企业, 个体工商户, 农民专业合作社: "全市个体工商户", "辖区内企业、农民专业合作社"), or from
  every entity when it names none of them ("各类市场主体"). An office's draws are audited per
  year and scope, each against its own population: a task of 个体工商户 only is not a bias
  against 企业.
- Population of an office, year and scope: the directory's entities of the scope's kinds in the
  office's region (a county office: that county; a city office: its counties) registered before
  1 January of the year (an entity registered during the year could not have been drawn all
  year). Inspected entities outside it are counted and left out of the tests.
- Selected: the population's entities inspected under the office's 不定向 tasks of that year and
  scope (once, however many tasks drew them).
- Groups: entity type (企业 / 个体工商户 / 农民专业合作社), county (city offices), years since
  registration, industry (行业, where published), and whether the office drew the entity the year
  before. If the draw is random, each group's rate is the office's overall rate; given how many
  were selected, the number selected in a group is hypergeometric, and Fisher's exact test
  (two-sided) gives the chance of a gap at least as large. A group whose expected count (or the
  rest's) is below MIN_EXPECTED is shown as 样本太少 and not tested.
- Repeats within a year: entities drawn by two or more of the office's 不定向 tasks, against what
  independent draws of the same sizes predict; the count is tested as binomial (an
  approximation: entities are nearly independent when tasks draw few of many).
- Never drawn: of the entities in the population of the office's first audited year, the share
  never drawn in any audited year, against the product of the yearly chances of being missed
  (binomial test).
- Benjamini–Hochberg across every test of the whole audit (all offices and years, whatever the
  filters, so that a figure does not change with the page's filters); flagged when q < FLAG_Q.

How it is computed: the database counts entities per cell (GROUP BY office × year × scope × the
entity's region, registration year, type and industry) over the directory and the inspections,
in five queries whatever the store's size; Python then only adds up cells, so time and memory
grow with the number of cells (thousands), not of entities (millions).
"""
from __future__ import annotations

import math
import operator
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce

from sqlalchemy import case, distinct, extract, func, select
from sqlalchemy.orm import Session

from gongshi.store.models import Inspection, MarketEntity, Office, StatEntity, Task
from gongshi.store.offices import region_tree

MIN_EXPECTED = 5
FLAG_Q = 0.01
DIMENSIONS = {"entity_type": "市场主体类型", "region": "所在地区", "age": "登记年限", "industry": "行业",
              "repeat_last_year": "上一年度已被抽中", "repeat_same_year": "同一年度重复抽中", "never": "多年从未被抽中"}
# Years between the year registered and the audited year (every entity of a year's population
# was registered in an earlier year).
AGE_BANDS = ((1, "上一年登记"), (3, "登记2–3年"), (5, "登记4–5年"), (10, "登记6–10年"), (None, "登记10年以上"))
UNKNOWN = "未公布"
# The kinds of market entity the regime names, and the word that names each in a 抽查对象范围.
KIND_WORDS = (("企业", "企业"), ("个体工商户", "个体"), ("农民专业合作社", "合作社"))
EVERY_KIND = "全部市场主体"


@dataclass
class Test:
    """One group of one office and year against the office's overall rate."""

    office_id: int
    year: int
    dimension: str
    group: str
    population: int
    observed: int
    expected: float
    p: float | None = None
    q: float | None = None

    @property
    def too_small(self) -> bool:
        return self.p is None

    @property
    def ratio(self) -> float | None:
        return self.observed / self.expected if self.expected else None

    @property
    def flagged(self) -> bool:
        return self.q is not None and self.q < FLAG_Q

    @property
    def dimension_label(self) -> str:
        return DIMENSIONS[self.dimension]


@dataclass
class OfficeYear:
    office_id: int
    department_id: int
    region_code: str | None  # None: an office the ingest could not place
    year: int
    office: str = ""  # its name, e.g. 崇川区市场监督管理局
    scope: int = 0  # the kinds its tasks' 抽查对象范围 name, as bits of KIND_WORDS (0: every kind)
    tasks: int = 0
    population: int = 0
    selected: int = 0
    outside: int = 0  # inspected but not in the population (not in the directory, or too new)
    # Counted with or without a directory: drawn by two or more tasks; drawn the year before too.
    repeated_same_year: int = 0
    repeated_from_last_year: int = 0
    tests: list[Test] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.selected / self.population if self.population else None

    @property
    def scope_label(self) -> str:
        """企业、农民专业合作社, 个体工商户 or 全部市场主体."""
        return "、".join(scope_kinds(self.scope) or (EVERY_KIND,))


@dataclass
class Audit:
    has_directory: bool
    offices: list[OfficeYear]
    untyped_tasks: int  # tasks whose 抽查类型 is not published: not audited

    @property
    def tests(self) -> list[Test]:
        return [t for o in self.offices for t in o.tests]


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    """Entities alike in all the audit looks at: region, year registered, kind and industry."""

    region: str | None
    registered: int | None  # year
    kind: str
    industry: str | None


def entity_kind(entity_type: str | None) -> str:
    """The three kinds of market entity the regime names."""
    if not entity_type:
        return UNKNOWN
    if "个体" in entity_type:
        return "个体工商户"
    return "农民专业合作社" if "合作社" in entity_type else "企业"


def scope_kinds(bits: int) -> tuple[str, ...] | None:
    """The kinds a scope names; None when it names none (every kind)."""
    return tuple(kind for n, (kind, _) in enumerate(KIND_WORDS) if bits >> n & 1) or None


def _scope_bits():
    """SQL: the kinds a task's 抽查对象范围 names, as bits of KIND_WORDS (0: none)."""
    return reduce(operator.add, (case((Task.object_scope.contains(word), 1 << n), else_=0)
                                 for n, (_, word) in enumerate(KIND_WORDS))).label("scope")


_REGISTERED = extract("year", MarketEntity.established_on).label("registered")
_ENTITY = (MarketEntity.region_code, _REGISTERED, MarketEntity.entity_type, MarketEntity.industry)
_AUDITED = (Task.task_type == "不定向", Task.year.is_not(None), Inspection.lead_office_id.is_not(None))


def _cell(region, registered, entity_type, industry) -> _Cell:
    return _Cell(region, registered, entity_kind(entity_type), industry)


def _directory(session: Session) -> Counter[_Cell]:
    """The directory's entities per cell."""
    rows = session.execute(select(*_ENTITY, func.count())
                           .join(StatEntity, StatEntity.entity_id == MarketEntity.id).where(StatEntity.in_directory)
                           .group_by(*_ENTITY))
    cells: Counter[_Cell] = Counter()
    for *entity, n in rows:
        cells[_cell(*entity)] += n
    return cells


@dataclass
class _Draws:
    """What one office drew in one year and scope: distinct entities, and those of the directory
    per cell (all of them, however many tasks drew them; drawn by two or more tasks; drawn by the
    office the year before too; drawn for the last time), and each task's directory entities per
    cell."""

    entities: int = 0
    repeated: int = 0
    again: int = 0
    drawn: Counter = field(default_factory=Counter)
    multi: Counter = field(default_factory=Counter)
    before: Counter = field(default_factory=Counter)
    last: Counter = field(default_factory=Counter)
    tasks: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))


def _drawn():
    """Per office, year, scope and entity: how many of the office's 不定向 tasks drew it, the year
    the office drew it before in that scope, and the last year it did (window functions: a
    self-join would be a nested loop on SQLite)."""
    scope = _scope_bits()
    drawn = (select(Inspection.lead_office_id.label("office_id"), Task.year.label("year"), scope,
                    Inspection.entity_id.label("entity_id"), func.count(distinct(Inspection.task_id)).label("tasks"))
             .join(Task, Task.id == Inspection.task_id).where(*_AUDITED)
             .group_by(Inspection.lead_office_id, Task.year, scope, Inspection.entity_id)).subquery()
    entity = (drawn.c.office_id, drawn.c.scope, drawn.c.entity_id)
    return select(*drawn.c, func.lag(drawn.c.year).over(partition_by=entity, order_by=drawn.c.year).label("before"),
                  func.max(drawn.c.year).over(partition_by=entity).label("last")).subquery("drawn")


def _in_directory():
    return func.coalesce(StatEntity.in_directory, False).label("listed")


def _draws(session: Session, drawn) -> dict[tuple[int, int, int], _Draws]:
    """(office, year, scope) → its draws, in two queries."""
    in_directory = _in_directory()
    key = (drawn.c.office_id, drawn.c.year, drawn.c.scope)
    rows = session.execute(
        select(*key, in_directory, *_ENTITY, func.count(), func.sum(case((drawn.c.tasks >= 2, 1), else_=0)),
               func.sum(case((drawn.c.before == drawn.c.year - 1, 1), else_=0)),
               func.sum(case((drawn.c.year == drawn.c.last, 1), else_=0)))
        .join(MarketEntity, MarketEntity.id == drawn.c.entity_id)
        .outerjoin(StatEntity, StatEntity.entity_id == drawn.c.entity_id)
        .group_by(*key, in_directory, *_ENTITY))
    draws: dict[tuple, _Draws] = defaultdict(_Draws)
    for office_id, year, scope, listed, region, registered, entity_type, industry, n, multi, again, last in rows:
        d = draws[(office_id, year, scope)]
        d.entities, d.repeated, d.again = d.entities + n, d.repeated + multi, d.again + again
        if listed:
            cell = _cell(region, registered, entity_type, industry)
            d.drawn[cell] += n
            d.multi[cell] += multi
            d.before[cell] += again
            d.last[cell] += last
    scope = _scope_bits()
    in_directory = _in_directory()
    for office_id, year, scope_, task_id, listed, *entity, n in session.execute(
            select(Inspection.lead_office_id, Task.year, scope, Task.id, in_directory, *_ENTITY,
                   func.count(distinct(Inspection.entity_id)))
            .join(Task, Task.id == Inspection.task_id).join(MarketEntity, MarketEntity.id == Inspection.entity_id)
            .outerjoin(StatEntity, StatEntity.entity_id == Inspection.entity_id).where(*_AUDITED)
            .group_by(Inspection.lead_office_id, Task.year, scope, Task.id, in_directory, *_ENTITY)):
        members = draws[(office_id, year, scope_)].tasks[task_id]
        if listed:
            members[_cell(*entity)] += n
    return draws


def _prefix(region_code: str | None) -> str:
    """The region codes an office covers: 320600 (a city) covers 3206xx; 320602 only itself."""
    code = region_code or ""
    while code.endswith("00"):
        code = code[:-2]
    return code


def _age_band(year: int, registered: int | None) -> str:
    if registered is None:
        return UNKNOWN
    age = year - registered
    return next(label for limit, label in AGE_BANDS if limit is None or age <= limit)


# --- computing --------------------------------------------------------------------------------


def compute(session: Session) -> Audit:
    """The whole audit, every office, year and scope (filter with `select_offices`)."""
    drawn = _drawn()
    draws = _draws(session, drawn)
    directory = _directory(session)
    untyped = session.scalar(select(func.count()).select_from(Task).where(Task.task_type.is_(None))) or 0
    known = {o.id: o for o in session.scalars(select(Office).where(Office.id.in_({k[0] for k in draws})))}
    regions = {code: name for code, (name, _) in region_tree(session).items()}
    offices = []
    for (office_id, year, scope), d in sorted(draws.items(), key=lambda kv: (known[kv[0][0]].name, kv[0][1:])):
        office = known[office_id]
        o = OfficeYear(office_id, office.department_id, office.region_code, year, office.name, scope, tasks=len(d.tasks),
                       repeated_same_year=d.repeated, repeated_from_last_year=d.again)
        offices.append(o)
        if directory and office.region_code:
            _office_year(o, d, draws.get((office_id, year - 1, scope)), directory, regions)
    if directory:
        for (office_id, scope), office_years in _by_office(offices).items():
            _never_drawn(office_years, [draws[(office_id, o.year, scope)] for o in office_years], directory)
    audit = Audit(bool(directory), offices, untyped)
    _benjamini_hochberg(audit.tests)
    return audit


def _population(o: OfficeYear, directory: Counter[_Cell]) -> dict[_Cell, int]:
    prefix, kinds = _prefix(o.region_code), scope_kinds(o.scope)
    return {c: n for c, n in directory.items()
            if (c.region or "").startswith(prefix) and (c.registered is None or c.registered < o.year)
            and (kinds is None or c.kind in kinds)}


def _office_year(o: OfficeYear, d: _Draws, last_year: _Draws | None, directory: Counter[_Cell],
                 regions: dict[str, str]) -> None:
    population = _population(o, directory)
    selected = {c: n for c, n in d.drawn.items() if c in population}
    o.population, o.selected = sum(population.values()), sum(selected.values())
    o.outside = d.entities - o.selected
    if not population or not selected:
        return
    groupings = {
        "entity_type": lambda c: c.kind,
        "region": lambda c: regions.get(c.region or "", c.region or UNKNOWN),
        "age": lambda c: _age_band(o.year, c.registered),
        "industry": lambda c: c.industry,
    }
    for dimension, group_of in groupings.items():
        sizes, hits = Counter(), Counter()
        for c, n in population.items():
            g = group_of(c)
            if g is not None:
                sizes[g] += n
                hits[g] += selected.get(c, 0)
        if len(sizes) < 2:
            continue  # one group: nothing to compare it with
        for g in sorted(sizes):
            o.tests.append(_group_test(o, dimension, g, sizes[g], hits[g]))
    if last_year is not None:
        size = sum(n for c, n in last_year.drawn.items() if c in population)
        if size:
            hits = sum(n for c, n in d.before.items() if c in population)
            o.tests.append(_group_test(o, "repeat_last_year", "上一年度已被本机关抽中", size, hits))
    if len(d.tasks) >= 2:
        o.tests.append(_same_year_repeats(o, d, population))


# scipy.stats is imported where a test runs: it costs a second of start-up that the web
# processes and the command line need not pay until someone asks for the audit.


def _group_test(o: OfficeYear, dimension: str, group: str, size: int, hits: int) -> Test:
    from scipy.stats import fisher_exact

    n, k = o.population, o.selected
    expected = k * size / n
    test = Test(o.office_id, o.year, dimension, group, size, hits, expected)
    rest_expected = k * (n - size) / n
    if expected >= MIN_EXPECTED and rest_expected >= MIN_EXPECTED and (n - size) * (n - k) > 0:
        table = [[hits, size - hits], [k - hits, n - size - k + hits]]
        test.p = float(fisher_exact(table).pvalue)
    return test


def _same_year_repeats(o: OfficeYear, d: _Draws, population: dict[_Cell, int]) -> Test:
    """Entities drawn by two or more tasks, against independent draws of the same sizes."""
    from scipy.stats import binomtest

    n = o.population
    chances = [sum(m for c, m in members.items() if c in population) / n for members in d.tasks.values()]
    none = math.prod(1 - c for c in chances)
    once = sum(c * math.prod(1 - e for j, e in enumerate(chances) if j != i) for i, c in enumerate(chances))
    twice = max(0.0, 1 - none - once)
    observed = sum(m for c, m in d.multi.items() if c in population)
    test = Test(o.office_id, o.year, "repeat_same_year", "被本机关两个以上不定向任务抽中",
                n, observed, n * twice)
    if test.expected >= MIN_EXPECTED:
        test.p = float(binomtest(observed, n, twice).pvalue)
    return test


def _by_office(offices: list[OfficeYear]) -> dict[tuple[int, int], list[OfficeYear]]:
    out: dict[tuple, list[OfficeYear]] = defaultdict(list)
    for o in offices:
        out[(o.office_id, o.scope)].append(o)
    return out


def _never_drawn(office_years: list[OfficeYear], draws: list[_Draws], directory: Counter[_Cell]) -> None:
    """Of the first audited year's population, the share never drawn in any audited year (each
    entity drawn is counted once: in the last year drawn)."""
    from scipy.stats import binomtest

    years = [o for o in office_years if o.population]
    if len(years) < 2:
        return
    first, last = years[0], years[-1]
    cohort = _population(first, directory)
    size = sum(cohort.values())
    ever = sum(n for o, d in zip(office_years, draws) if o.year >= first.year
               for c, n in d.last.items() if c in cohort)
    observed = size - ever
    missed = math.prod(1 - o.selected / o.population for o in years)
    test = Test(last.office_id, last.year, "never", f"{first.year}–{last.year}年从未被抽中", size, observed,
                size * missed)
    if test.expected >= MIN_EXPECTED and size - test.expected >= MIN_EXPECTED:
        test.p = float(binomtest(observed, size, missed).pvalue)
    last.tests.append(test)


def _benjamini_hochberg(tests: list[Test]) -> None:
    from scipy.stats import false_discovery_control

    tested = [t for t in tests if t.p is not None]
    if not tested:
        return
    for t, q in zip(tested, false_discovery_control([t.p for t in tested], method="bh")):
        t.q = float(q)


# --- reading the result -------------------------------------------------------------------------


def select_offices(audit: Audit, year: int | None = None, office_id: int | None = None,
                   department_id: int | None = None, region: str | None = None) -> list[OfficeYear]:
    """The office-years a page or an API call asks for (q values stay those of the whole audit)."""
    return [o for o in audit.offices
            if (year is None or o.year == year) and (office_id is None or o.office_id == office_id)
            and (department_id is None or o.department_id == department_id)
            and (region is None or (o.region_code or "") == region)]


def chance_text(p: float) -> str:
    """The p value in words a citizen reads."""
    for limit, words in ((1e-4, "低于万分之一"), (1e-3, "低于千分之一"), (1e-2, "低于百分之一")):
        if p < limit:
            return words
    return f"约为{p:.0%}"


def sentence(test: Test, office: OfficeYear) -> str:
    """A flagged finding in plain Chinese."""
    if test.dimension == "repeat_same_year":
        subject = f"同一年度被两个以上不定向任务重复抽中的有 {test.observed} 户，随机抽取预计约 {test.expected:.0f} 户"
    elif test.dimension == "never":
        subject = (f"{test.group}的有 {test.observed} 户（{test.observed / test.population:.0%}），"
                   f"随机抽取预计约 {test.expected:.0f} 户")
    else:
        rate = test.observed / test.population
        subject = (f"{test.group}被抽中的比例（{rate:.1%}）是全部检查对象（{office.rate:.1%}）的 "
                   f"{test.ratio:.1f} 倍")
    return f"{subject}，随机抽取出现这种差距的概率{chance_text(test.p)}。"


def headline(office: OfficeYear) -> str | None:
    """The entity types compared with each other, when any type is flagged:
    "个体工商户被抽中的比例是企业的 2.3 倍"."""
    types = [t for t in office.tests if t.dimension == "entity_type" and t.group != UNKNOWN and not t.too_small]
    if not any(t.flagged for t in types) or len(types) < 2:
        return None
    rate = {t.group: t.observed / t.population for t in types}
    high, low = max(rate, key=rate.get), min(rate, key=rate.get)
    if not rate[low]:
        return f"{high}被抽中的比例是 {rate[high]:.1%}，{low}一户也没有被抽中"
    return f"{high}被抽中的比例是{low}的 {rate[high] / rate[low]:.1f} 倍"


@dataclass(frozen=True)
class Item:
    """One row of the API and the CSV: a test with its office's figures."""

    office: OfficeYear
    test: Test

    @property
    def department_id(self) -> int:
        return self.office.department_id

    @property
    def region_code(self) -> str | None:
        return self.office.region_code

    @property
    def finding(self) -> str | None:
        return sentence(self.test, self.office) if self.test.flagged else None


def items(offices: Iterable[OfficeYear]) -> list[Item]:
    return [Item(o, t) for o in offices for t in o.tests]
