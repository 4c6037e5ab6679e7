"""Merge a duplicate contact into a survivor, keeping every fact of both.

`merge_contacts` moves the duplicate's activities, attempts, decisions, deals, identified
website visitors and its lifecycle and owner history to the survivor, fills the
survivor's empty fields, merges properties, advances the survivor's stage when the
duplicate was further along (through the lifecycle service), deletes the duplicate and
recomputes the survivor's SLA clocks.
It never commits: the edge does.

Each merge is recorded in `merged_contacts` (the duplicate's id and email -> survivor, who
and when). Rows that named the duplicate as their survivor are re-pointed at the new
survivor, so a chain of merges resolves in one lookup. The ingestion paths (API, tracking,
webhooks, the interchange importer) read that table so later events addressed to a merged
email or id reach the survivor; `resolve_email` does the same for one address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from smarketing.contacts import repository as repo
from smarketing.contacts.domain import furthest_stage, merged_values
from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.lifecycle import service as lifecycle
from smarketing.lifecycle.domain import Stage, Transition, plan_move
from smarketing.models import (
    Activity,
    Attempt,
    Contact,
    Deal,
    Decision,
    LifecycleChange,
    MergedContact,
    OwnerChange,
    SlaClock,
    Visitor,
)
from smarketing.sla.assignment import Assignment, assign_owners
from smarketing.sla.refresh import refresh_clocks, refreshed_once

#: Rows that follow the person (identified website visitors too, so their later tracked
#: events reach the survivor); `source` "contact" marks a contact's initial history row.
_MOVED = (Activity, Attempt, Decision, Deal, LifecycleChange, OwnerChange, Visitor)
#: The duplicate's initial-state history rows are relabelled: the survivor has its own.
MERGED_SOURCE = "merged"


def _normalize(email: str) -> str:
    return email.strip().lower()


def _load(session: Session, email: str) -> dict[str, Any]:
    row = session.execute(
        select(Contact.__table__).where(Contact.email == _normalize(email))
    ).mappings().first()
    if row is None:
        raise NotFoundError(f"no contact with email {_normalize(email)}")
    return dict(row)


def merge_contacts(
    session: Session, survivor_email: str, duplicate_email: str, now: datetime, actor: str
) -> dict[str, Any]:
    """Merge the duplicate into the survivor; returns the survivor's row as it is now."""
    if _normalize(survivor_email) == _normalize(duplicate_email):
        raise ValidationError("a contact cannot be merged with itself")
    with refreshed_once(session, now):
        return _merge(session, _load(session, survivor_email), _load(session, duplicate_email),
                      now, actor)  # fmt: skip


def _merge(session: Session, survivor: dict[str, Any], duplicate: dict[str, Any],
           now: datetime, actor: str) -> dict[str, Any]:  # fmt: skip
    survivor_id, duplicate_id = survivor["id"], duplicate["id"]

    _move_history(session, survivor_id, duplicate_id)
    record_merge(session, survivor, duplicate, now, actor)

    values = merged_values(survivor, duplicate)
    session.execute(update(Contact).where(Contact.id == survivor_id).values(**values))
    if survivor["owner_id"] is None and duplicate["owner_id"] is not None:
        assign_owners(session, [Assignment(survivor_id, duplicate["owner_id"], now, actor,
                                           f"merged with {duplicate['email']}")], now)
    _advance_stage(session, survivor_id, survivor, duplicate, now, actor)

    session.execute(delete(SlaClock).where(SlaClock.contact_id == duplicate_id))
    session.execute(delete(Contact).where(Contact.id == duplicate_id))
    repo.forget_cached(session, (survivor_id, duplicate_id))

    refresh_clocks(session, [survivor_id], now)
    return _load(session, survivor["email"])


def record_merge(
    session: Session, survivor: dict[str, Any], duplicate: dict[str, Any], now: datetime,
    actor: str,
) -> None:
    """Send the duplicate's id and email, and everything merged into it before, to the
    survivor.

    Stale rows give way: one for the duplicate's id (left from before migration 0003,
    when SQLite could give a deleted contact's id to a new one) or email, and one for the
    survivor's email (a live address is not a merged one).
    """
    session.execute(delete(MergedContact).where(or_(
        MergedContact.merged_contact_id == duplicate["id"],
        MergedContact.merged_email.in_([duplicate["email"], survivor["email"]]),
    )))  # fmt: skip
    session.execute(
        update(MergedContact)
        .where(MergedContact.survivor_id == duplicate["id"])
        .values(survivor_id=survivor["id"])
    )
    session.execute(insert(MergedContact).values(
        merged_contact_id=duplicate["id"], merged_email=duplicate["email"],
        survivor_id=survivor["id"], merged_at=now, merged_by=actor,
    ))  # fmt: skip


def _move_history(session: Session, survivor_id: int, duplicate_id: int) -> None:
    """Relabel the duplicate's initial-state rows (the survivor keeps the one initial row
    export reads), then point every row of the duplicate at the survivor."""
    for history in (LifecycleChange, OwnerChange):
        session.execute(
            update(history)
            .where(history.contact_id == duplicate_id, history.source == "contact")
            .values(source=MERGED_SOURCE)
        )
    for model in _MOVED:
        session.execute(
            update(model).where(model.contact_id == duplicate_id).values(contact_id=survivor_id)
        )


def _advance_stage(
    session: Session,
    survivor_id: int,
    survivor: dict[str, Any],
    duplicate: dict[str, Any],
    now: datetime,
    actor: str,
) -> None:
    current = Stage(survivor["lifecycle_stage"])
    target = furthest_stage(current, Stage(duplicate["lifecycle_stage"]))
    if target is current:
        return
    move = plan_move(current, target, f"merged with {duplicate['email']}")
    if move is None or move.transition is not Transition.ADVANCE:
        return
    lifecycle.apply_move(session, survivor_id, move, now, actor, source="stage_change")


def resolve_email(session: Session, email: str) -> str:
    """The email to file events for `email` under: its survivor's when it was merged.

    Returns `email` (normalized) when it is a live contact or unknown.
    """
    wanted = _normalize(email)
    return repo.resolve_email_addresses(session, [wanted])[wanted]


def merged_into(session: Session, ref: int | str) -> MergedContact | None:
    """The merge record of a merged contact id or email, if it was merged."""
    column = MergedContact.merged_contact_id if isinstance(ref, int) else MergedContact.merged_email
    value = ref if isinstance(ref, int) else _normalize(ref)
    return session.execute(select(MergedContact).where(column == value)).scalar_one_or_none()
