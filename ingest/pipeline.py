"""One ingest: fetch → decode → map headers → validate and normalise → load, in ONE transaction.

Either the whole file loads (and its raw bytes are archived), or nothing is written and every
problem is reported. A file whose exact bytes were loaded before is not loaded again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from tqdm import tqdm

from gongshi.ingest import draw, stream
from gongshi.ingest.collector import fewer_collections
from gongshi.ingest.errors import IngestError, Problem
from gongshi.ingest.fetch import Fetched, archive, fetch
from gongshi.ingest.headers import KIND_LABELS, KINDS, detect_kind
from gongshi.ingest.limits import Limits
from gongshi.ingest.load import TABLE_LABELS, Loader, StagedInspections, StagedRecords
from gongshi.ingest.parse import Counted, map_headers, parse_rows
from gongshi.ingest.readers import Table, detect_format, read_table
from gongshi.store.db import Database, bulk_cache
from gongshi.store.documents import invalidate as invalidate_documents
from gongshi.store.models import IngestRun, Source, utcnow
from gongshi.store.stats_upkeep import refresh as refresh_stats

ARCHIVE_DIR = "archive"  # under the instance folder: raw files by sha256
PRIMARY_TABLE = {"checklist": "check_item", "task": "task", "result": "inspection", "credit": "credit_event",
                 "entity": "market_entity", "draw": "draw_record"}


@dataclass
class Options:
    kind: str | None = None
    plan_name: str | None = None
    year: int | None = None
    publisher: str | None = None
    region: str | None = None  # where names without a region are placed (code or name)
    deadline_working_days: int | None = None
    dry_run: bool = False
    progress: bool = False


@dataclass
class Report:
    uri: str
    status: str = ""  # loaded, dry-run, unchanged, not-modified
    kind: str | None = None
    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    changed: dict[str, set[int]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    side_effects: dict[str, int] = field(default_factory=dict)  # other tables' new rows
    source_id: int | None = None
    run_id: int | None = None
    fetched: Fetched | None = None

    def summary(self) -> str:
        label = KIND_LABELS.get(self.kind or "", self.kind or "")
        if self.status == "unchanged":
            return f"{self.uri}: 内容与已导入的来源 #{self.source_id} 相同，未作改动"
        if self.status == "not-modified":
            return f"{self.uri}: 未更新（304），未下载"
        counts = "，".join(f"{name} {self.counts.get(key, 0)}" for key, name in
                          (("inserted", "新增"), ("updated", "更正"), ("unchanged", "未变"), ("withdrawn", "撤销")))
        prefix = "试运行（未写入）" if self.status == "dry-run" else "已导入"
        text = f"{self.uri}: {prefix} {label} {self.rows} 行：{counts}"
        if self.side_effects:
            text += "（另新增 " + "，".join(f"{TABLE_LABELS.get(t, t)} {n}" for t, n in self.side_effects.items()) + "）"
        if self.notes.get("extras"):
            text += f"\n  保留的未识别列：{'、'.join(self.notes['extras'])}"
        if self.notes.get("dropped"):
            text += f"\n  未保存的涉及个人的列：{'、'.join(self.notes['dropped'])}"
        return text


def ingest(db: Database, uri: str, options: Options | None = None, *, instance_dir: Path,
           default_deadline_days: int = 20, fetched: Fetched | None = None, limits: Limits | None = None) -> Report:
    """Load one source. Raises IngestError (nothing written) or FetchError. Fetches go through
    `instance_dir`, raw files are archived under its `archive/`; results whose source names no
    publication deadline get `default_deadline_days` working days; a source beyond `limits` is refused."""
    options = options or Options()
    if options.kind and options.kind not in KINDS:
        raise IngestError([Problem(uri, None, None, options.kind, f"未知的文件类型，应为 {'/'.join(KINDS)}")])
    (instance_dir / ARCHIVE_DIR).mkdir(parents=True, exist_ok=True)
    limits = limits or Limits()
    fetched = fetched or fetch(uri, work_dir=instance_dir, limits=limits)
    try:
        with fewer_collections():
            return _ingest_fetched(db, instance_dir, default_deadline_days, fetched, options, limits)
    finally:
        fetched.cleanup()


def _ingest_fetched(db: Database, instance_dir: Path, default_deadline_days: int, fetched: Fetched,
                    options: Options, limits: Limits) -> Report:
    report = Report(fetched.uri, fetched=fetched)
    with db.sessionmaker() as session:
        earlier = session.scalar(select(Source.id).where(Source.sha256 == fetched.sha256).limit(1))
    if earlier is not None:
        report.status, report.source_id = "unchanged", earlier
        return report
    file_format = detect_format(fetched.path, fetched.content_type)
    # A draw record is read whole, so only a JSON file within the JSON limit may be one.
    if options.kind == "draw" or (options.kind is None and file_format == "json"
                                  and fetched.size <= limits.max_json_bytes and draw.is_record(fetched.path)):
        report.kind, report.rows = "draw", 1
        table = Table(fetched.name, "json", "utf-8", 0, [], None)
        _load(db, instance_dir, default_deadline_days, fetched, options, table, "draw", [_draw_record(fetched)], report)
        return report
    table = read_table(fetched.path, fetched.name, file_format, limits)
    kind = options.kind or _detect(table)
    mapping, problems = map_headers(table, kind)
    if problems:
        raise IngestError(problems)
    report.kind = kind
    report.notes = {"extras": [h for _, h in mapping.extras], "dropped": mapping.dropped}
    if fetched.size >= stream.STREAM_BYTES:
        try:
            return _load_streamed(db, instance_dir, default_deadline_days, fetched, options, table, kind, report,
                                  stream.Source(fetched.path, fetched.name, file_format, kind, limits,
                                                options.plan_name, options.year, options.progress))
        except stream.RowsApart:
            pass  # rolled back: this table's rows, not read yet, go the two-pass way
    table.rows = tqdm(table.rows, desc=fetched.name, unit=" 行", disable=not options.progress, mininterval=0.5)
    rows = Counted(parse_rows(table, mapping, problems, plan_name=options.plan_name, year=options.year))
    # Every row is validated before anything is written; the rows are staged on disk meanwhile
    # (results grouped into inspections there) rather than held in memory.
    with (StagedInspections if kind == "result" else StagedRecords)(rows) as records:
        if problems:
            raise IngestError(problems)
        report.rows = rows.count
        _load(db, instance_dir, default_deadline_days, fetched, options, table, kind, records, report)
    return report


def _load_streamed(db, instance_dir, default_deadline_days, fetched, options, table, kind, report, source) -> Report:
    with stream.StreamedRecords(source) as records:
        try:
            _load(db, instance_dir, default_deadline_days, fetched, options, table, kind,
                  _counted_into(report, records), report)
        except IngestError as refused:
            if records.finished:  # the reader's own verdict
                raise
            # The loader refused the file before the reader's end: the reader's list is the full one.
            raise IngestError(records.problems() or refused.problems) from None
    return report


def _counted_into(report: Report, records: stream.StreamedRecords):
    """The streamed records; once the last is loaded, the report has the file's row count."""
    yield from records
    report.rows = records.rows


def _draw_record(fetched: Fetched) -> dict:
    """A draw record, refused whole when it is malformed or its selection contradicts itself."""
    try:
        record = draw.load_record(fetched.path)
        problems = draw.self_check(record)
    except draw.DrawError as exc:
        problems = exc.problems
    if problems:
        raise IngestError([Problem(fetched.name, None, None, None, p.removeprefix(f"{fetched.name}：")) for p in problems])
    return record


def _detect(table) -> str:
    kind, scores = detect_kind(table.headers)
    if kind is None:
        ranked = "，".join(f"{KIND_LABELS[k]} {s}" for k, s in sorted(scores.items(), key=lambda p: -p[1]))
        raise IngestError([Problem(table.name, None, None, None,
                                   f"无法从表头判断文件类型（匹配列数：{ranked}）：请用 --kind 指定")])
    return kind


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def _load(db, instance_dir, default_deadline_days, fetched, options, table, kind, records, report) -> None:
    started = utcnow()
    archived, created = None, False
    session = db.sessionmaker()
    try:
        with session.begin(), bulk_cache(session):
            source = Source(
                uri=fetched.uri, name=fetched.name, sha256=fetched.sha256, size=fetched.size,
                fetched_at=fetched.fetched_at, kind=kind, file_format=table.file_format, encoding=table.encoding,
                publisher=options.publisher, region_code=options.region, etag=fetched.etag, last_modified=fetched.last_modified,
                archive_path="", deadline_working_days=options.deadline_working_days,
            )
            session.add(source)
            session.flush()
            run = IngestRun(source_id=source.id, kind=kind, started_at=started, finished_at=started,
                            rows=report.rows, inserted=0, updated=0, unchanged=0, withdrawn=0, notes=report.notes)
            session.add(run)
            session.flush()
            loader = Loader(session, source, run, default_deadline_days)
            _LOADERS[kind](loader, records)
            refresh_stats(session, loader.changed)
            invalidate_documents(session, loader.changed, source.id)
            run.finished_at, run.rows = utcnow(), report.rows  # a streamed file is counted as it loads
            primary = loader.counts[PRIMARY_TABLE[kind]]
            for key in ("inserted", "updated", "unchanged", "withdrawn"):
                setattr(run, key, primary[key])
            report.counts = {k: getattr(run, k) for k in ("inserted", "updated", "unchanged", "withdrawn")}
            report.side_effects = {t: c["inserted"] for t, c in loader.counts.items()
                                   if t != PRIMARY_TABLE[kind] and c["inserted"]}
            run.notes = {**report.notes, "also_inserted": report.side_effects}
            report.changed = dict(loader.changed)  # the sets themselves: a million ids are not copied
            run.index_pending = IngestRun.id_ranges(report.changed)  # cleared once the index has them
            report.source_id, report.run_id = source.id, run.id
            if options.dry_run:
                report.status = "dry-run"
                raise _DryRun
            archived, created = archive(fetched, instance_dir / ARCHIVE_DIR)
            source.archive_path = str(archived.relative_to(instance_dir))
            report.status = "loaded"
    except _DryRun:
        pass
    except BaseException:
        if created and archived is not None:
            archived.unlink(missing_ok=True)
        raise
    finally:
        session.close()


_LOADERS = {
    "checklist": Loader.load_checklist,
    "task": Loader.load_tasks,
    "result": Loader.load_results,
    "credit": Loader.load_credit,
    "entity": Loader.load_entities,
    "draw": Loader.load_draws,
}
