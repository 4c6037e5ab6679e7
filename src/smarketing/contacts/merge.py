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

from smarketing.contacts.ownership import assign_owner
from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.lifecycle import service as lifecycle
from smarketing.lifecycle.domain import FUNNEL, Stage, Transition, funnel_position, plan_move
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

#: Where the duplicate's conflicting property values are kept, by its email.
MERGED_FROM = "merged_from"

#: Descriptive fields: the survivor keeps its value, an empty one is filled from the duplicate.
FILLABLE = ("first_name", "last_name", "phone", "job_title", "company_id", "country",
            "persona_id", "product_line_id")  # fmt: skip
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
    survivor = _load(session, survivor_email)
    duplicate = _load(session, duplicate_email)
    survivor_id, duplicate_id = survivor["id"], duplicate["id"]

    _move_history(session, survivor_id, duplicate_id)
    record_merge(session, survivor, duplicate, now, actor)

    values = merged_values(survivor, duplicate)
    session.execute(update(Contact).where(Contact.id == survivor_id).values(**values))
    if survivor["owner_id"] is None and duplicate["owner_id"] is not None:
        assign_owner(session, survivor_id, duplicate["owner_id"], now, actor,
                     f"merged with {duplicate['email']}", source="assignment")  # fmt: skip
    _advance_stage(session, survivor_id, survivor, duplicate, now, actor)

    session.execute(delete(SlaClock).where(SlaClock.contact_id == duplicate_id))
    session.execute(delete(Contact).where(Contact.id == duplicate_id))
    _forget_cached(session, (survivor_id, duplicate_id))

    from smarketing.sla.service import recompute_clocks

    recompute_clocks(session, [survivor_id], now)
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


def merged_values(survivor: dict[str, Any], duplicate: dict[str, Any]) -> dict[str, Any]:
    """The survivor's new column values (pure: two rows in, the changes out)."""
    values: dict[str, Any] = {}
    for name in FILLABLE:
        if survivor[name] in (None, "") and duplicate[name] not in (None, ""):
            values[name] = duplicate[name]
    if duplicate["created_at"] < survivor["created_at"]:
        values["created_at"] = duplicate["created_at"]
    earlier, later = sorted((survivor, duplicate), key=lambda row: row["created_at"])
    first = earlier if earlier["first_touch_channel"] is not None else later
    values["first_touch_channel"] = first["first_touch_channel"]
    values["first_touch_campaign_id"] = first["first_touch_campaign_id"]
    if duplicate["last_touch_at"] is not None and (
        survivor["last_touch_at"] is None or duplicate["last_touch_at"] > survivor["last_touch_at"]
    ):
        values.update(last_touch_at=duplicate["last_touch_at"],
                      last_touch_channel=duplicate["last_touch_channel"],
                      last_touch_campaign_id=duplicate["last_touch_campaign_id"])  # fmt: skip
    values["properties"] = merged_properties(
        survivor["properties"] or {}, duplicate["properties"] or {}, duplicate["email"]
    )
    return values


def filled_values(
    survivor: dict[str, Any], incoming: dict[str, Any], incoming_email: str
) -> dict[str, Any]:
    """What a later description of a merged contact adds to its survivor (pure): the
    survivor's empty fields, and the properties it lacks (conflicts under merged_from)."""
    values = {
        name: incoming[name] for name in FILLABLE
        if survivor[name] in (None, "") and incoming.get(name) not in (None, "")
    }  # fmt: skip
    properties = merged_properties(
        survivor["properties"] or {}, incoming.get("properties") or {}, incoming_email
    )
    if properties != (survivor["properties"] or {}):
        values["properties"] = properties
    return values


def merged_properties(
    survivor: dict[str, Any], duplicate: dict[str, Any], duplicate_email: str
) -> dict[str, Any]:
    """Survivor wins conflicts; the duplicate's conflicting values go under merged_from."""
    result = {k: v for k, v in duplicate.items() if k != MERGED_FROM}
    result.update({k: v for k, v in survivor.items() if k != MERGED_FROM})
    conflicts = {
        k: v for k, v in duplicate.items()
        if k != MERGED_FROM and k in survivor and survivor[k] != v
    }  # fmt: skip
    merged_from = {**duplicate.get(MERGED_FROM, {}), **survivor.get(MERGED_FROM, {})}
    if conflicts:
        merged_from[duplicate_email] = conflicts
    if merged_from:
        result[MERGED_FROM] = merged_from
    return result


def furthest_stage(a: Stage, b: Stage) -> Stage:
    """The stage further along the funnel; `other` (outside the funnel) never wins."""
    if a not in FUNNEL or b not in FUNNEL:
        return a
    return b if funnel_position(b) > funnel_position(a) else a


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


def _forget_cached(session: Session, ids: tuple[int, ...]) -> None:
    """Rows were changed with Core statements: drop any stale ORM copies."""
    for contact_id in ids:
        cached = session.identity_map.get(session.identity_key(Contact, contact_id))
        if cached is not None:
            session.expunge(cached)


def resolve_email(session: Session, email: str) -> str:
    """The email to file events for `email` under: its survivor's when it was merged.

    Returns `email` (normalized) when it is a live contact or unknown.
    """
    wanted = _normalize(email)
    if session.execute(select(Contact.id).where(Contact.email == wanted)).first() is not None:
        return wanted
    survivor = session.execute(
        select(Contact.email).join(MergedContact, MergedContact.survivor_id == Contact.id)
        .where(MergedContact.merged_email == wanted)
    ).scalar_one_or_none()  # fmt: skip
    return survivor or wanted


def merged_into(session: Session, ref: int | str) -> MergedContact | None:
    """The merge record of a merged contact id or email, if it was merged."""
    column = MergedContact.merged_contact_id if isinstance(ref, int) else MergedContact.merged_email
    value = ref if isinstance(ref, int) else _normalize(ref)
    return session.execute(select(MergedContact).where(column == value)).scalar_one_or_none()
