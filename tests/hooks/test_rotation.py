"""Re-enabling a source and rotating its secret with a grace period (pure verification and
the service on SQLite and PostgreSQL), and the adapters' type errors in JSON's words."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.hooks import service
from smarketing.hooks.domain import (
    SignatureRefused,
    SignedRequest,
    accepted_secrets,
    adapt,
    signed_headers,
    verify,
)
from smarketing.models import WebhookRequest, WebhookSource

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
OLD = "old-secret-0123456789"
NEW = "new-secret-0123456789"
OTHER = "other-secret-0123456789"
BODY = b'{"email":"ana@example.com"}'
URL = "https://smk.example.com/hooks/hs"


def ours(secret: str, at: datetime, body: bytes = BODY) -> SignedRequest:
    return SignedRequest(body, signed_headers(secret, body, int(at.timestamp())))


def hubspot_v3(secret: str, at: datetime, body: bytes = BODY) -> dict[str, str]:
    """HubSpot's v3 recipe, written out from its documentation."""
    millis = int(at.timestamp() * 1000)
    digest = hmac.new(secret.encode(), f"POST{URL}{body.decode()}{millis}".encode(),
                      hashlib.sha256).digest()  # fmt: skip
    return {"X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
            "X-HubSpot-Request-Timestamp": str(millis)}  # fmt: skip


# ----------------------------------------------------------------------------- pure


@pytest.mark.parametrize(("previous", "expires_at", "now", "accepted"), [
    (None, None, NOW, (NEW,)),
    (OLD, NOW + HOUR, NOW, (NEW, OLD)),
    (OLD, NOW + HOUR, NOW + HOUR - timedelta(microseconds=1), (NEW, OLD)),
    (OLD, NOW + HOUR, NOW + HOUR, (NEW,)),
    (OLD, NOW + HOUR, NOW + 2 * HOUR, (NEW,)),
    (OLD, None, NOW, (NEW,)),
    ("", NOW + HOUR, NOW, (NEW,)),
])  # fmt: skip
def test_accepted_secrets(previous: str | None, expires_at: datetime | None, now: datetime,
                          accepted: tuple[str, ...]) -> None:  # fmt: skip
    assert accepted_secrets(NEW, previous, expires_at, now) == accepted


def test_both_secrets_verify_during_the_grace_period_and_only_the_new_one_after() -> None:
    until = NOW + 24 * HOUR
    during = NOW + 23 * HOUR
    after = until

    keys = accepted_secrets(NEW, OLD, until, during)
    assert verify(ours(NEW, during), keys, during) == "smarketing"
    assert verify(ours(OLD, during), keys, during) == "smarketing"
    with pytest.raises(SignatureRefused, match="signature does not match"):
        verify(ours(OTHER, during), keys, during)

    keys = accepted_secrets(NEW, OLD, until, after)
    assert verify(ours(NEW, after), keys, after) == "smarketing"
    with pytest.raises(SignatureRefused, match="signature does not match"):
        verify(ours(OLD, after), keys, after)


def test_hubspot_v3_signature_with_the_previous_secret_during_the_grace_period() -> None:
    until = NOW + HOUR
    for secret in (OLD, NEW):
        request = SignedRequest(BODY, hubspot_v3(secret, NOW), "POST", ("http://10.0.0.5/", URL))
        assert verify(request, accepted_secrets(NEW, OLD, until, NOW), NOW,
                      hubspot=True) == "hubspot-v3"  # fmt: skip
    late = until + timedelta(seconds=1)
    request = SignedRequest(BODY, hubspot_v3(OLD, late), "POST", (URL,))
    with pytest.raises(SignatureRefused, match="HubSpot v3 signature does not match"):
        verify(request, accepted_secrets(NEW, OLD, until, late), late, hubspot=True)


def test_every_secret_is_compared_even_after_a_match(monkeypatch: pytest.MonkeyPatch) -> None:
    """Constant time for each secret: the comparison never stops at the first match."""
    compared: list[bytes] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append(a)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert verify(ours(NEW, NOW), (NEW, OLD), NOW) == "smarketing"
    assert len(compared) == 2
    compared.clear()
    request = SignedRequest(BODY, hubspot_v3(NEW, NOW), "POST", (URL, "http://10.0.0.5/"))
    assert verify(request, (NEW, OLD), NOW, hubspot=True) == "hubspot-v3"
    assert len(compared) == 4  # two URIs times two secrets


def test_verify_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="at least one secret"):
        verify(ours(NEW, NOW), (), NOW)


# ----------------------------------------------------------------------------- service


@pytest.fixture
def forms(session: Session) -> Session:
    """A session with the generic source `forms` (secret OLD) and the hubspot source `hs`."""
    service.add_source(session, "forms", "generic", now=NOW - HOUR, secret=OLD)
    service.add_source(session, "hs", "hubspot", now=NOW - HOUR, secret=OLD)
    return session


def receive(session: Session, key: str, headers: dict[str, str], now: datetime,
            body: bytes = BODY) -> service.Reply:  # fmt: skip
    incoming = service.Incoming(key, body, headers, len(body), uris=(URL,))
    return service.receive(session, incoming, now)


def post(session: Session, secret: str, now: datetime, key: str = "forms") -> int:
    """The status of a generic post to `key` signed with `secret` at `now`."""
    return receive(session, key, signed_headers(secret, BODY, int(now.timestamp())), now).status


def stored(session: Session, key: str) -> WebhookSource:
    session.expire_all()
    return session.execute(select(WebhookSource).where(WebhookSource.key == key)).scalar_one()


def test_enable_a_disabled_source(forms: Session) -> None:
    assert service.enable_source(forms, "forms") is None  # already active: nothing changes
    service.disable_source(forms, "forms", NOW)
    assert post(forms, OLD, NOW) == 404

    assert service.enable_source(forms, "forms") == NOW
    assert service.enable_source(forms, "forms") is None
    assert stored(forms, "forms").disabled_at is None
    assert post(forms, OLD, NOW + HOUR) == 200
    with pytest.raises(NotFoundError, match="no webhook source 'nope'"):
        service.enable_source(forms, "nope")


def test_rotate_with_a_grace_period(forms: Session) -> None:
    rotation = service.rotate_secret(forms, "forms", NOW, secret=NEW)

    assert rotation == service.Rotation("forms", NEW, NOW + 24 * HOUR, None)
    source = stored(forms, "forms")
    assert (source.secret, source.previous_secret) == (NEW, OLD)  # kept as `secret` is
    assert source.previous_secret_expires_at == NOW + 24 * HOUR
    before = NOW + 24 * HOUR - timedelta(seconds=1)
    assert post(forms, OLD, NOW) == 200
    assert post(forms, OLD, before) == 200
    assert post(forms, NEW, before) == 200
    assert post(forms, OLD, NOW + 24 * HOUR) == 401
    assert post(forms, NEW, NOW + 24 * HOUR) == 200
    assert post(forms, OTHER, NOW) == 401
    refused = forms.scalars(select(WebhookRequest.reason)
                            .where(WebhookRequest.outcome == "refused")).all()  # fmt: skip
    assert refused == ["signature does not match: check the secret and that the body is sent "
                       "exactly as signed"] * 2  # fmt: skip


def test_rotate_generates_a_secret_like_add(forms: Session) -> None:
    rotation = service.rotate_secret(forms, "forms", NOW, grace=2 * HOUR)

    assert len(rotation.secret) >= 32
    assert rotation.secret not in (OLD, NEW)
    assert rotation.previous_until == NOW + 2 * HOUR
    assert stored(forms, "forms").secret == rotation.secret
    assert post(forms, rotation.secret, NOW) == 200


def test_rotate_with_no_grace_refuses_the_old_secret_at_once(forms: Session) -> None:
    rotation = service.rotate_secret(forms, "forms", NOW, grace=timedelta(0), secret=NEW)

    assert rotation.previous_until is None
    source = stored(forms, "forms")
    assert (source.previous_secret, source.previous_secret_expires_at) == (None, None)
    assert post(forms, OLD, NOW) == 401
    assert post(forms, NEW, NOW) == 200


def test_a_second_rotation_drops_the_first_previous_secret(forms: Session) -> None:
    service.rotate_secret(forms, "forms", NOW, secret=NEW)
    service.rotate_secret(forms, "forms", NOW + HOUR, secret=OTHER, grace=HOUR)

    later = NOW + 90 * timedelta(minutes=1)
    assert post(forms, OLD, later) == 401
    assert post(forms, NEW, later) == 200
    assert post(forms, OTHER, later) == 200
    assert post(forms, NEW, NOW + 2 * HOUR) == 401


def test_hubspot_v3_with_the_previous_secret_through_the_service(forms: Session) -> None:
    body = json.dumps({"vid": 3051, "properties": {"email": {"value": "bruno@x.example"}}})
    raw = body.encode()
    service.rotate_secret(forms, "hs", NOW, secret=NEW, grace=HOUR)

    during = NOW + 30 * timedelta(minutes=1)
    assert receive(forms, "hs", hubspot_v3(OLD, during, raw), during, raw).status == 200
    assert receive(forms, "hs", hubspot_v3(NEW, during, raw), during, raw).status == 200
    after = NOW + HOUR
    refused = receive(forms, "hs", hubspot_v3(OLD, after, raw), after, raw)
    assert refused.status == 401
    assert refused.content["detail"].startswith("HubSpot v3 signature does not match")
    assert receive(forms, "hs", hubspot_v3(NEW, after, raw), after, raw).status == 200


def test_list_shows_until_when_a_previous_secret_is_accepted(forms: Session) -> None:
    service.rotate_secret(forms, "forms", NOW, secret=NEW, grace=3 * HOUR)

    def until(now: datetime) -> dict[str, datetime | None]:
        return {row.key: row.previous_secret_until for row in service.list_sources(forms, now)}

    assert until(NOW) == {"forms": NOW + 3 * HOUR, "hs": None}
    assert until(NOW + 3 * HOUR) == {"forms": None, "hs": None}


def test_a_disabled_source_can_be_rotated_and_stays_disabled(forms: Session) -> None:
    service.disable_source(forms, "forms", NOW)
    rotation = service.rotate_secret(forms, "forms", NOW, secret=NEW)
    assert rotation.disabled_at == NOW
    assert post(forms, NEW, NOW) == 404


@pytest.mark.parametrize(("key", "options", "error"), [
    ("nope", {}, "no webhook source 'nope'"),
    ("forms", {"secret": "short"}, "secret: at least 16 characters"),
    ("forms", {"secret": f"  {OLD} "}, "secret: the new secret must differ from the current one"),
    ("forms", {"grace": -HOUR}, "grace: from 0 to 720 hours"),
    ("forms", {"grace": timedelta(days=30, seconds=1)}, "grace: from 0 to 720 hours"),
])  # fmt: skip
def test_rotation_refuses_bad_input_and_changes_nothing(forms: Session, key: str,
                                                        options: dict[str, Any],
                                                        error: str) -> None:  # fmt: skip
    with pytest.raises((NotFoundError, ValidationError), match=error):
        service.rotate_secret(forms, key, NOW, **options)
    source = stored(forms, "forms")
    assert (source.secret, source.previous_secret) == (OLD, None)


# ----------------------------------------------------------------------------- JSON words


@pytest.mark.parametrize(("adapter", "data", "error"), [
    ("generic", {"email": ["a@b.c"]}, "form post: email: must be a string, got an array"),
    ("generic", {"email": {"a": 1}}, "form post: email: must be a string, got an object"),
    ("generic", {"email": "a@b.c", "fields": None, "form": [1]},
     "form post: form: must be a string, got an array"),
    ("generic", {"email": "a@b.c", "fields": 3},
     "form post: fields: must be an object, got a number"),
    ("hubspot", [None], "HubSpot event #0: must be an object, got null"),
    ("hubspot", [[1]], "HubSpot event #0: must be an object, got an array"),
    ("hubspot", {"properties": {"email": ["a@b.c"]}},
     "HubSpot contact: properties.email: must be a string, got an array"),
    ("rdstation", {"leads": [None]}, "RD Station lead #0: must be an object, got null"),
    ("rdstation", {"leads": [{"email": "a@b.c", "custom_fields": ["x"]}]},
     "RD Station lead #0: custom_fields: must be an object, got an array"),
    ("rdstation", {"leads": [{"email": {"x": 1}}]},
     "RD Station lead #0: email: must be a string, got an object"),
])  # fmt: skip
def test_type_errors_use_json_words(adapter: str, data: Any, error: str) -> None:
    events = adapt(adapter, data, source="x", digest="0" * 64)
    assert events[0].error == error
