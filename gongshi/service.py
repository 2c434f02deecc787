"""Ingest, then bring the search index up to date: the one way facts enter the store, used by the
command line (`ingest`, `pull`, `demo`) and by any other caller, so that none can skip the index."""
from __future__ import annotations

from dataclasses import dataclass

from gongshi import search
from gongshi.config import Settings
from gongshi.ingest.fetch import Fetched
from gongshi.ingest.pipeline import Options, Report, ingest
from gongshi.store.db import Database


@dataclass
class Outcome:
    """What one source did: the ingest's report, and why the index could not follow, if it could not."""

    report: Report
    index_error: str | None = None


def ingest_and_index(db: Database, settings: Settings, uri: str, options: Options | None = None,
                     fetched: Fetched | None = None) -> Outcome:
    """Load one source in one transaction, then update the search index for exactly the rows it
    changed. Raises IngestError (nothing written) or FetchError. An index failure after the
    commit leaves the ingest in place and is reported; `gongshi index --check` shows the drift."""
    settings.ensure_dirs()
    report = ingest(db, uri, options, instance_dir=settings.instance_dir,
                    default_deadline_days=settings.deadline_working_days, fetched=fetched, limits=settings.limits)
    outcome = Outcome(report)
    if report.status == "loaded":
        try:
            search.update(db, settings.index_dir, report.changed)
        except Exception as exc:  # noqa: BLE001 — any failure leaves the committed ingest in place
            outcome.index_error = str(exc)
    return outcome
