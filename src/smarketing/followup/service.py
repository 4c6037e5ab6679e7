"""Log an attempt: the same validation as an interchange `attempt` line, then SLA clocks."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.core.errors import ValidationError
from smarketing.core.timeutil import format_instant
from smarketing.interchange.importer import Importer, RejectedLine
from smarketing.models import Contact
from smarketing.sla.service import recompute_clocks


def log_attempt(
    session: Session,
    *,
    contact: str,
    by: str,
    kind: str,
    at: datetime,
    now: datetime,
    outcome: str | None = None,
    note: str | None = None,
    attempt_id: str | None = None,
) -> str:
    """Record one attempt and bring the lead's SLA clocks up to date; returns its id.

    Raises ValidationError with the reason when a field is wrong or unknown.
    """
    if at > now:
        raise ValidationError(f"at: {format_instant(at)} is in the future")
    record = {"type": "attempt", "id": attempt_id or f"att-{uuid.uuid4()}", "contact": contact,
              "by": by, "kind": kind, "at": format_instant(at), "outcome": outcome,
              "note": note}  # fmt: skip
    record = {k: v for k, v in record.items() if v is not None}
    try:
        Importer(session).apply_data(record)
    except RejectedLine as exc:
        raise ValidationError(str(exc)) from None
    contact_id = session.execute(
        select(Contact.id).where(Contact.email == contact.strip().lower())
    ).scalar_one()
    recompute_clocks(session, [contact_id], now)
    return str(record["id"])
