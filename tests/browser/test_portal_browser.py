"""The portal in real headless Chromium (Debian's `chromium`, driven by Playwright), served by a
real HTTP server on the sample data that `gongshi demo` loads. Screenshots of every page at
desktop and phone widths are saved to test-artifacts/ for people to look at."""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from gongshi import search
from gongshi.app import create_app
from gongshi.config import Settings
from gongshi.store import queries
from gongshi.store.db import Database
from tests.conftest import ROOT

CHROMIUM = Path(os.environ.get("GONGSHI_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts" / "browser"
WIDTHS = {"desktop": 1280, "phone": 390}
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]

playwright_api = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    if os.environ.get("GONGSHI_REQUIRE_BROWSER"):
        raise RuntimeError(f"GONGSHI_REQUIRE_BROWSER is set but {CHROMIUM} is missing (apt-get install chromium)")
    pytest.skip(f"browser tests need {CHROMIUM} (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """An instance loaded by the real `gongshi demo` command (300 generated entities)."""
    instance = tmp_path_factory.mktemp("portal-browser")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGSHI_")} | {"GONGSHI_INSTANCE_DIR": str(instance)}
    subprocess.run([str(Path(sys.executable).parent / "gongshi"), "demo", "--entities", "300"], env=env, check=True,
                   capture_output=True)
    return Settings.from_env({}, instance_dir=instance)


@pytest.fixture(scope="module")
def base_url(sample):
    server = make_server("127.0.0.1", 0, create_app(sample), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def artifacts():
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


def _rare_piece(settings: Settings) -> tuple[str, str, str]:
    """An inspected entity and the two characters of its name that find it among the fewest others."""
    db = Database(settings.database_url)
    with db.session() as session:
        entity = queries.latest_inspections(session, limit=1)[0].entity
        name, key = entity.name, entity.public_key
    db.dispose()
    pieces = {name[i:i + 2] for i in range(len(name) - 1)}
    piece = min(sorted(pieces), key=lambda q: search.search(settings.index_dir, q, type="enterprise").total)
    return piece, name, key


def test_a_citizen_finds_a_shop_by_two_characters_and_downloads_its_task(browser, base_url, sample, artifacts):
    piece, name, key = _rare_piece(sample)
    page = browser.new_page(viewport={"width": WIDTHS["desktop"], "height": 900}, accept_downloads=True)
    errors = _collect_errors(page)
    page.goto(base_url + "/")
    page.get_by_role("searchbox").fill(piece)
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/search?q=*")
    page.screenshot(path=artifacts / "journey-1-search.png", full_page=True)

    page.get_by_role("link", name=name, exact=True).first.click()
    page.wait_for_url(f"**/enterprises/{key}")
    assert page.get_by_role("heading", level=1).inner_text() == name
    assert page.locator("article.inspection").count() >= 1  # the history
    page.wait_for_selector("figure.chart.drawn .main-svg")  # plotly drew the chart
    assert page.locator("figure.chart .main-svg .bars path").count() >= 1
    page.screenshot(path=artifacts / "journey-2-entity.png", full_page=True)

    task_link = page.locator("article.inspection h3 a").first
    task_name = task_link.inner_text()
    task_link.click()
    page.wait_for_url("**/tasks/*")
    assert page.get_by_role("heading", level=1).inner_text() == task_name
    page.screenshot(path=artifacts / "journey-3-task.png", full_page=True)

    with page.expect_download() as download:
        page.locator("p.formats").get_by_role("link", name="CSV").click()
    body = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:2] == ["统一社会信用代码", "市场主体名称"] and len(rows) > 1
    assert errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_citizen_searches_two_words_and_sees_the_standing_first(browser, base_url, sample, artifacts, width):
    _, name, key = _rare_piece(sample)
    words = f"{name[-4:-2]} {name[:2]}"  # two pieces of the name, in the wrong order
    page = browser.new_page(viewport={"width": WIDTHS[width], "height": 800})
    errors = _collect_errors(page)
    page.goto(base_url + "/")
    page.get_by_role("searchbox").fill(words)
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/search?q=*")
    assert page.locator("details.filters").is_visible()
    page.screenshot(path=artifacts / f"citizen-{width}-1-search.png", full_page=True)
    page.get_by_role("link", name=name, exact=True).first.click()
    page.wait_for_url(f"**/enterprises/{key}")
    summary = page.locator("section.standing").bounding_box()
    assert summary["y"] + 120 < 800, "the standing starts in the first screen"  # its first lines show
    page.screenshot(path=artifacts / f"citizen-{width}-2-entity.png")
    page.screenshot(path=artifacts / f"citizen-{width}-2-entity-full.png", full_page=True)
    _tap_targets(page)
    assert errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_journalist_goes_from_statistics_to_an_office_its_department_and_its_xlsx(browser, base_url, artifacts, width):
    from openpyxl import load_workbook

    page = browser.new_page(viewport={"width": WIDTHS[width], "height": 800}, accept_downloads=True)
    errors = _collect_errors(page)
    page.goto(base_url + "/stats")
    page.screenshot(path=artifacts / f"journalist-{width}-1-stats.png", full_page=True)
    page.locator("table.wide th[scope=row] a").first.click()  # one filing office's own form
    page.wait_for_url("**/stats*office=*")
    page.locator("main").get_by_role("link", name=re.compile("局|委|厅")).first.click()  # 填报单位 → its page
    page.wait_for_url("**/offices/*")
    page.screenshot(path=artifacts / f"journalist-{width}-2-office.png", full_page=True)
    page.locator("main a[href*='/departments/']").first.click()
    page.wait_for_url("**/departments/*")
    page.screenshot(path=artifacts / f"journalist-{width}-3-department.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel（XLSX）").click()
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True)
    header = next(book.worksheets[0].iter_rows(values_only=True))
    assert "统一社会信用代码" in header and "发现问题" in header and "说明" in book.sheetnames
    assert errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_business_checks_its_record_its_source_file_and_asks_for_a_correction(browser, base_url, sample, artifacts,
                                                                               width):
    _, name, key = _rare_piece(sample)
    page = browser.new_page(viewport={"width": WIDTHS[width], "height": 800}, accept_downloads=True)
    errors = _collect_errors(page)
    page.goto(f"{base_url}/enterprises/{key}")
    source = page.locator("article.inspection .source a").first
    with page.expect_download() as download:
        source.click()
    assert download.value.suggested_filename == source.inner_text() and Path(download.value.path()).stat().st_size
    page.locator("article.inspection").get_by_role("link", name="申请更正").first.click()
    page.wait_for_url(f"**/enterprises/{key}/corrections/new*")
    assert page.get_by_role("heading", level=1).inner_text() == "申请更正公示信息"
    page.screenshot(path=artifacts / f"business-{width}-correction.png", full_page=True)
    assert errors == []


def _tap_targets(page) -> None:
    """Navigation and 申请更正 at least 44 px tall; every link in a list or table at least 24 px."""
    primary = page.evaluate("[...document.querySelectorAll('nav a, a.action')].map(a => a.getBoundingClientRect().height)")
    assert primary and min(primary) >= 44, primary
    small = page.evaluate("[...document.querySelectorAll('main li > a, main td > a')]"
                          ".filter(a => a.offsetParent).map(a => a.getBoundingClientRect().height)")
    assert not small or min(small) >= 24, small


PAGES = ["/", "/search?q=南通", "/search?q=没有这样的店", "/stats", "/data", "/about", "/api/docs", "/check-items", "/departments/{department}",
         "/tasks/{task}", "/plans/{plan}", "/enterprises/{entity}", "/enterprises/91320602MA00000000", "/nope"]


@pytest.fixture(scope="module")
def pages(sample):
    db = Database(sample.database_url)
    with db.session() as session:
        inspection = queries.latest_inspections(session, limit=1)[0]
        ids = {"department": inspection.lead_department_id, "task": inspection.task.task_no,
               "plan": inspection.task.plan.plan_no, "entity": inspection.entity.public_key}
    db.dispose()
    return [p.format(**ids) for p in PAGES]


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_passes_axe_and_breaks_no_csp_rule(browser, base_url, pages, artifacts, width):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(viewport={"width": WIDTHS[width], "height": 900})
    page = context.new_page()
    errors = _collect_errors(page)
    failures = {}
    for number, path in enumerate(pages):
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=artifacts / f"{width}-{number:02d}-{_slug(path)}.png", full_page=True)
        results = axe.run(page)
        if results.violations_count:
            failures[path] = results.generate_report()
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width] + 1, f"{path} scrolls sideways"
        widest_chart = page.evaluate(
            "Math.max(0, ...[...document.querySelectorAll('.plot .main-svg')].map(s => s.getBoundingClientRect().right))")
        assert widest_chart <= WIDTHS[width], f"{path}: a chart is wider than the screen"
        unlabeled = page.evaluate("[...document.querySelectorAll('table.stack tbody td:not([data-label])')].length")
        assert unlabeled == 0, f"{path}: stacked cells without their column name"
    context.close()
    assert failures == {}, "\n".join(f"{p}: {r}" for p, r in failures.items())
    assert errors == []


def _collect_errors(page) -> list[str]:
    """Console errors (a CSP violation is one) and uncaught exceptions, except the expected 404."""
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and "404" not in m.text and errors.append(m.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def _slug(path: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in path.strip("/")).strip("-")[:40] or "home"
