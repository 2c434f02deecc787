"""The `gongshi` command line: ingest, pull, demo, serve and maintenance of the store."""
from __future__ import annotations

import sys
import time
import tomllib
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from gongshi import search
from gongshi.config import Settings
from gongshi.ingest import draw
from gongshi.ingest.errors import IngestError
from gongshi.ingest.fetch import FetchError, fetch, is_url
from gongshi.ingest.headers import KINDS
from gongshi.ingest.pipeline import Options, Report
from gongshi.service import ingest_and_index, rebuild_index, repair_index, replay_index, warm_audit, warm_documents
from gongshi.store import correction_queue
from gongshi.store.correction_queue import Spool
from gongshi.store.db import Database, DriverMissing
from gongshi.store.localtime import local_minute
from gongshi.store.models import SourceFeed, utcnow

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"


def _open(settings: Settings) -> Database:
    settings.ensure_dirs()
    try:
        db = Database(settings.database_url)
    except DriverMissing as exc:
        raise click.ClickException(str(exc)) from exc
    db.upgrade()
    return db


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """公示 Gongshi — 双随机、一公开 抽查检查结果公示平台 / transparency portal for random inspections.

    配置来自环境变量 GONGSHI_INSTANCE_DIR、GONGSHI_DATABASE_URL、GONGSHI_INDEX_DIR。
    """
    ctx.obj = Settings.from_env()


@main.command("ingest")
@click.argument("sources", nargs=-1, required=True)
@click.option("--kind", type=click.Choice(KINDS), help="文件类型（默认从表头判断）/ kind of file, detected from headers by default")
@click.option("--plan-name", help="文件没有计划列时所属的抽查计划名称 / plan the tasks belong to")
@click.option("--year", type=int, help="计划年度 / plan year")
@click.option("--publisher", help="发布单位 / publishing department")
@click.option("--region", help="未写明地区的机关所在行政区划（代码或名称，默认取发布单位所在地）/ "
                               "region of authorities named without one (code or name; default: the publisher's)")
@click.option("--deadline-days", type=int, help="结果公示时限（工作日）/ publication deadline in working days")
@click.option("--dry-run", is_flag=True, help="只检查不写入 / validate and count, write nothing")
@click.option("--no-warm", is_flag=True, help="导入后不预先生成主体记录和随机性审计（批量脚本导入时用，之后运行 gongshi warm）"
                                             " / skip the warm-up (scripted bulk loads; run gongshi warm afterwards)")
@click.pass_obj
def ingest_command(settings: Settings, sources, kind, plan_name, year, publisher, region, deadline_days,
                   dry_run, no_warm) -> None:
    """导入公示文件（本地路径或 http(s) 地址）/ ingest published files (paths or URLs).

    每个文件一个事务：任何一行有误则整个文件不写入，并列出全部问题。之后预先生成改动的主体记录
    （API 的 /enterprises/<代码>）和随机性审计，首位访问者无需等待。
    One transaction per file: any invalid row refuses the whole file and lists every problem.
    Then the changed entities' records and the randomness audit are built ahead of the first visitor.
    """
    db = _open(settings)
    options = Options(kind=kind, plan_name=plan_name, year=year, publisher=publisher, region=region,
                      deadline_working_days=deadline_days, dry_run=dry_run, progress=sys.stderr.isatty())
    reports = [_ingest_one(db, settings, source, options, warm=not no_warm) for source in sources]
    if not no_warm and any(r and r.status == "loaded" for r in reports):
        _warm_audit(db, settings)
    sys.exit(1 if None in reports else 0)


def _ingest_one(db: Database, settings: Settings, uri: str, options: Options, fetched=None,
                warm: bool = True) -> Report | None:
    try:
        outcome = ingest_and_index(db, settings, uri, options, fetched=fetched)
    except IngestError as exc:
        click.echo(f"{uri}: 拒绝导入，未写入任何数据（{len(exc.problems)} 个问题）/ refused, nothing written:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        return None
    except FetchError as exc:
        click.echo(f"{exc}", err=True)
        return None
    click.echo(outcome.report.summary())
    if outcome.index_error:
        click.echo(f"{uri}: 数据已导入，但搜索索引更新失败（{outcome.index_error}）；"
                   "下次导入或启动时会自动补做，也可运行 gongshi index --check --repair", err=True)
    if warm and outcome.report.status == "loaded":
        _warm_documents(db, settings, outcome.report)
    return outcome.report


def _warm_documents(db: Database, settings: Settings, report: Report | None = None) -> bool:
    """Build the stale entity documents (of one ingest's entities). A failure leaves what was
    built and the ingest in place, and is reported: False."""
    start, tty = time.monotonic(), sys.stderr.isatty()
    progress = (lambda n: click.echo(f"\r已生成主体记录 {n} 份", nl=False, err=True)) if tty else (lambda n: None)
    try:
        kept = warm_documents(db, settings, report, progress)
    except Exception as exc:  # noqa: BLE001 — like an index failure after the commit: reported, not fatal
        busy = "数据库正忙，" if isinstance(exc, OperationalError) else ""  # a writer held it past the lock wait
        click.echo(f"{busy}主体记录未能全部预先生成（{exc}）；已生成的保留，稍后运行 gongshi warm 即可", err=True)
        return False
    finally:
        if tty:
            click.echo(err=True)
    click.echo(f"已预先生成主体记录 {kept} 份（{time.monotonic() - start:.1f} 秒）")
    return True


def _warm_audit(db: Database, settings: Settings) -> bool:
    start = time.monotonic()
    try:
        warm_audit(db, settings)
    except Exception as exc:  # noqa: BLE001 — the first viewer computes it instead
        click.echo(f"随机性审计未能预先计算（{exc}）；首位访问者打开时计算，或稍后运行 gongshi warm", err=True)
        return False
    click.echo(f"随机性审计已就绪（{time.monotonic() - start:.1f} 秒）")
    return True


@main.command("index")
@click.option("--check", "check_only", is_flag=True, help="只比较索引与数据库 / report drift, change nothing")
@click.option("--repair", is_flag=True, help="与 --check 同用：补做中断的索引更新并修正差异 / with --check: fix the drift")
@click.option("--rebuild", is_flag=True, help="从数据库重建索引 / rebuild the index from the store")
@click.pass_obj
def index_command(settings: Settings, check_only: bool, repair: bool, rebuild: bool) -> None:
    """搜索索引：检查与数据库的差异、修复或重建 / check the search index against the store, repair or rebuild it.

    重建期间网站继续使用旧索引，完成后自动切换。--check --repair 补做被中断的导入的索引更新，
    删除中断的重建留下的文件夹，并重写仍有差异的文档。
    Web processes keep answering from the old index while a rebuild runs. --check --repair
    replays interrupted index updates, removes the folders of interrupted rebuilds and rewrites
    whatever documents still differ.
    """

    if check_only == rebuild or (repair and not check_only):
        raise click.UsageError("请指定 --check（可加 --repair）或 --rebuild 之一")
    db = _open(settings)
    if rebuild:
        count = rebuild_index(db, settings, progress=sys.stderr.isatty())
        click.echo(f"搜索索引已重建：{count} 条文档")
        return
    if repair:
        replayed, removed, drift = repair_index(db, settings)
        click.echo(f"已补做 {replayed} 次导入的索引更新；已删除 {len(removed)} 个中断的重建留下的文件夹")
    else:
        drift = search.check(db, settings.index_dir)
    click.echo(drift.summary())
    sys.exit(0 if drift.ok else 1)


@main.command()
@click.argument("sources_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def pull(settings: Settings, sources_file: Path) -> None:
    """按来源清单（TOML）抓取并导入有更新的来源 / harvest every source that changed (for cron).

    \b
    [[source]]
    url = "https://…/2024年抽查结果.xlsx"
    kind = "result"
    publisher = "南通市市场监督管理局"
    deadline_working_days = 20
    """
    try:
        entries = tomllib.loads(sources_file.read_text(encoding="utf-8")).get("source", [])
    except tomllib.TOMLDecodeError as exc:
        raise click.ClickException(f"{sources_file}: TOML 格式错误：{exc}") from exc
    db = _open(settings)
    failed = 0
    for entry in entries:
        failed += not _pull_one(db, settings, entry)
    _warm_audit(db, settings)  # of the newest data version: computed once, then found in place
    sys.exit(1 if failed else 0)


def _pull_one(db: Database, settings: Settings, entry: dict) -> bool:
    url = entry.get("url")
    if not url:
        click.echo("来源缺少 url / a source without url", err=True)
        return False
    with db.session() as session:
        feed = session.scalar(select(SourceFeed).where(SourceFeed.url == url))
        validators = (feed.etag, feed.last_modified) if feed else (None, None)
    options = Options(kind=entry.get("kind"), plan_name=entry.get("plan_name"), year=entry.get("year"),
                      publisher=entry.get("publisher"), region=entry.get("region"),
                      deadline_working_days=entry.get("deadline_working_days"))
    fetched = None
    try:
        fetched = fetch(url, etag=validators[0], last_modified=validators[1], work_dir=settings.instance_dir,
                        limits=settings.limits) \
            if is_url(url) else None
        if fetched is not None and fetched.not_modified:
            click.echo(f"{url}: 未更新（304）/ not modified")
            _record_feed(db, url, entry, fetched, "not-modified")
            return True
        report = _ingest_one(db, settings, url, options, fetched=fetched)
    except Exception as exc:  # noqa: BLE001 — one source's failure is recorded; the pull goes on
        click.echo(str(exc) if isinstance(exc, FetchError) else f"{url}: 失败（{exc!r}）", err=True)
        _record_feed(db, url, entry, None, f"failed: {exc}")
        return False
    finally:
        if fetched is not None:
            fetched.cleanup()
    _record_feed(db, url, entry, fetched if report else None, report.status if report else "refused")
    return report is not None


def _record_feed(db: Database, url: str, entry: dict, fetched, status: str) -> None:
    """Pull bookkeeping, after the ingest's own transaction: validators only advance on success."""
    with db.session() as session:
        feed = session.scalar(select(SourceFeed).where(SourceFeed.url == url)) or SourceFeed(url=url)
        session.add(feed)
        feed.kind, feed.publisher = entry.get("kind"), entry.get("publisher")
        feed.last_checked_at, feed.last_status = utcnow(), status
        if fetched is not None:
            feed.etag, feed.last_modified = fetched.etag, fetched.last_modified
            if status == "loaded":
                feed.last_changed_at = utcnow()


@main.command()
@click.option("--entities", type=int, default=3000, show_default=True, help="生成的市场主体数 / generated entities")
@click.option("--seed", type=int, default=20210423, show_default=True)
@click.pass_obj
def demo(settings: Settings, entities: int, seed: int) -> None:
    """载入内置示例数据：江苏2021年任务表、抽查事项清单和一个生成的城市 / load the bundled sample data."""
    from gongshi.democity import generate_city

    db = _open(settings)
    out = settings.instance_dir / "sample" / f"city-{entities}-{seed}"
    if not out.exists():
        click.echo(f"生成示例城市（{entities} 户）→ {out}")
        generate_city(out, entities=entities, seed=seed, progress=sys.stderr.isatty())
    jobs = [
        (SAMPLE_DIR / "jiangsu_2021_tasks.csv",
         Options(kind="task", year=2021, publisher="江苏省市场监管领域部门联合“双随机、一公开”监管联席会议办公室",
                 deadline_working_days=10)),
        (SAMPLE_DIR / "nantong_checklist.csv", Options(kind="checklist", publisher="南通市市场监督管理局")),
    ] + [(out / f"{name}.csv", Options(kind=kind, publisher="南通市“双随机、一公开”监管联席会议办公室"))
         for name, kind in (("entities", "entity"), ("tasks", "task"), ("results", "result"), ("credit", "credit"))]
    failed = 0
    for path, options in jobs:
        options.progress = sys.stderr.isatty()
        failed += not _ingest_one(db, settings, str(path), options)
    _warm_audit(db, settings)
    sys.exit(1 if failed else 0)


@main.command("draw")
@click.option("--directory", "directory_path", required=True, type=click.Path(path_type=Path),
              help="检查对象名录库（任何可导入的名录文件）/ the directory to draw from")
@click.option("--count", type=int, help="抽取数量 / how many to draw")
@click.option("--ratio", help="抽取比例，如 5%（向上取整）/ share to draw, rounded up")
@click.option("--seed", help="事先公开的随机种子（文字）/ public seed text fixed in advance")
@click.option("--exclude", "exclude_path", type=click.Path(path_type=Path),
              help="不参与抽取的统一社会信用代码（每行一个，或含该列的表格）/ USCCs not to draw")
@click.option("--stratify-by", help="分层抽取所依据的名录列，如 市场主体类型 / directory column to stratify by")
@click.option("--task", "task_no", help="本次抽取所属的抽查任务编号 / the task this draw is for")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), help="抽取记录（JSON）/ the record")
@click.option("--verify", "record_path", type=click.Path(path_type=Path),
              help="复核一份抽取记录 / re-derive a record's selection and compare")
def draw_command(directory_path, count, ratio, seed, exclude_path, stratify_by, task_no, out_path, record_path):
    """可复核的随机抽取：任何人可用同一名录库和公开种子重算 / draws anyone can re-run.

    \b
    gongshi draw --directory 名录库.csv --ratio 5% --seed "2024年第一批 上证收盘 3021.98" --out 抽取记录.json
    gongshi draw --verify 抽取记录.json --directory 名录库.csv
    """
    try:
        if record_path is not None:
            _verify_draw(record_path, directory_path)
        else:
            _make_draw(directory_path, count, ratio, seed, exclude_path, stratify_by, task_no, out_path)
    except (draw.DrawError, IngestError) as exc:  # a directory file the reader refuses as it streams
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)


def _make_draw(directory_path, count, ratio, seed, exclude_path, stratify_by, task_no, out_path) -> None:
    if seed is None or out_path is None:
        raise click.UsageError("抽取时须给出 --seed 和 --out")
    exclude = draw.read_exclusions(exclude_path) if exclude_path else ()
    directory = draw.read_directory(directory_path, stratify_by)
    params = draw.Parameters(count=count, ratio=ratio, stratify_by=stratify_by, exclude=exclude, task_no=task_no)
    record = draw.make_record(directory, seed, params)
    draw.write_record(record, out_path)
    click.echo(f"从 {len(directory.usccs)} 户中抽中 {len(record['selected'])} 户 → {out_path}")
    click.echo(f"复核：gongshi draw --verify {out_path.name} --directory {directory_path.name}")


def _verify_draw(record_path, directory_path) -> None:
    record = draw.load_record(record_path)
    verdict = draw.verify(record, draw.read_directory(directory_path, record["parameters"].get("stratify_by")))
    for note in verdict.notes:
        click.echo(f"注意：{note}")
    if verdict.problems:
        click.echo("不一致", err=True)
        for problem in verdict.problems:
            click.echo(problem, err=True)
        sys.exit(1)
    click.echo(f"一致：{len(record['selected'])} 户均由种子“{record['seed']}”按 {record['algorithm']} 算法抽出")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", type=click.IntRange(min=1),
              help="工作进程数（默认每个 CPU 核一个，或 GONGSHI_WORKERS）/ worker processes")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(min=1),
              help="每个进程的线程数 / threads per worker")
@click.pass_obj
def serve(settings: Settings, host: str, port: int, workers: int | None, threads: int) -> None:
    """运行门户网站（gunicorn 多进程；无 gunicorn 时用 waitress）/ run the portal.

    多个进程共享响应缓存和访问频率计数需设置 GONGSHI_REDIS_URL。
    Workers share the response cache and the rate-limit counts only through GONGSHI_REDIS_URL.
    """
    from gongshi import serving

    db = _open(settings)
    if recorded := correction_queue.drain(db, Spool(settings.correction_spool), settings.correction_lock_wait):
        click.echo(f"已登记 {recorded} 件此前等待登记的更正申请")
    try:  # an ingest killed before its index update finished: catch up before serving searches
        if replayed := replay_index(db, settings):
            click.echo(f"已补做 {replayed} 次导入未完成的索引更新")
    except Exception as exc:  # noqa: BLE001 — the portal still serves pages; search shows its own error
        click.echo(f"索引更新未能补做（{exc}）；请运行 gongshi index --check --repair", err=True)
    db.dispose()
    serving.serve(settings, host, port, workers or settings.workers, threads)


@main.command("db-upgrade")
@click.pass_obj
def db_upgrade(settings: Settings) -> None:
    """创建或升级数据库结构 / create or migrate the schema to the newest version."""
    _open(settings).dispose()
    click.echo(f"数据库已是最新结构：{settings.database_url}")


@main.command("stats-rebuild")
@click.pass_obj
def stats_rebuild(settings: Settings) -> None:
    """从全部数据重算统计汇总表 / recompute the statistics aggregates from every stored fact.

    导入时会自动增量更新；仅在升级后或怀疑不一致时需要。
    Ingest keeps them up to date; needed only after an upgrade or to repair drift.
    """
    from gongshi.store import stats_upkeep

    db = _open(settings)
    with db.session() as session:
        stats_upkeep.rebuild(session)
    click.echo("统计汇总表已重算 / statistics rebuilt")


@main.command()
@click.pass_obj
def warm(settings: Settings) -> None:
    """预先生成过期或缺少的主体记录和当前数据版本的随机性审计 / build what the first visitor would wait for.

    主体记录（/api/v1/enterprises/<代码>）每次导入或更正后、以及每天过期后需重新生成；本命令分批生成
    全部不是最新的记录，每批一个短事务，可在网站运行时执行，可随时中断、再次运行（已生成的跳过）。
    每天零点后运行一次（deploy/systemd/gongshi-warm.timer）。
    Builds every entity record that is missing, outdated or from an earlier day, in batches of
    short transactions (safe beside `serve`, safe to interrupt and re-run), and the randomness
    audit of the current data version. Run daily after midnight (China time).
    """
    db = _open(settings)
    finished = _warm_documents(db, settings)
    sys.exit(0 if _warm_audit(db, settings) and finished else 1)


@main.command()
@click.option("--limit", default=20, show_default=True)
@click.pass_obj
def sources(settings: Settings, limit: int) -> None:
    """列出最近导入的来源及其结果 / list the latest loaded sources and what they changed."""
    from gongshi.store.models import IngestRun

    db = _open(settings)
    with db.session() as session:
        runs = session.scalars(select(IngestRun).order_by(IngestRun.id.desc()).limit(limit)).all()
        for run in runs:
            click.echo(f"#{run.source_id} {local_minute(run.finished_at)} {run.kind:9} {run.rows:>8} 行 "
                       f"+{run.inserted} ~{run.updated} ={run.unchanged} -{run.withdrawn}  {run.source.uri}")


@main.command("corrections")
@click.option("--resolve", "ref", metavar="编号", help="答复这件更正申请 / answer this request, e.g. GZ-2026-000123")
@click.option("--status", type=click.Choice(["已更正", "未予更正"]), help="处理结果 / outcome")
@click.option("--reply", help="公开的答复内容 / the public reply")
@click.option("--publish", "publish_ref", metavar="编号",
              help="审核后公开这件申请的内容（有误之处、应更正为）/ publish this request's text")
@click.pass_obj
def corrections_command(settings: Settings, ref: str | None, status: str | None, reply: str | None,
                        publish_ref: str | None) -> None:
    """更正申请：按受理部门列出待处理的申请（含申请人联系方式，仅供部门工作人员使用），审核后公开申请内容，或答复一件申请。
    List pending correction requests per department (with the private contact), publish a
    request's text once read, or answer one. Requests waiting in the spool are recorded first.

    \b
    gongshi corrections
    gongshi corrections --publish GZ-2026-000123
    gongshi corrections --resolve GZ-2026-000123 --status 已更正 --reply "已于3月5日重新公示"
    """
    from gongshi.store import corrections

    if ref is None and (status or reply):
        raise click.UsageError("--status 与 --reply 须与 --resolve 一起使用")
    if ref is not None and not (status and reply):
        raise click.UsageError("答复时须同时给出 --status（已更正 或 未予更正）和 --reply")
    db = _open(settings)
    spool = Spool(settings.correction_spool)
    correction_queue.drain(db, spool, settings.correction_lock_wait)
    if publish_ref is not None:
        try:
            with db.session() as session:
                published = corrections.publish(session, publish_ref)
        except corrections.CorrectionError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"{published.ref}：申请内容已公开")
        return
    if ref is not None:
        try:
            with db.session() as session:
                answered = corrections.resolve(session, ref, status, reply)
        except corrections.CorrectionError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"{answered.ref}：{answered.status}，答复已公开")
        return
    with db.session() as session:
        pending = corrections.pending_by_department(session)
    if waiting := spool.count():
        click.echo(f"另有 {waiting} 件更正申请已受理、等待登记（数据库正忙，稍后再运行本命令）")
    if not pending:
        click.echo("没有待处理的更正申请")
    for department, requests in pending.items():
        click.echo(f"{department}（{len(requests)} 件待处理）")
        for r in requests:
            contact = "，".join(filter(None, (r.contact_name, r.contact_phone, r.contact_email)))
            click.echo(f"  {r.ref}  {local_minute(r.created_at)}  {r.entity.name}（{r.entity.public_key}）"
                       f"  {r.fact_table}:{r.fact_id}\n"
                       f"    有误之处：{r.claim}\n    应更正为：{r.correction}\n    联系方式：{contact}")
