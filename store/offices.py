"""Offices (机关): which department kind, in which region, a published authority name means.

"南通市崇川区市场监督管理局" is the kind 市场监督管理局 in 320602 (崇川区, level 县); "国家税务总局
南通市税务局" is 税务局 in 320600. A name without a region ("市场监管局", "省市场监管局") is placed
by the context of its file: the region of its publisher (`--publisher`) or the `--region` given at
ingest; a level word (省/市/县/区) picks that level above or at the context. A name that names a
place the store does not know ("苏州工业园区市场监管局"), or that no context places, becomes an
unplaced office of its own (`placed` False) — never merged into another office.

Used by the ingest (ingest/departments.py) and by the migration that moved existing stores.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gongshi.store.models import DepartmentAlias, Office, Region
from gongshi.store.vocabulary import fold

NATIONAL_PREFIXES = ("国家税务总局", "中华人民共和国", "中国")
# A level word before the department's name, and the region level it means.
LEVEL_WORDS = {"省": "省", "市": "市", "州": "市", "盟": "市", "县": "县", "区": "县", "旗": "县"}
_SHORT = re.compile(r"(省|市|区|县)$")
# Subordinate units named after the department ("…市场监督管理局综合执法支队").
UNIT_SUFFIX = re.compile(r"(分局|支队|大队|中队|总队|执法局|稽查局|所|办公室|处|科|站)$")


@dataclass(frozen=True)
class Reading:
    """What a published name says: the department kind (None: no alias matches), the office's
    region (None: not placed), and the name stripped of its region (a new kind's name)."""

    department_id: int | None
    region_code: str | None
    body: str


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    parent_code: str | None
    level: str


class NameReader:
    """Reads authority names against the alias table and the regions; built once per ingest."""

    def __init__(self, session: Session):
        self.aliases = {fold(a): d for a, d in session.execute(select(DepartmentAlias.alias,
                                                                      DepartmentAlias.department_id))}
        self.regions = {r.code: RegionRow(r.code, r.name, r.parent_code, r.level)
                        for r in session.execute(select(Region.code, Region.name, Region.parent_code, Region.level))}
        # Longest names first, so 南通市崇川区 is read before 南通市; 南通 alone is accepted too.
        names: list[tuple[str, str]] = []
        for code, region in self.regions.items():
            names.append((region.name, code))
            short = _SHORT.sub("", region.name)
            if len(short) >= 2:
                names.append((short, code))
        self.region_names = sorted(names, key=lambda p: -len(p[0]))

    def region_of(self, text: str | None) -> str | None:
        """The region a text names: a GB/T 2260 code, or a region's name at its start."""
        if not text:
            return None
        text = fold(text)
        if text in self.regions:
            return text
        exact = [code for name, code in self.region_names if name == text]
        return exact[0] if exact else self._strip_regions(text)[1]

    def read(self, published: str, context: str | None) -> Reading:
        text, region = self._strip_regions(fold(published))
        found = self._match(text)
        if found is None:
            return Reading(None, self._place(region, "", context), text)
        department_id, head = found
        return Reading(department_id, self._place(region, head, context), text)

    def _strip_regions(self, text: str) -> tuple[str, str | None]:
        for prefix in NATIONAL_PREFIXES:
            text = text.removeprefix(prefix)
        region = None
        changed = True
        while changed:
            changed = False
            for name, code in self.region_names:
                if text.startswith(name) and len(text) > len(name):
                    text, region, changed = text[len(name):], code, True
                    break
        return text, region

    def _match(self, text: str) -> tuple[int, str] | None:
        """The department an alias names and the words before it ('' when the alias starts the
        name): the name as a whole first, then after a level word, then trimmed of unit
        suffixes, then the longest alias of 3+ characters inside it."""
        heads = [("", text)]
        if text[:1] in LEVEL_WORDS:
            heads.append((text[:1], text[1:]))
        for head, body in heads:
            while True:
                if body in self.aliases:
                    return self.aliases[body], head
                shorter = UNIT_SUFFIX.sub("", body)
                if shorter == body:
                    break
                body = shorter
        inside = [a for a in self.aliases if len(a) >= 3 and a in text]
        if inside:
            alias = max(inside, key=len)
            return self.aliases[alias], text[:text.find(alias)]
        return None

    def _place(self, region: str | None, head: str, context: str | None) -> str | None:
        if head and head not in LEVEL_WORDS:
            return None  # a place or unit the store does not know
        if region is not None:
            return None if head else region
        if not head:
            return context
        return self._ancestor_at(context, LEVEL_WORDS[head])

    def _ancestor_at(self, code: str | None, level: str) -> str | None:
        while code is not None and code in self.regions:
            if self.regions[code].level == level:
                return code
            code = self.regions[code].parent_code
        return None

    def office_name(self, department: str, region_code: str | None) -> str:
        """南通市市场监督管理局, 如皋市市场监督管理局, 南通市崇川区市场监督管理局 (a district is
        named with its city), 江苏省市场监督管理局."""
        region = self.regions[region_code]
        parent = self.regions.get(region.parent_code or "")
        if region.name.endswith("区") and parent is not None and parent.level == "市":
            return parent.name + region.name + department
        return region.name + department


class OfficeCache:
    """Finds or creates offices (one per kind and region; one per unplaced name)."""

    def __init__(self, session: Session, reader: NameReader):
        self.session, self.reader = session, reader
        self.ids = dict(session.execute(select(Office.key, Office.id)).all())

    def office_id(self, department_id: int, department: str, region_code: str | None, published: str) -> int:
        key = office_key(department_id, region_code, published)
        if key not in self.ids:
            if region_code is None:
                name, level = fold(published)[:64], None
            else:
                name, level = self.reader.office_name(department, region_code), self.reader.regions[region_code].level
            self.ids[key] = self.session.execute(
                insert(Office).values(key=key, department_id=department_id, region_code=region_code, level=level,
                                      name=name, placed=region_code is not None).returning(Office.id)).scalar_one()
        return self.ids[key]


def office_key(department_id: int, region_code: str | None, published: str) -> str:
    """The natural key: kind and region; an unplaced office is its own published name."""
    return f"{department_id}:{region_code}" if region_code else f"{department_id}:?{fold(published)}"


def jurisdiction(session: Session, code: str) -> set[str]:
    return jurisdictions(session, {code})[code]


def region_tree(session: Session) -> dict[str, tuple[str, str | None]]:
    """Each region's name and parent code, read once per session (a request's): small reference
    data that several queries of one page need, and that only the reference loader writes."""
    tree = session.info.get("gongshi.regions")
    if tree is None:
        tree = session.info["gongshi.regions"] = {
            code: (name, parent) for code, name, parent in session.execute(select(Region.code, Region.name,
                                                                                  Region.parent_code))}
    return tree


def jurisdictions(session: Session, codes: set[str]) -> dict[str, set[str]]:
    """Each region's code with the codes of every region below it (a city and its counties)."""
    children: dict[str | None, list[str]] = {}
    for child, (_, parent) in region_tree(session).items():
        children.setdefault(parent, []).append(child)
    out = {}
    for code in codes:
        inside, todo = set(), [code]
        while todo:
            current = todo.pop()
            inside.add(current)
            todo.extend(children.get(current, ()))
        out[code] = inside
    return out
