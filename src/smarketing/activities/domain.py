"""What an activity is and when a resend is the same activity (pure).

An activity is identified by its id. A resend of a known id is the same activity (a
`duplicate`, acknowledged, nothing written) when it names the same contact, kind and
time; when it was sent without `at` (so it is dated on arrival), the same contact and
kind suffice. Anything else under a known id is a clash, refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from smarketing.records import bounds
from smarketing.records.schema import ACTIVITY_KINDS, CHANNELS

#: Kinds that make an unknown person a lead; any other kind makes a subscriber.
LEAD_KINDS = frozenset({"form_submit", "content_download", "event_attended", "chat",
                        "meeting_booked"})  # fmt: skip
URL_MAX = 8192  # bounds.Url


class ActivityIn(BaseModel):
    """One activity as the API receives it. `email` or `contact_id` names the person.
    The fields have the bounds of every door (smarketing.records.bounds)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: bounds.ActivityId | None = None
    email: Annotated[str, Field(max_length=320), AfterValidator(bounds.no_nul)] | None = None
    contact_id: bounds.RowId | None = None
    kind: Literal[ACTIVITY_KINDS]  # type: ignore[valid-type]
    at: bounds.LiveInstant | None = None
    channel: Literal[CHANNELS] | None = None  # type: ignore[valid-type]
    campaign: bounds.Key | None = None
    url: bounds.Url | None = None
    content: bounds.Content | None = None
    properties: bounds.Properties = Field(default_factory=dict)


@dataclass(frozen=True)
class Facts:
    """What makes a resend the same activity: its contact, kind and time."""

    contact_id: int | None
    kind: str
    at: datetime


def same_activity(stored: Facts, sent: Facts, *, sent_with_time: bool = True) -> bool:
    """A resend is the activity already stored under its id (see the module docstring)."""
    if not sent_with_time:
        return (stored.contact_id, stored.kind) == (sent.contact_id, sent.kind)
    return stored == sent


def stage_for_new_contact(kind: str) -> str:
    """The stage an unknown person gets from their first activity."""
    return "lead" if kind in LEAD_KINDS else "subscriber"
