"""The one place that changes who owns a contact; every change lands in the owner history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from smarketing.models import Contact, OwnerChange


def assign_owner(
    session: Session,
    contact_id: int,
    owner_id: int,
    at: datetime,
    actor: str,
    reason: str | None,
    source: str = "assignment",
) -> None:
    previous = session.execute(
        select(Contact.owner_id).where(Contact.id == contact_id)
    ).scalar_one()
    session.execute(insert(OwnerChange).values(
        contact_id=contact_id, from_owner_id=previous, to_owner_id=owner_id, at=at,
        actor=actor, reason=reason, source=source,
    ))  # fmt: skip
    session.execute(update(Contact).where(Contact.id == contact_id).values(owner_id=owner_id))
