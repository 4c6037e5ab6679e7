"""Website tracking use cases: record the events `/t.js` sends, stitch a visitor's
anonymous history onto the contact a form identifies, and edit the tracking settings.

An event of a visitor not yet identified is kept in `visitor_events`. A form submit
identifies the visitor: the contact is created or updated from the form's fields, every
anonymous event becomes an activity with the same id (and leaves `visitor_events`), and
the submit itself becomes a `form_submit` activity. Later events of an identified
visitor go straight to `activities`. An event that cannot be applied is kept in the
quarantine (kind `track_event`) with the reason, and can be replayed. Never commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError
from sqlalchemy.orm import Session

from smarketing.activities.domain import URL_MAX
from smarketing.activities.service import ingest_activities
from smarketing.contacts.service import upsert_contact
from smarketing.core.errors import NotFoundError, SmarketingError, ValidationError, json_type
from smarketing.core.timeutil import as_utc, format_instant, parse_instant
from smarketing.models import Visitor, VisitorEvent
from smarketing.quarantine.service import hold, register_replayer
from smarketing.records.bounds import normalize_email
from smarketing.records.messages import describe
from smarketing.tracking import domain, repository
from smarketing.tracking.domain import Rule, Touch
from smarketing.tracking.repository import CampaignRef

SOURCE = "track"
QUARANTINE_KIND = "track_event"
MAX_EVENTS = 50
MAX_FIELDS = 50
BODY_KEYS = ("visitor", "site", "events")
VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
EVENT_ID = r"^[A-Za-z0-9._:-]+$"


class TrackEventIn(BaseModel):
    """One event as `/t.js` sends it. The time is the server's: browsers' clocks drift."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: Annotated[str, Field(min_length=8, max_length=200, pattern=EVENT_ID)]
    kind: Literal["page_view", "form_submit"]
    url: Annotated[str, Field(min_length=1, max_length=URL_MAX)]
    referrer: Annotated[str, Field(max_length=URL_MAX)] | None = None
    title: Annotated[str, Field(max_length=500)] | None = None
    email: Annotated[str, Field(max_length=320)] | None = None
    form: Annotated[str, Field(max_length=200)] | None = None
    fields: Annotated[dict[Annotated[str, Field(max_length=100)],
                           Annotated[str, Field(max_length=1000)]],
                      Field(max_length=MAX_FIELDS)] = Field(default_factory=dict)  # fmt: skip


@dataclass(frozen=True)
class TrackingConfig:
    """The workspace's tracking settings, read once per request."""

    domains: tuple[str, ...]
    rules: tuple[Rule, ...]
    campaigns: dict[str, CampaignRef] = field(default_factory=dict)


@dataclass
class EventResult:
    index: int
    id: str | None
    status: str  # created | duplicate | rejected
    reason: str | None = None
    quarantine_id: int | None = None

    def as_public_dict(self) -> dict[str, Any]:
        """What the page may see: no quarantine ids, no contact ids."""
        data: dict[str, Any] = {"index": self.index, "id": self.id, "status": self.status}
        if self.reason:
            data["reason"] = self.reason
        return data


@dataclass
class TrackResult:
    items: list[EventResult] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(1 for item in self.items if item.status == "rejected")

    def as_public_dict(self) -> dict[str, Any]:
        return {
            "created": sum(1 for i in self.items if i.status == "created"),
            "duplicates": sum(1 for i in self.items if i.status == "duplicate"),
            "rejected": self.rejected, "items": [i.as_public_dict() for i in self.items],
        }  # fmt: skip


class BodyError(ValidationError):
    """The request body is not a tracking body at all (nothing in it can be kept)."""


# -- settings ----------------------------------------------------------------------------


def load_config(session: Session) -> TrackingConfig:
    return TrackingConfig(domains=tuple(list_domains(session)), rules=current_rules(session)[0],
                          campaigns=repository.campaigns_by_utm(session))  # fmt: skip


def list_domains(session: Session) -> list[str]:
    value = repository.get_setting(session, repository.DOMAINS_KEY)
    return [d for d in value if isinstance(d, str)] if isinstance(value, list) else []


def add_domains(session: Session, values: Iterable[str], now: datetime) -> list[str]:
    """Allow pages on these domains (and their subdomains); the domains newly added."""
    try:
        wanted = [domain.normalize_domain(v) for v in values]
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    current = list_domains(session)
    added = [d for d in dict.fromkeys(wanted) if d not in current]
    if added:
        repository.put_setting(session, repository.DOMAINS_KEY, sorted(current + added), now)
    return added


def remove_domain(session: Session, value: str, now: datetime) -> str:
    try:
        name = domain.normalize_domain(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    current = list_domains(session)
    if name not in current:
        raise NotFoundError(f"{name} is not a tracking domain (see `smarketing tracking "
                            "domains list`)")  # fmt: skip
    repository.put_setting(session, repository.DOMAINS_KEY,
                           [d for d in current if d != name], now)  # fmt: skip
    return name


def current_rules(session: Session) -> tuple[tuple[Rule, ...], bool]:
    """The channel rules in force, and whether they are the workspace's own (not the
    defaults)."""
    stored = repository.get_setting(session, repository.RULES_KEY)
    if stored is None:
        return domain.DEFAULT_RULES, False
    try:
        return domain.parse_rules(stored), True
    except domain.RulesError as exc:
        raise ValidationError(f"the stored channel rules are invalid ({exc}); fix them with "
                              "`smarketing tracking rules set` or `rules reset`") from None


def set_rules(session: Session, data: Any, now: datetime) -> tuple[Rule, ...]:
    try:
        rules = domain.parse_rules(data)
    except domain.RulesError as exc:
        raise ValidationError(str(exc)) from None
    repository.put_setting(session, repository.RULES_KEY, domain.rules_as_data(rules), now)
    return rules


def reset_rules(session: Session) -> bool:
    """Back to the default rules; whether there were custom ones."""
    return repository.delete_setting(session, repository.RULES_KEY)


@dataclass(frozen=True)
class UrlClassification:
    touch: Touch
    channel: str
    campaign: str | None


def classify_url(session: Session, url: str, referrer: str | None) -> UrlClassification:
    """How a landing on `url` from `referrer` would be classified (nothing is written)."""
    config = load_config(session)
    touch = domain.classify(url, referrer, _own_hosts(config, url), config.rules)
    campaign = _campaign(config, touch)
    channel, _ = domain.touch_channel(touch, campaign.channel if campaign else None, None)
    return UrlClassification(touch, channel, campaign.key if campaign else None)


def recent_visitors(session: Session, limit: int) -> list[repository.VisitorRow]:
    return repository.recent_visitors(session, limit)


# -- recording events --------------------------------------------------------------------


def parse_body(data: Any) -> tuple[Any, str | None, list[Any]]:
    """(visitor id, site, events) of a tracking body; BodyError when it is not one."""
    if not isinstance(data, dict):
        raise BodyError(f"body: must be a JSON object, got {json_type(data)}")
    unknown = sorted(set(data) - set(BODY_KEYS))
    if unknown:
        raise BodyError(f"body: unknown field {unknown[0]!r}; known: {', '.join(BODY_KEYS)}")
    events = data.get("events")
    if not isinstance(events, list) or not events:
        raise BodyError("events: must be a non-empty list of events")
    if len(events) > MAX_EVENTS:
        raise BodyError(f"events: at most {MAX_EVENTS} events per request, got {len(events)}")
    site = data.get("site")
    return data.get("visitor"), site[:100] if isinstance(site, str) else None, events


def record_events(session: Session, data: Any, *, now: datetime) -> TrackResult:
    """Apply every event of a tracking body; each one that cannot be applied is kept in
    the quarantine with its reason. BodyError when the body is not a tracking body."""
    visitor_id, site, events = parse_body(data)
    config = load_config(session)
    result = TrackResult()
    for index, raw in enumerate(events):
        result.items.append(_record_one(session, config, index, visitor_id, site, raw, now))
    return result


def _record_one(session: Session, config: TrackingConfig, index: int, visitor_id: Any,
                site: str | None, raw: Any, now: datetime) -> EventResult:  # fmt: skip
    event_id = raw.get("id") if isinstance(raw, dict) else None
    event_id = event_id if isinstance(event_id, str) else None
    try:
        with session.begin_nested():
            status = apply_event(session, config, visitor_id, site, raw, now)
    except SmarketingError as exc:
        payload = {"visitor": visitor_id, "site": site, "received_at": format_instant(now),
                   "event": raw}  # fmt: skip
        held = hold(session, source=SOURCE, kind=QUARANTINE_KIND, payload=payload,
                    reason=str(exc), now=now)  # fmt: skip
        return EventResult(index, event_id, "rejected", str(exc), held)
    return EventResult(index, event_id, status)


def parse_event(raw: Any) -> TrackEventIn:
    if not isinstance(raw, dict):
        raise ValidationError(f"event: must be a JSON object, got {json_type(raw)}")
    try:
        event = TrackEventIn.model_validate(raw)
    except PydanticError as exc:
        raise ValidationError(describe(exc)) from None
    if domain.host_of(event.url) is None or not event.url.startswith(("http://", "https://")):
        raise ValidationError(f"url: must be an http(s) address, got {event.url[:100]!r}")
    if event.kind == "form_submit":
        if not event.email:
            raise ValidationError("email: required on a form_submit")
        try:
            event.email = normalize_email(event.email)
        except ValueError as exc:
            raise ValidationError(f"email: {exc}") from None
    return event


def check_visitor_id(value: Any) -> str:
    if not isinstance(value, str) or not VISITOR_ID.match(value):
        raise ValidationError("visitor: must be the visitor's cookie id (8 to 64 letters, "
                              f"digits, '-' or '_'), got {str(value)[:80]!r}")  # fmt: skip
    return value


def apply_event(session: Session, config: TrackingConfig, visitor_id: Any, site: str | None,
                raw: Any, now: datetime) -> str:  # fmt: skip
    """Record one event at `now`; `created` or `duplicate`. ValidationError when it
    cannot be applied (the caller keeps it in the quarantine)."""
    visitor_id = check_visitor_id(visitor_id)
    event = parse_event(raw)
    known_kind = repository.known_event_kind(session, event.id)
    if known_kind is not None:
        if known_kind != event.kind:
            raise ValidationError(f"id: {event.id!r} is already recorded as a {known_kind}")
        return "duplicate"  # a retry: the first copy was kept, whenever it arrived
    visitor = repository.get_or_add_visitor(session, visitor_id, now)
    touch = domain.classify(event.url, event.referrer, _own_hosts(config, event.url),
                            config.rules)  # fmt: skip
    campaign = _campaign(config, touch)
    channel, is_new = domain.touch_channel(touch, campaign.channel if campaign else None,
                                           visitor.last_touch_channel)  # fmt: skip
    campaign_id = (campaign.id if campaign else None) if is_new else visitor.last_touch_campaign_id
    if is_new:
        _move_touches(visitor, channel, campaign_id, event)
    visitor.last_seen_at = max(as_utc(visitor.last_seen_at), now)
    properties = _properties(event, touch, visitor_id, site)
    if event.kind == "form_submit":
        _identify(session, visitor, event, channel, campaign_id, properties, now)
    elif visitor.contact_id is not None:
        _to_activities(session, [_activity(event.id, visitor.contact_id, event.kind, now,
                                           channel, campaign_id, event.url, event.referrer,
                                           properties)], now)  # fmt: skip
    else:
        repository.add_event(session, {
            "id": event.id, "visitor_id": visitor.id, "kind": event.kind, "at": now,
            "channel": channel, "campaign_id": campaign_id, "url": event.url,
            "referrer": event.referrer, "properties": properties,
        })  # fmt: skip
    return "created"


def _own_hosts(config: TrackingConfig, url: str) -> list[str]:
    """The hosts that count as this site: the page's own and every tracking domain."""
    page_host = domain.host_of(url)
    return [*config.domains, *([page_host] if page_host else [])]


def _campaign(config: TrackingConfig, touch: Touch) -> CampaignRef | None:
    name = touch.utm.get("utm_campaign")
    return config.campaigns.get(name.lower()) if name else None


def _move_touches(visitor: Visitor, channel: str, campaign_id: int | None,
                  event: TrackEventIn) -> None:  # fmt: skip
    """A new touch: the visitor's last touch, and its first if it had none."""
    if visitor.first_touch_channel is None:
        visitor.first_touch_channel, visitor.first_touch_campaign_id = channel, campaign_id
        visitor.first_touch_referrer, visitor.first_touch_url = event.referrer, event.url
    visitor.last_touch_channel, visitor.last_touch_campaign_id = channel, campaign_id
    visitor.last_touch_referrer, visitor.last_touch_url = event.referrer, event.url


def _properties(event: TrackEventIn, touch: Touch, visitor_id: str,
                site: str | None) -> dict[str, Any]:  # fmt: skip
    """What is kept beside the channel: UTM values (a utm_campaign that names no campaign
    stays here), click ids, the rule that decided, the page title, the form."""
    data: dict[str, Any] = {"visitor": visitor_id, "rule": touch.rule}
    if touch.utm:
        data["utm"] = dict(touch.utm)
    if touch.click_ids:
        data["click_ids"] = list(touch.click_ids)
    if not touch.is_new_touch:
        data["internal"] = True
    for key, value in (("site", site), ("title", event.title), ("form", event.form)):
        if value:
            data[key] = value
    fields = {k: v for k, v in event.fields.items() if not domain.is_sensitive_field(k)}
    if fields:
        data["fields"] = fields
    return data


def _activity(event_id: str, contact_id: int, kind: str, at: datetime, channel: str | None,
              campaign_id: int | None, url: str | None, referrer: str | None,
              properties: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    extra = {"referrer": referrer} if referrer else {}
    return {"id": event_id, "contact_id": contact_id, "kind": kind, "at": at,
            "channel": channel, "campaign_id": campaign_id, "url": url,
            "properties": {**properties, **extra}}  # fmt: skip


def _to_activities(session: Session, items: list[dict[str, Any]], now: datetime) -> None:
    """Store activities whose `campaign_id` is turned into the campaign key ingestion
    takes. An item ingestion rejects raises: the whole event goes to the quarantine."""
    keys = repository.campaign_keys(session, (i["campaign_id"] for i in items))
    rows = [{**{k: v for k, v in i.items() if k != "campaign_id"},
             **({"campaign": keys[i["campaign_id"]]} if i["campaign_id"] else {})}
            for i in items]  # fmt: skip
    result = ingest_activities(session, rows, source=SOURCE, now=now, batch=True,
                               quarantine=False)  # fmt: skip
    for item in result.items:
        if item.status == "rejected":
            raise ValidationError(f"activity {item.id}: {item.reason}")


def _identify(session: Session, visitor: Visitor, event: TrackEventIn, channel: str,
              campaign_id: int | None, properties: dict[str, Any],
              now: datetime) -> None:  # fmt: skip
    """The form names the visitor: upsert the contact, move the anonymous history onto
    it (same ids), and record the submit."""
    assert event.email is not None  # noqa: S101 - parse_event requires it on a form
    data: dict[str, Any] = domain.contact_from_form(event.email, event.fields)
    data["channel"] = visitor.first_touch_channel  # first touch of a new contact
    first_campaign = repository.campaign_keys(session, [visitor.first_touch_campaign_id])
    if visitor.first_touch_campaign_id in first_campaign:
        data["campaign"] = first_campaign[visitor.first_touch_campaign_id]
    contact = upsert_contact(session, data, now=now, actor="tracking", default_stage="lead")
    if visitor.contact_id != contact.contact_id:
        visitor.contact_id, visitor.identified_at = contact.contact_id, now
    pending = repository.anonymous_events(session, visitor.id)
    items = [_from_anonymous(e, contact.contact_id) for e in pending]
    items.append(_activity(event.id, contact.contact_id, "form_submit", now, channel,
                           campaign_id, event.url, event.referrer, properties))  # fmt: skip
    repository.delete_events(session, [e.id for e in pending])
    _to_activities(session, items, now)


def _from_anonymous(event: VisitorEvent, contact_id: int) -> dict[str, Any]:
    return _activity(event.id, contact_id, event.kind, as_utc(event.at), event.channel,
                     event.campaign_id, event.url, event.referrer,
                     dict(event.properties or {}))  # fmt: skip


@register_replayer(QUARANTINE_KIND)
def replay_track_event(session: Session, payload: Any, now: datetime, source: str) -> str:
    """Apply a held event again, at the time it was first received when known."""
    if not isinstance(payload, dict) or "event" not in payload:
        raise ValidationError("payload: must be an object with `visitor` and `event`")
    at = now
    if isinstance(payload.get("received_at"), str):
        try:
            at = parse_instant(payload["received_at"])
        except ValueError:
            at = now
    status = apply_event(session, load_config(session), payload.get("visitor"),
                         payload.get("site"), payload["event"], at)  # fmt: skip
    event = payload["event"]
    event_id = event.get("id") if isinstance(event, dict) else None
    return f"track event {event_id} {status}"


def visitor_events(session: Session, visitor_id: str) -> Sequence[VisitorEvent]:
    """The anonymous events still waiting for the visitor to identify."""
    return repository.anonymous_events(session, visitor_id)
