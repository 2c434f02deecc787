"""Ingest, then bring the search index up to date: the one way facts enter the store, used by the
command line (`ingest`, `pull`, `demo`) and by any other caller, so that none can skip the index.

Each run records in its own transaction which rows it changed (IngestRun.index_pending) and
clears that once the index has them. So a process killed after the commit but before the end
of the index update leaves the work written down, and the next ingest, `serve` start or
`gongshi index --check --repair` replays it. Correction requests that waited in the spool while
the ingest held the store are recorded right after its commit.

What the first visitor after an ingest would otherwise wait for is built here too (`warm`):
the entity documents an ingest made stale, and the randomness audit of the new data version."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, null, select, update

from gongshi import search
from gongshi.api import documents as api_documents
from gongshi.api.files import draw_audit_once
from gongshi.app import create_app
from gongshi.config import Settings
from gongshi.ingest.fetch import Fetched
from gongshi.ingest.pipeline import Options, Report, ingest
from gongshi.store import correction_queue, documents
from gongshi.store.correction_queue import Spool
from gongshi.store.db import Database
from gongshi.store.models import IngestRun


@dataclass
class Outcome:
    """What one source did: the ingest's report, and why the index could not follow, if it could not."""

    report: Report
    index_error: str | None = None


def ingest_and_index(db: Database, settings: Settings, uri: str, options: Options | None = None,
                     fetched: Fetched | None = None) -> Outcome:
    """Load one source in one transaction, then update the search index for exactly the rows it
    changed, and for those of any earlier run whose index update did not finish. Raises
    IngestError (nothing written) or FetchError. An index failure after the commit leaves the
    ingest in place and is reported; the next ingest replays it."""
    settings.ensure_dirs()
    report = ingest(db, uri, options, instance_dir=settings.instance_dir,
                    default_deadline_days=settings.deadline_working_days, fetched=fetched, limits=settings.limits)
    outcome = Outcome(report)
    correction_queue.drain(db, Spool(settings.correction_spool), lock_wait=settings.correction_lock_wait)
    try:
        replay_index(db, settings)
    except Exception as exc:  # noqa: BLE001 — any failure leaves the committed ingest in place
        outcome.index_error = str(exc)
    return outcome


def replay_index(db: Database, settings: Settings) -> int:
    """Bring every run whose index update has not finished into the search index; returns how
    many runs. Safe to repeat or to run in two processes at once: documents are rewritten whole."""
    with db.session() as session:
        runs = session.scalars(select(IngestRun).where(IngestRun.index_pending.is_not(None))
                               .order_by(IngestRun.id)).all()
        changed: dict[str, set[int]] = defaultdict(set)
        for run in runs:
            for table, ids in run.pending_ids.items():
                changed[table] |= ids
    if not runs:
        return 0
    search.update(db, settings.index_dir, changed)
    with db.session() as session:
        session.execute(update(IngestRun).where(IngestRun.id.in_([r.id for r in runs])).values(index_pending=null()))
    return len(runs)


def rebuild_index(db: Database, settings: Settings, progress: bool = False) -> int:
    """Rebuild the whole index from the store; runs committed before the rebuild began need no
    replay afterwards. Returns the number of documents."""
    with db.session() as session:
        last = session.scalar(select(func.max(IngestRun.id)))
    count = search.index_all(db, settings.index_dir, progress=progress)
    if last is not None:
        with db.session() as session:
            session.execute(update(IngestRun).where(IngestRun.id <= last, IngestRun.index_pending.is_not(None))
                            .values(index_pending=null()))
    return count


def repair_index(db: Database, settings: Settings) -> tuple[int, list[str], search.Drift]:
    """Replay unfinished runs, remove the folders of rebuilds that died, then rewrite whatever
    documents still differ from the store. Returns the runs replayed, the folders removed and
    the drift that remains (none, unless the store changed meanwhile)."""
    replayed = replay_index(db, settings)
    removed = search.remove_orphans(settings.index_dir)
    drift = search.check(db, settings.index_dir)
    if not drift.ok:
        search.repair(db, settings.index_dir, drift)
        drift = search.check(db, settings.index_dir)
    return replayed, removed, drift


# Where the links of documents built outside a request start when no GONGSHI_BASE_URL is set (a
# request from another local name rebuilds the few documents holding links: corrections).
LOCAL_ROOT = "http://localhost"


def warm_documents(db: Database, settings: Settings, report: Report | None = None,
                   done: Callable[[int], None] = lambda n: None) -> int:
    """Build and store the entity documents that are not current: of the entities one ingest
    changed (`report`), or of all (missing, outdated, or built on an earlier day). Batches are
    stored as they are built, each only if its entity has not changed meanwhile, so this is safe
    beside `serve`, and to interrupt and run again. Returns how many were stored."""
    root = settings.base_url or LOCAL_ROOT
    with create_app(settings, database=db).app_context():
        if report is None:
            return api_documents.warm(db, root, done=done)
        return sum(api_documents.warm(db, root, among, done) for among in
                   documents.changed_entities(report.changed, report.source_id))


def warm_audit(db: Database, settings: Settings) -> None:
    """Compute the randomness audit of the current data version where the site looks for it
    (api/files.py), unless it is there already."""
    app = create_app(settings, database=db)
    with app.test_request_context(base_url=settings.base_url or LOCAL_ROOT), db.session() as session:
        draw_audit_once(session)
