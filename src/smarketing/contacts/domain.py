"""Pure pieces of a contact's story: the timeline events and who may see a contact."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Annotated, Any

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from smarketing.i18n.catalogs import N_
from smarketing.i18n.terms import Phrase
from smarketing.lifecycle.domain import FUNNEL, NEXT_ACTIONS, OWNING_TEAM, Stage, funnel_position
from smarketing.records import bounds

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


# --------------------------------------------------------------------------- live input

class ContactIn(BaseModel):
    """A contact as the API, webhooks and forms send it. Only `email` is required. The
    fields have the bounds of every door (smarketing.records.bounds)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Annotated[str, Field(max_length=320), AfterValidator(bounds.no_nul)]
    first_name: bounds.ShortName | None = None
    last_name: bounds.ShortName | None = None
    phone: bounds.Phone | None = None
    job_title: bounds.Name | None = None
    company: bounds.CompanyRef | None = None
    country: bounds.Country | None = None
    persona: bounds.Name | None = None
    owner: Annotated[str, Field(max_length=320), AfterValidator(bounds.no_nul)] | None = None
    lifecycle_stage: str | None = None
    product_line: bounds.Name | None = None
    channel: str | None = None
    campaign: bounds.Name | None = None
    properties: bounds.Properties = Field(default_factory=dict)
    created_at: bounds.LiveInstant | None = None


# --------------------------------------------------------------------------- merging

#: Where the duplicate's conflicting property values are kept, by its email.
MERGED_FROM = "merged_from"

#: Descriptive fields: the survivor keeps its value, an empty one is filled from the duplicate.
FILLABLE = ("first_name", "last_name", "phone", "job_title", "company_id", "country",
            "persona_id", "product_line_id")  # fmt: skip

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
