"""Scoring inputs from interchange records: each contact's profile, activities and MQL moves.

Reads `campaign`, `persona`, `company`, `contact`, `activity` and `stage_change` records
(shared/spec/interchange.md) and ignores the others. A contact's persona is its
`persona` key when it has one, else the best match of the personas' criteria. An
activity's channel is its own `channel`, else its campaign's. Used to try a model on a
file (or on the demo, whose generator yields these records) without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from smarketing.core.timeutil import parse_instant
from smarketing.personas.domain import PersonaDefinition, match_persona, parse_criteria
from smarketing.personas.profile import ContactProfile
from smarketing.scoring.domain import ScoringEvent

Record = Mapping[str, Any]


@dataclass
class ContactInputs:
    email: str
    profile: ContactProfile
    events: list[ScoringEvent] = field(default_factory=list)
    mql_at: list[datetime] = field(default_factory=list)  # recorded moves to `mql`


@dataclass
class _Workspace:
    channels: dict[str, str] = field(default_factory=dict)  # campaign key -> channel
    companies: dict[str, Record] = field(default_factory=dict)
    personas: list[PersonaDefinition] = field(default_factory=list)
    contacts: dict[str, ContactInputs] = field(default_factory=dict)


def contacts_from_records(records: Iterable[Record]) -> Iterator[ContactInputs]:
    """Every contact of `records` with its activities, in the order contacts appear."""
    space = _Workspace()
    for record in records:
        _READERS.get(str(record.get("type")), _ignore)(space, record)
    yield from space.contacts.values()


def _ignore(space: _Workspace, record: Record) -> None:
    return None


def _campaign(space: _Workspace, record: Record) -> None:
    space.channels[record["key"]] = record["channel"]


def _company(space: _Workspace, record: Record) -> None:
    space.companies[record.get("domain") or record["name"]] = record


def _persona(space: _Workspace, record: Record) -> None:
    criteria = parse_criteria(record.get("criteria"), f"persona {record['key']}.criteria")
    space.personas.append(PersonaDefinition(record["key"], record["name"], criteria))


def _contact(space: _Workspace, record: Record) -> None:
    company = space.companies.get(record.get("company") or "", {})
    line = record.get("product_line")
    profile = ContactProfile(
        email=record["email"], job_title=record.get("job_title"),
        country=record.get("country") or company.get("country"),
        industry=company.get("industry"), employees=company.get("employees"),
        persona=record.get("persona"), product_lines=frozenset([line] if line else []),
        properties=dict(record.get("properties") or {}),
    )  # fmt: skip
    if profile.persona is None and space.personas:
        chosen = match_persona(space.personas, profile).persona
        profile = ContactProfile(**{**_fields(profile), "persona": chosen})
    space.contacts[record["email"]] = ContactInputs(record["email"], profile)


def _fields(profile: ContactProfile) -> dict[str, Any]:
    return {name: getattr(profile, name) for name in ContactProfile.__slots__}


def _activity(space: _Workspace, record: Record) -> None:
    campaign = record.get("campaign")
    channel = record.get("channel") or (space.channels.get(campaign) if campaign else None)
    event = ScoringEvent(record["id"], record["kind"], parse_instant(record["at"]), channel,
                         campaign, record.get("url"), record.get("content"))  # fmt: skip
    space.contacts[record["contact"]].events.append(event)


def _stage_change(space: _Workspace, record: Record) -> None:
    if record["to"] == "mql":
        space.contacts[record["contact"]].mql_at.append(parse_instant(record["at"]))


_READERS = {"campaign": _campaign, "company": _company, "persona": _persona,
            "contact": _contact, "activity": _activity, "stage_change": _stage_change}  # fmt: skip
