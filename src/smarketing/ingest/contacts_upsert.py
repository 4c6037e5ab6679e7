"""Create or update one contact from an API call, a webhook or a tracked form: the
upsert by normalized email that every live source shares.

A new contact is written through the interchange importer (so it gets its initial
history row, first touch and owner history like any imported contact). An existing one
is patched: given descriptive fields replace the stored ones, properties are merged, a
new stage goes through the lifecycle service (forward is free; backward needs the
explicit transitions, which an upsert does not make) and a new owner through the owner
history. An address merged into another contact reaches the survivor. Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from smarketing.contacts.ownership import assign_owner
from smarketing.core.errors import ValidationError, json_type
from smarketing.core.timeutil import format_instant
from smarketing.interchange.importer import Importer, RejectedLine, normalize_phone
from smarketing.interchange.repository import Missing
from smarketing.lifecycle import service as lifecycle
from smarketing.lifecycle.domain import ALL_STAGES
from smarketing.models import Contact, MergedContact
from smarketing.quarantine.service import register_replayer
from smarketing.records.messages import name_the_field
from smarketing.records.schema import CHANNELS, normalize_email

CONTACT_FIELDS = ("email", "first_name", "last_name", "phone", "job_title", "company",
                  "country", "persona", "owner", "lifecycle_stage", "product_line",
                  "channel", "campaign", "properties", "created_at")  # fmt: skip
_DESCRIPTIVE = ("first_name", "last_name", "job_title")

Short = Annotated[str, Field(max_length=200)]


class ContactIn(BaseModel):
    """A contact as the API, webhooks and forms send it. Only `email` is required."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Annotated[str, Field(max_length=320)]
    first_name: Annotated[str, Field(max_length=100)] | None = None
    last_name: Annotated[str, Field(max_length=100)] | None = None
    phone: Annotated[str, Field(max_length=32)] | None = None
    job_title: Short | None = None
    company: Annotated[str, Field(max_length=255)] | None = None
    country: Annotated[str, Field(min_length=2, max_length=2)] | None = None
    persona: Short | None = None
    owner: Annotated[str, Field(max_length=320)] | None = None
    lifecycle_stage: str | None = None
    product_line: Short | None = None
    channel: str | None = None
    campaign: Short | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None


@dataclass(frozen=True)
class UpsertResult:
    contact_id: int
    email: str
    status: str  # created | updated | unchanged


def parse_contact(data: Any) -> ContactIn:
    """Validate a contact object; ValidationError names the field."""
    if not isinstance(data, dict):
        raise ValidationError(f"body: must be a JSON object, got {json_type(data)}")
    try:
        contact = ContactIn.model_validate(data)
    except PydanticError as exc:
        raise ValidationError(describe(exc)) from None
    try:
        contact.email = normalize_email(contact.email)
    except ValueError as exc:
        raise ValidationError(f"email: {exc}") from None
    if contact.owner is not None:
        try:
            contact.owner = normalize_email(contact.owner)
        except ValueError as exc:
            raise ValidationError(f"owner: {exc}") from None
    if contact.lifecycle_stage is not None and contact.lifecycle_stage not in ALL_STAGES:
        raise ValidationError(f"lifecycle_stage: must be one of {', '.join(ALL_STAGES)}, "
                              f"got {contact.lifecycle_stage!r}")  # fmt: skip
    if contact.channel is not None and contact.channel not in CHANNELS:
        raise ValidationError(f"channel: must be one of {', '.join(CHANNELS)}, "
                              f"got {contact.channel!r}")  # fmt: skip
    if contact.created_at is not None and contact.created_at.tzinfo is None:
        raise ValidationError("created_at: needs a UTC offset (e.g. 2026-05-01T10:00:00Z)")
    return contact


def describe(error: PydanticError) -> str:
    """Pydantic's errors as one line that names each field."""
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item.get("loc", ())) or "body"
        message = item.get("msg", "invalid")
        if item.get("type") == "extra_forbidden":
            message = "unknown field"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def survivor_email(session: Session, email: str) -> str:
    """`email`, or the address of the contact it was merged into."""
    survivor = session.execute(
        select(Contact.email).join(MergedContact, MergedContact.survivor_id == Contact.id)
        .where(MergedContact.merged_email == email)
    ).scalar_one_or_none()  # fmt: skip
    return survivor or email


def upsert_contact(session: Session, data: Any, *, now: datetime, actor: str,
                   default_stage: str = "lead") -> UpsertResult:  # fmt: skip
    """Create or patch the contact `data` describes (see the module docstring)."""
    contact = parse_contact(data)
    email = survivor_email(session, contact.email)
    existing = session.execute(
        select(Contact.id, Contact.owner_id, Contact.lifecycle_stage)
        .where(Contact.email == email)
    ).first()  # fmt: skip
    importer = Importer(session)
    try:
        if existing is None:
            contact_id = _create(session, importer, contact, email, now, default_stage)
            return UpsertResult(contact_id, email, "created")
        changed = _patch(session, importer, existing, contact, now, actor)
    except (Missing, RejectedLine) as exc:
        raise ValidationError(name_the_field(str(exc), "contact", CONTACT_FIELDS)) from None
    return UpsertResult(existing[0], email, "updated" if changed else "unchanged")


def _company(importer: Importer, name: str | None) -> None:
    if not name:
        return
    try:
        importer.keys.company(name)
    except Missing:
        importer.apply_data({"type": "company", "name": name})


def _create(session: Session, importer: Importer, contact: ContactIn, email: str,
            now: datetime, default_stage: str) -> int:  # fmt: skip
    _company(importer, contact.company)
    record = contact.model_dump(exclude_none=True)
    record.update(type="contact", email=email,
                  created_at=format_instant(contact.created_at or now),
                  lifecycle_stage=contact.lifecycle_stage or default_stage)  # fmt: skip
    importer.apply_data(record)
    contact_id = session.execute(select(Contact.id).where(Contact.email == email)).scalar_one()
    if contact.owner:
        _recompute_clocks(session, contact_id, now)
    return contact_id


def _patch(session: Session, importer: Importer, existing: Any, contact: ContactIn,
           now: datetime, actor: str) -> bool:  # fmt: skip
    contact_id, owner_id, stage = existing
    row = session.get(Contact, contact_id)
    assert row is not None  # noqa: S101 - just selected
    values: dict[str, Any] = {f: getattr(contact, f) for f in _DESCRIPTIVE
                              if getattr(contact, f) is not None}  # fmt: skip
    if contact.country:
        values["country"] = contact.country.upper()
    if contact.phone:
        values["phone"] = normalize_phone(contact.phone, contact.country or row.country)
    if contact.company:
        _company(importer, contact.company)
        values["company_id"] = importer.keys.company(contact.company)
    if contact.persona:
        values["persona_id"] = importer.keys.personas.get(contact.persona)
    if contact.product_line:
        values["product_line_id"] = importer.keys.product_lines.get(contact.product_line)
    if contact.properties:
        values["properties"] = {**(row.properties or {}), **contact.properties}
    values = {k: v for k, v in values.items() if getattr(row, k) != v}
    if values:
        session.execute(update(Contact).where(Contact.id == contact_id).values(**values))
    changed = bool(values)
    if contact.lifecycle_stage and contact.lifecycle_stage != stage:
        at = max(now, row.stage_entered_at)
        changed |= lifecycle.change_stage(session, contact_id, contact.lifecycle_stage, at,
                                          actor) is not None  # fmt: skip
    if contact.owner:
        new_owner = importer.keys.users.get(contact.owner)
        if new_owner is not None and new_owner != owner_id:
            assign_owner(session, contact_id, new_owner, now, actor, None)
            _recompute_clocks(session, contact_id, now)
            changed = True
    session.expire(row)
    return changed


def _recompute_clocks(session: Session, contact_id: int, now: datetime) -> None:
    from smarketing.sla.service import recompute_clocks

    recompute_clocks(session, [contact_id], now)


@register_replayer("contact")
def replay_contact(session: Session, payload: Any, now: datetime, source: str) -> str:
    result = upsert_contact(session, payload, now=now, actor=f"replay:{source}")
    return f"contact {result.email} {result.status}"
