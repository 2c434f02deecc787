"""A correction request is never lost, even while an ingest holds the store: the business files it
through the form while an ingest in another process has SQLite's write lock (on PostgreSQL, where
an ingest never blocks a request, the paused ingest also locks the requests' table), gets its
reference number and a page saying it waits to be recorded; once the ingest commits, the request
is on its page and in its office's list, once. A drain killed with SIGKILL at either of its
points leaves every request recorded exactly once after the next one."""
from __future__ import annotations

import dataclasses
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from gongshi.app import create_app
from gongshi.democity import generate_city
from gongshi.store.correction_queue import Spool
from gongshi.store.db import Database
from gongshi.store.models import CorrectionRequest
from tests.test_faults import RUNNER, Instance, databases  # noqa: F401  (fixture)

PHONE, EMAIL = "13912345678", "boss@example.com"


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return generate_city(tmp_path_factory.mktemp("city"), entities=80)


@pytest.fixture(params=["sqlite", "postgresql"])
def instance(request, databases, city, tmp_path):  # noqa: F811
    """An instance with the city's entities and tasks loaded; its results are the ingest to hold."""
    instance = Instance(tmp_path / "instance", databases(request.param))
    for kind in ("entity", "task"):
        code, output = instance.run("ingest", "--kind", kind, city[kind])
        assert code == 0, output
    return instance


@contextmanager
def ingest_holding_the_store(instance: Instance, city) -> Iterator[subprocess.Popen]:
    """`gongshi ingest` of the city's results in another process, paused with its rows written
    and its transaction open until release(); killed with SIGKILL if never released."""
    marker = instance.settings.instance_dir / "at-held"
    process = subprocess.Popen([sys.executable, str(RUNNER), "held", str(marker), "ingest", "--kind", "result",
                                str(city["result"])], env=instance.env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    try:
        while not marker.exists():
            if process.poll() is not None:
                pytest.fail(f"the ingest ended before it held the store: {process.stdout.read().decode()}")
            time.sleep(0.05)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()


def release(instance: Instance, process: subprocess.Popen) -> None:
    (instance.settings.instance_dir / "at-held.release").write_text("go")
    output = process.communicate(timeout=600)[0].decode()
    assert process.returncode == 0, output


def portal(instance: Instance):
    """The portal on the instance's own store; a request waits a moment for the store's lock."""
    return create_app(dataclasses.replace(instance.settings, correction_lock_wait=0.3)).test_client()


def file_request(client, claim: str) -> str:
    """Files a request about the first entity's registration through the form; its reference."""
    uscc = client.get("/api/v1/enterprises?limit=1").get_json()["items"][0]["uscc"]
    form_url = re.search(r'href="([^"]*/corrections/new\?fact=market_entity:\d+)"',
                         client.get(f"/enterprises/{uscc}").get_data(as_text=True)).group(1).replace("&amp;", "&")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(form_url).get_data(as_text=True)).group(1)
    response = client.post(form_url, data={"csrf_token": token, "claim": claim, "correction": "住所为人民路2号",
                                           "contact_phone": PHONE, "contact_email": EMAIL, "website": ""})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[1]


def recorded(instance: Instance, refs: list[str]) -> dict[str, int]:
    db = Database(instance.settings.database_url)
    try:
        with db.session() as session:
            return dict(session.execute(select(CorrectionRequest.queued_ref, func.count())
                                        .where(CorrectionRequest.queued_ref.in_(refs))
                                        .group_by(CorrectionRequest.queued_ref)).all())
    finally:
        db.dispose()


def test_a_request_filed_while_an_ingest_holds_the_store_waits_and_is_recorded_when_it_commits(instance, city):
    client = portal(instance)
    with ingest_holding_the_store(instance, city) as ingest:
        ref = file_request(client, f"住所有误，请致电 {PHONE} 或发邮件到 {EMAIL} 核实")
        assert re.fullmatch(r"GZ-\d{4}-Q[0-9A-Z]{10}", ref)
        confirmation = client.get(f"/corrections/{ref}").get_data(as_text=True)
        assert f"您的更正申请已提交，编号 {ref}" in confirmation and "正在等待登记" in confirmation
        assert "请致电 139****5678" in confirmation and PHONE not in confirmation and EMAIL not in confirmation
        waiting = client.get(f"/corrections/{ref}")
        page = waiting.get_data(as_text=True)
        assert waiting.status_code == 200 and "已受理，等待登记" in page and "经受理部门审核后公开" in page
        assert "请致电" not in page  # the publish-by-office rule holds while it waits
        listing = instance.run("corrections")[1]
        assert "另有 1 件更正申请已受理、等待登记" in listing and ref not in listing
        release(instance, ingest)
    assert recorded(instance, [ref]) == {ref: 1}  # by the ingest, right after its commit

    page = client.get(f"/corrections/{ref}").get_data(as_text=True)
    assert "等待登记" not in page and "待处理" in page and "经受理部门审核后公开" in page
    code, listing = instance.run("corrections")
    assert code == 0 and listing.count(ref) == 1 and "等待登记" not in listing
    assert "请致电 139****5678" in listing and PHONE in listing  # the office reads the contact, masked text
    assert recorded(instance, [ref]) == {ref: 1} and Spool(instance.settings.correction_spool).count() == 0


def test_a_drain_killed_at_any_point_leaves_every_request_recorded_exactly_once(instance, city):
    client = portal(instance)
    with ingest_holding_the_store(instance, city):
        refs = [file_request(client, f"第{n}件：住所有误") for n in range(3)]
    # the ingest was killed, its load rolled back: the requests wait in the spool
    spool = Spool(instance.settings.correction_spool)
    assert spool.count() == 3 and recorded(instance, refs) == {}

    instance.killed_at("drain-recording", "corrections")
    assert spool.count() == 3 and recorded(instance, refs) == {}
    instance.killed_at("drain-recorded", "corrections")
    assert spool.count() == 3 and recorded(instance, refs) == dict.fromkeys(refs, 1)

    code, listing = instance.run("corrections")
    assert code == 0 and all(listing.count(ref) == 1 for ref in refs)
    assert recorded(instance, refs) == dict.fromkeys(refs, 1) and spool.count() == 0
    for ref in refs:
        page = client.get(f"/corrections/{ref}").get_data(as_text=True)
        assert "待处理" in page and "等待登记" not in page


def test_the_next_request_to_find_the_store_free_records_what_waited(instance, city):
    client = portal(instance)
    with ingest_holding_the_store(instance, city):  # killed: no ingest commits to drain the spool
        refs = [file_request(client, f"第{n}件：住所有误") for n in range(2)]
    page = client.get(f"/corrections/{refs[1]}").get_data(as_text=True)
    assert "待处理" in page and "等待登记" not in page
    assert recorded(instance, refs) == dict.fromkeys(refs, 1)


def test_serve_records_what_waited_before_it_serves(instance, city, monkeypatch):
    from gongshi import serving

    with ingest_holding_the_store(instance, city):
        refs = [file_request(portal(instance), f"第{n}件：住所有误") for n in range(2)]
    monkeypatch.setattr(serving, "serve", lambda *args, **kwargs: None)  # start up, then return at once
    code, output = instance.run("serve")
    assert code == 0 and "已登记 2 件此前等待登记的更正申请" in output, output
    assert recorded(instance, refs) == dict.fromkeys(refs, 1)
