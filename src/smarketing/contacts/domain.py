"""Pure pieces of a contact's story: the timeline events and who may see a contact."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import phonenumbers

from smarketing.i18n.catalogs import N_
from smarketing.i18n.terms import Phrase
from smarketing.lifecycle.domain import NEXT_ACTIONS, OWNING_TEAM, Stage

FULL_VIEW_ROLES = frozenset({"admin", "marketing", "sales_manager"})

#: The kinds of timeline events, as the contact page labels them.
EVENT_KINDS = {
    "stage_change": N_("stage change"),
    "owner_change": N_("owner change"),
    "activity": N_("activity"),
    "attempt": N_("attempt"),
    "decision": N_("decision"),
    "deal": N_("deal"),
}
#: The names of the details of a timeline event, as the contact page labels them.
DETAIL_LABELS = {
    "transition": N_("transition"),
    "by": N_("by"),
    "reason": N_("reason"),
    "channel": N_("channel"),
    "campaign": N_("campaign"),
    "content": N_("content"),
    "url": N_("url"),
    "outcome": N_("outcome"),
    "note": N_("note"),
    "comment": N_("comment"),
    "then": N_("then"),
    "amount": N_("amount"),
    "status": N_("status"),
    "lost_reason": N_("lost reason"),
}
#: The details whose values are product words (TERMS keys), shown translated.
TERM_DETAILS = frozenset({"transition", "channel", "outcome", "then", "status"})

# The summaries of the timeline events (Phrase messages; see smarketing.i18n.terms).
CREATED_AS = N_("created as %(stage)s")
MOVED = N_("%(from_stage)s → %(to_stage)s")
OWNER_CHANGED = N_("owner → %(owner)s")
ACTIVITY = "%(kind)s"  # the activity kind alone: nothing to translate but the term
ATTEMPT = N_("%(kind)s attempt")
DECISION = "%(decision)s"  # accepted or rejected, a term
DEAL_OPENED = N_("deal %(deal)s opened")
DEAL_CLOSED = N_("deal %(deal)s %(status)s")


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str  # stage_change, owner_change, activity, attempt, decision, deal
    text: Phrase  # the summary, translated where it is shown
    details: dict[str, str | None] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        """The summary in English with stored keys ("lead → mql"): the CLI and the API."""
        return self.text.plain()

    @property
    def kind_label(self) -> str:
        return EVENT_KINDS.get(self.kind, self.kind.replace("_", " "))


@dataclass(frozen=True)
class ContactStory:
    id: int
    email: str
    name: str
    job_title: str | None
    company: str | None
    country: str | None
    phone: str | None
    persona: str | None
    owner: str | None
    owner_id: int | None
    stage: Stage
    stage_entered_at: datetime
    created_at: datetime
    first_touch: str | None
    last_touch: str | None
    became_at: dict[Stage, datetime]
    timeline: list[TimelineEvent]
    now: datetime

    @property
    def owning_team(self) -> str:
        return OWNING_TEAM[self.stage].value

    @property
    def next_actions(self) -> tuple[str, ...]:
        return NEXT_ACTIONS[self.stage]

    @property
    def time_in_stage(self) -> timedelta:
        return max(self.now - self.stage_entered_at, timedelta(0))


def can_see_contact(role: str, user_id: int, owner_id: int | None) -> bool:
    """Sales reps see only the contacts they own; everyone else sees all."""
    return role in FULL_VIEW_ROLES or (owner_id is not None and owner_id == user_id)


def visible_owner_id(role: str, user_id: int) -> int | None:
    """The owner a user's views are limited to: None (everything) for the roles that see
    every contact, the user's own id for sales reps."""
    return None if role in FULL_VIEW_ROLES else user_id


def describe_duration(delta: timedelta) -> str:
    days, seconds = delta.days, delta.seconds
    if days:
        return f"{days}d {seconds // 3600}h"
    if seconds >= 3600:
        return f"{seconds // 3600}h {(seconds % 3600) // 60}m"
    return f"{seconds // 60}m"


# --------------------------------------------------------------------------- touches


@dataclass(frozen=True)
class Touch:
    """One marketing touch of a contact: when, through which channel and campaign."""

    contact_id: int
    at: datetime
    channel: str | None
    campaign_id: int | None


@dataclass(frozen=True)
class TouchState:
    """What a contact keeps of its touches: the first (its channel and campaign) and the
    last (when, channel, campaign)."""

    first_channel: str | None = None
    first_campaign_id: int | None = None
    last_at: datetime | None = None
    last_channel: str | None = None
    last_campaign_id: int | None = None


def touched(state: TouchState, touches: list[Touch]) -> TouchState:
    """The touch rule, for one contact: the last touch moves forward to a touch at the
    same instant or later (of several, the latest; at one instant, the one given last);
    the first touch is filled once, by the earliest new touch that has a channel (at one
    instant, the one given first), and never changes afterwards.

    The repository applies the same rule to many contacts at once in SQL
    (`contacts.repository.record_touches`, given `touch_candidates`)."""
    latest, earliest = touch_candidates(touches)
    result = state
    for candidate in latest.values():
        if result.last_at is None or candidate.at >= result.last_at:
            result = replace(result, last_at=candidate.at, last_channel=candidate.channel,
                             last_campaign_id=candidate.campaign_id)  # fmt: skip
    for candidate in earliest.values():
        if result.first_channel is None:
            result = replace(result, first_channel=candidate.channel,
                             first_campaign_id=candidate.campaign_id)  # fmt: skip
    return result


def touch_candidates(touches: list[Touch]) -> tuple[dict[int, Touch], dict[int, Touch]]:
    """Per contact, the touch that may become its last touch (the latest; at one instant
    the one given last) and the one that may become its first touch (the earliest with a
    channel; at one instant the one given first)."""
    latest: dict[int, Touch] = {}
    earliest: dict[int, Touch] = {}
    for touch in touches:
        contact_id = touch.contact_id
        if contact_id not in latest or touch.at >= latest[contact_id].at:
            latest[contact_id] = touch
        if touch.channel and (contact_id not in earliest or touch.at < earliest[contact_id].at):
            earliest[contact_id] = touch
    return latest, earliest


def normalize_phone(phone: str | None, country: str | None) -> str | None:
    """E.164 when the number parses (with the contact's country as region), else as given."""
    if not phone:
        return None
    try:
        parsed = phonenumbers.parse(phone, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        return phone.strip()
    if not phonenumbers.is_valid_number(parsed):
        return phone.strip()
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
