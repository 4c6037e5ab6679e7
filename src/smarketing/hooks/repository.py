"""Every query of the webhooks domain: sources, the request log, and the few contact,
campaign and activity look-ups the events need."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from smarketing.models import Activity, Campaign, Contact, WebhookRequest, WebhookSource


def get_source(session: Session, key: str) -> WebhookSource | None:
    return session.get(WebhookSource, key)


def list_sources(session: Session) -> list[tuple[WebhookSource, str | None]]:
    """Every source with its default campaign's key, by key."""
    rows = session.execute(
        select(WebhookSource, Campaign.key)
        .outerjoin(Campaign, Campaign.id == WebhookSource.campaign_id)
        .order_by(WebhookSource.key)
    )  # fmt: skip
    return [(source, campaign) for source, campaign in rows]


def add_source(session: Session, source: WebhookSource) -> None:
    session.add(source)
    session.flush()


def log_request(session: Session, request: WebhookRequest) -> None:
    session.add(request)
    session.flush()


def refusals_since(session: Session, source: str, since: datetime) -> int:
    """How many refusal rows of `source` were logged since `since` (index source, at)."""
    return int(session.scalar(
        select(func.count()).select_from(WebhookRequest)
        .where(WebhookRequest.source == source, WebhookRequest.received_at >= since,
               WebhookRequest.outcome == "refused")) or 0)  # fmt: skip


def count_repeat(session: Session, source: str, since: datetime) -> bool:
    """Count one more refusal on the newest refusal row of `source` since `since`;
    False when there is none."""
    order = (WebhookRequest.received_at.desc(), WebhookRequest.id.desc())
    newest = session.scalar(
        select(WebhookRequest.id)
        .where(WebhookRequest.source == source, WebhookRequest.received_at >= since,
               WebhookRequest.outcome == "refused")
        .order_by(*order).limit(1))  # fmt: skip
    if newest is None:
        return False
    session.execute(update(WebhookRequest).where(WebhookRequest.id == newest)
                    .values(repeats=WebhookRequest.repeats + 1))  # fmt: skip
    return True


def list_requests(session: Session, *, source: str | None, outcome: str | None,
                  limit: int) -> list[WebhookRequest]:  # fmt: skip
    """The log, newest first."""
    query = select(WebhookRequest)
    if source is not None:
        query = query.where(WebhookRequest.source == source)
    if outcome is not None:
        query = query.where(WebhookRequest.outcome == outcome)
    order = (WebhookRequest.received_at.desc(), WebhookRequest.id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit)))


def campaign_id(session: Session, key: str) -> int | None:
    return session.scalar(select(Campaign.id).where(Campaign.key == key))


def campaign_key(session: Session, campaign: int | None) -> str | None:
    if campaign is None:
        return None
    return session.scalar(select(Campaign.key).where(Campaign.id == campaign))


def email_with_property(session: Session, name: str, value: str) -> str | None:
    """The email of the contact whose `properties[name]` is `value` (e.g. its HubSpot id).

    A JSON look-up without an index: it runs only for sender events that carry no email.
    """
    return session.scalar(
        select(Contact.email).where(Contact.properties[name].as_string() == value)
        .order_by(Contact.id).limit(1)
    )  # fmt: skip


def stage_of(session: Session, email: str) -> str | None:
    """The contact's lifecycle stage, None when there is no contact with this email."""
    return session.scalar(select(Contact.lifecycle_stage).where(Contact.email == email))


def activity_at(session: Session, activity_id: str) -> datetime | None:
    return session.scalar(select(Activity.at).where(Activity.id == activity_id))
