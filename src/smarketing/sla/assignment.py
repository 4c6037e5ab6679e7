"""The one place that changes who owns a lead (the handoff): every change lands in the
owner history and the lead's SLA clocks follow in the same call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from smarketing.core.rows import chunks
from smarketing.models import Contact, OwnerChange
from smarketing.sla.refresh import refresh_clocks

_SET_OWNER = update(Contact).where(Contact.id == bindparam("b_contact")).values(
    owner_id=bindparam("b_owner"))  # fmt: skip


@dataclass(frozen=True)
class Assignment:
    """`owner_id` becomes the owner of `contact_id` at `at`, by `actor`, for `reason`.
    `source` says which record made it (`contact` for a contact's initial owner, else
    `assignment`), so export writes each fact back once."""

    contact_id: int
    owner_id: int | None
    at: datetime
    actor: str
    reason: str | None = None
    source: str = "assignment"


def assign_owners(session: Session, assignments: Sequence[Assignment], now: datetime) -> None:
    """Record the assignments in the given order (a lead's earlier one first) and refresh
    the leads' clocks."""
    if not assignments:
        return
    owners = current_owners(session, {a.contact_id for a in assignments})
    rows = []
    for item in assignments:
        rows.append({"contact_id": item.contact_id, "from_owner_id": owners[item.contact_id],
                     "to_owner_id": item.owner_id, "at": item.at, "actor": item.actor,
                     "reason": item.reason, "source": item.source})  # fmt: skip
        owners[item.contact_id] = item.owner_id
    connection = session.connection()
    connection.execute(insert(OwnerChange), rows)
    changed = sorted({a.contact_id for a in assignments})
    connection.execute(_SET_OWNER, [{"b_contact": c, "b_owner": owners[c]} for c in changed])
    refresh_clocks(session, changed, now)


def current_owners(session: Session, contact_ids: set[int]) -> dict[int, int | None]:
    owners: dict[int, int | None] = {}
    for chunk in chunks(sorted(contact_ids)):
        owners.update(session.execute(
            select(Contact.id, Contact.owner_id).where(Contact.id.in_(chunk))).all())
    return owners


def assign_owners_once(session: Session, assignments: Sequence[Assignment],
                       now: datetime) -> list[str]:  # fmt: skip
    """`assign_owners` for assignments that may have been recorded before (an import
    read twice): one already recorded (same lead, owner and instant) is `unchanged`,
    the others `created`."""
    known = _recorded(session, {a.contact_id for a in assignments})
    outcomes: list[str] = []
    new: list[Assignment] = []
    for item in assignments:
        key = (item.contact_id, item.owner_id, item.at)
        if key in known:
            outcomes.append("unchanged")
            continue
        known.add(key)
        new.append(item)
        outcomes.append("created")
    assign_owners(session, new, now)
    return outcomes


def _recorded(session: Session, contact_ids: set[int]) -> set[tuple[int, int | None, datetime]]:
    found: set[tuple[int, int | None, datetime]] = set()
    for chunk in chunks(sorted(contact_ids)):
        found.update(session.execute(
            select(OwnerChange.contact_id, OwnerChange.to_owner_id, OwnerChange.at)
            .where(OwnerChange.contact_id.in_(chunk), OwnerChange.source == "assignment")
        ).all())  # fmt: skip
    return found
