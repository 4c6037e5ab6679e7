"""Pure pieces of a contact's story: the timeline events and who may see a contact."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from smarketing.lifecycle.domain import NEXT_ACTIONS, OWNING_TEAM, Stage

FULL_VIEW_ROLES = frozenset({"admin", "marketing", "sales_manager"})


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str  # stage_change, owner_change, activity, attempt, decision, deal
    summary: str
    details: dict[str, str | None] = field(default_factory=dict)


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


def describe_duration(delta: timedelta) -> str:
    days, seconds = delta.days, delta.seconds
    if days:
        return f"{days}d {seconds // 3600}h"
    if seconds >= 3600:
        return f"{seconds // 3600}h {(seconds % 3600) // 60}m"
    return f"{seconds // 60}m"
