"""Every query of website tracking: settings, visitors, their anonymous events, campaigns."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from smarketing.core.rows import insert_ignoring_duplicates
from smarketing.models import Activity, Campaign, Contact, Visitor, VisitorEvent, WorkspaceSetting

DOMAINS_KEY = "tracking.domains"
RULES_KEY = "tracking.channel_rules"


@dataclass(frozen=True)
class CampaignRef:
    id: int
    key: str
    channel: str


# -- settings ----------------------------------------------------------------------------


def get_setting(session: Session, key: str) -> Any | None:
    row = session.get(WorkspaceSetting, key)
    return None if row is None else row.value


def put_setting(session: Session, key: str, value: Any, now: datetime) -> None:
    row = session.get(WorkspaceSetting, key)
    if row is None:
        session.add(WorkspaceSetting(key=key, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now
    session.flush()


def delete_setting(session: Session, key: str) -> bool:
    """Remove a setting; whether there was one."""
    row = session.get(WorkspaceSetting, key)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


# -- campaigns ---------------------------------------------------------------------------


def campaigns_by_utm(session: Session) -> dict[str, CampaignRef]:
    """Lower-cased utm_campaign and key -> campaign; a utm_campaign wins over a key."""
    rows = session.execute(select(Campaign.id, Campaign.key, Campaign.channel,
                                  Campaign.utm_campaign).order_by(Campaign.id)).all()
    index = {key.lower(): CampaignRef(cid, key, channel) for cid, key, channel, _ in rows}
    for cid, key, channel, utm in rows:
        if utm:
            index[utm.lower()] = CampaignRef(cid, key, channel)
    return index


def campaign_keys(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Campaign.id, Campaign.key).where(Campaign.id.in_(wanted)))
    return {row.id: row.key for row in rows}


# -- visitors and events -----------------------------------------------------------------


def get_visitor(session: Session, visitor_id: str) -> Visitor | None:
    return session.get(Visitor, visitor_id)


def get_or_add_visitor(session: Session, visitor_id: str, now: datetime) -> Visitor:
    """The visitor with this cookie id, created when first seen. Two first requests of one
    visitor at the same moment make one row (the insert ignores a duplicate)."""
    visitor = session.get(Visitor, visitor_id)
    if visitor is None:
        session.execute(insert_ignoring_duplicates(session, Visitor),
                        {"id": visitor_id, "first_seen_at": now, "last_seen_at": now})
        visitor = session.get(Visitor, visitor_id)
    assert visitor is not None  # noqa: S101 - inserted or already there
    return visitor


def known_event_kind(session: Session, event_id: str) -> str | None:
    """The kind recorded under `event_id`, as an anonymous event or an activity."""
    kind = session.scalar(select(VisitorEvent.kind).where(VisitorEvent.id == event_id))
    if kind is None:
        kind = session.scalar(select(Activity.kind).where(Activity.id == event_id))
    return kind


def add_event(session: Session, values: dict[str, Any]) -> None:
    """Keep one anonymous event (a retry racing the first copy is ignored)."""
    session.execute(insert_ignoring_duplicates(session, VisitorEvent), values)


def anonymous_events(session: Session, visitor_id: str) -> Sequence[VisitorEvent]:
    return session.scalars(
        select(VisitorEvent).where(VisitorEvent.visitor_id == visitor_id)
        .order_by(VisitorEvent.at, VisitorEvent.id)
    ).all()  # fmt: skip


def delete_events(session: Session, event_ids: Iterable[str]) -> None:
    ids = list(event_ids)
    if ids:
        session.execute(delete(VisitorEvent).where(VisitorEvent.id.in_(ids)))


def contact_email(session: Session, contact_id: int) -> str | None:
    return session.scalar(select(Contact.email).where(Contact.id == contact_id))


@dataclass(frozen=True)
class VisitorRow:
    visitor: Visitor
    email: str | None
    pending_events: int


def recent_visitors(session: Session, limit: int) -> list[VisitorRow]:
    """The visitors seen last first, with their contact's email and anonymous events."""
    pending = (
        select(VisitorEvent.visitor_id, func.count().label("n"))
        .group_by(VisitorEvent.visitor_id).subquery()
    )  # fmt: skip
    rows = session.execute(
        select(Visitor, Contact.email, func.coalesce(pending.c.n, 0))
        .outerjoin(Contact, Contact.id == Visitor.contact_id)
        .outerjoin(pending, pending.c.visitor_id == Visitor.id)
        .order_by(Visitor.last_seen_at.desc(), Visitor.id).limit(limit)
    ).all()  # fmt: skip
    return [VisitorRow(visitor, email, int(count)) for visitor, email, count in rows]
