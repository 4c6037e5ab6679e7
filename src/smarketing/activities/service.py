"""Activity ingestion for the API, tracking and webhooks: loses nothing, counts nothing twice.

`ingest_activities` takes decoded JSON items (one or a batch) and, in the caller's
transaction:
- validates each item on its own (`ActivityIn`); an invalid one is rejected with its
  reason and kept in the quarantine, the valid ones go on;
- gives every item an id: its own `id`, else the request's Idempotency-Key (``key`` for
  a single item, ``key:index`` in a batch); an item with neither is rejected;
- finds each contact by email or id (an address or id merged into another contact
  reaches the survivor); the unknown emails of a batch create their contacts together,
  as a `lead` after a form, download, event, chat or meeting, else as a `subscriber`;
- stores new activities once: a resend of a known id is a duplicate (acknowledged,
  nothing written), anything else under a known id is rejected (activities.domain);
- moves each contact's last touch forward and fills an empty first touch;
- tells the owner of a lead who just acted (`lead_alerts`).

`import_activities` stores interchange `activity` records through the same
`record_activities`, without creating contacts or alerting anyone (history).

Activity ids are the table's primary key, so they are remembered for as long as the
activity exists (well beyond the 30 days the API promises). Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticError
from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.activities import repository as repo
from smarketing.activities.domain import (
    ActivityIn,
    Facts,
    same_activity,
    stage_for_new_contact,
)
from smarketing.activities.lead_alerts import ALERT_KINDS, Acted, alert_owners
from smarketing.contacts import repository as contacts_repo
from smarketing.contacts.domain import ContactIn, Touch
from smarketing.contacts.service import record_touches, upsert_contacts
from smarketing.core.errors import ValidationError, json_type
from smarketing.core.rows import chunks
from smarketing.core.timeutil import years_after
from smarketing.models import Campaign
from smarketing.quarantine.service import hold, register_replayer
from smarketing.records import schema as r
from smarketing.records.bounds import LATEST, normalize_email
from smarketing.records.messages import describe
from smarketing.workspace.keys import Keys, Missing

_ADAPTER = TypeAdapter(ActivityIn)


@dataclass
class ItemResult:
    index: int
    id: str | None
    status: str  # created | duplicate | rejected
    reason: str | None = None
    quarantine_id: int | None = None
    contact_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The fields that are set (a thousand of these answer every full batch)."""
        answer: dict[str, Any] = {"index": self.index}
        if self.id is not None:
            answer["id"] = self.id
        answer["status"] = self.status
        if self.reason is not None:
            answer["reason"] = self.reason
        if self.quarantine_id is not None:
            answer["quarantine_id"] = self.quarantine_id
        if self.contact_id is not None:
            answer["contact_id"] = self.contact_id
        return answer


@dataclass
class BatchResult:
    items: list[ItemResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.count("created"), "duplicates": self.count("duplicate"),
            "rejected": self.count("rejected"), "items": [i.as_dict() for i in self.items],
        }  # fmt: skip


@dataclass
class NewActivity:
    """An activity ready to store: its contact and campaign resolved."""

    id: str
    contact_id: int
    kind: str
    at: datetime
    channel: str | None
    campaign_id: int | None
    url: str | None = None
    content: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    #: The touch's channel: its own, else its campaign's.
    touch_channel: str | None = None
    #: False when it came without `at` and is dated on arrival (activities.domain).
    at_given: bool = True

    @property
    def facts(self) -> Facts:
        return Facts(self.contact_id, self.kind, self.at)

    def row(self) -> tuple[Any, ...]:
        return (self.id, self.contact_id, self.kind, self.at, self.channel, self.campaign_id,
                self.url, self.content, self.properties)  # fmt: skip


CREATED, DUPLICATE, CLASH = "created", "duplicate", "clash"


def record_activities(session: Session, activities: Sequence[NewActivity]) -> list[str]:
    """Store new activities once and touch their contacts; one status per activity:
    created, duplicate (a resend, nothing written) or clash (another activity under a
    known id, nothing written).

    The insert itself says which ids were new (a known id is skipped by the database and
    not returned), so the common case, all new, costs no lookup before it. Only the ids
    it skipped are read back, to tell a resend from a clash."""
    first: dict[str, NewActivity] = {}
    for activity in activities:
        first.setdefault(activity.id, activity)
    inserted = repo.insert_activities(session.connection(),
                                      [a.row() for a in first.values()])  # fmt: skip
    stored = {activity_id: a.facts for activity_id, a in first.items()}
    stored.update(_stored_facts(session, [i for i in first if i not in inserted]))
    statuses: list[str] = []
    created: list[NewActivity] = []
    for activity in activities:
        if activity.id in inserted and first[activity.id] is activity:
            created.append(activity)
            statuses.append(CREATED)
        elif same_activity(stored[activity.id], activity.facts, sent_with_time=activity.at_given):
            statuses.append(DUPLICATE)
        else:
            statuses.append(CLASH)
    record_touches(session, [Touch(a.contact_id, a.at, a.touch_channel, a.campaign_id)
                             for a in created])  # fmt: skip
    return statuses


def _stored_facts(session: Session, ids: list[str]) -> dict[str, Facts]:
    stored = repo.stored_facts(session, ids)
    missing = set(ids) - stored.keys()
    if missing:  # skipped as known, yet not there: the transaction must not commit
        raise RuntimeError(f"activities {sorted(missing)[:3]} were neither stored nor found")
    return stored


# --------------------------------------------------------------------------- imports


def import_activities(
    session: Session, keys: Keys, records: Sequence[r.ActivityRecord]
) -> list[str | ValidationError]:
    """Store interchange activity records (history: no contact is created, nobody is
    alerted); one outcome per record: created, unchanged (the same activity again) or
    the ValidationError refusing it."""
    contacts = contacts_repo.resolve_emails(session, {record.contact for record in records})
    outcomes: dict[int, str | ValidationError] = {}
    ready: list[tuple[int, NewActivity]] = []
    for index, record in enumerate(records):
        try:
            ready.append((index, _imported(keys, contacts, record)))
        except Missing as exc:
            outcomes[index] = exc
    statuses = record_activities(session, [activity for _, activity in ready])
    for (index, activity), status in zip(ready, statuses, strict=True):
        if status == CLASH:
            outcomes[index] = ValidationError(
                f"activity id {activity.id!r} is already recorded with another contact, "
                "kind or time")  # fmt: skip
        else:
            outcomes[index] = "created" if status == CREATED else "unchanged"
    return [outcomes[index] for index in range(len(records))]


def _imported(keys: Keys, contacts: dict[str, int], record: r.ActivityRecord) -> NewActivity:
    if record.contact not in contacts:
        raise Missing(f"unknown contact {record.contact!r}: define it on an earlier line")
    campaign_id = keys.campaigns.get(record.campaign)
    return NewActivity(record.id, contacts[record.contact], record.kind, record.at,
                       record.channel, campaign_id, record.url, record.content,
                       record.properties, keys.channel_of(record.channel, campaign_id))  # fmt: skip


# --------------------------------------------------------------------------- live sources


@dataclass
class _Valid:
    """An item that passed validation, with its references resolved as far as known."""

    index: int
    item: ActivityIn
    id: str
    at: datetime
    email: str | None = None
    contact_id: int | None = None
    campaign_id: int | None = None
    channel: str | None = None

    def new_activity(self) -> NewActivity:
        assert self.contact_id is not None  # noqa: S101 - resolved before storing
        item = self.item
        return NewActivity(self.id, self.contact_id, item.kind, self.at, item.channel,
                           self.campaign_id, item.url, item.content, item.properties,
                           self.channel, at_given=item.at is not None)  # fmt: skip


def parse_activity(data: Any, now: datetime) -> ActivityIn:
    """Validate one item with the bounds of every door; ValidationError names the field."""
    if not isinstance(data, dict):
        raise ValidationError(f"item: must be a JSON object, got {json_type(data)}")
    try:
        item = _ADAPTER.validate_python(data, context={LATEST: years_after(now, 1)})
    except PydanticError as exc:
        raise ValidationError(describe(exc)) from None
    if item.email is None and item.contact_id is None:
        raise ValidationError("email: required (or contact_id)")
    return item


@dataclass
class CheckedActivities:
    """A request's items after validation, before anything is read or written."""

    items: Sequence[Any]
    valid: list[_Valid]
    rejected: list[ItemResult]


def check_activities(items: Sequence[Any], *, now: datetime, idempotency_key: str | None = None,
                     batch: bool = True) -> CheckedActivities:
    """Validate each item on its own and give it its id; touches no database, so it can
    run before the writer's turn (see `store_activities`)."""
    valid: list[_Valid] = []
    rejected: list[ItemResult] = []
    for index, data in enumerate(items):
        try:
            valid.append(_validate(index, data, now, idempotency_key, batch))
        except ValidationError as exc:
            rejected.append(ItemResult(index, _given_id(data), "rejected", str(exc)))
    return CheckedActivities(items, valid, rejected)


def store_activities(session: Session, checked: CheckedActivities, *, source: str,
                     now: datetime, quarantine: bool = True) -> BatchResult:
    """Store checked items (see the module docstring); one result per item, in order."""
    results: list[ItemResult | None] = [None] * len(checked.items)
    for result in checked.rejected:
        results[result.index] = result
    valid = checked.valid
    campaigns = _campaigns(session, {v.item.campaign for v in valid if v.item.campaign})
    for entry in valid:
        try:
            _resolve_campaign(entry, campaigns)
        except ValidationError as exc:
            results[entry.index] = ItemResult(entry.index, entry.id, "rejected", str(exc))
    valid = [v for v in valid if results[v.index] is None]
    for entry, reason in _resolve_contacts(session, valid, now, source):
        results[entry.index] = ItemResult(entry.index, entry.id, "rejected", reason)
    valid = [v for v in valid if results[v.index] is None]
    for index, result in _store(session, valid, now).items():
        results[index] = result
    final = [r for r in results if r is not None]
    if quarantine:
        for result in final:
            if result.status == "rejected":
                result.quarantine_id = hold(
                    session, source=source, kind="activity", now=now,
                    payload=_as_held(checked.items[result.index], result.id, now),
                    reason=result.reason or "rejected",
                )  # fmt: skip
    return BatchResult(final)


def ingest_activities(
    session: Session,
    items: Sequence[Any],
    *,
    source: str,
    now: datetime,
    idempotency_key: str | None = None,
    batch: bool = True,
    quarantine: bool = True,
) -> BatchResult:
    """Check and store `items` in the caller's transaction."""
    checked = check_activities(items, now=now, idempotency_key=idempotency_key, batch=batch)
    return store_activities(session, checked, source=source, now=now, quarantine=quarantine)


def _given_id(data: Any) -> str | None:
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def _as_held(data: Any, item_id: str | None, now: datetime) -> Any:
    """The item as received, plus what it was given on arrival: the id from the
    Idempotency-Key (a replay keeps the identity the client will resend) and the time of
    arrival when it had none (a replay keeps when it happened, not when it was fixed)."""
    if not isinstance(data, dict):
        return data
    held = dict(data)
    if item_id and "id" not in held:
        held["id"] = item_id
    if "at" not in held:
        held["at"] = now.isoformat()
    return held


def _validate(index: int, data: Any, now: datetime, key: str | None, batch: bool) -> _Valid:
    item = parse_activity(data, now)
    item_id = item.id or (None if key is None else f"{key}:{index}" if batch else key)
    if item_id is None:
        raise ValidationError("id: required (give each item an id, or send an "
                              "Idempotency-Key header)")  # fmt: skip
    if len(item_id) > 200:
        raise ValidationError("id: at most 200 characters (with the Idempotency-Key suffix)")
    email = None
    if item.email is not None:
        try:
            email = normalize_email(item.email)
        except ValueError as exc:
            raise ValidationError(f"email: {exc}") from None
    # In datetime.UTC (pydantic gives its own tzinfo, slower to convert on every write).
    at = item.at.astimezone(UTC) if item.at is not None else now
    return _Valid(index, item, item_id, at, email=email, contact_id=item.contact_id,
                  channel=item.channel)  # fmt: skip


def _campaigns(session: Session, keys: set[str]) -> dict[str, tuple[int, str]]:
    """Campaign key -> (id, channel), for the keys a batch names."""
    found: dict[str, tuple[int, str]] = {}
    for chunk in chunks(keys):
        rows = session.execute(select(Campaign.key, Campaign.id, Campaign.channel)
                               .where(Campaign.key.in_(chunk)))  # fmt: skip
        found.update((key, (campaign_id, channel)) for key, campaign_id, channel in rows)
    return found


def _resolve_campaign(entry: _Valid, campaigns: dict[str, tuple[int, str]]) -> None:
    key = entry.item.campaign
    if key is None:
        return
    if key not in campaigns:
        raise ValidationError(f"campaign: unknown campaign {key!r}; create it first "
                        "(POST /api/v1/campaigns), then replay the item from the quarantine")
    entry.campaign_id, campaign_channel = campaigns[key]
    entry.channel = entry.channel or campaign_channel


def _resolve_contacts(session: Session, valid: list[_Valid], now: datetime, source: str) -> (
    list[tuple[_Valid, str]]
):
    """Fill `contact_id` on every entry; the entries that cannot be resolved, with why.
    The batch's unknown emails create their contacts together (the first item of each
    says when and how the person arrived)."""
    by_email = contacts_repo.resolve_emails(session, {v.email for v in valid if v.email})
    failures = _create_contacts(session, [v for v in valid if v.email and v.email not in by_email],
                                by_email, now, source)  # fmt: skip
    by_id = {v.contact_id for v in valid if v.contact_id is not None and v.email is None}
    known_ids = contacts_repo.resolve_ids(session, by_id)
    for entry in valid:
        if entry.email is not None:
            if entry.email not in by_email:
                continue  # its contact could not be created: reported below
            found = by_email[entry.email]
            if entry.contact_id is not None and entry.contact_id != found:
                failures.append((entry, f"contact_id: {entry.contact_id} is not the contact "
                                        f"with email {entry.email} ({found})"))  # fmt: skip
            entry.contact_id = found
        elif entry.contact_id in known_ids:
            entry.contact_id = known_ids[entry.contact_id]
        else:
            failures.append((entry, f"contact_id: no contact {entry.contact_id}"))
    return failures


def _create_contacts(session: Session, unknown: list[_Valid], by_email: dict[str, int],
                     now: datetime, source: str) -> list[tuple[_Valid, str]]:  # fmt: skip
    """Create the contacts of unknown emails (one upsert call for the batch); fills
    `by_email`; the entries whose contact could not be created, with why."""
    first: dict[str, _Valid] = {}
    for entry in unknown:
        assert entry.email is not None  # noqa: S101 - only entries with an email
        first.setdefault(entry.email, entry)
    items = [ContactIn(email=email, created_at=entry.at, channel=entry.channel,
                       campaign=entry.item.campaign) for email, entry in first.items()]  # fmt: skip
    stages = {email: stage_for_new_contact(entry.item.kind) for email, entry in first.items()}
    results = _upsert_by_stage(session, items, stages, now, source)
    failures: list[tuple[_Valid, str]] = []
    for entry in unknown:
        result = results[entry.email or ""]
        if isinstance(result, ValidationError):
            failures.append((entry, f"email: cannot create the contact: {result}"))
        else:
            by_email[result.email] = result.contact_id
    return failures


def _upsert_by_stage(session: Session, items: list[ContactIn], stages: dict[str, str],
                     now: datetime, source: str) -> dict[str, Any]:  # fmt: skip
    """Upsert the new contacts, each group with its starting stage."""
    results: dict[str, Any] = {}
    for stage in sorted(set(stages.values())):
        group = [item for item in items if stages[item.email] == stage]
        for item, result in zip(group, upsert_contacts(session, group, now=now, actor=source,
                                                       default_stage=stage), strict=True):
            results[item.email] = result
    return results


def _store(session: Session, valid: list[_Valid], now: datetime) -> dict[int, ItemResult]:
    """Store the resolved entries; results by item index, and the owners of the leads
    who just acted are told."""
    activities = [entry.new_activity() for entry in valid]
    results: dict[int, ItemResult] = {}
    acted: list[Acted] = []
    for entry, activity, status in zip(valid, activities, record_activities(session, activities),
                                       strict=True):  # fmt: skip
        if status == CLASH:
            results[entry.index] = ItemResult(
                entry.index, entry.id, "rejected",
                f"id: {entry.id!r} is already recorded with another contact, kind or time")
            continue
        results[entry.index] = ItemResult(entry.index, entry.id, status,
                                          contact_id=activity.contact_id)  # fmt: skip
        if status == CREATED and activity.kind in ALERT_KINDS:
            what = entry.item.content or entry.item.url or entry.item.campaign
            acted.append(Acted(activity.contact_id, activity.kind, activity.at, what))
    alert_owners(session, acted, now)
    return results


@register_replayer("activity")
def replay_activity(session: Session, payload: Any, now: datetime, source: str) -> str:
    result = ingest_activities(session, [payload], source=source, now=now, batch=False,
                               quarantine=False).items[0]  # fmt: skip
    if result.status == "rejected":
        raise ValidationError(result.reason or "rejected")
    return f"activity {result.id} {result.status}"
