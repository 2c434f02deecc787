"""Read-side queries, beside the models: pages and the API call these, never raw SQL in views."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from store.models import CheckItem, CreditEvent, IngestRun, Inspection, MarketEntity, Task


def totals(session: Session) -> dict[str, int]:
    """Headline counts of what the store holds."""
    count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return {"tasks": count(Task), "inspections": count(Inspection), "entities": count(MarketEntity),
            "credit_events": count(CreditEvent), "check_items": count(CheckItem)}


def latest_inspections(session: Session, limit: int = 20) -> list[Inspection]:
    """The most recently completed inspections, with entity and task (one query)."""
    return list(session.scalars(
        select(Inspection).options(joinedload(Inspection.entity), joinedload(Inspection.task))
        .order_by(Inspection.completed_on.desc().nulls_last(), Inspection.id.desc()).limit(limit)))


def latest_runs(session: Session, limit: int = 10) -> list[IngestRun]:
    return list(session.scalars(
        select(IngestRun).options(joinedload(IngestRun.source)).order_by(IngestRun.id.desc()).limit(limit)))
