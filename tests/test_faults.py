"""Kill -9 at the worst moments: an ingest during its load, just after its commit, while its
index update writes, after the index update but before it is recorded, and a rebuild half way.
After each, on both databases, the store is exactly as before or as after, the repair brings
the index into agreement with the store, and a rerun loads everything."""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from gongshi.cli import main
from gongshi.config import Settings
from gongshi.democity import generate_city
from gongshi.store.db import Database
from gongshi.store.models import IngestRun
from tests.conftest import PG_URL
from tests.factories import dump

RUNNER = Path(__file__).with_name("fault_runner.py")
ENTITIES = 700  # about 1,400 result rows in about 560 inspections: a few seconds to load


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return generate_city(tmp_path_factory.mktemp("city"), entities=ENTITIES)


class Instance:
    """One instance folder and database, driven by the `gongshi` command as an operator would."""

    def __init__(self, root: Path, database_url: str | None):
        self.env = {**os.environ, "GONGSHI_INSTANCE_DIR": str(root)}
        self.env.pop("GONGSHI_DATABASE_URL", None)
        if database_url:
            self.env["GONGSHI_DATABASE_URL"] = database_url
        self.settings = Settings.from_env(self.env)

    def run(self, *args) -> tuple[int, str]:
        result = CliRunner(env={k: self.env.get(k) for k in ("GONGSHI_INSTANCE_DIR", "GONGSHI_DATABASE_URL")}).invoke(
            main, [str(a) for a in args])
        return result.exit_code, result.output

    def killed_at(self, point: str, *args) -> None:
        """Runs `gongshi args…` in a process and kills it (SIGKILL) when it reaches `point`."""
        marker = self.settings.instance_dir / f"at-{point}"
        process = subprocess.Popen([sys.executable, str(RUNNER), point, str(marker), *map(str, args)], env=self.env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            while not marker.exists():
                if process.poll() is not None:
                    pytest.fail(f"gongshi {args} ended before {point}: {process.stdout.read().decode()}")
                time.sleep(0.05)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
            process.stdout.close()

    def state(self) -> dict:
        db = Database(self.settings.database_url)
        try:
            return dump(db, provenance=False)
        finally:
            db.dispose()

    def pending_runs(self) -> int:
        db = Database(self.settings.database_url)
        try:
            with db.session() as s:
                return s.scalar(select(func.count()).where(IngestRun.index_pending.is_not(None)))
        finally:
            db.dispose()

    def index_folders(self) -> list[str]:
        return sorted(p.name for p in self.settings.index_dir.iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def databases():
    """New PostgreSQL databases for instances (each `gongshi` process commits for real), dropped
    at the end of the module; SQLite instances keep their file in the instance folder."""
    created = []

    def make(backend: str) -> str | None:
        if backend == "sqlite":
            return None
        if PG_URL is None:
            pytest.skip("PostgreSQL: set GONGSHI_TEST_POSTGRES_URL")
        name = f"gongshi_fault_{uuid.uuid4().hex[:8]}"
        with create_engine(PG_URL, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    yield make
    if created:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def tasks_loaded(instance: Instance, city) -> Instance:
    code, output = instance.run("ingest", "--kind", "task", city["task"])
    assert code == 0, output
    return instance


@pytest.fixture(scope="module")
def expected(databases, city, tmp_path_factory):
    """Per backend: the store with the city's tasks, and with its results loaded as well."""
    states = {}

    def get(backend: str) -> tuple[dict, dict]:
        if backend not in states:
            reference = tasks_loaded(Instance(tmp_path_factory.mktemp("reference"), databases(backend)), city)
            before = reference.state()
            code, output = reference.run("ingest", "--kind", "result", city["result"])
            assert code == 0, output
            states[backend] = before, reference.state()
        return states[backend]

    return get


@pytest.fixture(params=["sqlite", "postgresql"])
def prepared(request, databases, expected, city, tmp_path):
    """An instance with the city's tasks loaded and indexed; the stores before and after its results."""
    before, after = expected(request.param)
    instance = tasks_loaded(Instance(tmp_path / "instance", databases(request.param)), city)
    assert instance.state() == before
    return instance, before, after


@pytest.mark.parametrize("point", ["load", "before-index", "index-writing", "after-index"])
def test_an_ingest_killed_at_any_point_leaves_the_store_whole_and_the_index_repairable(prepared, city, point):
    instance, before, after = prepared
    instance.killed_at(point, "ingest", "--kind", "result", city["result"])
    assert instance.state() in (before, after)
    assert instance.state() == (before if point == "load" else after)
    code, output = instance.run("index", "--check", "--repair")
    assert code == 0 and "与数据库一致" in output, output
    assert instance.pending_runs() == 0
    code, output = instance.run("ingest", "--kind", "result", city["result"])
    assert code == 0, output
    assert instance.state() == after
    code, output = instance.run("index", "--check")
    assert code == 0 and "与数据库一致" in output, output


def test_the_next_ingest_replays_an_index_update_that_was_killed(prepared, city):
    instance, _, after = prepared
    instance.killed_at("before-index", "ingest", "--kind", "result", city["result"])
    assert instance.run("index", "--check")[0] == 1  # the drift the kill left
    code, output = instance.run("ingest", "--kind", "result", city["result"])
    assert code == 0 and "未作改动" in output, output  # the same file: nothing to load again …
    assert instance.run("index", "--check")[0] == 0  # … but the index caught up
    assert instance.state() == after and instance.pending_runs() == 0


def test_serve_replays_an_index_update_that_was_killed_before_it_serves(prepared, city, monkeypatch):
    from gongshi import serving

    instance, _, after = prepared
    instance.killed_at("after-index", "ingest", "--kind", "result", city["result"])
    assert instance.pending_runs() == 1
    monkeypatch.setattr(serving, "serve", lambda *args, **kwargs: None)  # start up, then return at once
    code, output = instance.run("serve")
    assert code == 0 and "已补做 1 次导入未完成的索引更新" in output, output
    assert instance.pending_runs() == 0 and instance.run("index", "--check")[0] == 0


def test_a_killed_rebuild_leaves_the_index_in_use_and_its_folder_is_removed(prepared):
    instance, before, _ = prepared
    folders = instance.index_folders()
    instance.killed_at("rebuild", "index", "--rebuild")
    assert len(instance.index_folders()) == len(folders) + 1  # the half-written one
    assert instance.run("index", "--check")[0] == 0  # searches still use the complete index
    code, output = instance.run("index", "--check", "--repair")
    assert code == 0 and "已删除 1 个中断的重建留下的文件夹" in output, output
    assert instance.index_folders() == folders and instance.state() == before
