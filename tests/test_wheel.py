"""The wheel as a user gets it: built from the source tree, installed (not editable, without
extras) into a fresh virtual environment that sees nothing of this checkout, then `gongshi demo`
and `gongshi serve` answered over real HTTP. It proves that the package data (templates, static
files, sample data, the demo city's word lists, migrations) ships inside the wheel, that
`gongshi` is the only import name it installs, and that SQLite works without the PostgreSQL
driver. One test, so that it runs once per suite whatever the backends and workers."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.factories import serving

pytestmark = pytest.mark.wheel

PAGES = ["/", "/search?q=南通", "/stats", "/data", "/about", "/check-items"]
SHIPPED = ["gongshi/templates/base.html", "gongshi/api/templates/", "gongshi/portal/static/portal.css",
           "gongshi/sample/jiangsu_2021_tasks.csv", "gongshi/democity/words/regions.toml",
           "gongshi/store/migrations/script.py.mako", "gongshi/store/migrations/versions/"]
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "build", "dist", "instance", "*.egg-info", "__pycache__",
                                    ".pytest_cache", ".ruff_cache", ".hypothesis", "test-artifacts", "bench-data")


def _run(*command, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)


def _build_wheel(tmp: Path) -> Path:
    """pip wheel of a copy of the tree (a build leaves build/ and egg-info behind)."""
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=NOT_COPIED)
    done = _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp / "dist", source)
    assert done.returncode == 0, done.stderr
    [wheel] = (tmp / "dist").glob("gongshi-*.whl")
    return wheel


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.headers.get_content_type(), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read().decode()


def test_the_wheel_installs_alone_and_serves_the_portal(tmp_path):
    wheel = _build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"gongshi", "gongshi-0.1.0.dist-info"}
    top_level = zipfile.ZipFile(wheel).read("gongshi-0.1.0.dist-info/top_level.txt").decode().split()
    assert top_level == ["gongshi"]
    missing = [s for s in SHIPPED if not any(n.startswith(s) for n in names)]
    assert not missing, f"not in the wheel: {missing}"

    venv = tmp_path / "venv"
    assert _run(sys.executable, "-m", "venv", venv).returncode == 0
    python, gongshi = venv / "bin" / "python", venv / "bin" / "gongshi"
    installed = _run(python, "-m", "pip", "install", "-q", wheel)
    assert installed.returncode == 0, installed.stderr
    assert _run(python, "-c", "import psycopg").returncode != 0, "the postgres extra was installed by default"

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONGSHI_", "PYTHON", "VIRTUAL_ENV"))}
    env["GONGSHI_INSTANCE_DIR"] = str(tmp_path / "instance")
    outside = {"cwd": tmp_path, "env": env}  # never this checkout: only the installed wheel is importable
    where = _run(python, "-c", "import gongshi; print(gongshi.__file__)", **outside).stdout
    assert where.startswith(str(venv)), where
    demo = _run(gongshi, "demo", "--entities", "200", **outside)
    assert demo.returncode == 0, demo.stdout + demo.stderr

    no_driver = _run(gongshi, "db-upgrade", cwd=tmp_path,
                     env={**env, "GONGSHI_DATABASE_URL": "postgresql+psycopg://gongshi:secret@127.0.0.1/gongshi"})
    assert no_driver.returncode == 1 and "Traceback" not in no_driver.stderr, no_driver.stderr
    assert "pip install 'gongshi[postgres]'" in no_driver.stderr and "secret" not in no_driver.stderr

    with serving([str(gongshi), "serve"], env) as base:
        for page in PAGES:
            status, kind, html = _get(base + urllib.request.quote(page, safe="/?="))
            assert (status, kind) == (200, "text/html"), page
            [css] = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
            assert _get(base + css)[:2] == (200, "text/css"), (page, css)
        status, _, html = _get(base + "/no-such-page")
        assert status == 404 and 'lang="zh-CN"' in html and "未找到此页面" in html
