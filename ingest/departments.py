"""Naming departments: a published authority name → its department kind and its office (机关).

"南通市崇川区市场监督管理局" is the kind 市场监督管理局 and the office of 320602; "农村农业" is
农业农村局; "省市场监管局" in a file published by the Jiangsu province is 江苏省市场监督管理局
(store/offices.py reads the names). A name that matches no kind becomes a new department marked
unrecognised (so no published fact is refused or lost for it), to be aliased later.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongshi.ingest.errors import IngestError, Problem
from gongshi.store.models import Department, DepartmentAlias
from gongshi.store.offices import NameReader, OfficeCache
from gongshi.store.vocabulary import fold

_LEVEL_PREFIX = re.compile(r"^(省|市|县|区|州|旗|本级)")


@dataclass(frozen=True)
class Resolved:
    department_id: int
    office_id: int
    region_code: str | None
    published: str


class DepartmentResolver:
    """Resolves names within one ingest (one session), placing names without a region in
    `context` (a region code: the file's `--region`, else its publisher's region)."""

    def __init__(self, session: Session, *, region: str | None = None, publisher: str | None = None):
        self.session = session
        self.reader = NameReader(session)
        self.offices = OfficeCache(session, self.reader)
        self.context = self.reader.region_of(region or publisher)
        if region and self.context is None:
            raise IngestError([Problem("--region", None, None, region, "未知的行政区划（应为 GB/T 2260 代码或名称）")])
        self.names = dict(session.execute(select(Department.id, Department.name)).all())
        self.cache: dict[str, Resolved] = {}

    def resolve(self, published: str) -> Resolved:
        cached = self.cache.get(published)
        if cached:
            return cached
        reading = self.reader.read(published, self.context)
        dept_id = reading.department_id
        if dept_id is None:
            dept_id = self._create(reading.body or fold(published))
        office_id = self.offices.office_id(dept_id, self.names[dept_id], reading.region_code, published)
        resolved = Resolved(dept_id, office_id, reading.region_code, published)
        self.cache[published] = resolved
        return resolved

    def _create(self, name: str) -> int:
        name = _LEVEL_PREFIX.sub("", name) or name
        dept = Department(name=name[:64], short_name=name[:16], recognized=False)
        self.session.add(dept)
        self.session.flush()
        self.session.add(DepartmentAlias(alias=name[:64], department_id=dept.id))
        self.reader.aliases[name] = dept.id
        self.names[dept.id] = dept.name
        return dept.id
