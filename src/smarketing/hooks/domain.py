"""Inbound webhooks as pure logic: request signatures and the senders' payload adapters.

Signatures. Every request is signed with the source's shared secret:
``X-Smarketing-Timestamp: <unix seconds>`` and
``X-Smarketing-Signature: sha256=<hex HMAC-SHA256(secret, b"<timestamp>." + raw body)>``.
A `hubspot` source also accepts HubSpot's own v3 signature (``X-HubSpot-Signature-v3``:
base64 HMAC-SHA256 of method + URI + body + timestamp, ``X-HubSpot-Request-Timestamp``
in milliseconds) made with the app's client secret. Either way the timestamp must be
within `TOLERANCE_SECONDS` of the server clock and digests are compared in constant time.
After a secret is rotated the previous one is accepted too until its grace period ends
(`accepted_secrets`): `verify` takes every accepted secret and compares the request's
digest against each of them, always all of them, each in constant time.

Adapters turn a decoded body into `Event`s: for each person the sender reports, the
contact to upsert (the keys of `upsert_contact`) and the activities to ingest (the keys
of `ingest_activities`), or the reason it cannot be mapped. Activity ids come from the
sender's own identity for the event, so a resent webhook is a duplicate, not a second
activity. A body whose overall shape is wrong raises `BodyRefused`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from smarketing.core.errors import json_type
from smarketing.core.timeutil import parse_instant
from smarketing.lifecycle.domain import Stage, funnel_position

TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 512 * 1024
ADAPTERS = ("generic", "hubspot", "rdstation")
TIMESTAMP_HEADER = "X-Smarketing-Timestamp"
SIGNATURE_HEADER = "X-Smarketing-Signature"
HUBSPOT_SIGNATURE_HEADER = "X-HubSpot-Signature-v3"
HUBSPOT_TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp"
_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,47}")
_ID_MAX = 200

# ----------------------------------------------------------------------------- signatures


class SignatureRefused(Exception):
    """The request is not signed, signed with another secret, or stale (HTTP 401)."""


class BodyRefused(Exception):
    """The body is not JSON, or not the shape the adapter expects (HTTP 400)."""


def check_key(key: str) -> str:
    """A source key is its URL segment: lower-case letters, digits, '-' and '_'."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"key: use 1 to 48 lower-case letters, digits, '-' or '_' "
                         f"(starting with a letter or digit), got {key!r}")  # fmt: skip
    return key


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """The X-Smarketing-Signature value of `body` sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def signed_headers(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The headers that sign `body` at `timestamp`, as a sender or a relay sends them."""
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(secret, timestamp, body)}


def hubspot_signature(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """HubSpot's v3 signature: base64 HMAC-SHA256 of method + URI + body + timestamp."""
    source = method.encode() + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()


#: HubSpot signs the URI with these escapes decoded.
_HUBSPOT_DECODED = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
    "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip
_ESCAPE = re.compile("|".join(_HUBSPOT_DECODED), re.IGNORECASE)


def hubspot_uri(uri: str) -> str:
    return _ESCAPE.sub(lambda match: _HUBSPOT_DECODED[match.group(0).upper()], uri)


def accepted_secrets(current: str, previous: str | None, previous_expires_at: datetime | None,
                     now: datetime) -> tuple[str, ...]:  # fmt: skip
    """The secrets a request may be signed with at `now`: the current one and, after a
    rotation, the previous one while `now` is before the end of its grace period."""
    if previous and previous_expires_at is not None and now < previous_expires_at:
        return (current, previous)
    return (current,)


def _secret_list(secret: str | Sequence[str]) -> tuple[str, ...]:
    keys = (secret,) if isinstance(secret, str) else tuple(secret)
    if not keys:
        raise ValueError("verify: at least one secret is needed")
    return keys


def _matches_any(expected: Callable[[str], str], given: str, secrets: Sequence[str]) -> bool:
    """Whether `given` equals `expected(secret)` for one of `secrets`. Every secret is
    compared, in constant time, whichever matches, so timing tells nothing about which."""
    matches = [hmac.compare_digest(expected(secret).encode(), given.encode())
               for secret in secrets]  # fmt: skip
    return any(matches)


@dataclass(frozen=True)
class SignedRequest:
    """What a signature covers. `headers` is looked up by lower-case name; `uris` are the
    URLs the request may have been sent to (HubSpot signs the full URL, which a proxy
    may change: the public URL and the one the server saw are both tried)."""

    body: bytes
    headers: Mapping[str, str]
    method: str = "POST"
    uris: tuple[str, ...] = ()


def verify(request: SignedRequest, secret: str | Sequence[str], now: datetime, *,
           hubspot: bool = False) -> str:  # fmt: skip
    """The scheme that signed `request` ("smarketing" or "hubspot-v3"), or SignatureRefused
    with the reason. `secret` is the source's secret, or every secret it accepts now (see
    `accepted_secrets`): a signature made with any of them verifies."""
    secrets = _secret_list(secret)
    headers = {name.lower(): value for name, value in request.headers.items()}
    if SIGNATURE_HEADER.lower() in headers or TIMESTAMP_HEADER.lower() in headers:
        _verify_ours(request.body, headers, secrets, now)
        return "smarketing"
    if hubspot and HUBSPOT_SIGNATURE_HEADER.lower() in headers:
        _verify_hubspot(request, headers, secrets, now)
        return "hubspot-v3"
    also = f" (or {HUBSPOT_SIGNATURE_HEADER} with {HUBSPOT_TIMESTAMP_HEADER})" if hubspot else ""
    raise SignatureRefused(f"unsigned request: send {SIGNATURE_HEADER} and "
                           f"{TIMESTAMP_HEADER}{also}; see docs/webhooks.md")  # fmt: skip


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name.lower(), "").strip()
    if not value:
        raise SignatureRefused(f"missing {name} header")
    return value


#: Digits of a Unix time header: milliseconds until the year 33658 fit in 15.
MAX_TIMESTAMP_DIGITS = 15


def _timestamp(value: str, name: str, unit: str) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > MAX_TIMESTAMP_DIGITS:
        raise SignatureRefused(f"{name}: must be a Unix time in {unit}, got {value[:40]!r}")
    return int(value)


def check_fresh(sent_at: float, now: datetime) -> None:
    """Refuse a timestamp more than TOLERANCE_SECONDS away from `now`, either way."""
    away = abs(now.timestamp() - sent_at)
    if away > TOLERANCE_SECONDS:
        raise SignatureRefused(f"timestamp is {math.ceil(away)} s away from the server clock "
                               f"(tolerance {TOLERANCE_SECONDS} s)")  # fmt: skip


def _verify_ours(body: bytes, headers: Mapping[str, str], secrets: Sequence[str],
                 now: datetime) -> None:  # fmt: skip
    timestamp = _header(headers, TIMESTAMP_HEADER)
    given = _header(headers, SIGNATURE_HEADER)
    check_fresh(_timestamp(timestamp, TIMESTAMP_HEADER, "seconds"), now)
    if not given.startswith("sha256="):
        raise SignatureRefused(f"{SIGNATURE_HEADER}: expected sha256=<hex HMAC-SHA256>")
    if not _matches_any(lambda secret: signature(secret, timestamp, body), given.lower(),
                        secrets):  # fmt: skip
        raise SignatureRefused("signature does not match: check the secret and that the "
                               "body is sent exactly as signed")  # fmt: skip


def _verify_hubspot(request: SignedRequest, headers: Mapping[str, str], secrets: Sequence[str],
                    now: datetime) -> None:  # fmt: skip
    given = _header(headers, HUBSPOT_SIGNATURE_HEADER)
    timestamp = _header(headers, HUBSPOT_TIMESTAMP_HEADER)
    check_fresh(_timestamp(timestamp, HUBSPOT_TIMESTAMP_HEADER, "milliseconds") / 1000, now)
    matches = [_matches_any(partial(_hubspot_expected, request, hubspot_uri(uri), timestamp),
                            given, secrets) for uri in request.uris]  # fmt: skip
    if not any(matches):
        raise SignatureRefused("HubSpot v3 signature does not match: check that the source's "
                               "secret is the app's client secret and that the webhook URL "
                               "is SMARKETING_PUBLIC_URL + /hooks/<key>")  # fmt: skip


def _hubspot_expected(request: SignedRequest, uri: str, timestamp: str, secret: str) -> str:
    return hubspot_signature(secret, request.method, uri, request.body, timestamp)


# ----------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Event:
    """One person reported by the sender.

    `contact` holds `upsert_contact` keys (its `email` may be missing when `lookup` names
    a property that finds an already known contact); `activities` hold
    `ingest_activities` items without their email (the service adds the contact's).
    `error` is why the event cannot be mapped; the service quarantines it."""

    label: str
    contact: dict[str, Any] = field(default_factory=dict)
    activities: tuple[dict[str, Any], ...] = ()
    lookup: tuple[str, str] | None = None
    error: str | None = None


class MappingError(ValueError):
    """One event cannot be mapped; the message names the field."""


def adapt(adapter: str, data: Any, *, source: str, digest: str) -> list[Event]:
    """The events in a decoded body. `digest` (the body's SHA-256 hex) identifies an event
    that carries no id of its own."""
    adapters: dict[str, Callable[[Any, str, str], list[Event]]] = {
        "generic": adapt_generic, "hubspot": adapt_hubspot, "rdstation": adapt_rdstation}
    if adapter not in adapters:
        raise BodyRefused(f"adapter: unknown adapter {adapter!r}")
    return adapters[adapter](data, source, digest)


def _mapped(label: str, build: Callable[[], Event]) -> Event:
    try:
        return build()
    except MappingError as exc:
        return Event(label, error=f"{label}: {exc}")


def _text(data: Mapping[str, Any], key: str, where: str = "") -> str | None:
    """A string field (numbers are taken as text), None when absent or blank."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise MappingError(f"{where}{key}: must be a string, got {json_type(value)}")
    text = str(value).strip()
    return text or None


def _object(data: Mapping[str, Any], key: str, where: str = "") -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MappingError(f"{where}{key}: must be an object, got {json_type(value)}")
    return value


def _instant(value: str, field_name: str) -> datetime:
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise MappingError(f"{field_name}: {exc}") from None


def _from_millis(value: Any, field_name: str) -> datetime:
    """HubSpot's instants: Unix milliseconds (number or digits), or ISO 8601."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    if isinstance(value, str) and value.strip().isdigit():
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    if isinstance(value, str):
        return _instant(value, field_name)
    raise MappingError(f"{field_name}: expected Unix milliseconds or an ISO 8601 instant")


def short_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def _bounded_id(prefix: str, value: str) -> str:
    """`prefix + value`, or `prefix + a hash of value` when that would be too long."""
    whole = prefix + value
    return whole if len(whole) <= _ID_MAX else prefix + "sha256:" + short_hash(value)


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and v != {} and v != []}


def _country(value: str | None) -> str | None:
    """An ISO 3166 alpha-2 code, or None for anything else (kept in properties)."""
    return value.upper() if value and len(value) == 2 and value.isalpha() else None


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """'Ana Maria Souza' -> ('Ana', 'Maria Souza')."""
    if not name:
        return None, None
    first, _, last = name.strip().partition(" ")
    return first or None, last.strip() or None


# ----------------------------------------------------------------------------- lifecycle


def stage_update(current: str | None, proposed: str | None) -> tuple[str | None, str | None]:
    """The stage to write for a sender's `proposed` stage, and a note when it is kept.

    A new contact (`current` None) takes the proposed stage. An existing one only moves
    forward in the funnel: a sender never moves a contact back (recycling and
    disqualifying are decisions with a reason, made in smarketing) nor out of `other`.
    """
    if proposed is None or proposed == current:
        return None, None
    if current is None:
        return proposed, None
    if current != Stage.OTHER and funnel_position(Stage(proposed)) > funnel_position(
            Stage(current)):  # fmt: skip
        return proposed, None
    return None, (f"lifecycle_stage: kept {current}; the sender's {proposed} would move the "
                  "contact backwards")  # fmt: skip


# ----------------------------------------------------------------------------- generic

GENERIC_FIELDS = ("email", "first_name", "last_name", "company", "phone", "job_title",
                  "country", "campaign", "channel", "form", "page_url", "submitted_at", "id",
                  "fields")  # fmt: skip
_GENERIC_CONTACT = ("email", "first_name", "last_name", "company", "phone", "job_title",
                    "country", "campaign", "channel")  # fmt: skip


def adapt_generic(data: Any, source: str, digest: str) -> list[Event]:
    """A form post as one JSON object -> the contact and a `form_submit` activity."""
    if not isinstance(data, dict):
        raise BodyRefused(f"body: the generic adapter expects one JSON object (a form post), "
                          f"got {json_type(data)}")  # fmt: skip
    return [_mapped("form post", lambda: _generic_event(data, source, digest))]


def _generic_event(data: dict[str, Any], source: str, digest: str) -> Event:
    values = {key: _text(data, key) for key in GENERIC_FIELDS if key != "fields"}
    fields = {**_object(data, "fields"),
              **{k: v for k, v in data.items() if k not in GENERIC_FIELDS}}  # fmt: skip
    if values["email"] is None:
        raise MappingError("email: required (a form post without an email cannot be matched "
                           "to a person)")  # fmt: skip
    at = _instant(values["submitted_at"], "submitted_at") if values["submitted_at"] else None
    contact = _compact({key: values[key] for key in _GENERIC_CONTACT})
    if "country" in contact:
        contact["country"] = contact["country"].upper()
    if at is not None:
        contact["created_at"] = at
    own_id = values["id"]
    activity = _compact({
        "id": _bounded_id(f"hook:{source}:", own_id) if own_id
        else f"hook:{source}:sha256:{digest}",
        "kind": "form_submit", "at": at, "campaign": values["campaign"],
        "channel": values["channel"], "url": values["page_url"], "content": values["form"],
        "properties": _compact({"form": values["form"], "fields": fields}),
    })  # fmt: skip
    return Event("form post", contact, (activity,))


# ----------------------------------------------------------------------------- HubSpot

HUBSPOT_STAGES = {
    "subscriber": "subscriber", "lead": "lead", "marketingqualifiedlead": "mql",
    "salesqualifiedlead": "sql", "opportunity": "opportunity", "customer": "customer",
    "evangelist": "evangelist",
}  # fmt: skip
HUBSPOT_FIELDS = {"email": "email", "firstname": "first_name", "lastname": "last_name",
                  "company": "company", "phone": "phone", "mobilephone": "phone",
                  "jobtitle": "job_title"}  # fmt: skip
HUBSPOT_CHANNELS = {
    "ORGANIC_SEARCH": "organic_search", "PAID_SEARCH": "paid_search",
    "EMAIL_MARKETING": "email", "SOCIAL_MEDIA": "social", "PAID_SOCIAL": "paid_social",
    "REFERRALS": "referral", "DIRECT_TRAFFIC": "direct", "OTHER_CAMPAIGNS": "other",
    "OFFLINE": "other",
}  # fmt: skip
HUBSPOT_EVENTS = ("contact.creation", "contact.propertyChange")


def adapt_hubspot(data: Any, source: str, digest: str) -> list[Event]:
    """A workflow "Send a webhook" body (one contact object) or a Webhooks API batch
    (a list of subscription events)."""
    if isinstance(data, list):
        return _hubspot_events(data)
    if isinstance(data, dict):
        return [_mapped("HubSpot contact", lambda: _hubspot_workflow(data))]
    raise BodyRefused(f"body: the hubspot adapter expects a contact object (workflow webhook) "
                      f"or a list of events (Webhooks API), got {json_type(data)}")  # fmt: skip


def _hubspot_property(properties: Mapping[str, Any], name: str) -> Any:
    """A property's value: workflows send {"value": ...} objects or plain values."""
    value = properties.get(name)
    return value.get("value") if isinstance(value, dict) else value


def _hubspot_contact(props: dict[str, Any], object_id: str | None) -> dict[str, Any]:
    """Contact keys from HubSpot properties (plain values)."""
    contact: dict[str, Any] = {}
    for name, target in HUBSPOT_FIELDS.items():
        value = _text(props, name, "properties.")
        if value is not None:
            contact.setdefault(target, value)
    stage = _text(props, "lifecyclestage", "properties.")
    source = _text(props, "hs_analytics_source", "properties.")
    if stage in HUBSPOT_STAGES:
        contact["lifecycle_stage"] = HUBSPOT_STAGES[stage]
    if source in HUBSPOT_CHANNELS:
        contact["channel"] = HUBSPOT_CHANNELS[source]
    contact["properties"] = _compact({"hubspot_id": object_id, "hubspot_lifecyclestage": stage,
                                      "hubspot_analytics_source": source})  # fmt: skip
    return _compact(contact)


def _hubspot_workflow(data: dict[str, Any]) -> Event:
    raw = data["properties"] if isinstance(data.get("properties"), dict) else data
    props = {name: _hubspot_property(raw, name) for name in raw}
    object_id = next((str(data[k]) for k in ("vid", "canonical-vid", "objectId", "id")
                      if isinstance(data.get(k), str | int)), None)  # fmt: skip
    object_id = object_id or _text(props, "hs_object_id", "properties.")
    portal = _text(data, "portal-id") or _text(data, "portalId") or "0"
    contact = _hubspot_contact(props, object_id)
    if props.get("createdate") not in (None, ""):
        contact["created_at"] = _from_millis(props["createdate"], "properties.createdate")
    label = f"HubSpot contact {object_id}" if object_id else "HubSpot contact"
    activities = _hubspot_forms(data) or _hubspot_recent_conversion(props, portal, object_id)
    lookup = ("hubspot_id", object_id) if object_id else None
    if "email" not in contact and lookup is None:
        raise MappingError("properties.email: required (or the contact's vid / hs_object_id)")
    return Event(label, contact, activities, lookup)


def _hubspot_forms(data: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """The `form-submissions` of a workflow body (HubSpot's contact record format)."""
    submissions = data.get("form-submissions")
    if not isinstance(submissions, list):
        return ()
    activities = []
    for index, item in enumerate(submissions):
        where = f"form-submissions.{index}."
        if not isinstance(item, dict):
            raise MappingError(f"form-submissions.{index}: must be an object")
        conversion = _text(item, "conversion-id", where)
        if conversion is None or item.get("timestamp") is None:
            raise MappingError(f"{where}conversion-id and {where}timestamp: required")
        title = _text(item, "title", where) or _text(item, "form-id", where)
        activities.append(_compact({
            "id": _bounded_id("hubspot:form:", conversion), "kind": "form_submit",
            "at": _from_millis(item["timestamp"], f"{where}timestamp"),
            "url": _text(item, "page-url", where), "content": title,
            "properties": _compact({"hubspot_form_id": _text(item, "form-id", where),
                                    "page_title": _text(item, "page-title", where)}),
        }))  # fmt: skip
    return tuple(activities)


def _hubspot_recent_conversion(props: dict[str, Any], portal: str,
                               object_id: str | None) -> tuple[dict[str, Any], ...]:  # fmt: skip
    """A form_submit from `recent_conversion_event_name` and `recent_conversion_date`."""
    name = _text(props, "recent_conversion_event_name", "properties.")
    when = props.get("recent_conversion_date")
    if name is None or when in (None, "") or object_id is None:
        return ()
    at = _from_millis(when, "properties.recent_conversion_date")
    stamp = str(int(at.timestamp() * 1000))
    return ({"id": f"hubspot:{portal}:{object_id}:conversion:{stamp}", "kind": "form_submit",
             "at": at, "content": name},)  # fmt: skip


def _hubspot_events(events: list[Any]) -> list[Event]:
    emails: dict[str, str] = {}
    for item in events:  # an email set in the same batch names the contact of every event
        if (isinstance(item, dict) and item.get("subscriptionType") == "contact.propertyChange"
                and item.get("propertyName") == "email" and item.get("objectId") is not None
                and isinstance(item.get("propertyValue"), str)):  # fmt: skip
            emails[str(item["objectId"])] = item["propertyValue"]
    return [_mapped(_hubspot_label(index, item), partial(_hubspot_event, item, emails, index))
            for index, item in enumerate(events)]  # fmt: skip


def _hubspot_label(index: int, item: Any) -> str:
    if isinstance(item, dict) and item.get("eventId") is not None:
        return f"HubSpot event {item['eventId']}"
    return f"HubSpot event #{index}"


def _hubspot_event(item: Any, emails: Mapping[str, str], index: int) -> Event:
    if not isinstance(item, dict):
        raise MappingError(f"must be an object, got {json_type(item)}")
    kind = _text(item, "subscriptionType")
    object_id = _text(item, "objectId")
    if kind not in HUBSPOT_EVENTS:
        mapped = " and ".join(HUBSPOT_EVENTS)
        raise MappingError(f"subscriptionType: {kind!r} is not applied (smarketing maps "
                           f"{mapped}); discard it or unsubscribe")  # fmt: skip
    if object_id is None:
        raise MappingError("objectId: required")
    props: dict[str, Any] = {}
    if kind == "contact.propertyChange":
        name = _text(item, "propertyName")
        if name is None:
            raise MappingError("propertyName: required")
        props[name] = item.get("propertyValue")
    contact = _hubspot_contact(props, object_id)
    extra = {f"hubspot_{k}": v for k, v in props.items()
             if k not in HUBSPOT_FIELDS and k not in ("lifecyclestage", "hs_analytics_source")}
    contact["properties"] = {**contact.get("properties", {}), **extra}
    if object_id in emails:
        contact["email"] = emails[object_id]
    return Event(_hubspot_label(index, item), contact, (), ("hubspot_id", object_id))


# ----------------------------------------------------------------------------- RD Station

RD_STAGES = {"lead": "lead", "lead qualificado": "mql", "qualified lead": "mql",
             "cliente": "customer", "client": "customer", "customer": "customer"}  # fmt: skip
RD_CHANNELS = {
    "organic search": "organic_search", "busca orgânica": "organic_search",
    "busca organica": "organic_search", "paid search": "paid_search",
    "busca paga": "paid_search", "email": "email", "e-mail": "email", "social": "social",
    "redes sociais": "social", "paid social": "paid_social", "social pago": "paid_social",
    "referral": "referral", "referência": "referral", "referencia": "referral",
    "direct": "direct", "tráfego direto": "direct", "trafego direto": "direct",
    "direto": "direct", "display": "display", "other": "other", "outros": "other",
    "unknown": "other", "desconhecido": "other",
}  # fmt: skip
RD_EVENTS = ("WEBHOOK.CONVERTED", "WEBHOOK.MARKED_OPPORTUNITY")


def adapt_rdstation(data: Any, source: str, digest: str) -> list[Event]:
    """RD Station Marketing: the lead webhook ({"leads": [...]}) or a webhooks API event
    ({"event_type": ..., "contact": {...}})."""
    if isinstance(data, dict) and isinstance(data.get("leads"), list):
        return [_mapped(f"RD Station lead #{index}", partial(_rd_lead, lead))
                for index, lead in enumerate(data["leads"])]  # fmt: skip
    if isinstance(data, dict) and "contact" in data and "event_type" in data:
        return [_mapped("RD Station contact", lambda: _rd_api_event(data))]
    raise BodyRefused('body: the rdstation adapter expects {"leads": [...]} (lead webhook) '
                      'or {"event_type": ..., "contact": {...}} (webhooks API), '
                      f"got {json_type(data)}{_keys_of(data)}")  # fmt: skip


def _keys_of(data: Any) -> str:
    return f" with keys {', '.join(sorted(map(str, data))[:10])}" if isinstance(data, dict) else ""


def rd_channel(value: str | None) -> str | None:
    """An RD Station channel or origin ("Busca Paga | Google") as one of ours."""
    if not value:
        return None
    return RD_CHANNELS.get(value.split("|")[0].strip().lower())


def _rd_contact(lead: dict[str, Any], company: str | None, stage: str | None,
                extra: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    first, last = split_name(_text(lead, "name"))
    country = _text(lead, "country")
    return _compact({
        "email": _text(lead, "email"), "first_name": first, "last_name": last,
        "company": company, "job_title": _text(lead, "job_title"),
        "phone": _text(lead, "personal_phone") or _text(lead, "mobile_phone"),
        "country": _country(country),
        "lifecycle_stage": RD_STAGES.get((stage or "").strip().lower()),
        "properties": _compact({
            "rdstation_uuid": _text(lead, "uuid"), "rdstation_city": _text(lead, "city"),
            "rdstation_state": _text(lead, "state"),
            "rdstation_country": country if _country(country) is None else None,
            "rdstation_tags": lead.get("tags") or None, "rdstation_lead_stage": stage, **extra,
        }),
    })  # fmt: skip


def _rd_required_email(contact: dict[str, Any], where: str) -> None:
    if "email" not in contact:
        raise MappingError(f"{where}email: required (RD Station identifies leads by email)")


def _rd_lead(lead: Any) -> Event:
    if not isinstance(lead, dict):
        raise MappingError(f"must be an object, got {json_type(lead)}")
    extra = _compact({"rdstation_opportunity": _truthy(lead.get("opportunity")),
                      "rdstation_owner": _text(lead, "user"),
                      "rdstation_custom_fields": _object(lead, "custom_fields")})  # fmt: skip
    contact = _rd_contact(lead, _text(lead, "company"), _text(lead, "lead_stage"), extra)
    _rd_required_email(contact, "")
    if _text(lead, "created_at"):
        contact["created_at"] = _instant(str(lead["created_at"]), "created_at")
    who = _text(lead, "uuid") or _text(lead, "id") or contact["email"]
    activities: dict[str, dict[str, Any]] = {}
    for key in ("first_conversion", "last_conversion"):
        conversion = _object(lead, key)
        if conversion:
            activity = _rd_conversion(conversion, who, key)
            activities.setdefault(activity["id"], activity)
    return Event(f"RD Station lead {contact['email']}", contact, tuple(activities.values()))


def _truthy(value: Any) -> bool | None:
    if value is None:
        return None
    return value is True or str(value).strip().lower() in ("true", "1", "sim", "yes")


def _rd_conversion(conversion: dict[str, Any], who: str, where: str) -> dict[str, Any]:
    content = _object(conversion, "content", f"{where}.")
    origin = _object(conversion, "conversion_origin", f"{where}.")
    created = _text(conversion, "created_at", f"{where}.")
    if created is None:
        raise MappingError(f"{where}.created_at: required")
    identifier = _text(content, "identificador", f"{where}.content.") or _text(
        conversion, "source", f"{where}.") or "conversion"
    return _compact({
        "id": _bounded_id("rdstation:", f"{who}:{short_hash(created, identifier)}"),
        "kind": "form_submit", "at": _instant(created, f"{where}.created_at"),
        "channel": rd_channel(_text(origin, "channel", f"{where}.conversion_origin.")),
        "content": identifier,
        "properties": _compact({"conversion": content, "conversion_origin": origin}),
    })  # fmt: skip


def _rd_api_event(data: dict[str, Any]) -> Event:
    kind = _text(data, "event_type")
    if kind not in RD_EVENTS:
        raise MappingError(f"event_type: {kind!r} is not applied (smarketing maps "
                           f"{' and '.join(RD_EVENTS)})")  # fmt: skip
    lead = _object(data, "contact")
    funnel = _object(lead, "funnel", "contact.")
    company = lead.get("company")
    company_name = (_text(company, "name", "contact.company.") if isinstance(company, dict)
                    else _text(lead, "company", "contact."))  # fmt: skip
    custom = {k: v for k, v in lead.items() if k.startswith("cf_")}
    extra = _compact({"rdstation_opportunity": _truthy(funnel.get("opportunity")),
                      "rdstation_owner": _text(funnel, "contact_owner_email", "contact.funnel."),
                      "rdstation_origin": _text(funnel, "origin", "contact.funnel."),
                      "rdstation_custom_fields": custom})  # fmt: skip
    stage = _text(funnel, "lifecycle_stage", "contact.funnel.")
    contact = _rd_contact(lead, company_name, stage, extra)
    _rd_required_email(contact, "contact.")
    activities: tuple[dict[str, Any], ...] = ()
    if kind == "WEBHOOK.CONVERTED":
        activities = (_rd_api_conversion(data, contact, funnel),)
    return Event(f"RD Station contact {contact['email']}", contact, activities)


def _rd_api_conversion(data: dict[str, Any], contact: dict[str, Any],
                       funnel: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    identifier = _text(data, "event_identifier") or "conversion"
    when = _text(data, "event_timestamp") or _text(data, "timestamp")
    if when is None:
        raise MappingError("event_timestamp: required")
    who = contact.get("properties", {}).get("rdstation_uuid") or contact["email"]
    return _compact({
        "id": _bounded_id("rdstation:", f"{who}:{short_hash(when, identifier)}"),
        "kind": "form_submit", "at": _instant(when, "event_timestamp"),
        "channel": rd_channel(_text(funnel, "origin", "contact.funnel.")),
        "content": identifier, "properties": {"event_type": data["event_type"]},
    })  # fmt: skip
