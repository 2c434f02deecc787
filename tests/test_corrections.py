"""Correction requests (更正申请), as a business files them through the portal's form and a
department answers them at the console: on SQLite and PostgreSQL, through Flask's test client."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time

from click.testing import CliRunner
from sqlalchemy import update

import gongshi.cli
from gongshi.api.http import DATA_VERSION_TTL
from gongshi.app import create_app
from gongshi.config import Settings
from gongshi.store.models import CorrectionRequest
from tests.test_portal_pages import SAMR, SHOP, city  # noqa: F401  (fixture)

PHONE, EMAIL, NAME = "13912345678", "boss@chengyue.example.com", "王五"
CLAIM, FIX = "食品标签的检查结果有误：当日检查的是另一家门店", "未发现问题"


def form_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def fact_url(client, fact: str) -> str:
    return f"/enterprises/{SHOP}/corrections/new?fact={fact}"


def first_inspection(client) -> int:
    return client.get(f"/api/v1/enterprises/{SHOP}").get_json()["inspections"][0]["id"]


def submit(client, fact: str, **fields) -> object:
    url = fact_url(client, fact)
    data = {"csrf_token": form_of(client, url), "claim": CLAIM, "correction": FIX, "contact_name": NAME,
            "contact_phone": PHONE, "contact_email": EMAIL, "website": "", **fields}
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def filed_ref(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)
    return re.fullmatch(r".*/corrections/(GZ-\d{4}-\d{6})", response.headers["Location"]).group(1)


def test_a_request_is_pending_beside_its_fact_and_in_the_api_and_its_contact_nowhere(city):  # noqa: F811
    before = city.get(f"/api/v1/enterprises/{SHOP}").get_json()
    assert before["corrections"] == []
    inspection = before["inspections"][0]["id"]

    ref = filed_ref(submit(city, f"inspection:{inspection}"))
    confirmation = city.get(f"/corrections/{ref}").get_data(as_text=True)
    assert f"您的更正申请已提交，编号 {ref}" in confirmation and CLAIM in confirmation and SAMR in confirmation
    assert "您的更正申请已提交" not in city.get(f"/corrections/{ref}").get_data(as_text=True)  # shown once

    page = city.get(f"/enterprises/{SHOP}").get_data(as_text=True)
    article = re.search(rf'<article class="inspection" id="inspection-{inspection}">.*?</article>', page, re.S).group(0)
    assert f"有更正申请待处理（编号{ref}）" in article

    body = city.get(f"/api/v1/enterprises/{SHOP}").get_json()  # not the cached answer from before
    [correction] = body["corrections"]
    assert correction["ref"] == ref and correction["status"] == "待处理" and correction["reply"] is None
    assert (correction["fact_table"], correction["fact_id"]) == ("inspection", inspection)
    assert correction["department_name"] == SAMR and correction["url"].endswith(f"/corrections/{ref}")

    everything = [page, confirmation, city.get(f"/api/v1/enterprises/{SHOP}").get_data(as_text=True),
                  city.get(f"/enterprises/{SHOP}.csv").get_data(as_text=True),
                  city.get("/api/v1/openapi.json").get_data(as_text=True)]
    for dataset in ("enterprises", "inspections", "credit-events"):
        everything.append(city.get(f"/downloads/{dataset}.csv").get_data(as_text=True))
    for private in (PHONE, EMAIL, NAME):
        assert not any(private in text for text in everything), private


def test_a_credit_outcome_is_routed_to_the_authority_that_decided_it(city):  # noqa: F811
    credit = city.get(f"/api/v1/enterprises/{SHOP}").get_json()["credit_events"][0]["id"]
    earlier = filed_ref(submit(city, f"inspection:{first_inspection(city)}"))
    ref = filed_ref(submit(city, f"credit_event:{credit}", contact_email=None))
    page = city.get(f"/enterprises/{SHOP}").get_data(as_text=True)
    row = re.search(rf'<tr id="credit-{credit}">.*?</tr>', page, re.S).group(0)
    assert f"有更正申请待处理（编号{ref}）" in row and earlier not in row
    listed = city.get(f"/api/v1/enterprises/{SHOP}").get_json()["corrections"]
    assert [(c["ref"], c["fact_table"], c["department_name"]) for c in listed] == [
        (ref, "credit_event", SAMR), (earlier, "inspection", SAMR)]


def test_a_published_phone_number_in_the_claim_is_masked(city):  # noqa: F811
    ref = filed_ref(submit(city, f"inspection:{first_inspection(city)}", claim="请致电 13800001111 核实"))
    assert "请致电 138****1111 核实" in city.get(f"/corrections/{ref}").get_data(as_text=True)


def test_the_claim_is_public_only_once_its_office_publishes_it_with_contacts_masked(city, db, monkeypatch):  # noqa: F811
    claim = "另一家门店，请发邮件到 zhang.san@example.cn 或加微信：zhangsan_88 核实"
    ref = filed_ref(submit(city, f"inspection:{first_inspection(city)}", claim=claim))
    city.get(f"/corrections/{ref}")  # the filer's own confirmation, shown once

    def public() -> list[str]:
        api = city.get(f"/api/v1/enterprises/{SHOP}").get_json()["corrections"][0]
        return [city.get(f"/corrections/{ref}").get_data(as_text=True), str(api["claim"]), str(api["correction"])]

    before = public()
    assert "经受理部门审核后公开" in before[0] and "另一家门店" not in before[0] and before[1:] == ["None", "None"]
    monkeypatch.setattr(gongshi.cli, "_open", lambda settings: db)
    published = CliRunner().invoke(gongshi.cli.main, ["corrections", "--publish", ref], catch_exceptions=False)
    assert published.exit_code == 0 and f"{ref}：申请内容已公开" in published.output
    time.sleep(DATA_VERSION_TTL)  # the console is another writer: the API sees it within the TTL
    after = public()
    masked = "另一家门店，请发邮件到 z***@example.cn 或加微信：zh****88 核实"
    assert masked in after[0] and after[1:] == [masked, FIX]
    assert not any(secret in text for text in after for secret in ("zhang.san@", "zhangsan_88"))


def test_without_the_csrf_token_nothing_is_filed(city):  # noqa: F811
    url = fact_url(city, f"inspection:{first_inspection(city)}")
    response = city.post(url, data={"claim": CLAIM, "correction": FIX, "contact_phone": PHONE})
    assert response.status_code == 400 and "安全令牌" in response.get_data(as_text=True)
    assert submit(city, f"inspection:{first_inspection(city)}", csrf_token="forged").status_code == 400
    assert city.get(f"/api/v1/enterprises/{SHOP}").get_json()["corrections"] == []


def test_invalid_fields_reshow_the_form_with_messages_naming_them(city):  # noqa: F811
    response = submit(city, f"inspection:{first_inspection(city)}", claim="  ", contact_email="不是邮箱",
                      contact_phone="12345")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "请修改以下 3 处后重新提交" in page
    assert "请填写“有误之处”" in page and "“电子邮箱”格式不正确" in page and "“联系电话”应为手机号码" in page
    assert FIX in page and 'aria-invalid="true"' in page  # what was typed is kept

    no_contact = submit(city, f"inspection:{first_inspection(city)}", contact_phone="", contact_email="")
    assert no_contact.status_code == 422 and "请至少填写“联系电话”或“电子邮箱”之一" in no_contact.get_data(as_text=True)
    assert city.get(f"/api/v1/enterprises/{SHOP}").get_json()["corrections"] == []


def test_a_fact_that_is_not_the_entitys_is_not_found(city):  # noqa: F811
    other = city.get("/api/v1/inspections?limit=1000").get_json()["items"]
    foreign = next(i["id"] for i in other if i["entity"]["uscc"] != SHOP)
    for fact in (f"inspection:{foreign}", "inspection:999999", "credit_event:999999", "task:1", "inspection:x", ""):
        assert city.get(fact_url(city, fact)).status_code == 404, fact
    assert city.get(f"/enterprises/91320602MA00000000/corrections/new?fact=inspection:{foreign}").status_code == 404
    assert city.get("/corrections/GZ-1999-000001").status_code == 404


def test_the_honeypot_refuses(city):  # noqa: F811
    response = submit(city, f"inspection:{first_inspection(city)}", website="http://spam.example.com")
    assert response.status_code == 400
    assert city.get(f"/api/v1/enterprises/{SHOP}").get_json()["corrections"] == []


def test_submissions_are_rate_limited_per_client(db, settings, city):  # noqa: F811
    limited = dataclasses.replace(settings, correction_rate_limit="2 per minute")
    client = create_app(limited, database=db).test_client()
    fact = f"inspection:{first_inspection(client)}"
    responses = [submit(client, fact) for _ in range(3)]
    assert [r.status_code for r in responses] == [303, 303, 429]
    assert int(responses[2].headers["Retry-After"]) > 0 and "提交过于频繁" in responses[2].get_data(as_text=True)
    assert client.get(fact_url(client, fact)).status_code == 200  # reading the form is not limited


def test_the_department_lists_and_answers_at_the_console(city, db, monkeypatch):  # noqa: F811
    ref = filed_ref(submit(city, f"inspection:{first_inspection(city)}"))
    # The command runs in-process on the test's transaction, as create_app(database=db) does.
    monkeypatch.setattr(gongshi.cli, "_open", lambda settings: db)
    run = lambda *args: CliRunner().invoke(gongshi.cli.main, list(args), catch_exceptions=False)  # noqa: E731

    listing = run("corrections")
    assert listing.exit_code == 0 and f"{SAMR}（1 件待处理）" in listing.output
    assert ref in listing.output and PHONE in listing.output and EMAIL in listing.output

    answered = run("corrections", "--resolve", ref, "--status", "已更正", "--reply", "已核实，已于3月5日重新公示")
    assert answered.exit_code == 0, answered.output
    status = city.get(f"/corrections/{ref}").get_data(as_text=True)
    assert "已更正" in status and "已核实，已于3月5日重新公示" in status
    page = city.get(f"/enterprises/{SHOP}").get_data(as_text=True)
    assert "有更正申请待处理" not in page and f"更正申请 {ref}：已更正" in page
    [correction] = city.get(f"/api/v1/enterprises/{SHOP}").get_json()["corrections"]
    assert (correction["status"], correction["reply"]) == ("已更正", "已核实，已于3月5日重新公示")

    assert run("corrections").output.strip() == "没有待处理的更正申请"
    again = CliRunner().invoke(gongshi.cli.main, ["corrections", "--resolve", ref, "--status", "未予更正",
                                                 "--reply", "改变主意"])
    assert again.exit_code == 1 and "不能再次答复" in again.output
    assert run("corrections", "--resolve", ref, "--status", "已更正").exit_code == 2  # no reply


def test_the_session_secret_is_generated_once_and_kept_unless_given(tmp_path):
    settings = Settings.from_env({}, instance_dir=tmp_path / "instance")
    key = settings.session_secret()
    assert len(key) == 64 and Settings.from_env({}, instance_dir=tmp_path / "instance").session_secret() == key
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0
    given = Settings.from_env({"GONGSHI_SECRET_KEY": "from-the-environment"}, instance_dir=tmp_path / "other")
    assert given.session_secret() == "from-the-environment" and not (tmp_path / "other").exists()


def test_dates_and_reference_years_are_beijing_time(city, db, monkeypatch):  # noqa: F811
    """Filed at 23:30 UTC on New Year's Eve: in Nantong it is already 07:30 on 1 January."""
    number = int(filed_ref(submit(city, f"inspection:{first_inspection(city)}")).rsplit("-", 1)[1])
    with db.session() as session:
        session.execute(update(CorrectionRequest).where(CorrectionRequest.id == number)
                        .values(created_at=dt.datetime(2026, 12, 31, 23, 30)))
    ref = f"GZ-2027-{number:06d}"
    assert city.get(f"/corrections/GZ-2026-{number:06d}").status_code == 404
    assert "<dd>2027年1月1日</dd>" in city.get(f"/corrections/{ref}").get_data(as_text=True)
    monkeypatch.setattr(gongshi.cli, "_open", lambda settings: db)
    listing = CliRunner().invoke(gongshi.cli.main, ["corrections"], catch_exceptions=False).output
    assert f"{ref}  2027-01-01 07:30" in listing
