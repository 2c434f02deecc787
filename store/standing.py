"""An entity's standing at a glance (信用状况): whether it is on the abnormal-operation list
(经营异常名录) or the serious-violation list (严重违法失信名单) now, its penalties, its latest
inspection, the problems found in recent years and its risk class.

Computed from the record the page already loaded (no query of its own), and in a batch for the
badges of search hits (`badges`: two queries whatever the number of hits)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongshi.store.models import CreditEvent, Inspection, MarketEntity, StatOutcome
from gongshi.store.vocabulary import RISK_CLASSES

RECENT_YEARS = 3  # "problems found in the last 3 years", as NYC publishes 3 years of violations
LISTS = {"abnormal": ("列入经营异常名录", "移出经营异常名录"),
         "serious": ("列入严重违法失信名单", "移出严重违法失信名单")}
CLOSED_STATUSES = ("注销", "吊销")  # 登记状态 words that end an entity's life


@dataclass(frozen=True)
class ListStanding:
    """On a list now or not: the latest entry (since) and, when it was lifted, the removal."""

    listed: bool
    since: dt.date | None  # the latest entry's decision date
    removed_on: dt.date | None  # when the latest entry was lifted (None while listed)
    event_id: int | None  # the credit event that decides it (an anchor on the page)


@dataclass(frozen=True)
class Standing:
    abnormal: ListStanding
    serious: ListStanding
    penalties: int
    fines_yuan: Decimal
    latest_penalty_id: int | None
    latest_inspection_id: int | None
    latest_inspection_on: dt.date | None
    latest_problems_found: bool | None
    latest_result: str | None
    recent_problems: int  # inspections that found problems within RECENT_YEARS
    recent_since: dt.date
    risk_class: str | None
    risk_meaning: str | None
    risk_decided_on: dt.date | None
    risk_event_id: int | None
    closed: str | None  # 注销 / 吊销 when the registration status says so


def _order(event) -> tuple:
    return (event.decided_on or dt.date.min, event.id)


def _list_standing(events, kinds: tuple[str, str]) -> ListStanding:
    """The newest entry or removal decides; a removal without an entry is ignored."""
    enter, leave = kinds
    latest_in = max((e for e in events if e.kind == enter), key=_order, default=None)
    if latest_in is None:
        return ListStanding(False, None, None, None)
    removal = max((e for e in events if e.kind == leave and _order(e) >= _order(latest_in)), key=_order, default=None)
    if removal is None:
        return ListStanding(True, latest_in.decided_on, None, latest_in.id)
    return ListStanding(False, latest_in.decided_on, removal.decided_on, removal.id)


def closed_status(status: str | None) -> str | None:
    return next((word for word in CLOSED_STATUSES if status and word in status), None)


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def standing(entity, inspections: list, credit_events: list, today: dt.date) -> Standing:
    """The standing of an entity from its inspections and credit events (any order)."""
    penalties = [e for e in credit_events if e.kind == "行政处罚"]
    risk = max((e for e in credit_events if e.kind == "信用风险分类" and e.risk_class), key=_order, default=None)
    dated = [i for i in inspections if i.completed_on]
    latest = max(dated, key=lambda i: (i.completed_on, i.id), default=None)
    since = years_before(today, RECENT_YEARS)
    return Standing(
        abnormal=_list_standing(credit_events, LISTS["abnormal"]),
        serious=_list_standing(credit_events, LISTS["serious"]),
        penalties=len(penalties),
        fines_yuan=sum((e.amount_yuan for e in penalties if e.amount_yuan is not None), Decimal(0)),
        latest_penalty_id=max(penalties, key=_order).id if penalties else None,
        latest_inspection_id=latest.id if latest else None,
        latest_inspection_on=latest.completed_on if latest else None,
        latest_problems_found=latest.problems_found if latest else None,
        latest_result=latest.result_text if latest else None,
        recent_problems=sum(1 for i in dated if i.problems_found and i.completed_on >= since),
        recent_since=since,
        risk_class=risk.risk_class if risk else None,
        risk_meaning=RISK_CLASSES.get(risk.risk_class) if risk else None,
        risk_decided_on=risk.decided_on if risk else None,
        risk_event_id=risk.id if risk else None,
        closed=closed_status(entity.status),
    )


def outcome_links(session: Session, credit_event_ids: list[int]) -> dict[int, int]:
    """Which inspection led to each penalty or abnormal-list entry, where the data says so
    (stat_outcome: the latest inspection of the entity within 180 days before it)."""
    if not credit_event_ids:
        return {}
    return dict(session.execute(select(StatOutcome.credit_event_id, StatOutcome.inspection_id)
                                .where(StatOutcome.credit_event_id.in_(credit_event_ids))).all())


@dataclass(frozen=True)
class Badges:
    """What a search hit shows of an entity's outcome."""

    problems: int  # inspections that found problems
    penalties: int
    abnormal: bool
    serious: bool
    closed: str | None


def badges(session: Session, keys: list[str]) -> dict[str, Badges]:
    """Badges of entities by public key (USCC or registration number): two queries in all."""
    if not keys:
        return {}
    entities = session.execute(select(MarketEntity.id, MarketEntity.uscc, MarketEntity.reg_no, MarketEntity.status)
                               .where(MarketEntity.uscc.in_(keys) | MarketEntity.reg_no.in_(keys))).all()
    ids = [e.id for e in entities]
    problems = dict(session.execute(select(Inspection.entity_id, func.count())
                                    .where(Inspection.entity_id.in_(ids), Inspection.problems_found.is_(True))
                                    .group_by(Inspection.entity_id)).all()) if ids else {}
    events = defaultdict(list)
    kinds = ["行政处罚", *LISTS["abnormal"], *LISTS["serious"]]
    for event in session.execute(select(CreditEvent.id, CreditEvent.entity_id, CreditEvent.kind, CreditEvent.decided_on)
                                 .where(CreditEvent.entity_id.in_(ids), CreditEvent.kind.in_(kinds))):
        events[event.entity_id].append(event)
    out = {}
    for e in entities:
        mine = events[e.id]
        out[e.uscc or e.reg_no] = Badges(
            problems=problems.get(e.id, 0), penalties=sum(1 for ev in mine if ev.kind == "行政处罚"),
            abnormal=_list_standing(mine, LISTS["abnormal"]).listed,
            serious=_list_standing(mine, LISTS["serious"]).listed, closed=closed_status(e.status))
    return out
