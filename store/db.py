"""The one place that owns engines and sessions, and the schema's migrations."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
# Seconds a write waits for another writer's lock, unless its session asks for less (lock_wait).
LOCK_WAIT = 30.0


# SQLite's page cache for one ingest's transaction, in KiB (its default is 2,000): a million rows
# insert into seven indexes of `inspection` alone, and with the default most of those index pages
# were evicted and read again between batches.
BULK_CACHE_KIB = 32_768


class DriverMissing(RuntimeError):
    """The database URL names a driver that is not installed."""


def json_text(value: object) -> str:
    """JSON columns (extras, notes, revisions) written by orjson: an ingest writes one per row,
    and the standard library's encoder was a tenth of a results ingest's time."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str) -> Engine:
    """An engine for SQLite or PostgreSQL; SQLite gets WAL, foreign keys and a busy timeout.
    A transaction begun with the execution option `lock_wait` (seconds) waits at most that long
    for another writer's lock, then fails with OperationalError: SQLite's busy timeout, set on
    the connection only when it changes; PostgreSQL's lock_timeout, for that transaction."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": LOCK_WAIT}, json_serializer=json_text)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, record):
            record.info["lock_wait"] = LOCK_WAIT
            # pysqlite's own transaction handling breaks SAVEPOINT and transactional DDL:
            # turn it off and let SQLAlchemy emit BEGIN (the SQLAlchemy documentation's recipe).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            wait, pooled = conn.get_execution_options().get("lock_wait", LOCK_WAIT), conn.connection
            if pooled.info.get("lock_wait") != wait:
                pooled.dbapi_connection.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
                pooled.info["lock_wait"] = wait
            conn.exec_driver_sql("BEGIN")

        return engine
    try:
        engine = create_engine(url, pool_pre_ping=True, json_serializer=json_text)
    except ModuleNotFoundError as exc:  # the PostgreSQL driver is an optional extra
        raise DriverMissing(f"数据库地址 {make_url(url).render_as_string()} 需要驱动 {exc.name}，但未安装。"
                            "PostgreSQL 请安装 pip install 'gongshi[postgres]'，并使用 postgresql+psycopg:// 地址"
                            f" / the database driver {exc.name} is not installed: pip install 'gongshi[postgres]'"
                            " and use a postgresql+psycopg:// URL") from exc

    @event.listens_for(engine, "begin")
    def _postgresql_begin(conn):
        if (wait := conn.get_execution_options().get("lock_wait")) is not None:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {max(int(wait * 1000), 1)}")  # 0 would mean none

    return engine


@contextmanager
def bulk_cache(session: Session) -> Iterator[None]:
    """A larger SQLite page cache (BULK_CACHE_KIB) for the session's connection while a long
    write runs, given back after (a web process's pooled connections keep the default)."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    raw = session.connection().connection.dbapi_connection
    (before,) = raw.execute("PRAGMA cache_size").fetchone()
    raw.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        with suppress(sqlite3.Error):  # a connection the failure closed has no cache to give back
            raw.execute(f"PRAGMA cache_size = {int(before)}")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


class Database:
    """An engine and its session factory; one per application or command."""

    def __init__(self, url: str, engine: Engine | None = None, sessions: sessionmaker | None = None):
        self.url = url
        self.engine = engine or make_engine(url)
        self.sessionmaker = sessions or sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def within(cls, connection: Connection) -> "Database":
        """Sessions that run inside an outer transaction of `connection`: their commits only
        release savepoints, so the outer rollback undoes everything (used by the tests)."""
        sessions = sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
        return cls(str(connection.engine.url), connection.engine, sessions)

    @contextmanager
    def session(self, lock_wait: float | None = None) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error; with `lock_wait`, its
        writes wait at most that many seconds for another writer (see make_engine)."""
        with self.sessionmaker() as session, session.begin():
            if lock_wait is not None:
                session.connection(execution_options={"lock_wait": lock_wait})
            yield session

    def upgrade(self) -> None:
        """Bring the schema to the newest migration, load the reference data, and refill the
        statistics aggregates if a migration reshaped (and so emptied) them."""
        from gongshi.store.reference import load_reference
        from gongshi.store.stats_upkeep import rebuild_if_emptied

        with self.engine.begin() as conn:
            cfg = alembic_config(self.url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with self.session() as session:
            load_reference(session)
            rebuild_if_emptied(session)

    def dispose(self) -> None:
        self.engine.dispose()
