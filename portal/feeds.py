"""Atom feeds of new and corrected inspection results: site-wide, per entity, per department, per
office and per region, announced on the matching pages with <link rel="alternate">.

An office's feed holds the results it carried out: as the office that did the inspection for the
lead kind, or as any authority (抽查机关) the result names, so a joint inspection is in each
partner's feed. A region's feed holds the results carried out by its offices and those of every
region below it (a city with its counties), as the region's statistics count them: a reader of
如皋市 follows what 如皋's offices inspected, wherever the task was planned.

An entry's id is a tag: URI made from the result's natural key (the task and the entity, as
published), so a corrected result updates its entry in a reader instead of adding one."""
from __future__ import annotations

import datetime as dt
from urllib.parse import quote, urlsplit

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, abort, request, url_for

from gongshi.api.context import get_db
from gongshi.portal.departments import department_or_404
from gongshi.portal.offices import office_or_404, region_or_404
from gongshi.portal.web import cn_date, site_url
from gongshi.store import pages
from gongshi.store.offices import jurisdiction

bp = Blueprint("feeds", __name__)

ENTRIES = 50
TAG_YEAR = 2026  # the year this site's host first minted its tag: URIs (RFC 4151); never changes
MIMETYPE = "application/atom+xml"


def _tag(kind: str, key: str) -> str:
    host = urlsplit(site_url("/")).hostname or "localhost"
    return f"tag:{host},{TAG_YEAR}:{kind}/{quote(key, safe='')}"


def _utc(at: dt.datetime | None) -> dt.datetime:
    return (at or dt.datetime(1970, 1, 1)).replace(tzinfo=dt.UTC)


def _entry(fg: FeedGenerator, item: pages.FeedItem) -> None:
    i = item.inspection
    outcome = "发现问题" if i.problems_found else "未发现问题"
    entry = fg.add_entry(order="append")
    entry.id(_tag("inspection", i.natural_key))
    entry.title(f"{'【更正】' if item.corrected else ''}{i.entity.name}：{outcome}（{cn_date(i.completed_on)}）")
    entry.link(href=site_url(url_for("entities.entity", key=i.entity.public_key)) + f"#inspection-{i.id}")
    entry.updated(_utc(item.updated_at))
    findings = "；".join(f"{f.item or '检查事项未公布'}：{f.result or '未公布'}" for f in i.findings)
    entry.summary(f"抽查任务：{i.task.name}（{i.task.task_no}）。抽查机关：{i.authorities_text or '未公布'}。"
                  f"检查结果：{findings or i.result_text or '未公布'}。后续处置：{i.follow_up or '无'}。"
                  f"公示日期：{cn_date(i.published_on)}。")


def _feed(key: str, title: str, page_url: str, items: list[pages.FeedItem]) -> Response:
    """The feed at this request's URL; `key` names it among the site's feeds (its tag: id)."""
    fg = FeedGenerator()
    fg.id(_tag("feed", key))
    fg.title(title)
    fg.author({"name": "公示 · 双随机、一公开"})
    fg.link(href=site_url(page_url), rel="alternate", type="text/html")
    fg.link(href=site_url(request.path), rel="self", type=MIMETYPE)
    fg.language("zh-CN")
    fg.updated(max((_utc(item.updated_at) for item in items), default=_utc(None)))
    for item in items:
        _entry(fg, item)
    return Response(fg.atom_str(pretty=True), mimetype=MIMETYPE)


@bp.get("/feed.atom")
def site():
    with get_db().session() as session:
        items = pages.feed_items(session, limit=ENTRIES)
    return _feed("all", "最新公示和更正的抽查结果", url_for("pages.home"), items)


@bp.get("/enterprises/<key>/feed.atom")
def entity(key: str):
    with get_db().session() as session:
        record = pages.entity_record(session, key.strip().upper())
        if record is None:
            abort(404, description=f"没有统一社会信用代码（或注册号）为“{key[:40]}”的市场主体。")
        e = record.entity
        items = pages.feed_items(session, entity_id=e.id, limit=ENTRIES)
    return _feed(f"enterprise/{e.public_key}", f"{e.name}的抽查结果", url_for("entities.entity", key=e.public_key),
                 items)


@bp.get("/departments/<int:department_id>/feed.atom")
def department(department_id: int):
    with get_db().session() as session:
        dept = department_or_404(session, department_id)
        items = pages.feed_items(session, department_id=department_id, limit=ENTRIES)
    return _feed(f"department/{department_id}", f"{dept.name}的抽查结果",
                 url_for("departments.department", department_id=department_id), items)


@bp.get("/offices/<int:office_id>/feed.atom")
def office(office_id: int):
    with get_db().session() as session:
        found = office_or_404(session, office_id)
        items = pages.feed_items(session, offices=[office_id], limit=ENTRIES)
    return _feed(f"office/{office_id}", f"{found.name}的抽查结果", url_for("offices.office", office_id=office_id),
                 items)


@bp.get("/regions/<code>/feed.atom")
def region(code: str):
    with get_db().session() as session:
        found = region_or_404(session, code)[0]
        items = pages.feed_items(session, offices=pages.region_offices(jurisdiction(session, code)), limit=ENTRIES)
    return _feed(f"region/{code}", f"{found.full_name}各机关的抽查结果", url_for("offices.region", code=code), items)
