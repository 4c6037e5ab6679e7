"""Pure pieces of a contact's story: the timeline events and who may see a contact."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

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
