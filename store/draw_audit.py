"""The randomness audit (抽取随机性审计): does who an office inspected look like a random draw
from its directory (检查对象名录库)?

What is audited: the inspections of 不定向 tasks (抽查类型 不定向: drawn from the whole directory
with no condition on type, trade or place). 定向 tasks draw only entities that meet stated
conditions, so their selection is not expected to look like the directory; tasks whose type is
not published are left out too.

- Office (机关): the office that carried the inspection out for the lead department (a county
  office under a city's task), e.g. 崇川区市场监督管理局 in 320602. An office the ingest could not
  place in a region has no known population: only its repeats are counted.
- Population of an office and year: the directory's entities in the office's region (a county
  office: that county; a city office: its counties) registered before 1 January of the year
  (an entity registered during the year could not have been drawn all year). Inspected entities
  outside it are counted and left out of the tests.
- Selected: the population's entities inspected under the office's 不定向 tasks of that year
  (once, however many tasks drew them).
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
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongshi.store.models import Inspection, MarketEntity, Office, Region, StatEntity, Task

MIN_EXPECTED = 5
FLAG_Q = 0.01
DIMENSIONS = {"entity_type": "市场主体类型", "region": "所在地区", "age": "登记年限", "industry": "行业",
              "repeat_last_year": "上一年度已被抽中", "repeat_same_year": "同一年度重复抽中", "never": "多年从未被抽中"}
# Years between the year registered and the audited year (every entity of a year's population
# was registered in an earlier year).
AGE_BANDS = ((1, "上一年登记"), (3, "登记2–3年"), (5, "登记4–5年"), (10, "登记6–10年"), (None, "登记10年以上"))
UNKNOWN = "未公布"


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
class _Entity:
    region: str | None
    kind: str
    industry: str | None
    registered: int | None  # year


def entity_kind(entity_type: str | None) -> str:
    """The three kinds of market entity the regime names."""
    if not entity_type:
        return UNKNOWN
    if "个体" in entity_type:
        return "个体工商户"
    return "农民专业合作社" if "合作社" in entity_type else "企业"


def _draws(session: Session) -> tuple[dict[tuple, dict[int, set[int]]], int]:
    """(office, year) → task id → entity ids, for 不定向 tasks."""
    rows = session.execute(
        select(Inspection.lead_office_id, Task.year, Task.id, Inspection.entity_id)
        .join(Task, Task.id == Inspection.task_id)
        .where(Task.task_type == "不定向", Task.year.is_not(None), Inspection.lead_office_id.is_not(None)))
    draws: dict[tuple, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for office_id, year, task_id, entity_id in rows:
        draws[(office_id, year)][task_id].add(entity_id)
    untyped = session.scalar(select(func.count()).select_from(Task).where(Task.task_type.is_(None))) or 0
    return draws, untyped


Directory = dict[str, dict[int, _Entity]]  # region code → entity id → entity


def _directory(session: Session) -> Directory:
    """The directory's entities by region, so that a county office reads only its county's."""
    rows = session.execute(
        select(MarketEntity.id, MarketEntity.region_code, MarketEntity.entity_type, MarketEntity.industry,
               MarketEntity.established_on)
        .join(StatEntity, StatEntity.entity_id == MarketEntity.id).where(StatEntity.in_directory))
    directory: Directory = defaultdict(dict)
    for id_, region, kind, industry, established in rows:
        directory[region or ""][id_] = _Entity(region, entity_kind(kind), industry,
                                               established.year if established else None)
    return directory


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
    """The whole audit, every office and year (filter with `select_offices`)."""
    draws, untyped = _draws(session)
    directory = _directory(session)
    known = {o.id: o for o in session.scalars(select(Office).where(Office.id.in_({k[0] for k in draws})))}
    regions = dict(session.execute(select(Region.code, Region.name)).all())
    offices = []
    for (office_id, year), tasks in sorted(draws.items(), key=lambda kv: (known[kv[0][0]].name, kv[0][1])):
        office = known[office_id]
        o = OfficeYear(office_id, office.department_id, office.region_code, year, office.name, tasks=len(tasks))
        last_year = draws.get((office_id, year - 1), {})
        _repeats(o, tasks, last_year)
        offices.append(o)
        if directory and office.region_code:
            _office_year(o, tasks, last_year, directory, regions)
    if directory:
        for office_years in _by_office(offices).values():
            _never_drawn(office_years, draws, directory)
    audit = Audit(bool(directory), offices, untyped)
    _benjamini_hochberg(audit.tests)
    return audit


def _repeats(o: OfficeYear, tasks: dict[int, set[int]], last_year: dict[int, set[int]]) -> None:
    counts = Counter(i for members in tasks.values() for i in members)
    o.repeated_same_year = sum(1 for c in counts.values() if c >= 2)
    o.repeated_from_last_year = len(counts.keys() & set().union(*last_year.values())) if last_year else 0


def _population(o: OfficeYear, directory: Directory) -> dict[int, _Entity]:
    prefix = _prefix(o.region_code)
    return {i: e for region, entities in directory.items() if region.startswith(prefix)
            for i, e in entities.items() if e.registered is None or e.registered < o.year}


def _office_year(o: OfficeYear, tasks: dict[int, set[int]], last_year: dict[int, set[int]],
                 directory: Directory, regions: dict[str, str]) -> None:
    population = _population(o, directory)
    drawn = set().union(*tasks.values())
    selected = drawn & population.keys()
    o.population, o.selected, o.outside = len(population), len(selected), len(drawn - selected)
    if not population or not selected:
        return
    before = set().union(*last_year.values()) if last_year else set()
    groupings = {
        "entity_type": lambda i, e: e.kind,
        "region": lambda i, e: regions.get(e.region or "", e.region or UNKNOWN),
        "age": lambda i, e: _age_band(o.year, e.registered),
        "industry": lambda i, e: e.industry,
        "repeat_last_year": lambda i, e: "上一年度已被本机关抽中" if i in before else None,
    }
    for dimension, group_of in groupings.items():
        if dimension == "repeat_last_year" and not last_year:
            continue
        sizes, hits = Counter(), Counter()
        for i, e in population.items():
            g = group_of(i, e)
            if g is not None:
                sizes[g] += 1
                hits[g] += i in selected
        if len(sizes) < 2 and dimension != "repeat_last_year":
            continue  # one group: nothing to compare it with
        for g in sorted(sizes):
            o.tests.append(_group_test(o, dimension, g, sizes[g], hits[g]))
    if len(tasks) >= 2:
        o.tests.append(_same_year_repeats(o, tasks, population))


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


def _same_year_repeats(o: OfficeYear, tasks: dict[int, set[int]], population: dict[int, _Entity]) -> Test:
    """Entities drawn by two or more tasks, against independent draws of the same sizes."""
    from scipy.stats import binomtest

    n = len(population)
    chances = [len(members & population.keys()) / n for members in tasks.values()]
    none = math.prod(1 - c for c in chances)
    once = sum(c * math.prod(1 - d for j, d in enumerate(chances) if j != i) for i, c in enumerate(chances))
    twice = max(0.0, 1 - none - once)
    counts = Counter(i for members in tasks.values() for i in members if i in population)
    observed = sum(1 for c in counts.values() if c >= 2)
    test = Test(o.office_id, o.year, "repeat_same_year", "被本机关两个以上不定向任务抽中",
                n, observed, n * twice)
    if test.expected >= MIN_EXPECTED:
        test.p = float(binomtest(observed, n, twice).pvalue)
    return test


def _by_office(offices: list[OfficeYear]) -> dict[int, list[OfficeYear]]:
    out: dict[int, list[OfficeYear]] = defaultdict(list)
    for o in offices:
        out[o.office_id].append(o)
    return out


def _never_drawn(office_years: list[OfficeYear], draws: dict, directory: Directory) -> None:
    """Of the first audited year's population, the share never drawn in any audited year."""
    from scipy.stats import binomtest

    years = [o for o in office_years if o.population]
    if len(years) < 2:
        return
    first, last = years[0], years[-1]
    cohort = _population(first, directory).keys()
    ever = set().union(*(m for o in years for m in draws[(o.office_id, o.year)].values()))
    observed = len(cohort - ever)
    missed = math.prod(1 - o.selected / o.population for o in years)
    test = Test(last.office_id, last.year, "never",
                f"{first.year}–{last.year}年从未被抽中", len(cohort), observed, len(cohort) * missed)
    if test.expected >= MIN_EXPECTED and len(cohort) - test.expected >= MIN_EXPECTED:
        test.p = float(binomtest(observed, len(cohort), missed).pvalue)
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
