"""Correction requests are never lost: one the store cannot take at once (an ingest holds SQLite's
write lock for minutes) waits in a spool and is recorded later, exactly once.

The spool is a small SQLite file of its own in the instance folder, each commit synced to disk
(synchronous=FULL), so a request the business was told is received survives a crash of any
process. A spooled request gets its reference number at once, from the spool (GZ-2026-Q…, random,
so that spools of several machines never collide), and keeps it in the store
(CorrectionRequest.queued_ref, unique). A drain records the waiting requests in one store
transaction, skipping those already recorded, and only then strikes them from the spool: a drain
killed at any point is simply run again. Drains run after a request the store took, on any
request at most every DRAIN_EVERY seconds (see portal/corrections.py), after every ingest, at
`gongshi serve` start and before `gongshi corrections` lists the offices' requests.
"""
from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from sqlalchemy import Engine, String, create_engine, delete, event, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from gongshi.store.db import Database
from gongshi.store.localtime import local
from gongshi.store.models import CORRECTION_PENDING, CorrectionRequest

SPOOL_FILE = "correction-spool.sqlite3"
# Crockford's base32: no I, L, O or U, so a number read out on the phone is not misheard.
REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class SpoolBase(DeclarativeBase):
    pass


class SpooledRequest(SpoolBase):
    """A filed request waiting to be recorded: the columns of CorrectionRequest it was filed with."""

    __tablename__ = "spooled_request"

    ref: Mapped[str] = mapped_column(String(32), primary_key=True)
    entity_id: Mapped[int]
    fact_table: Mapped[str]
    fact_id: Mapped[int]
    department_id: Mapped[int | None]
    department_name: Mapped[str]
    claim: Mapped[str]
    correction: Mapped[str]
    contact_name: Mapped[str | None]
    contact_phone: Mapped[str | None]
    contact_email: Mapped[str | None]
    created_at: Mapped[dt.datetime]


FILED = [column.key for column in SpooledRequest.__table__.columns if column.key != "ref"]


class Spool:
    """The spool file at `path`; created on the first request it keeps."""

    def __init__(self, path: Path):
        self.path = path
        self._engine: Engine | None = None

    def _sessions(self) -> Session:
        if self._engine is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(f"sqlite:///{self.path}", connect_args={"timeout": 10})

            @event.listens_for(engine, "connect")
            def _durable(dbapi_conn, _record):
                dbapi_conn.execute("PRAGMA synchronous=FULL")  # a received request is on disk

            SpoolBase.metadata.create_all(engine)
            self._engine = engine
        return Session(self._engine, expire_on_commit=False)

    def put(self, request: CorrectionRequest) -> str:
        """Keep `request` (not recorded in the store) and give it its reference number."""
        request.queued_ref = f"GZ-{local(request.created_at).year}-Q{''.join(secrets.choice(REF_ALPHABET) for _ in range(10))}"
        with self._sessions() as session, session.begin():
            session.add(SpooledRequest(ref=request.queued_ref, **{key: getattr(request, key) for key in FILED}))
        return request.queued_ref

    def waiting(self, ref: str | None = None) -> list[CorrectionRequest]:
        """The requests waiting (only `ref`'s, if given), oldest first, as unrecorded CorrectionRequests."""
        if not self.path.exists():
            return []
        query = select(SpooledRequest).order_by(SpooledRequest.created_at, SpooledRequest.ref)
        with self._sessions() as session:
            rows = session.scalars(query if ref is None else query.where(SpooledRequest.ref == ref)).all()
        return [_pending(row, queued_ref=row.ref) for row in rows]

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(SpooledRequest))

    def strike(self, refs: list[str]) -> None:
        """Forget requests the store has recorded."""
        with self._sessions() as session, session.begin():
            session.execute(delete(SpooledRequest).where(SpooledRequest.ref.in_(refs)))


def file(db: Database, spool: Spool, request: CorrectionRequest, lock_wait: float) -> str:
    """Record `request` in the store, or, when the store cannot take the write within `lock_wait`
    seconds, in the spool; returns its reference number either way."""
    try:
        with db.session(lock_wait=lock_wait) as session:
            session.add(request)
            session.flush()
            ref = request.ref
    except OperationalError:  # SQLite's "database is locked", PostgreSQL's lock timeout
        return spool.put(_pending(request))  # a copy: the session that failed had `request`
    drain(db, spool)  # the store takes writes again: record whatever waited
    return ref


def drain(db: Database, spool: Spool, lock_wait: float = 0) -> int:
    """Record every waiting request in the store (once: those already recorded by a drain that
    was interrupted are skipped), then strike them from the spool. Returns how many were
    recorded; 0, and the spool untouched, when the store is busy (a later drain records them)."""
    waiting = spool.waiting()
    if not waiting:
        return 0
    try:
        with db.session(lock_wait=lock_wait) as session:
            recorded = _record(session, waiting)
    except (OperationalError, IntegrityError):  # busy, or another process drained them just now
        return 0
    spool.strike([request.queued_ref for request in waiting])
    return recorded


def _pending(filed, **extra) -> CorrectionRequest:
    """A new, unrecorded pending request with the filed columns of `filed`."""
    return CorrectionRequest(status=CORRECTION_PENDING, text_published=False, updated_at=filed.created_at,
                             **{key: getattr(filed, key) for key in FILED}, **extra)


def _record(session: Session, waiting: list[CorrectionRequest]) -> int:
    refs = [request.queued_ref for request in waiting]
    known = set(session.scalars(select(CorrectionRequest.queued_ref).where(CorrectionRequest.queued_ref.in_(refs))))
    new = [request for request in waiting if request.queued_ref not in known]
    session.add_all(new)
    session.flush()
    return len(new)
