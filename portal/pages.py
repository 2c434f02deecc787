"""The portal's first pages: what is in the store and where it came from."""
from __future__ import annotations

from flask import Blueprint, render_template

from portal import get_db
from store import queries

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    with get_db().session() as session:
        return render_template("home.html", totals=queries.totals(session),
                               latest=queries.latest_inspections(session, limit=20),
                               runs=queries.latest_runs(session, limit=10))
