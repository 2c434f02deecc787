"""Correction requests (更正申请 / 异议): a business says a published fact is wrong. The form works
without JavaScript, is protected by a CSRF token kept in the signed session, a honeypot field and
a per-client rate limit; the request is then public at /corrections/<ref> (without its contact
details) and shown beside the fact until the owning department answers (`gongshi corrections`).
When the store is busy (an ingest holds SQLite's write lock), the request waits in the spool
(store/correction_queue.py) with its reference number, and its page says so until it is recorded."""
from __future__ import annotations

import hmac
import secrets
import time

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from gongshi.api.context import get_db, get_spool
from gongshi.store import correction_queue, corrections
from gongshi.store.models import MarketEntity

bp = Blueprint("corrections", __name__)

# A business files one or two requests at a time; this refuses a script, not a person.
DEFAULT_RATE_LIMIT = "5 per minute;30 per day"
HONEYPOT = "website"  # hidden from people; a bot that fills every field fills it too
CSRF_KEY = "csrf_token"
PHONE = r"^(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$"
DRAIN_EVERY = 5.0  # seconds: how often a process looks for spooled requests on its own
DRAINED_AT = "gongshi.portal.spool_drained_at"


def init_app(app: Flask) -> None:
    """Register the blueprint with its own rate limit on submissions (flask-limiter, as the API,
    counting where the app's RATELIMIT_STORAGE_URI says), and the spool's drain on requests."""
    app.register_blueprint(bp)
    rate = app.config.get("GONGSHI_CORRECTION_RATE_LIMIT") or DEFAULT_RATE_LIMIT
    if rate != "off":
        Limiter(get_remote_address, app=app, headers_enabled=True).limit(rate, methods=["POST"])(bp)  # Retry-After

    @app.before_request
    def _drain_now_and_then():
        """Spooled requests are recorded by the first request after the store is free again, even
        when no ingest follows; a busy store costs the request nothing (no wait for its lock)."""
        now = time.monotonic()
        if now - app.extensions.get(DRAINED_AT, 0.0) >= DRAIN_EVERY:
            app.extensions[DRAINED_AT] = now
            if get_spool().count():
                correction_queue.drain(get_db(), get_spool())


class CorrectionForm(Schema):
    """The form's fields with their messages; blank optional fields become None."""

    claim = fields.String(required=True, validate=validate.Length(max=2000, error="“有误之处”不能超过 {max} 字"),
                          error_messages={"required": "请填写“有误之处”：哪一项信息有误"})
    correction = fields.String(required=True, validate=validate.Length(max=2000, error="“应更正为”不能超过 {max} 字"),
                               error_messages={"required": "请填写“应更正为”：正确的信息是什么"})
    contact_name = fields.String(load_default=None, validate=validate.Length(max=64, error="“联系人”不能超过 {max} 字"))
    contact_phone = fields.String(load_default=None,
                                  validate=validate.Regexp(PHONE, error="“联系电话”应为手机号码或带区号的固定电话"))
    contact_email = fields.Email(load_default=None, validate=validate.Length(max=254),
                                 error_messages={"invalid": "“电子邮箱”格式不正确，例如 name@example.com"})

    @pre_load
    def _blank_is_missing(self, data, **kwargs):
        return {k: v.strip() for k, v in data.items() if k in self.fields and v.strip()}

    @validates_schema
    def _reachable(self, data, **kwargs):
        if not data.get("contact_phone") and not data.get("contact_email"):
            raise ValidationError("请至少填写“联系电话”或“电子邮箱”之一，以便部门答复您", "contact_phone")


def csrf_token() -> str:
    if CSRF_KEY not in session:
        session[CSRF_KEY] = secrets.token_urlsafe(32)
    return session[CSRF_KEY]


def _check_csrf() -> None:
    sent, kept = request.form.get(CSRF_KEY, ""), session.get(CSRF_KEY, "")
    if not sent or not kept or not hmac.compare_digest(sent, kept):
        abort(400, description="表单已失效或缺少安全令牌（请确认浏览器允许本站 Cookie），请返回重新打开表单后提交。")


def _fact_or_404(db_session, key: str):
    entity = corrections.entity_by_key(db_session, key.strip().upper())
    if entity is None:
        abort(404, description=f"没有统一社会信用代码（或注册号）为“{key[:40]}”的市场主体。")
    fact = corrections.find_fact(db_session, entity, request.args.get("fact", ""))
    if fact is None:
        abort(404, description="该市场主体没有这条公示信息：请从市场主体页面中信息旁的“申请更正”进入。")
    return entity, fact


@bp.route("/enterprises/<key>/corrections/new", methods=["GET", "POST"])
def new(key: str):
    errors, values = {}, {}
    with get_db().session() as db_session:  # reads only: the write below has a session of its own
        entity, fact = _fact_or_404(db_session, key)
        if request.method == "POST":
            _check_csrf()
            if request.form.get(HONEYPOT):
                abort(400, description="无法受理此申请。")
            values = request.form.to_dict()
            try:
                filed = corrections.new_request(entity, fact, **CorrectionForm().load(values))
            except ValidationError as exc:
                errors = {name: messages[0] for name, messages in exc.normalized_messages().items()}
        if request.method == "GET" or errors:
            page = render_template("correction_new.html", entity=entity, fact=fact, errors=errors, values=values,
                                   csrf_token=csrf_token(), honeypot=HONEYPOT)
            return page, 422 if errors else 200, {"Cache-Control": "no-store"}
    ref = correction_queue.file(get_db(), get_spool(), filed, current_app.config["GONGSHI_CORRECTION_LOCK_WAIT"])
    flash(ref, "filed")
    return redirect(url_for("corrections.status", ref=ref), 303)


@bp.get("/corrections/<ref>")
def status(ref: str):
    if get_spool().waiting(ref.strip().upper()):  # recorded by this very request if the store is free now
        correction_queue.drain(get_db(), get_spool())
    with get_db().session() as db_session:
        filed, waiting = corrections.by_ref(db_session, ref), False
        if filed is None and (spooled := get_spool().waiting(ref.strip().upper())):
            filed, waiting = spooled[0], True
            filed.entity = db_session.get(MarketEntity, filed.entity_id)
        if filed is None:
            abort(404, description=f"没有编号为“{ref[:40]}”的更正申请。")
        fact = corrections.find_fact(db_session, filed.entity, f"{filed.fact_table}:{filed.fact_id}")
    just_filed = filed.ref in get_flashed_messages(category_filter=["filed"])
    page = render_template("correction_status.html", c=filed, fact=fact, just_filed=just_filed, waiting=waiting)
    return page, 200, {"Cache-Control": "no-store"} if just_filed or waiting else {}


@bp.errorhandler(429)
def _too_many(exc):
    return render_template("error.html", code=429, title="提交过于频繁", detail="同一网络提交更正申请过于频繁。",
                           advice="请稍后再试。"), 429, {"Cache-Control": "no-store"}
