"""Correction requests (更正申请), beside the models: which fact a request concerns and which
department it is routed to, filing it, the public reads, and the department's answer."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from gongshi.store.localtime import local
from gongshi.store.models import (
    CORRECTION_PENDING,
    CORRECTION_STATUSES,
    CorrectionRequest,
    CreditEvent,
    Inspection,
    MarketEntity,
    Source,
    utcnow,
)
from gongshi.store.vocabulary import mask_personal

# The facts a business can object to, as `fact=<table>:<id>` in the form's URL. A finding's
# result is part of its inspection: the request names the inspection.
FACT_MODELS = {"inspection": Inspection, "credit_event": CreditEvent, "market_entity": MarketEntity}
FACT_RE = re.compile(r"^(inspection|credit_event|market_entity):(\d{1,10})$")
REF_RE = re.compile(r"^GZ-(\d{4})-(\d{6,10})$")
QUEUED_REF_RE = re.compile(r"^GZ-\d{4}-Q[0-9A-Z]{10}$")  # given by the spool: store/correction_queue.py
UNKNOWN_DEPARTMENT = "来源未注明发布部门"
_FACT_OPTIONS = {"inspection": (joinedload(Inspection.task), selectinload(Inspection.departments))}


class CorrectionError(ValueError):
    """A request that cannot be answered as asked; the message is Chinese, for the console."""


@dataclass
class Fact:
    """One published fact of an entity, and the department a correction of it goes to."""

    table: str
    record: Inspection | CreditEvent | MarketEntity
    source: Source
    department_id: int | None
    department_name: str


def entity_by_key(session: Session, key: str) -> MarketEntity | None:
    """An entity by its public key: the USCC, or the 注册号 of an entity without one."""
    return session.scalar(select(MarketEntity).where(or_(MarketEntity.uscc == key, MarketEntity.reg_no == key)))


def find_fact(session: Session, entity: MarketEntity, fact: str) -> Fact | None:
    """The fact `fact` ("inspection:12") names, if it is one of this entity's."""
    match = FACT_RE.match(fact or "")
    if match is None:
        return None
    table, record_id = match.group(1), int(match.group(2))
    record = session.get(FACT_MODELS[table], record_id, options=_FACT_OPTIONS.get(table, ()))
    if record is None or (record.id if table == "market_entity" else record.entity_id) != entity.id:
        return None
    source = session.get(Source, record.source_id)
    department_id, published = _owner(record)
    return Fact(table, record, source, department_id, published or source.publisher or UNKNOWN_DEPARTMENT)


def _owner(record) -> tuple[int | None, str | None]:
    """The department owning a fact: an inspection's lead department (the office as the result
    names it), a credit outcome's deciding authority, an entity's registration authority."""
    if isinstance(record, Inspection):
        lead = next((d for d in record.departments if d.department_id == record.lead_department_id), None)
        return record.lead_department_id, lead.published_name if lead else record.authorities_text
    if isinstance(record, CreditEvent):
        return record.department_id, record.authority_text
    return None, record.registration_authority


def new_request(entity: MarketEntity, fact: Fact, *, claim: str, correction: str, contact_name: str | None,
                contact_phone: str | None, contact_email: str | None) -> CorrectionRequest:
    """A pending request, not yet recorded. The claim and correction will be published: numbers,
    e-mail addresses and WeChat ids of people in them are masked here, on every path to the store."""
    now = utcnow()
    return CorrectionRequest(
        entity_id=entity.id, fact_table=fact.table, fact_id=fact.record.id, department_id=fact.department_id,
        department_name=fact.department_name, claim=mask_personal(claim), correction=mask_personal(correction),
        contact_name=contact_name, contact_phone=contact_phone, contact_email=contact_email,
        status=CORRECTION_PENDING, text_published=False, created_at=now, updated_at=now)


def by_ref(session: Session, ref: str) -> CorrectionRequest | None:
    """A request by its reference number (the year must match too: GZ-2026-000001 only)."""
    ref = ref.strip().upper()
    if QUEUED_REF_RE.match(ref):
        return session.scalar(select(CorrectionRequest).where(CorrectionRequest.queued_ref == ref)
                              .options(joinedload(CorrectionRequest.entity)))
    match = REF_RE.match(ref)
    if match is None:
        return None
    request = session.get(CorrectionRequest, int(match.group(2)), options=(joinedload(CorrectionRequest.entity),))
    return request if request is not None and local(request.created_at).year == int(match.group(1)) else None


def by_fact(requests: list[CorrectionRequest]) -> dict[tuple[str, int], list[CorrectionRequest]]:
    """Requests keyed by the fact they concern, to show each beside its fact."""
    grouped = defaultdict(list)
    for request in requests:
        grouped[(request.fact_table, request.fact_id)].append(request)
    return dict(grouped)


def pending_by_department(session: Session) -> dict[str, list[CorrectionRequest]]:
    """Pending requests grouped by the office they are routed to, oldest first."""
    grouped = defaultdict(list)
    for request in session.scalars(select(CorrectionRequest).where(CorrectionRequest.status == CORRECTION_PENDING)
                                   .options(joinedload(CorrectionRequest.entity))
                                   .order_by(CorrectionRequest.department_name, CorrectionRequest.id)):
        grouped[request.department_name].append(request)
    return dict(grouped)


def publish(session: Session, ref: str) -> CorrectionRequest:
    """The owning office has read the request's text (masked when filed) and makes it public."""
    request = _by_ref_or_error(session, ref)
    request.text_published, request.updated_at = True, utcnow()
    return request


def _by_ref_or_error(session: Session, ref: str) -> CorrectionRequest:
    request = by_ref(session, ref)
    if request is None:
        raise CorrectionError(f"没有编号为“{ref}”的更正申请")
    return request


def resolve(session: Session, ref: str, status: str, reply: str) -> CorrectionRequest:
    """The department's answer: 已更正 or 未予更正, with a public reply. An answer is final."""
    if status not in CORRECTION_STATUSES[1:]:
        raise CorrectionError(f"处理结果只能是：{'、'.join(CORRECTION_STATUSES[1:])}")
    if not reply.strip():
        raise CorrectionError("请填写答复内容（将公开显示）")
    request = _by_ref_or_error(session, ref)
    if not request.pending:
        raise CorrectionError(f"更正申请 {request.ref} 已于 {local(request.updated_at):%Y-%m-%d} 答复（{request.status}），不能再次答复")
    request.status, request.reply, request.updated_at = status, reply.strip(), utcnow()
    return request
