"""Merge a duplicate contact into a survivor, keeping every fact of both.

`merge_contacts` moves the duplicate's activities, attempts, decisions, deals and its
lifecycle and owner history to the survivor, fills the survivor's empty fields, merges
properties, advances the survivor's stage when the duplicate was further along (through
the lifecycle service), deletes the duplicate and recomputes the survivor's SLA clocks.
It never commits: the edge does.

Merged emails and ids are kept in the survivor's `properties` under "merged_emails" and
"merged_contact_ids" until a table of merged ids exists. `resolve_email` maps a merged
email to its survivor; the importer should call it on every contact reference (the
`contact` field of activity, stage_change, assignment, attempt, decision and deal lines,
and the email of a contact line) so later events for the merged address reach the
survivor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, delete, select, update
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
    OwnerChange,
    SlaClock,
)

MERGED_EMAILS = "merged_emails"
MERGED_IDS = "merged_contact_ids"
MERGED_FROM = "merged_from"
_BOOKKEEPING = (MERGED_EMAILS, MERGED_IDS, MERGED_FROM)

#: Descriptive fields: the survivor keeps its value, an empty one is filled from the duplicate.
FILLABLE = ("first_name", "last_name", "phone", "job_title", "company_id", "country",
            "persona_id", "product_line_id")  # fmt: skip
#: History rows that follow the person; `source` "contact" marks a contact's initial row.
_MOVED = (Activity, Attempt, Decision, Deal, LifecycleChange, OwnerChange)
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
        survivor["properties"] or {}, duplicate["properties"] or {},
        duplicate["email"], duplicate["id"],
    )  # fmt: skip
    return values


def merged_properties(
    survivor: dict[str, Any], duplicate: dict[str, Any], duplicate_email: str, duplicate_id: int
) -> dict[str, Any]:
    """Survivor wins conflicts; the duplicate's conflicting values go under merged_from."""
    result = {k: v for k, v in duplicate.items() if k not in _BOOKKEEPING}
    result.update({k: v for k, v in survivor.items() if k not in _BOOKKEEPING})
    conflicts = {
        k: v for k, v in duplicate.items()
        if k not in _BOOKKEEPING and k in survivor and survivor[k] != v
    }  # fmt: skip
    merged_from = {**duplicate.get(MERGED_FROM, {}), **survivor.get(MERGED_FROM, {})}
    if conflicts:
        merged_from[duplicate_email] = conflicts
    if merged_from:
        result[MERGED_FROM] = merged_from
    result[MERGED_EMAILS] = _union(
        survivor.get(MERGED_EMAILS, []), [duplicate_email], duplicate.get(MERGED_EMAILS, [])
    )
    result[MERGED_IDS] = _union(
        survivor.get(MERGED_IDS, []), [duplicate_id], duplicate.get(MERGED_IDS, [])
    )
    return result


def _union(*lists: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for items in lists:
        for item in items:
            if item not in seen:
                seen.append(item)
    return seen


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
    """The email to file events for `email` under: the survivor's when it was merged.

    Returns `email` (normalized) when it is a live contact or unknown. Until merged ids
    have a table of their own this scans the contacts' properties text with LIKE, a full
    table scan: fine for an occasional lookup, too slow for every imported line at scale.
    """
    wanted = _normalize(email)
    live = session.execute(select(Contact.id).where(Contact.email == wanted)).first()
    if live is not None:
        return wanted
    needle = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    candidates = session.execute(
        select(Contact.email, Contact.properties)
        .where(cast(Contact.properties, String).like(f'%"{needle}"%', escape="\\"))
        .order_by(Contact.id)
    ).all()
    for survivor_email, properties in candidates:
        if wanted in (properties or {}).get(MERGED_EMAILS, []):
            return str(survivor_email)
    return wanted
