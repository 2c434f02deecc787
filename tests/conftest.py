"""Test fixtures, Warehouse-style: one migrated database per backend for the whole run, each
test inside an outer transaction rolled back at its end (the code under test commits only
savepoints), and a recorder that counts SQL statements.

Backends: SQLite always; PostgreSQL when GONGSHI_TEST_POSTGRES_URL names a server whose
user may create databases (`.ci/run` starts one). With GONGSHI_REQUIRE_POSTGRES=1 a missing
server fails the run instead of skipping those tests. The deployment test (tests/test_deploy.py)
runs when GONGSHI_TEST_NGINX=1 and GONGSHI_TEST_REDIS_URL names a Redis it may empty; with
GONGSHI_REQUIRE_DEPLOY=1 their absence fails the run.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from gongshi.config import Settings
from gongshi.store.db import Database

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "gongshi" / "sample"
PG_URL = os.environ.get("GONGSHI_TEST_POSTGRES_URL")


def pytest_collection_modifyitems(config, items):
    if PG_URL is None and os.environ.get("GONGSHI_REQUIRE_POSTGRES"):
        raise pytest.UsageError("GONGSHI_REQUIRE_POSTGRES is set but GONGSHI_TEST_POSTGRES_URL is not")
    if os.environ.get("GONGSHI_REQUIRE_DEPLOY") and not (os.environ.get("GONGSHI_TEST_NGINX") == "1"
                                                         and os.environ.get("GONGSHI_TEST_REDIS_URL")):
        raise pytest.UsageError("GONGSHI_REQUIRE_DEPLOY is set but GONGSHI_TEST_NGINX=1 or GONGSHI_TEST_REDIS_URL is not")


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new database on the test server, dropped afterwards."""
    if PG_URL is None:
        pytest.skip("PostgreSQL: set GONGSHI_TEST_POSTGRES_URL (as .ci/run does)")
    name = f"gongshi_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh database for the whole run."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def migrated(request, tmp_path_factory):
    """Migrated databases per backend, created once."""
    made: dict[str, Database] = {}

    def get(backend: str) -> Database:
        if backend not in made:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'gongshi.sqlite3'}"
            else:
                url = request.getfixturevalue("postgres_url")
            made[backend] = Database(url)
            made[backend].upgrade()
        return made[backend]

    yield get
    for db in made.values():
        db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, migrated):
    """A Database whose every commit is rolled back after the test."""
    base = migrated(request.param)
    connection = base.engine.connect()
    outer = connection.begin()
    yield Database.within(connection)
    outer.rollback()
    connection.close()


@pytest.fixture
def settings(tmp_path) -> Settings:
    s = Settings.from_env({}, instance_dir=tmp_path / "instance")
    s.ensure_dirs()
    return s


@pytest.fixture
def query_counter(db):
    """Counts the SQL statements run on the test's connection."""
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield statements
    event.remove(db.engine, "before_cursor_execute", record)
