"""Use cases of inbound webhooks: configure sources, receive a request, replay a held one.

`receive` checks a request in order (an active source, the body size, the signature,
JSON of the adapter's shape) and answers each refusal with a status and a reason that is
also written to the request log and to the `smarketing.hooks` logger. An accepted body
becomes events (see `domain`); each event is applied in its own savepoint: the contact
is upserted (its stage only moves forward) and its activities are stored once per id.
Events that cannot be applied roll back alone and are kept together in one quarantine
item of kind "hook" (the raw body, the source key and the events' positions), which the
replayer registered here applies again after a fix. Never commits.

An event whose address is on the suppression list (erased on request, docs/privacy.md)
is dropped: not applied, not quarantined, not logged by address; the answer counts it
under `suppressed`.

The request log keeps at most REFUSAL_ROWS_PER_MINUTE refusal rows per source per
minute; later refusals in that minute are counted on the newest one (`repeats`), so a
stranger's flood costs one row a few seconds apart at most, and the count stays exact.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.orm import Session

from smarketing.activities.service import ingest_activities
from smarketing.contacts.repository import survivor_email
from smarketing.contacts.service import upsert_contact
from smarketing.contacts.suppression import suppressed
from smarketing.core import jsonio
from smarketing.core.errors import ConflictError, NotFoundError, SmarketingError, ValidationError
from smarketing.hooks import repository
from smarketing.hooks.domain import (
    ADAPTERS,
    MAX_BODY_BYTES,
    BodyRefused,
    Event,
    SignatureRefused,
    SignedRequest,
    accepted_secrets,
    adapt,
    check_key,
    signed_headers,
    stage_update,
    verify,
)
from smarketing.models import WebhookRequest, WebhookSource
from smarketing.quarantine.service import hold, register_replayer
from smarketing.records.bounds import normalize_email

logger = logging.getLogger("smarketing.hooks")
MIN_SECRET_CHARS = 16
QUARANTINE_KIND = "hook"
#: Refusal rows logged per source per minute; further refusals are counted on the last.
REFUSAL_ROWS_PER_MINUTE = 10
#: How long a rotated-out secret stays valid by default, and at most.
DEFAULT_GRACE = timedelta(hours=24)
MAX_GRACE = timedelta(days=30)


def source_label(key: str) -> str:
    """How a source appears as the quarantine's source and as the actor of its changes."""
    return f"hook:{key}"


# ----------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class SourceRow:
    """A source as lists show it. `previous_secret_until` is when the secret it had before
    its last rotation stops being accepted; None when no previous secret is accepted."""

    key: str
    adapter: str
    campaign: str | None
    created_at: datetime
    disabled_at: datetime | None
    previous_secret_until: datetime | None = None


def new_secret() -> str:
    """A random shared secret, as `add_source` and `rotate_secret` generate them."""
    return secrets.token_urlsafe(32)


def _given_secret(secret: str | None) -> str:
    """A secret given by the user (checked and trimmed), or a new random one."""
    if secret is None:
        return new_secret()
    if len(secret.strip()) < MIN_SECRET_CHARS:
        raise ValidationError(f"secret: at least {MIN_SECRET_CHARS} characters")
    return secret.strip()


def add_source(session: Session, key: str, adapter: str, *, now: datetime,
               secret: str | None = None, campaign: str | None = None) -> (
    tuple[SourceRow, str]
):  # fmt: skip
    """Add a source; returns it and its secret (generated when not given)."""
    try:
        check_key(key)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    if adapter not in ADAPTERS:
        raise ValidationError(f"adapter: must be one of {', '.join(ADAPTERS)}, got {adapter!r}")
    shared = _given_secret(secret)
    if repository.get_source(session, key) is not None:
        raise ConflictError(f"webhook source {key!r} already exists")
    campaign_id = None
    if campaign is not None:
        campaign_id = repository.campaign_id(session, campaign)
        if campaign_id is None:
            raise NotFoundError(f"campaign: no campaign {campaign!r}; create it first")
    repository.add_source(session, WebhookSource(
        key=key, adapter=adapter, secret=shared, campaign_id=campaign_id, created_at=now))
    return SourceRow(key, adapter, campaign, now, None), shared


def _previous_until(source: WebhookSource, now: datetime) -> datetime | None:
    """When the source's previous secret stops being accepted; None when it is not."""
    accepted = accepted_secrets(source.secret, source.previous_secret,
                                source.previous_secret_expires_at, now)  # fmt: skip
    return source.previous_secret_expires_at if len(accepted) > 1 else None


def list_sources(session: Session, now: datetime) -> list[SourceRow]:
    return [SourceRow(s.key, s.adapter, campaign, s.created_at, s.disabled_at,
                      _previous_until(s, now))
            for s, campaign in repository.list_sources(session)]  # fmt: skip


def _source(session: Session, key: str) -> WebhookSource:
    source = repository.get_source(session, key)
    if source is None:
        raise NotFoundError(f"no webhook source {key!r}; see `smarketing hooks list`")
    return source


def disable_source(session: Session, key: str, now: datetime) -> datetime:
    """Disable a source: its requests are refused (404) from now on. Returns when it was
    disabled (earlier than `now` when it already was)."""
    source = _source(session, key)
    if source.disabled_at is None:
        source.disabled_at = now
        session.flush()
    return source.disabled_at


def enable_source(session: Session, key: str) -> datetime | None:
    """Enable a disabled source again: its requests are accepted from now on. Returns
    when it had been disabled, None when it was already active (nothing changes)."""
    source = _source(session, key)
    disabled_at = source.disabled_at
    if disabled_at is not None:
        source.disabled_at = None
        session.flush()
    return disabled_at


@dataclass(frozen=True)
class Rotation:
    """A rotated secret: the new one, until when the previous one is still accepted (None
    when it no longer is), and when the source was disabled (rotating does not enable it)."""

    key: str
    secret: str
    previous_until: datetime | None
    disabled_at: datetime | None = None


def rotate_secret(session: Session, key: str, now: datetime, *, grace: timedelta = DEFAULT_GRACE,
                  secret: str | None = None) -> Rotation:  # fmt: skip
    """Give source `key` a new secret (`secret`, else a random one); the current secret
    stays valid for `grace` more (until `now + grace`), so the sender can be switched
    without losing requests. A zero grace refuses the old secret at once. A secret that is
    still in the grace period of an earlier rotation is dropped: only the secret replaced
    now stays valid."""
    if grace < timedelta(0) or grace > MAX_GRACE:
        raise ValidationError(f"grace: from 0 to {MAX_GRACE // timedelta(hours=1)} hours")
    source = _source(session, key)
    shared = _given_secret(secret)
    if secrets.compare_digest(shared.encode(), source.secret.encode()):
        raise ValidationError("secret: the new secret must differ from the current one")
    previous_until = now + grace if grace > timedelta(0) else None
    source.previous_secret = source.secret if previous_until is not None else None
    source.previous_secret_expires_at = previous_until
    source.secret = shared
    session.flush()
    return Rotation(key, shared, previous_until, source.disabled_at)


def request_log(session: Session, *, source: str | None = None, refused: bool = False,
                limit: int = 50) -> list[WebhookRequest]:  # fmt: skip
    outcome = "refused" if refused else None
    return repository.list_requests(session, source=source, outcome=outcome, limit=limit)


def sign(session: Session, key: str, body: bytes, now: datetime) -> dict[str, str]:
    """The headers that sign `body` for source `key` now."""
    return signed_headers(_source(session, key).secret, body, int(now.timestamp()))


# ----------------------------------------------------------------------------- receiving


@dataclass(frozen=True)
class Incoming:
    """One request as the edge read it. `too_large` means the body was not (fully) read;
    `size` is its declared or read length."""

    key: str
    body: bytes
    headers: Mapping[str, str]
    size: int
    too_large: bool = False
    method: str = "POST"
    uris: tuple[str, ...] = ()
    remote_addr: str | None = None


@dataclass(frozen=True)
class Reply:
    status: int
    content: dict[str, Any]


@dataclass
class Outcome:
    """What applying a body's events did: one entry per applied event, and the position
    and reason of each event that could not be applied."""

    contacts: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[tuple[int, str]] = field(default_factory=list)
    #: Positions of events dropped because their address is suppressed.
    suppressed: list[int] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return "; ".join(reason for _, reason in self.failures)


def receive(session: Session, incoming: Incoming, now: datetime) -> Reply:
    """Check, log and apply one webhook request (see the module docstring)."""
    source = repository.get_source(session, incoming.key)
    if source is None or source.disabled_at is not None:
        why = "unknown source" if source is None else "source disabled"
        return _refuse(session, incoming, now, 404,
                       f"no active webhook source {incoming.key!r}", why)  # fmt: skip
    if incoming.too_large:
        return _refuse(session, incoming, now, 413,
                       f"body: larger than the {MAX_BODY_BYTES // 1024} KB limit")  # fmt: skip
    signed = SignedRequest(incoming.body, incoming.headers, incoming.method, incoming.uris)
    keys = accepted_secrets(source.secret, source.previous_secret,
                            source.previous_secret_expires_at, now)  # fmt: skip
    try:
        verify(signed, keys, now, hubspot=source.adapter == "hubspot")
        events = parse_events(source.adapter, incoming.body, source.key)
    except SignatureRefused as exc:
        return _refuse(session, incoming, now, 401, str(exc))
    except BodyRefused as exc:
        return _refuse(session, incoming, now, 400, str(exc))
    outcome = apply_events(session, source, events, now)
    return _answer(session, incoming, now, outcome)


def is_signed(session: Session, incoming: Incoming, now: datetime) -> bool:
    """Whether the request is signed with a secret its (active) source accepts now: what
    decides the rate limit it counts against (smarketing.kit.ratelimit)."""
    source = repository.get_source(session, incoming.key)
    if source is None or source.disabled_at is not None or incoming.too_large:
        return False
    signed = SignedRequest(incoming.body, incoming.headers, incoming.method, incoming.uris)
    keys = accepted_secrets(source.secret, source.previous_secret,
                            source.previous_secret_expires_at, now)  # fmt: skip
    try:
        verify(signed, keys, now, hubspot=source.adapter == "hubspot")
    except SignatureRefused:
        return False
    return True


def parse_events(adapter: str, body: bytes, key: str) -> list[Event]:
    """The events of a raw body; BodyRefused when it is not JSON of the adapter's shape."""
    try:
        data = jsonio.loads(body)
    except jsonio.JSONDecodeError as exc:
        raise BodyRefused(f"body: not valid JSON ({exc})") from None
    return adapt(adapter, data, source=key, digest=hashlib.sha256(body).hexdigest())


def _log(session: Session, incoming: Incoming, now: datetime, outcome: str,
         reason: str | None) -> None:  # fmt: skip
    repository.log_request(session, WebhookRequest(
        source=incoming.key[:64], received_at=now, outcome=outcome, reason=reason,
        remote_addr=(incoming.remote_addr or None) and incoming.remote_addr[:64],
        body_bytes=incoming.size))  # fmt: skip


def _refuse(session: Session, incoming: Incoming, now: datetime, status: int, reason: str,
            log_reason: str | None = None) -> Reply:  # fmt: skip
    """A refusal: logged (the log keeps `log_reason` when the sender must not learn it),
    on a row of its own while the source's minute has fewer than REFUSAL_ROWS_PER_MINUTE,
    else counted on the newest one."""
    logged = f"{log_reason}: {reason}" if log_reason else reason
    since = now - timedelta(minutes=1)
    key = incoming.key[:64]
    if not (repository.refusals_since(session, key, since) >= REFUSAL_ROWS_PER_MINUTE
            and repository.count_repeat(session, key, since)):  # fmt: skip
        _log(session, incoming, now, "refused", logged)
    logger.warning("webhook %r from %s refused with %s: %s", incoming.key,
                   incoming.remote_addr or "?", status, logged)  # fmt: skip
    return Reply(status, {"detail": reason})


def _answer(session: Session, incoming: Incoming, now: datetime, outcome: Outcome) -> Reply:
    content: dict[str, Any] = {
        "accepted": len(outcome.contacts), "quarantined": len(outcome.failures),
        "contacts": outcome.contacts, "activities": outcome.activities, "notes": outcome.notes,
    }  # fmt: skip
    if outcome.suppressed:
        content["suppressed"] = len(outcome.suppressed)
    if not outcome.failures:
        dropped = (f"{len(outcome.suppressed)} event(s) of suppressed addresses dropped"
                   if outcome.suppressed else None)  # fmt: skip
        _log(session, incoming, now, "accepted", dropped)
        logger.info("webhook %r accepted: %d event(s)", incoming.key, len(outcome.contacts))
        return Reply(200, content)
    item_id = hold(session, source=source_label(incoming.key), kind=QUARANTINE_KIND, now=now,
                   payload={"source": incoming.key, "body": incoming.body.decode(),
                            "events": [index for index, _ in outcome.failures]},
                   reason=outcome.reason)  # fmt: skip
    _log(session, incoming, now, "quarantined", f"quarantine item {item_id}: {outcome.reason}")
    logger.warning("webhook %r: %d event(s) held in quarantine item %d: %s", incoming.key,
                   len(outcome.failures), item_id, outcome.reason)  # fmt: skip
    return Reply(202, {**content, "quarantine_id": item_id, "reason": outcome.reason})


# ----------------------------------------------------------------------------- applying


def apply_events(session: Session, source: WebhookSource, events: list[Event], now: datetime,
                 only: Iterable[int] | None = None) -> Outcome:  # fmt: skip
    """Apply each event (or those at the positions `only`) in its own savepoint."""
    wanted = None if only is None else set(only)
    default_campaign = repository.campaign_key(session, source.campaign_id)
    outcome = Outcome()
    refused = suppressed(session, [email for event in events
                                   if isinstance(email := event.contact.get("email"), str)])
    for index, event in enumerate(events):
        if wanted is not None and index not in wanted:
            continue
        if event.contact.get("email") in refused:
            outcome.suppressed.append(index)
            continue
        try:
            with session.begin_nested():
                _apply(session, source.key, default_campaign, event, now, outcome)
        except _Suppressed:
            outcome.suppressed.append(index)
        except SmarketingError as exc:
            message = str(exc)
            prefix = "" if message.startswith(event.label) else f"{event.label}: "
            outcome.failures.append((index, prefix + message))
    return outcome


class _Suppressed(Exception):
    """The event's contact resolves to a suppressed address: dropped."""


def _apply(session: Session, key: str, campaign: str | None, event: Event, now: datetime,
           outcome: Outcome) -> None:  # fmt: skip
    if event.error is not None:
        raise ValidationError(event.error)
    contact = dict(event.contact)
    contact["email"] = contact.get("email") or _known_email(session, event)
    try:
        email = survivor_email(session, normalize_email(contact["email"]))
    except ValueError as exc:
        raise ValidationError(f"email: {exc}") from None
    if suppressed(session, [email]):  # merged into an erased person, or found by a property
        raise _Suppressed
    stage, note = stage_update(repository.stage_of(session, email),
                               contact.pop("lifecycle_stage", None))  # fmt: skip
    if stage is not None:
        contact["lifecycle_stage"] = stage
    if campaign is not None:
        contact.setdefault("campaign", campaign)
    if contact.get("created_at") is not None:
        contact["created_at"] = min(contact["created_at"], now)
    result = upsert_contact(session, contact, now=now, actor=source_label(key))
    items = [_activity(session, item, result.email, campaign, key, now)
             for item in event.activities]  # fmt: skip
    stored = ingest_activities(session, items, source=source_label(key), now=now,
                               quarantine=False).items if items else []  # fmt: skip
    for item in stored:
        if item.status == "rejected":
            raise ValidationError(f"activity {item.id}: {item.reason}")
    outcome.contacts.append({"email": result.email, "contact_id": result.contact_id,
                             "status": result.status})  # fmt: skip
    outcome.activities.extend({"id": item.id, "status": item.status} for item in stored)
    if note is not None:
        outcome.notes.append(f"{result.email}: {note}")


def _known_email(session: Session, event: Event) -> str:
    """The email of the known contact an email-less event refers to."""
    if event.lookup is not None:
        email = repository.email_with_property(session, *event.lookup)
        if email is not None:
            return email
        name, value = event.lookup
        raise ValidationError(
            f"email: the event carries no email and no contact with {name} {value!r} is known "
            "yet; replay it from the quarantine once the contact exists")
    raise ValidationError("email: required")


def _activity(session: Session, item: dict[str, Any], email: str, campaign: str | None,
              key: str, now: datetime) -> dict[str, Any]:  # fmt: skip
    """An event's activity for `ingest_activities`. Without the sender's time it takes the
    time it was first stored at, so a resend is recognized as the same activity."""
    activity = {**item, "email": email,
                "properties": {**item.get("properties", {}), "webhook": key}}  # fmt: skip
    if campaign is not None:
        activity.setdefault("campaign", campaign)
    if activity.get("at") is None:
        activity["at"] = repository.activity_at(session, activity["id"]) or now
    return activity


# ----------------------------------------------------------------------------- replay


def _held(payload: Any) -> tuple[str, bytes, list[int] | None]:
    """(source key, raw body, event positions) of a quarantined "hook" item."""
    if not (isinstance(payload, dict) and isinstance(payload.get("source"), str)
            and "body" in payload):  # fmt: skip
        raise ValidationError('payload: expected {"source": KEY, "body": "<raw body>", '
                              '"events": [positions]}')  # fmt: skip
    body = payload["body"]
    raw = body.encode() if isinstance(body, str) else orjson.dumps(body)
    events = payload.get("events")
    if events is not None and not (isinstance(events, list)
                                   and all(isinstance(i, int) for i in events)):  # fmt: skip
        raise ValidationError("events: must be a list of event positions (integers)")
    return payload["source"], raw, events


@register_replayer(QUARANTINE_KIND)
def replay_hook(session: Session, payload: Any, now: datetime, source: str) -> str:
    """Apply a held webhook's events again (even when its source is disabled since)."""
    key, body, positions = _held(payload)
    hook = repository.get_source(session, key)
    if hook is None:
        raise ValidationError(f"source: no webhook source {key!r}")
    try:
        events = parse_events(hook.adapter, body, key)
    except BodyRefused as exc:
        raise ValidationError(str(exc)) from None
    outcome = apply_events(session, hook, events, now, only=positions)
    if outcome.failures:
        raise ValidationError(outcome.reason)
    return f"hook {key}: {len(outcome.contacts)} event(s) applied"
