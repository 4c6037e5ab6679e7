"""Contacts' writes: one function per use case, each taking many items at once, so an
import or a batch writes with a few statements per chunk rather than per line.

- `import_contacts`: interchange `contact` records (a file, the demo, a CSV import). A
  record is the contact's whole description: its descriptive fields replace the stored
  ones; its creation facts (created_at, initial stage, initial owner) are history and may
  not change; a record for a merged address fills what the survivor lacks.
- `upsert_contacts`: contacts from live sources (the API, webhooks, tracked forms, an
  activity naming an unknown email): only the fields given change, properties are merged,
  a new stage moves forward through the lifecycle, a new owner through the handoff.
- `record_touches`: the touch rule for many contacts (contacts.domain.touched).
- `record_lifecycle_events`: stage changes and decisions, then the leads' SLA clocks.

A new contact gets its initial history row and, with an owner, its handoff (its SLA
clocks follow). Addresses merged into another contact reach the survivor. Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import ValidationError as PydanticError
from sqlalchemy.orm import Session

from smarketing.contacts import repository as repo
from smarketing.contacts.companies import CompanyRefs, save_companies
from smarketing.contacts.domain import (
    ContactIn,
    Touch,
    filled_values,
    normalize_phone,
    touch_candidates,
)
from smarketing.core.errors import ValidationError, json_type
from smarketing.core.rows import changed_values
from smarketing.core.timeutil import years_after
from smarketing.lifecycle import service as lifecycle
from smarketing.lifecycle.domain import ALL_STAGES, Stage, TransitionError, plan_move
from smarketing.quarantine.service import register_replayer
from smarketing.records import schema as r
from smarketing.records.bounds import LATEST, normalize_email
from smarketing.records.messages import describe, name_the_field
from smarketing.sla.assignment import Assignment, assign_owners
from smarketing.sla.refresh import refresh_clocks
from smarketing.workspace.keys import Keys, Missing

T = TypeVar("T")
Outcome = str | ValidationError
CONTACT_FIELDS = ("email", "first_name", "last_name", "phone", "job_title", "company",
                  "country", "persona", "owner", "lifecycle_stage", "product_line",
                  "channel", "campaign", "properties", "created_at")  # fmt: skip
_DESCRIPTIVE = ("first_name", "last_name", "job_title")


@dataclass(frozen=True)
class UpsertResult:
    contact_id: int
    email: str
    status: str  # created | updated | unchanged


Result = UpsertResult | ValidationError


# --------------------------------------------------------------------------- import


def import_contacts(
    session: Session, keys: Keys, companies: CompanyRefs, records: Sequence[r.ContactRecord],
    *, now: datetime,
) -> list[Outcome]:
    """Apply interchange contact records, in order; one outcome per record: created,
    updated, unchanged, or the ValidationError refusing it (nothing of it written)."""
    outcomes: dict[int, Outcome] = {}
    for batch in _rounds(records, lambda record: record.email):
        outcomes.update(_import_batch(session, keys, companies, batch, now))
    return [outcomes[index] for index in range(len(records))]


@dataclass
class _Prepared:
    index: int
    record: r.ContactRecord
    owner_id: int | None
    values: dict[str, Any]


def _import_batch(
    session: Session, keys: Keys, companies: CompanyRefs,
    batch: list[tuple[int, r.ContactRecord]], now: datetime,
) -> dict[int, Outcome]:
    outcomes: dict[int, Outcome] = {}
    companies.find({record.company for _, record in batch if record.company})
    prepared: list[_Prepared] = []
    for index, record in batch:
        try:
            prepared.append(_prepare(keys, companies, index, record))
        except Missing as exc:
            outcomes[index] = exc
    emails = [item.record.email for item in prepared]
    live = repo.contact_rows(session, emails)
    survivors = repo.survivors_by_email(session, [e for e in emails if e not in live])
    ids = [row["id"] for row in live.values()]
    facts = repo.initial_facts(session, ids) if ids else {}
    merged_into = repo.survivor_ids(session, ids) if ids else set()
    survivor_rows = repo.rows_by_id(session, set(survivors.values()))
    new: list[_Prepared] = []
    changes: dict[int, dict[str, Any]] = {}
    for item in prepared:
        row = live.get(item.record.email)
        try:
            if row is not None:
                _check_same_origin(row, facts[row["id"]], item, row["id"] in merged_into)
                outcomes[item.index] = _change(changes, row, item.values)
            elif item.record.email in survivors:
                survivor = survivor_rows[survivors[item.record.email]]
                filled = filled_values(survivor, item.values, item.record.email)
                outcomes[item.index] = _change(changes, survivor, filled)
            else:
                new.append(item)
                outcomes[item.index] = "created"
        except ValidationError as exc:
            outcomes[item.index] = exc
    repo.update_contacts(session, list(changes.items()))
    _create(session, new, now)
    return outcomes


def _prepare(keys: Keys, companies: CompanyRefs, index: int, record: r.ContactRecord) -> (
    _Prepared
):
    campaign_id = keys.campaigns.get(record.campaign)
    owner_id = keys.users.get(record.owner)
    values: dict[str, Any] = {
        "first_name": record.first_name,
        "last_name": record.last_name,
        "phone": normalize_phone(record.phone, record.country),
        "job_title": record.job_title,
        "company_id": companies.get(record.company),
        "country": record.country.upper() if record.country else None,
        "persona_id": keys.personas.get(record.persona),
        "product_line_id": keys.product_lines.get(record.product_line),
        "first_touch_channel": keys.channel_of(record.channel, campaign_id),
        "first_touch_campaign_id": campaign_id,
        "properties": record.properties,
    }
    return _Prepared(index, record, owner_id, values)


def _change(changes: dict[int, dict[str, Any]], row: dict[str, Any],
            values: dict[str, Any]) -> str:  # fmt: skip
    """Note the values that differ from `row` (and apply them to it, so a later item of
    the same call sees them)."""
    changed = changed_values(row, values)
    if not changed:
        return "unchanged"
    changes.setdefault(row["id"], {}).update(changed)
    row.update(changed)
    return "updated"


def _check_same_origin(row: dict[str, Any], facts: tuple[str | None, Any], item: _Prepared,
                       is_survivor: bool) -> None:  # fmt: skip
    """A known contact's creation facts are history: they may not change on re-import.
    A merge may have moved created_at earlier (the duplicate's): the later one is fine."""
    record = item.record
    created_at = row["created_at"]
    merged_earlier = created_at < record.created_at and is_survivor
    if created_at != record.created_at and not merged_earlier:
        raise ValidationError(f"{record.email} already exists, created at "
                              f"{created_at.isoformat()}; created_at cannot change")  # fmt: skip
    initial_stage, initial_owner = facts
    if initial_stage is not None and initial_stage != record.lifecycle_stage:
        raise ValidationError(f"{record.email} already exists, created as {initial_stage}; "
                              "change the stage with a stage_change line")  # fmt: skip
    if initial_owner != item.owner_id:
        raise ValidationError(f"{record.email} already exists with another initial owner; "
                              "change the owner with an assignment line")  # fmt: skip


def _create(session: Session, new: list[_Prepared], now: datetime) -> dict[str, int]:
    """Insert new contacts with their initial stage and owner; email -> id."""
    if not new:
        return {}
    ids = repo.insert_contacts(session, [{
        "email": item.record.email, "created_at": item.record.created_at,
        "lifecycle_stage": item.record.lifecycle_stage,
        "stage_entered_at": item.record.created_at, "owner_id": None, **item.values,
    } for item in new])  # fmt: skip
    lifecycle.record_initial_stages(session, [
        (ids[item.record.email], item.record.lifecycle_stage, item.record.created_at)
        for item in new])  # fmt: skip
    assign_owners(session, [
        Assignment(ids[item.record.email], item.owner_id, item.record.created_at, "system",
                   source="contact")
        for item in new if item.owner_id is not None], now)  # fmt: skip
    return ids


def _rounds(items: Sequence[T], key: Any) -> list[list[tuple[int, T]]]:
    """`items` with their index, in rounds where each key appears once: the same contact
    twice in one call is applied in order (the second sees the first)."""
    rounds: list[list[tuple[int, T]]] = []
    seen: dict[Any, int] = {}
    for index, item in enumerate(items):
        number = seen.get(key(item), -1) + 1
        seen[key(item)] = number
        if number == len(rounds):
            rounds.append([])
        rounds[number].append((index, item))
    return rounds


# --------------------------------------------------------------------------- live sources


def parse_contact(data: Any, now: datetime) -> ContactIn:
    """Validate a contact object from a live source with the bounds of every door;
    ValidationError names the field."""
    if not isinstance(data, dict):
        raise ValidationError(f"body: must be a JSON object, got {json_type(data)}")
    try:
        contact = ContactIn.model_validate(data, context={LATEST: years_after(now, 1)})
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
    if contact.channel is not None and contact.channel not in r.CHANNELS:
        raise ValidationError(f"channel: must be one of {', '.join(r.CHANNELS)}, "
                              f"got {contact.channel!r}")  # fmt: skip
    return contact


def upsert_contact(session: Session, data: Any, *, now: datetime, actor: str,
                   default_stage: str = "lead") -> UpsertResult:  # fmt: skip
    """Create or patch the one contact `data` describes; ValidationError naming the field."""
    result = upsert_contacts(session, [parse_contact(data, now)], now=now, actor=actor,
                             default_stage=default_stage)[0]  # fmt: skip
    if isinstance(result, ValidationError):
        raise result
    return result


def upsert_contacts(session: Session, items: Sequence[ContactIn], *, now: datetime, actor: str,
                    default_stage: str = "lead") -> list[Result]:  # fmt: skip
    """Create or patch contacts from live sources, in order (see the module docstring);
    one result per item, or the ValidationError (naming the field) refusing it."""
    keys, companies = Keys(session), CompanyRefs(session)
    results: dict[int, Result] = {}
    emails = repo.resolve_email_addresses(session, {item.email for item in items})
    for batch in _rounds(items, lambda item: emails[item.email]):
        results.update(_upsert_batch(session, keys, companies, batch, emails, now, actor,
                                     default_stage))  # fmt: skip
    return [results[index] for index in range(len(items))]


def _upsert_batch(session: Session, keys: Keys, companies: CompanyRefs,
                  batch: list[tuple[int, ContactIn]], emails: dict[str, str], now: datetime,
                  actor: str, default_stage: str) -> dict[int, Result]:  # fmt: skip
    _ensure_companies(session, keys, companies, {i.company for _, i in batch if i.company})
    rows = repo.contact_rows(session, [emails[item.email] for _, item in batch])
    results: dict[int, Result] = {}
    creations: list[tuple[int, r.ContactRecord]] = []
    patches: list[tuple[int, ContactIn, dict[str, Any]]] = []
    for index, item in batch:
        email = emails[item.email]
        try:
            if email in rows:
                patches.append((index, item, rows[email]))
            else:
                creations.append((index, _creation_record(item, email, now, default_stage)))
        except ValidationError as exc:
            results[index] = exc
    results.update(_create_live(session, keys, companies, creations, now))
    results.update(_patch(session, keys, companies, patches, now, actor))
    return results


def _creation_record(item: ContactIn, email: str, now: datetime, stage: str) -> r.ContactRecord:
    """The interchange record a new contact from a live source is created with. ContactIn
    already has the bounds of every door, so the record is built without validating the
    same values twice (a batch of new contacts spends its time here otherwise)."""
    fields = item.model_dump(exclude_none=True)
    fields.update(type="contact", email=email, created_at=(item.created_at or now).astimezone(UTC),
                  lifecycle_stage=item.lifecycle_stage or stage)  # fmt: skip
    return r.ContactRecord.model_construct(**fields)


def _create_live(session: Session, keys: Keys, companies: CompanyRefs,
                 creations: list[tuple[int, r.ContactRecord]], now: datetime) -> (
    dict[int, Result]
):  # fmt: skip
    records = [record for _, record in creations]
    outcomes = import_contacts(session, keys, companies, records, now=now)
    ids = repo.resolve_emails(session, [record.email for record in records])
    results: dict[int, Result] = {}
    for (index, record), outcome in zip(creations, outcomes, strict=True):
        if isinstance(outcome, ValidationError):
            message = name_the_field(f"contact: {outcome}", "contact", CONTACT_FIELDS)
            results[index] = ValidationError(message)
        else:
            results[index] = UpsertResult(ids[record.email], record.email, "created")
    return results


def _ensure_companies(session: Session, keys: Keys, companies: CompanyRefs,
                      names: set[str]) -> None:  # fmt: skip
    """Live sources name a company by name: create the ones not known yet."""
    unknown = sorted(names - companies.find(names).keys())
    records = [r.CompanyRecord(type="company", name=name) for name in unknown]
    save_companies(session, keys, companies, records)


def _patch(session: Session, keys: Keys, companies: CompanyRefs,
           patches: list[tuple[int, ContactIn, dict[str, Any]]], now: datetime,
           actor: str) -> dict[int, Result]:  # fmt: skip
    """Patch existing contacts; each item is checked whole before anything is written."""
    results: dict[int, Result] = {}
    changes: list[tuple[int, dict[str, Any]]] = []
    stage_events: list[lifecycle.LifecycleEvent] = []
    assignments: list[Assignment] = []
    for index, item, row in patches:
        try:
            values = _patched_values(keys, companies, item, row)
            owner_id = keys.users.get(item.owner) if item.owner else None
            stage_event = _stage_event(item, row, now, actor)
        except Missing as exc:
            results[index] = ValidationError(name_the_field(str(exc), "contact", CONTACT_FIELDS))
            continue
        except ValidationError as exc:
            results[index] = exc
            continue
        new_owner = owner_id is not None and owner_id != row["owner_id"]
        if values:
            changes.append((row["id"], values))
        if stage_event is not None:
            stage_events.append(stage_event)
        if new_owner:
            assignments.append(Assignment(row["id"], owner_id, now, actor))
        changed = bool(values) or stage_event is not None or new_owner
        results[index] = UpsertResult(row["id"], row["email"],
                                      "updated" if changed else "unchanged")  # fmt: skip
    repo.update_contacts(session, changes)
    record_lifecycle_events(session, stage_events, now)
    assign_owners(session, assignments, now)
    return results


def _patched_values(keys: Keys, companies: CompanyRefs, item: ContactIn,
                    row: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    values: dict[str, Any] = {f: getattr(item, f) for f in _DESCRIPTIVE
                              if getattr(item, f) is not None}  # fmt: skip
    if item.country:
        values["country"] = item.country.upper()
    if item.phone:
        values["phone"] = normalize_phone(item.phone, item.country or row["country"])
    if item.company:
        values["company_id"] = companies.get(item.company)
    if item.persona:
        values["persona_id"] = keys.personas.get(item.persona)
    if item.product_line:
        values["product_line_id"] = keys.product_lines.get(item.product_line)
    if item.properties:
        values["properties"] = {**(row["properties"] or {}), **item.properties}
    return changed_values(row, values)


def _stage_event(item: ContactIn, row: dict[str, Any], now: datetime,
                 actor: str) -> lifecycle.LifecycleEvent | None:  # fmt: skip
    """A new stage moves forward only (backward moves are explicit transitions, with a
    reason, which an upsert does not make): ValidationError otherwise."""
    if not item.lifecycle_stage or item.lifecycle_stage == row["lifecycle_stage"]:
        return None
    try:
        plan_move(Stage(row["lifecycle_stage"]), Stage(item.lifecycle_stage))
    except TransitionError as exc:
        raise ValidationError(str(exc)) from None
    at = max(now, row["stage_entered_at"])
    return lifecycle.LifecycleEvent(row["id"], item.lifecycle_stage, at, actor)


# --------------------------------------------------------------------------- facts of many


def record_touches(session: Session, touches: list[Touch]) -> None:
    """Move the contacts' last touch forward and fill empty first touches (the touch
    rule, contacts.domain.touched) for many contacts with a few statements."""
    if touches:
        latest, earliest = touch_candidates(touches)
        repo.record_touches(session.connection(), latest, earliest)


def record_lifecycle_events(session: Session, events: Sequence[lifecycle.LifecycleEvent],
                            now: datetime) -> list[Outcome]:  # fmt: skip
    """Stage changes and decisions, in order (lifecycle.service.apply_events), then the
    SLA clocks of the leads they moved."""
    outcomes = lifecycle.apply_events(session, events)
    moved = {e.contact_id for e, o in zip(events, outcomes, strict=True) if o == "created"}
    refresh_clocks(session, moved, now)
    return outcomes


@register_replayer("contact")
def replay_contact(session: Session, payload: Any, now: datetime, source: str) -> str:
    result = upsert_contact(session, payload, now=now, actor=f"replay:{source}")
    return f"contact {result.email} {result.status}"
