"""The one place that changes who owns a contact; every change lands in the owner history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from smarketing.models import Contact, OwnerChange

_OWNER = select(Contact.owner_id).where(Contact.id == bindparam("b_contact"))
_SET_OWNER = update(Contact).where(Contact.id == bindparam("b_contact"))
_RECORD = insert(OwnerChange)


def assign_owner(
    session: Session,
    contact_id: int,
    owner_id: int,
    at: datetime,
    actor: str,
    reason: str | None,
    source: str = "assignment",
) -> None:
    connection = session.connection()
    previous = connection.execute(_OWNER, {"b_contact": contact_id}).scalar_one()
    connection.execute(_RECORD, {
        "contact_id": contact_id, "from_owner_id": previous, "to_owner_id": owner_id, "at": at,
        "actor": actor, "reason": reason, "source": source,
    })  # fmt: skip
    connection.execute(_SET_OWNER, {"b_contact": contact_id, "owner_id": owner_id})
