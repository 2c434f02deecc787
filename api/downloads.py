"""Bulk downloads: every dataset as CSV (UTF-8 with BOM, so that Excel reads Chinese), JSON Lines
and XLSX, written row by row so that memory stays flat whatever the size, once per data version
(api.files), and a Frictionless Data Package (datapackage.json) that describes them all."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from flask import Blueprint, Response, redirect, request

from gongshi.api.context import external_url, get_db
from gongshi.api.datasets import DATASETS, FORMATS, TITLES, meaning
from gongshi.api.endpoint import resolve_names
from gongshi.api.files import send_built
from gongshi.api.problems import ApiError
from gongshi.api.schemas import DownloadArgs, load_args
from gongshi.api.xlsx import write_xlsx
from gongshi.store import queries
from gongshi.store.tabular import csv_chunks

bp = Blueprint("downloads", __name__, url_prefix="/downloads",
               template_folder=str(Path(__file__).parent / "templates"))



@bp.get("/")
def index():
    """One page lists the downloads, the portal's /data (with the site's navigation)."""
    return redirect("/data", 301)


@bp.get("/datapackage.json")
def datapackage():
    with get_db().session() as session:
        updated = queries.data_version(session)[1]
        sources = queries.all_sources(session)
    return _json(datapackage_descriptor(updated, sources))


@bp.get("/<dataset>.<any(csv, jsonl, xlsx):fmt>")
def download(dataset: str, fmt: str):
    if dataset not in DATASETS:
        raise ApiError(404, f"没有名为 {dataset} 的数据集，可下载的有：{'、'.join(DATASETS)}")
    args = load_args(DownloadArgs(), request.args.to_dict())
    asked = args.get("department")
    with get_db().session() as session:
        resolve_names(session, args)  # a name becomes its id
        unknown = asked is not None and queries.department(session, args["department"]) is None
    if unknown:  # one file per department that exists, not per name or number asked
        raise ApiError(404, f"没有名为或编号为 {asked} 的部门（见 /api/v1/departments）")
    year, department = args.get("year"), args.get("department")
    spec = DATASETS[dataset]
    suffix = "".join(f"-{args[k]}" for k in ("year", "department") if k in args)

    def write(out: BinaryIO) -> None:
        with get_db().session() as session:
            WRITERS[fmt](spec.columns(), spec.rows(session, year, department), out)

    return send_built(f"gongshi-{dataset}{suffix}.{fmt}", write, FORMATS[fmt]["mimetype"])


def _csv(columns: list[str], rows: Iterable[dict], out: BinaryIO) -> None:
    money = [c.endswith("_yuan") for c in columns]  # 元, with two decimals
    for chunk in csv_chunks(columns, ([_money(row[c]) if m else row[c] for c, m in zip(columns, money)]
                                      for row in rows)):
        out.write(chunk.encode("utf-8"))


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def _json_value(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return round(float(value), 2)
    raise TypeError(type(value).__name__)


def _jsonl(columns: list[str], rows: Iterable[dict], out: BinaryIO) -> None:
    for row in rows:
        line = json.dumps({c: row[c] for c in columns}, ensure_ascii=False, default=_json_value)
        out.write(line.encode("utf-8") + b"\n")


def _xlsx_value(value):
    return ("是" if value else "否") if isinstance(value, bool) else value


def _xlsx(columns: list[str], rows: Iterable[dict], out: BinaryIO) -> None:
    """For people in Excel: Chinese column titles, 是/否, and a sheet "说明" with the data dictionary
    (CSV and JSON Lines keep the stable machine names)."""
    titles = [TITLES[c] for c in columns]
    guide = ("说明", ["列名", "字段名（CSV、JSON Lines 中）", "含义"],
             [[title, column, meaning(column)] for column, title in zip(columns, titles)])
    write_xlsx(out, titles, ([_xlsx_value(row[c]) for c in columns] for row in rows), appendix=guide)


WRITERS = {"csv": _csv, "jsonl": _jsonl, "xlsx": _xlsx}


def datapackage_descriptor(updated: dt.datetime | None, sources: list) -> dict:
    """A Frictionless Data Package: every dataset as a tabular resource with its Table Schema."""
    return {
        "profile": "tabular-data-package",
        "name": "gongshi",
        "title": "公示：双随机、一公开抽查数据",
        "description": "各部门公示的抽查事项清单、抽查计划与任务、抽查检查结果和信用信息，整理为统一格式。",
        "homepage": external_url("pages.data"),
        "licenses": [{"name": "public-government-information", "title": "政府信息公开：来源部门依法公示的信息"}],
        "sources": [{"title": s.name, "path": s.uri if s.uri.startswith(("http://", "https://")) else s.name,
                     "publisher": s.publisher, "fetched_at": s.fetched_at.isoformat() + "Z"} for s in sources],
        "last_updated": updated.isoformat() + "Z" if updated else None,
        "resources": [spec.resource() for spec in DATASETS.values()],
    }


def _json(body: dict) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json")
