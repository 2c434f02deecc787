"""Naming departments: a published authority name → the canonical department and its region.

"南通市崇川区市场监督管理局" is 市场监督管理局 in 320602; "农村农业" is 农业农村局; "国家税务总局
南通市税务局" is 税务局 in 320600. A name that matches nothing becomes a new department marked
unrecognised (so no published fact is refused or lost for it), to be aliased later.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongshi.store.models import Department, DepartmentAlias, Region
from gongshi.store.vocabulary import fold

_LEVEL_PREFIX = re.compile(r"^(省|市|县|区|州|旗|本级)")
_NATIONAL_PREFIX = ("国家税务总局", "中华人民共和国", "中国")
# Subordinate units named after the department ("…市场监督管理局综合执法支队").
_UNIT_SUFFIX = re.compile(r"(分局|支队|大队|中队|总队|执法局|稽查局|所|办公室|处|科|站)$")


@dataclass(frozen=True)
class Resolved:
    department_id: int
    region_code: str | None
    published: str


class DepartmentResolver:
    """Resolves names against the alias table; caches within one ingest (one session)."""

    def __init__(self, session: Session):
        self.session = session
        self.aliases = {fold(a): d for a, d in session.execute(select(DepartmentAlias.alias, DepartmentAlias.department_id))}
        # Longest names first, so 南通市崇川区 is read before 南通市; 南通 alone is accepted too.
        names: list[tuple[str, str]] = []
        for code, name in session.execute(select(Region.code, Region.name)):
            names.append((name, code))
            short = re.sub(r"(省|市|区|县)$", "", name)
            if len(short) >= 2:
                names.append((short, code))
        self.region_names = sorted(names, key=lambda p: -len(p[0]))
        self.cache: dict[str, Resolved] = {}

    def resolve(self, published: str) -> Resolved:
        cached = self.cache.get(published)
        if cached:
            return cached
        text, region = self._strip_regions(fold(published))
        dept_id = self._match(text)
        if dept_id is None:
            dept_id = self._create(text or fold(published))
        resolved = Resolved(dept_id, region, published)
        self.cache[published] = resolved
        return resolved

    def _strip_regions(self, text: str) -> tuple[str, str | None]:
        for prefix in _NATIONAL_PREFIX:
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

    def _match(self, text: str) -> int | None:
        candidates = [text, _LEVEL_PREFIX.sub("", text)]
        for candidate in list(candidates):
            trimmed = candidate
            while (shorter := _UNIT_SUFFIX.sub("", trimmed)) != trimmed:
                trimmed = shorter
                candidates.append(trimmed)
        for candidate in candidates:
            if candidate in self.aliases:
                return self.aliases[candidate]
        # Longest alias of 3+ characters inside the name ("…市场监督管理局综合执法支队").
        inside = [a for a in self.aliases if len(a) >= 3 and a in text]
        if inside:
            return self.aliases[max(inside, key=len)]
        return None

    def _create(self, name: str) -> int:
        name = _LEVEL_PREFIX.sub("", name) or name
        dept = Department(name=name[:64], short_name=name[:16], recognized=False)
        self.session.add(dept)
        self.session.flush()
        self.session.add(DepartmentAlias(alias=name[:64], department_id=dept.id))
        self.aliases[name] = dept.id
        return dept.id
