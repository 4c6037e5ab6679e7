"""Deals written and read through the API.

A deal is the interchange `deal` record upserted by its `id` (the id of the deal in
the CRM it comes from): the same validation and the same rules as a line of
`smarketing import` (a won or lost deal needs `closed_at`, an open one has none, a
deal never moves to another contact). The body is the whole deal: a field left out is
cleared. A deal addressed to a merged contact's email goes to the survivor. Rejected
writes are replayed from the quarantine by `replay_deal`. Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from smarketing.contacts.repository import names, resolve_emails, survivor_email
from smarketing.core.errors import ValidationError
from smarketing.core.rows import changed_values, chunks
from smarketing.core.timeutil import years_after
from smarketing.kit.api import check_body, instant, money
from smarketing.models import Contact, Deal, ProductLine, User
from smarketing.quarantine.service import register_replayer
from smarketing.records import schema as r
from smarketing.records.bounds import normalize_email
from smarketing.records.messages import name_the_field
from smarketing.workspace.keys import Keys, Missing
from smarketing.workspace.repository import workspace_settings

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


def upsert_deal(session: Session, body: Any, now: datetime) -> tuple[Deal, str]:
    """Create or replace the deal `body` describes; (deal, outcome)."""
    data = check_body(body, DEAL_FIELDS)
    if isinstance(data.get("contact"), str):
        data = {**data, "contact": contact_reference(session, data["contact"])}
    try:
        record = r.parse_record({"type": "deal", **data}, years_after(now, 1))
    except r.InvalidRecord as exc:
        raise ValidationError(name_the_field(str(exc), "deal", DEAL_FIELDS)) from None
    assert isinstance(record, r.DealRecord)  # noqa: S101 - parsed as a deal
    outcome = import_deals(session, Keys(session), [record])[0]
    if isinstance(outcome, ValidationError):
        raise ValidationError(name_the_field(f"deal: {outcome}", "deal", DEAL_FIELDS))
    deal = session.get(Deal, record.id)
    assert deal is not None  # noqa: S101 - just written
    session.refresh(deal)
    return deal, outcome


def import_deals(session: Session, keys: Keys,
                 records: Sequence[r.DealRecord]) -> list[str | ValidationError]:  # fmt: skip
    """Create or replace deals by id, in order: created, updated, unchanged, or the
    ValidationError refusing one (a deal never moves to another contact)."""
    currency = workspace_settings(session).currency
    contacts = resolve_emails(session, {record.contact for record in records})
    stored = _stored(session, {record.id for record in records})
    outcomes: list[str | ValidationError] = []
    new: dict[str, dict[str, Any]] = {}
    for record in records:
        try:
            values = _deal_values(keys, contacts, record, currency)
        except Missing as exc:
            outcomes.append(exc)
            continue
        known = stored.get(record.id)
        if known is None:
            new[record.id] = stored[record.id] = {"id": record.id, **values}
            outcomes.append("created")
        elif known["contact_id"] != values["contact_id"]:
            outcomes.append(ValidationError(f"deal id {record.id!r} belongs to another contact"))
        else:
            changed = changed_values(known, values)
            if changed and record.id not in new:
                session.execute(update(Deal).where(Deal.id == record.id).values(**changed))
            known.update(changed)
            outcomes.append("updated" if changed else "unchanged")
    if new:
        session.connection().execute(insert(Deal), list(new.values()))
    return outcomes


def _deal_values(keys: Keys, contacts: dict[str, int], record: r.DealRecord,
                 currency: str) -> dict[str, Any]:  # fmt: skip
    if record.contact not in contacts:
        raise Missing(f"unknown contact {record.contact!r}: define it on an earlier line")
    return {
        "contact_id": contacts[record.contact],
        "name": record.name,
        "amount": record.amount,
        "currency": record.currency or currency,
        "status": record.status,
        "created_at": record.created_at,
        "closed_at": record.closed_at,
        "owner_id": keys.users.get(record.owner),
        "product_line_id": keys.product_lines.get(record.product_line),
        "lost_reason": record.lost_reason,
    }


def _stored(session: Session, ids: set[str]) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for chunk in chunks(sorted(ids)):
        for row in session.execute(select(Deal.__table__).where(Deal.id.in_(chunk))):
            rows[row.id] = dict(row._mapping)
    return rows


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
    deal, outcome = upsert_deal(session, payload, now)
    return f"deal {deal.id} {outcome}"
