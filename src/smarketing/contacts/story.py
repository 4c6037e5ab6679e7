"""Use cases: the full story of one contact, checked against who is asking."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from smarketing.auth.access import can_see_contact
from smarketing.contacts import repository as repo
from smarketing.contacts.domain import (
    ACTIVITY,
    ATTEMPT,
    CREATED_AS,
    DEAL_CLOSED,
    DEAL_OPENED,
    DECISION,
    MOVED,
    OWNER_CHANGED,
    ContactStory,
    TimelineEvent,
)
from smarketing.core.errors import NotFoundError, PermissionDeniedError
from smarketing.i18n.terms import Phrase
from smarketing.lifecycle.domain import HistoryEntry, Stage, became_at
from smarketing.models import Campaign, Contact, LifecycleChange, User


def _touch(session: Session, channel: str | None, campaign_id: int | None) -> str | None:
    if channel is None and campaign_id is None:
        return None
    campaign = session.get(Campaign, campaign_id) if campaign_id else None
    return " / ".join(part for part in (channel, campaign.name if campaign else None) if part)


def contact_story(
    session: Session, email: str, now: datetime, viewer: User | None = None
) -> ContactStory:
    """Everything known about one contact, in time order.

    Raises NotFoundError for an unknown email and PermissionDeniedError when `viewer`
    (a sales rep) does not own the contact. Without a viewer (the CLI) all is visible.
    """
    contact = repo.find_contact(session, email)
    if contact is None:
        raise NotFoundError(f"no contact with email {email!r}")
    if viewer is not None and not can_see_contact(viewer.role, viewer.id, contact.owner_id):
        raise PermissionDeniedError(f"{viewer.email} may not see {contact.email}")
    owner = session.get(User, contact.owner_id) if contact.owner_id else None
    history = repo.stage_history(session, contact.id)
    return ContactStory(
        id=contact.id,
        email=contact.email,
        name=" ".join(p for p in (contact.first_name, contact.last_name) if p) or contact.email,
        job_title=contact.job_title,
        company=repo.company_label(session, contact.company_id),
        country=contact.country,
        phone=contact.phone,
        persona=repo.persona_name(session, contact.persona_id),
        owner=owner.email if owner else None,
        owner_id=contact.owner_id,
        stage=Stage(contact.lifecycle_stage),
        stage_entered_at=contact.stage_entered_at,
        created_at=contact.created_at,
        first_touch=_touch(session, contact.first_touch_channel, contact.first_touch_campaign_id),
        last_touch=_touch(session, contact.last_touch_channel, contact.last_touch_campaign_id),
        became_at=became_at([HistoryEntry(Stage(h.to_stage), h.at) for h in history]),
        timeline=_timeline(session, contact, history),
        now=now,
    )


def _timeline(
    session: Session, contact: Contact, history: list[LifecycleChange]
) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    stages = frozenset({"stage", "from_stage", "to_stage"})
    for change in history:
        moved = (Phrase(MOVED, {"from_stage": change.from_stage, "to_stage": change.to_stage},
                        stages=stages)
                 if change.from_stage else
                 Phrase(CREATED_AS, {"stage": change.to_stage}, stages=stages))  # fmt: skip
        events.append(TimelineEvent(change.at, "stage_change", moved, {
            "transition": change.transition, "by": change.actor, "reason": change.reason}))
    for change, owner_email in repo.owner_history(session, contact.id):
        events.append(TimelineEvent(change.at, "owner_change", Phrase(
            OWNER_CHANGED, {"owner": owner_email}), {"by": change.actor, "reason": change.reason}))
    for activity, campaign, channel in repo.activities(session, contact.id):
        events.append(TimelineEvent(activity.at, "activity", Phrase(
            ACTIVITY, {"kind": activity.kind}, terms=frozenset({"kind"})), {
            "channel": channel, "campaign": campaign, "content": activity.content,
            "url": activity.url}))  # fmt: skip
    for attempt, by in repo.attempts(session, contact.id):
        events.append(TimelineEvent(attempt.at, "attempt", Phrase(
            ATTEMPT, {"kind": attempt.kind}, terms=frozenset({"kind"})), {
            "by": by, "outcome": attempt.outcome, "note": attempt.note}))  # fmt: skip
    for decision, by in repo.decisions(session, contact.id):
        events.append(TimelineEvent(decision.at, "decision", Phrase(
            DECISION, {"decision": decision.decision}, terms=frozenset({"decision"})), {
            "by": by, "reason": decision.reason, "comment": decision.comment,
            "then": decision.then}))  # fmt: skip
    for deal in repo.deals(session, contact.id):
        name, amount = deal.name or deal.id, f"{deal.amount} {deal.currency}"
        events.append(TimelineEvent(deal.created_at, "deal", Phrase(DEAL_OPENED, {"deal": name}), {
            "amount": amount, "status": deal.status}))
        if deal.closed_at:
            closed = Phrase(DEAL_CLOSED, {"deal": name, "status": deal.status},
                            terms=frozenset({"status"}))
            events.append(TimelineEvent(deal.closed_at, "deal", closed, {
                "amount": amount, "lost_reason": deal.lost_reason}))
    events.sort(key=lambda e: e.at)
    return events
