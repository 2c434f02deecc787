"""China's working days, with 调休 make-up days, for publication deadlines (公示时限).

The `chinesecalendar` package knows the State Council's holiday notices year by year. A date in a
year it does not know yet (or no longer) is counted Monday–Friday, and the answer is flagged as an
estimate, so that a figure built on it can say so.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

_KNOWN_YEARS = frozenset(d.year for d in chinese_calendar.holidays)


def is_known(day: dt.date) -> bool:
    """True when the calendar has that year's official holiday notice."""
    return day.year in _KNOWN_YEARS


@lru_cache(maxsize=16384)  # chinese_calendar checks its year range with min/max over all its days, each call
def is_workday(day: dt.date) -> bool:
    """A working day: a weekday that is no holiday, or a 调休 weekend that is worked."""
    return chinese_calendar.is_workday(day) if is_known(day) else day.weekday() < 5


@lru_cache(maxsize=65536)
def deadline(start: dt.date, working_days: int) -> tuple[dt.date, bool]:
    """The `working_days`-th working day after `start` (`start` itself not counted), and whether
    any day on the way lay outside the calendar's known years (an estimate)."""
    day, counted, estimated = start, 0, not is_known(start)
    while counted < working_days:
        day += dt.timedelta(days=1)
        estimated = estimated or not is_known(day)
        counted += is_workday(day)
    return day, estimated


def is_on_time(completed_on: dt.date | None, published_on: dt.date | None,
               working_days: int) -> tuple[bool | None, bool]:
    """(published on or before the deadline?, estimated?). Unknown (None) without a publication
    date or a completion date."""
    if completed_on is None or published_on is None:
        return None, False
    due, estimated = deadline(completed_on, working_days)
    return published_on <= due, estimated


CHINA = ZoneInfo("Asia/Shanghai")


def china_today() -> dt.date:
    """Today's date where the data is published (a page read at 01:00 Beijing time is already
    the next day in China, while UTC is still on the previous one)."""
    return dt.datetime.now(CHINA).date()
