"""Times as people in China read them. The store keeps naive UTC (models.utcnow); every date and
time a person reads (pages, spreadsheets, the console, the year in a reference number) is in
Asia/Shanghai, or a request filed at 07:00 would show the day before."""
from __future__ import annotations

import datetime as dt

from gongshi.store.workdays import CHINA


def local(value: dt.datetime | dt.date | None) -> dt.datetime | dt.date | None:
    """A stored naive-UTC datetime as Asia/Shanghai time; dates (already local) and None unchanged."""
    if not isinstance(value, dt.datetime):
        return value
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(CHINA)


def local_minute(value: dt.datetime | None) -> str:
    """2026-12-01 08:30, Beijing time, as the console and the tables print a moment."""
    return f"{local(value):%Y-%m-%d %H:%M}" if value else ""

