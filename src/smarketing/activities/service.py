"""Activity ingestion for the API, tracking and webhooks: loses nothing, counts nothing twice.

`ingest_activities` takes decoded JSON items (one or a batch) and, in the caller's
transaction:
- validates each item on its own (`ActivityIn`); an invalid one is rejected with its
  reason and kept in the quarantine, the valid ones go on;
- gives every item an id: its own `id`, else the request's Idempotency-Key (``key`` for
  a single item, ``key:index`` in a batch); an item with neither is rejected;
- finds each contact by email or id (an address or id merged into another contact
  reaches the survivor); an unknown email creates the contact, as a `lead` after a
  form, download, event, chat or meeting, else as a `subscriber`;
- stores new activities once: a known id with the same contact, kind and time is a
  duplicate (acknowledged, nothing written); the same id with other facts is rejected;
- moves each contact's last touch forward and fills an empty first touch;
- tells the owner of a lead who just acted (`lead_alerts`).

Activity ids are the table's primary key, so they are remembered for as long as the
activity exists (well beyond the 30 days the API promises). Never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic import ValidationError as PydanticError
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from smarketing.activities.lead_alerts import ALERT_KINDS, Acted, alert_owners
from smarketing.core import driver_sql as activity_store
from smarketing.core.errors import ValidationError, json_type
from smarketing.ingest.contacts_upsert import describe, survivor_email, upsert_contact
from smarketing.models import Activity, Campaign, Contact, MergedContact
from smarketing.quarantine.service import hold, register_replayer
from smarketing.records.schema import ACTIVITY_KINDS, CHANNELS, normalize_email

#: Kinds that make an unknown person a lead; any other kind makes a subscriber.
LEAD_KINDS = frozenset({"form_submit", "content_download", "event_attended", "chat",
                        "meeting_booked"})  # fmt: skip
URL_MAX = 8192
CONTENT_MAX = 65536
_IN_CHUNK = 500  # ids per IN (...) query: well under every database's parameter limit


class ActivityIn(BaseModel):
    """One activity as the API receives it. `email` or `contact_id` names the person."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    email: Annotated[str, Field(max_length=320)] | None = None
    contact_id: int | None = None
    kind: Literal[ACTIVITY_KINDS]  # type: ignore[valid-type]
    at: datetime | None = None
    channel: Literal[CHANNELS] | None = None  # type: ignore[valid-type]
    campaign: Annotated[str, Field(max_length=100)] | None = None
    url: Annotated[str, Field(max_length=URL_MAX)] | None = None
    content: Annotated[str, Field(max_length=CONTENT_MAX)] | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


_ADAPTER = TypeAdapter(ActivityIn)
_TEXT_FIELDS = ("id", "email", "campaign", "url", "content")


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


class _Rejected(Exception):
    pass


def parse_activity(data: Any, now: datetime) -> ActivityIn:
    """Validate one item; ValidationError names the field."""
    if not isinstance(data, dict):
        raise ValidationError(f"item: must be a JSON object, got {json_type(data)}")
    try:
        item = _ADAPTER.validate_python(data)
    except PydanticError as exc:
        raise ValidationError(describe(exc)) from None
    if item.email is None and item.contact_id is None:
        raise ValidationError("email: required (or contact_id)")
    for name in _TEXT_FIELDS:
        value = getattr(item, name)
        if value is not None and "\x00" in value:
            raise ValidationError(f"{name}: contains a NUL character (\\u0000), which no "
                                  "database stores in text")  # fmt: skip
    if item.at is not None and item.at.tzinfo is None:
        raise ValidationError("at: needs a UTC offset (e.g. 2026-05-01T10:00:00Z)")
    if item.at is not None and item.at > now.replace(year=now.year + 1):
        raise ValidationError(f"at: {item.at.isoformat()} is more than a year in the future")
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
        except _Rejected as exc:
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
    for chunk in _chunks(keys):
        rows = session.execute(select(Campaign.key, Campaign.id, Campaign.channel)
                               .where(Campaign.key.in_(chunk)))  # fmt: skip
        found.update((key, (campaign_id, channel)) for key, campaign_id, channel in rows)
    return found


def _resolve_campaign(entry: _Valid, campaigns: dict[str, tuple[int, str]]) -> None:
    key = entry.item.campaign
    if key is None:
        return
    if key not in campaigns:
        raise _Rejected(f"campaign: unknown campaign {key!r}; create it first "
                        "(POST /api/v1/campaigns), then replay the item from the quarantine")
    entry.campaign_id, campaign_channel = campaigns[key]
    entry.channel = entry.channel or campaign_channel


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    values = list(values)
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start:start + _IN_CHUNK]


def _resolve_contacts(session: Session, valid: list[_Valid], now: datetime, source: str) -> (
    list[tuple[_Valid, str]]
):
    """Fill `contact_id` on every entry; the entries that cannot be resolved, with why."""
    emails = {v.email for v in valid if v.email is not None}
    by_email = activity_store.contact_ids_by_email(session.connection(), emails)
    for email in emails - by_email.keys():
        survivor = survivor_email(session, email)
        if survivor != email:
            by_email[email] = session.execute(
                select(Contact.id).where(Contact.email == survivor)).scalar_one()  # fmt: skip
    known_ids = _known_contact_ids(session, {v.contact_id for v in valid
                                             if v.contact_id is not None and v.email is None})
    failures: list[tuple[_Valid, str]] = []
    for entry in valid:
        if entry.email is not None:
            if entry.email not in by_email:
                try:
                    by_email[entry.email] = _create_contact(session, entry, now, source)
                except ValidationError as exc:
                    failures.append((entry, f"email: cannot create the contact: {exc}"))
                    continue
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


def _known_contact_ids(session: Session, ids: set[int | None]) -> dict[int, int]:
    """Contact id -> the id to store under (itself, or its survivor after a merge)."""
    known: dict[int, int] = {}
    for chunk in _chunks(i for i in ids if i is not None):
        found = session.scalars(select(Contact.id).where(Contact.id.in_(chunk)))
        known.update((i, i) for i in found)
        known.update(session.execute(
            select(MergedContact.merged_contact_id, MergedContact.survivor_id)
            .where(MergedContact.merged_contact_id.in_(chunk))).all())  # fmt: skip
    return known


def _create_contact(session: Session, entry: _Valid, now: datetime, source: str) -> int:
    stage = "lead" if entry.item.kind in LEAD_KINDS else "subscriber"
    data: dict[str, Any] = {"email": entry.email, "created_at": entry.at}
    if entry.channel:
        data["channel"] = entry.channel
    if entry.item.campaign:
        data["campaign"] = entry.item.campaign
    return upsert_contact(session, data, now=now, actor=source, default_stage=stage).contact_id


def _store(session: Session, valid: list[_Valid], now: datetime) -> dict[int, ItemResult]:
    """Insert the new activities and touch their contacts; results by item index.

    The insert itself says which ids were new (a known id is skipped by the database and
    not returned), so the common case, all new, costs no lookup before it. Only the ids
    it skipped are read back, to tell a resend (same facts: `duplicate`) from a clash."""
    first: dict[str, _Valid] = {}
    for entry in valid:
        first.setdefault(entry.id, entry)
    connection = session.connection()
    inserted = activity_store.insert_activities(connection, [_row(e) for e in first.values()])
    facts = {item_id: _facts(entry) for item_id, entry in first.items()}
    facts.update(_stored_facts(session, [i for i in first if i not in inserted]))
    results: dict[int, ItemResult] = {}
    created: list[_Valid] = []
    for entry in valid:
        if entry.id in inserted and first[entry.id] is entry:
            created.append(entry)
            status = "created"
        elif facts[entry.id] == _facts(entry):
            status = "duplicate"
        else:
            results[entry.index] = ItemResult(
                entry.index, entry.id, "rejected",
                f"id: {entry.id!r} is already recorded with another contact, kind or time")
            continue
        results[entry.index] = ItemResult(entry.index, entry.id, status,
                                          contact_id=entry.contact_id)  # fmt: skip
    if created:
        _touch_contacts(connection, created)
        alert_owners(session, [_acted(v) for v in created if v.item.kind in ALERT_KINDS], now)
    return results


def _facts(entry: _Valid) -> tuple[int | None, str, datetime]:
    """What makes a resend the same activity: its contact, kind and time."""
    return (entry.contact_id, entry.item.kind, entry.at)


def _stored_facts(session: Session, ids: list[str]) -> dict[str, tuple[int, str, datetime]]:
    stored: dict[str, tuple[int, str, datetime]] = {}
    for chunk in _chunks(ids):
        for row in session.execute(select(Activity.id, Activity.contact_id, Activity.kind,
                                          Activity.at).where(Activity.id.in_(chunk))):  # fmt: skip
            stored[row[0]] = (row[1], row[2], row[3])
    missing = set(ids) - stored.keys()
    if missing:  # skipped as known, yet not there: the transaction must not commit
        raise RuntimeError(f"activities {sorted(missing)[:3]} were neither stored nor found")
    return stored


def _acted(entry: _Valid) -> Acted:
    assert entry.contact_id is not None  # noqa: S101 - resolved before storing
    what = entry.item.content or entry.item.url or entry.item.campaign
    return Acted(entry.contact_id, entry.item.kind, entry.at, what)


def _row(entry: _Valid) -> tuple[Any, ...]:
    return (entry.id, entry.contact_id, entry.item.kind, entry.at, entry.item.channel,
            entry.campaign_id, entry.item.url, entry.item.content, entry.item.properties)


def _touch_contacts(connection: Connection, created: list[_Valid]) -> None:
    """Last touch: the latest new activity, if later than the stored one. First touch:
    the earliest new activity with a channel, if the contact has none yet."""
    latest: dict[int, _Valid] = {}
    earliest: dict[int, _Valid] = {}
    for entry in created:
        contact_id = entry.contact_id
        assert contact_id is not None  # noqa: S101 - resolved before storing
        if contact_id not in latest or entry.at >= latest[contact_id].at:
            latest[contact_id] = entry
        if entry.channel and (contact_id not in earliest or entry.at < earliest[contact_id].at):
            earliest[contact_id] = entry
    activity_store.lock_contacts(connection, latest.keys())
    if latest:
        activity_store.move_last_touch(connection, [
            (c, latest[c].at, latest[c].channel, latest[c].campaign_id) for c in sorted(latest)
        ])  # fmt: skip
    if earliest:
        activity_store.fill_first_touch(connection, [
            (c, earliest[c].channel, earliest[c].campaign_id) for c in sorted(earliest)
        ])  # fmt: skip


@register_replayer("activity")
def replay_activity(session: Session, payload: Any, now: datetime, source: str) -> str:
    result = ingest_activities(session, [payload], source=source, now=now, batch=False,
                               quarantine=False).items[0]  # fmt: skip
    if result.status == "rejected":
        raise ValidationError(result.reason or "rejected")
    return f"activity {result.id} {result.status}"
