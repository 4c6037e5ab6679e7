"""Deals written and read through the API.

A deal is the interchange `deal` record upserted by its `id` (the id of the deal in
the CRM it comes from): the same validation and the same rules as a line of
`smarketing import` (a won or lost deal needs `closed_at`, an open one has none, a
deal never moves to another contact). The body is the whole deal: a field left out is
cleared. A deal addressed to a merged contact's email goes to the survivor. Rejected
writes are replayed from the quarantine by `replay_deal`. Never commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from smarketing.contacts.repository import names
from smarketing.ingest.contacts_upsert import survivor_email
from smarketing.interchange.service import apply_record
from smarketing.kit.api import check_body, instant, money
from smarketing.models import Contact, Deal, ProductLine, User
from smarketing.quarantine.service import register_replayer
from smarketing.records import schema as r
from smarketing.records.schema import normalize_email

DEAL_FIELDS = ("id", "contact", "amount", "status", "created_at", "name", "currency",
               "product_line", "closed_at", "owner", "lost_reason")  # fmt: skip
DEAL_STATUSES = ("open", "won", "lost")


def contact_reference(session: Session, email: str) -> str:
    """The normalized email a deal is filed under: the survivor's for a merged address.
    An address that is not valid is returned as is, for the validation to report."""
    try:
        return survivor_email(session, normalize_email(email))
    except ValueError:
        return email


def upsert_deal(session: Session, body: Any) -> tuple[Deal, str]:
    """Create or replace the deal `body` describes; (deal, outcome)."""
    data = check_body(body, DEAL_FIELDS)
    if isinstance(data.get("contact"), str):
        data = {**data, "contact": contact_reference(session, data["contact"])}
    record, outcome = apply_record(session, "deal", data, DEAL_FIELDS)
    assert isinstance(record, r.DealRecord)  # noqa: S101 - parsed as a deal
    deal = session.get(Deal, record.id)
    assert deal is not None  # noqa: S101 - just written
    session.refresh(deal)
    return deal, outcome


def deals_json(session: Session, deals: list[Deal]) -> list[dict[str, Any]]:
    contacts = names(session, Contact, {d.contact_id for d in deals}, Contact.email)
    owners = names(session, User, {d.owner_id for d in deals}, User.email)
    product_lines = names(session, ProductLine, {d.product_line_id for d in deals},
                          ProductLine.key)  # fmt: skip
    return [{
        "id": d.id,
        "name": d.name,
        "contact": contacts.get(d.contact_id),
        "contact_id": d.contact_id,
        "amount": money(d.amount),
        "currency": d.currency,
        "status": d.status,
        "created_at": instant(d.created_at),
        "closed_at": instant(d.closed_at),
        "owner": owners.get(d.owner_id) if d.owner_id else None,
        "product_line": product_lines.get(d.product_line_id) if d.product_line_id else None,
        "lost_reason": d.lost_reason,
    } for d in deals]  # fmt: skip


@register_replayer("deal")
def replay_deal(session: Session, payload: Any, now: datetime, source: str) -> str:
    deal, outcome = upsert_deal(session, payload)
    return f"deal {deal.id} {outcome}"
