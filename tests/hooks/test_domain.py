"""The pure part of inbound webhooks: signatures, the adapters on the senders' sample
payloads, and the forward-only stage rule."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smarketing.hooks.domain import (
    BodyRefused,
    SignatureRefused,
    SignedRequest,
    accepted_secrets,
    adapt,
    check_key,
    hubspot_uri,
    rd_channel,
    signature,
    signed_headers,
    split_name,
    stage_update,
    verify,
)
from smarketing.lifecycle.domain import ALL_STAGES, FUNNEL
from tests.hooks import sample

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
T = int(NOW.timestamp())
SECRET = "s3cret-s3cret-s3cret"
BODY = b'{"email":"ana@example.com"}'
DIGEST = hashlib.sha256(b"body").hexdigest()

# ----------------------------------------------------------------------------- signatures


def test_signature_matches_a_value_computed_with_openssl() -> None:
    # printf '1795003200.{"a":1}' | openssl dgst -sha256 -hmac 'golden-secret-0123'
    assert signature("golden-secret-0123", 1795003200, b'{"a":1}') == (
        "sha256=b61d2759162a847b3b74c1904dbd6fd6af507f55fb2c89da1b1a15f7aa046d4b")


def _headers(**overrides: str | None) -> dict[str, str]:
    headers: dict[str, str | None] = {**signed_headers(SECRET, BODY, T), **overrides}
    return {k: v for k, v in headers.items() if v is not None}


@pytest.mark.parametrize(("headers", "body", "refusal"), [
    (_headers(), BODY, None),
    ({k.lower(): v for k, v in _headers().items()}, BODY, None),
    (signed_headers(SECRET, BODY, T - 300), BODY, None),
    (signed_headers(SECRET, BODY, T + 300), BODY, None),
    (signed_headers(SECRET, BODY, T - 301), BODY,
     "timestamp is 301 s away from the server clock (tolerance 300 s)"),
    (signed_headers(SECRET, BODY, T + 301), BODY,
     "timestamp is 301 s away from the server clock (tolerance 300 s)"),
    ({}, BODY, "unsigned request: send X-Smarketing-Signature and X-Smarketing-Timestamp"),
    (_headers(**{"X-Smarketing-Signature": None}), BODY, "missing X-Smarketing-Signature"),
    (_headers(**{"X-Smarketing-Timestamp": None}), BODY, "missing X-Smarketing-Timestamp"),
    (signed_headers("another-secret-0000", BODY, T), BODY, "signature does not match"),
    (_headers(), BODY + b" ", "signature does not match"),
    (_headers(**{"X-Smarketing-Timestamp": str(T + 1)}), BODY, "signature does not match"),
    (_headers(**{"X-Smarketing-Timestamp": "1796040000.5"}), BODY,
     "X-Smarketing-Timestamp: must be a Unix time in seconds, got '1796040000.5'"),
    (_headers(**{"X-Smarketing-Signature": signature(SECRET, T, BODY)[7:]}), BODY,
     "X-Smarketing-Signature: expected sha256=<hex HMAC-SHA256>"),
    (_headers(**{"X-Smarketing-Signature": signature(SECRET, T, BODY).upper()
                 .replace("SHA256=", "sha256=")}), BODY, None),
])  # fmt: skip
def test_our_signature(headers: dict[str, str], body: bytes, refusal: str | None) -> None:
    request = SignedRequest(body, headers)
    if refusal is None:
        assert verify(request, SECRET, NOW) == "smarketing"
    else:
        with pytest.raises(SignatureRefused) as caught:
            verify(request, SECRET, NOW)
        assert refusal in str(caught.value)


@given(body=st.binary(max_size=300), secret=st.text(min_size=1, max_size=40),
       skew=st.integers(min_value=-300, max_value=300), position=st.integers(min_value=0))
def test_any_signed_body_verifies_and_any_changed_byte_is_refused(
        body: bytes, secret: str, skew: int, position: int) -> None:  # fmt: skip
    headers = signed_headers(secret, body, T + skew)
    assert verify(SignedRequest(body, headers), secret, NOW) == "smarketing"
    changed = bytearray(body or b"x")
    changed[position % len(changed)] ^= 0x01
    with pytest.raises(SignatureRefused):
        verify(SignedRequest(bytes(changed), headers), secret, NOW)


def _hubspot(secret: str, uri: str, body: bytes, millis: int) -> dict[str, str]:
    """HubSpot's v3 recipe, written out from its documentation."""
    source = f"POST{uri}{body.decode()}{millis}".encode()
    digest = hmac.new(secret.encode(), source, hashlib.sha256).digest()
    return {"X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
            "X-HubSpot-Request-Timestamp": str(millis)}  # fmt: skip


URL = "https://smk.example.com/hooks/hs"


@pytest.mark.parametrize(("headers", "uris", "hubspot", "refusal"), [
    (_hubspot(SECRET, URL, BODY, T * 1000), (URL,), True, None),
    (_hubspot(SECRET, URL, BODY, T * 1000), ("http://10.0.0.5/hooks/hs", URL), True, None),
    (_hubspot(SECRET, URL + "?team=a:b", BODY, T * 1000), (URL + "?team=a%3Ab",), True, None),
    (_hubspot(SECRET, URL, BODY, T * 1000), (URL,), False, "unsigned request"),
    (_hubspot(SECRET, URL, BODY, (T - 301) * 1000), (URL,), True, "301 s away"),
    (_hubspot("client-secret-other", URL, BODY, T * 1000), (URL,), True,
     "HubSpot v3 signature does not match"),
    (_hubspot(SECRET, URL, BODY, T * 1000), ("http://10.0.0.5/hooks/hs",), True,
     "HubSpot v3 signature does not match"),
    ({"X-HubSpot-Signature-v3": "abc"}, (URL,), True, "missing X-HubSpot-Request-Timestamp"),
])  # fmt: skip
def test_hubspot_v3_signature(headers: dict[str, str], uris: tuple[str, ...], hubspot: bool,
                              refusal: str | None) -> None:  # fmt: skip
    request = SignedRequest(BODY, headers, "POST", uris)
    if refusal is None:
        assert verify(request, SECRET, NOW, hubspot=True) == "hubspot-v3"
    else:
        with pytest.raises(SignatureRefused) as caught:
            verify(request, SECRET, NOW, hubspot=hubspot)
        assert refusal in str(caught.value)


def changed_at(value: str, index: int) -> str:
    """`value` with the character at `index` replaced by another one of the same alphabet
    (hexadecimal and base64 both have 0 and 1)."""
    index %= len(value)
    return value[:index] + ("1" if value[index] == "0" else "0") + value[index + 1:]


SCHEMES = {
    "smarketing": (signed_headers(SECRET, BODY, T), "X-Smarketing-Signature"),
    "hubspot-v3": (_hubspot(SECRET, URL, BODY, T * 1000), "X-HubSpot-Signature-v3"),
}
PREVIOUS = "previous-secret-0123"


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("secrets", [SECRET, (SECRET, PREVIOUS), (PREVIOUS, SECRET)],
                         ids=["one secret", "current signed", "previous signed"])
def test_a_valid_signature_with_its_last_character_changed_is_refused(
        scheme: str, secrets: str | tuple[str, ...]) -> None:  # fmt: skip
    headers, name = SCHEMES[scheme]
    assert verify(SignedRequest(BODY, headers, "POST", (URL,)), secrets, NOW,
                  hubspot=True) == scheme  # fmt: skip
    given = headers[name]
    # the last character, the last one of the digest (before base64's padding), and none
    for forged in (changed_at(given, -1), changed_at(given, len(given.rstrip("=")) - 1),
                   given[:-1]):  # fmt: skip
        request = SignedRequest(BODY, {**headers, name: forged}, "POST", (URL,))
        with pytest.raises(SignatureRefused, match="signature does not match"):
            verify(request, secrets, NOW, hubspot=True)


def test_hubspot_uri_decodes_only_the_listed_escapes() -> None:
    assert hubspot_uri("https://x/h?a=%3a%2F%40&b=%20") == "https://x/h?a=:/@&b=%20"


@pytest.mark.parametrize(("key", "ok"), [
    ("forms", True), ("hubspot-main", True), ("rd_2026", True), ("0", True),
    ("Forms", False), ("-x", False), ("a/b", False), ("", False), ("x" * 49, False),
])  # fmt: skip
def test_source_keys_are_url_segments(key: str, ok: bool) -> None:
    if ok:
        assert check_key(key) == key
    else:
        with pytest.raises(ValueError, match="key: use 1 to 48"):
            check_key(key)


# ----------------------------------------------------------------------------- adapters


def _only(adapter: str, data: Any) -> Any:
    events = adapt(adapter, data, source="forms", digest=DIGEST)
    assert len(events) == 1
    return events[0]


def test_generic_form_post() -> None:
    event = _only("generic", sample("generic_form.json"))
    at = datetime(2026, 11, 30, 10, 58, tzinfo=UTC)
    assert event.error is None
    assert event.contact == {
        "email": "Dora.Lima@Atelier.example", "first_name": "Dora", "last_name": "Lima",
        "company": "Atelier Lima", "phone": "+34 612 345 678", "job_title": "Head of Design",
        "country": "ES", "campaign": "spring-webinar", "created_at": at,
    }  # fmt: skip
    assert event.activities == ({
        "id": "hook:forms:wf-20261130-0042", "kind": "form_submit", "at": at,
        "campaign": "spring-webinar", "url": "https://www.example.com/webinar?utm_source=newsletter",
        "content": "webinar-signup",
        "properties": {"form": "webinar-signup",
                       "fields": {"team_size": "11-50", "newsletter": True, "consent": "yes"}},
    },)  # fmt: skip


def test_generic_post_without_id_is_identified_by_its_body() -> None:
    event = _only("generic", {"email": "ana@example.com"})
    assert event.activities[0]["id"] == f"hook:forms:sha256:{DIGEST}"
    assert "at" not in event.activities[0]


@pytest.mark.parametrize(("data", "error"), [
    ({"first_name": "Ana"}, "form post: email: required"),
    ({"email": "  "}, "form post: email: required"),
    ({"email": ["a@b.c"]}, "form post: email: must be a string, got an array"),
    ({"email": {"work": "a@b.c"}}, "form post: email: must be a string, got an object"),
    ({"email": True}, "form post: email: must be a string, got a boolean"),
    ({"email": "a@b.c", "fields": [1]}, "form post: fields: must be an object, got an array"),
    ({"email": "a@b.c", "fields": "x"}, "form post: fields: must be an object, got a string"),
    ({"email": "a@b.c", "submitted_at": "2026-11-30 10:00"},
     "form post: submitted_at: '2026-11-30 10:00' has no UTC offset"),
])  # fmt: skip
def test_generic_mapping_errors_name_the_field(data: dict[str, Any], error: str) -> None:
    event = _only("generic", data)
    assert event.error is not None
    assert event.error.startswith(error)


@pytest.mark.parametrize(("adapter", "data", "refusal"), [
    ("generic", [{"email": "a@b.c"}], "the generic adapter expects one JSON object"),
    ("generic", "text", "got a string"),
    ("hubspot", 42, "the hubspot adapter expects a contact object"),
    ("rdstation", [], "the rdstation adapter expects"),
    ("rdstation", {"lead": {}}, "with keys lead"),
])  # fmt: skip
def test_bodies_of_the_wrong_shape_are_refused(adapter: str, data: Any, refusal: str) -> None:
    with pytest.raises(BodyRefused, match=refusal):
        adapt(adapter, data, source="x", digest=DIGEST)


def test_hubspot_workflow_webhook_in_the_contact_record_format() -> None:
    event = _only("hubspot", sample("hubspot_workflow.json"))
    assert event.error is None
    assert event.lookup == ("hubspot_id", "3051")
    assert event.contact == {
        "email": "bruno@tienda.example", "first_name": "Bruno", "last_name": "Díaz Prieto",
        "company": "Tienda Díaz", "phone": "+34 911 234 567", "job_title": "COO",
        "lifecycle_stage": "mql", "channel": "paid_search",
        "created_at": datetime(2026, 11, 26, 10, 0, tzinfo=UTC),
        "properties": {"hubspot_id": "3051", "hubspot_lifecyclestage": "marketingqualifiedlead",
                       "hubspot_analytics_source": "PAID_SEARCH"},
    }  # fmt: skip
    (form,) = event.activities
    assert form["id"] == "hubspot:form:7f0c3a52-5d1e-4c8a-9a31-2d4f5b8c9e10"
    assert (form["kind"], form["at"], form["url"], form["content"]) == (
        "form_submit", datetime(2026, 11, 29, 9, 15, tzinfo=UTC),
        "https://www.example.com/demo", "Request a demo")


def test_hubspot_flattened_workflow_body_with_a_recent_conversion() -> None:
    event = _only("hubspot", sample("hubspot_flat.json"))
    assert event.contact["email"] == "carla@muebles.example"
    assert (event.contact["lifecycle_stage"], event.contact["channel"]) == (
        "lead", "organic_search")
    assert event.activities == ({
        "id": "hubspot:0:3052:conversion:1795943700000", "kind": "form_submit",
        "at": datetime(2026, 11, 29, 9, 15, tzinfo=UTC), "content": "Price list download",
    },)  # fmt: skip


def test_hubspot_subscription_events_take_the_email_set_in_the_same_batch() -> None:
    events = adapt("hubspot", sample("hubspot_events.json"), source="hs", digest=DIGEST)
    assert [e.error for e in events] == [None] * 4
    assert {e.contact["email"] for e in events} == {"elena@cocinas.example"}
    assert all(e.lookup == ("hubspot_id", "3060") for e in events)
    assert events[2].contact["lifecycle_stage"] == "sql"
    assert events[3].contact["properties"] == {"hubspot_id": "3060",
                                               "hubspot_hs_lead_status": "IN_PROGRESS"}
    assert all(e.activities == () for e in events)


@pytest.mark.parametrize(("item", "result"), [
    ({"eventId": 7, "subscriptionType": "contact.creation", "objectId": 99},
     ("HubSpot event 7", None, ("hubspot_id", "99"))),
    ({"eventId": 8, "subscriptionType": "deal.creation", "objectId": 5},
     ("HubSpot event 8", "HubSpot event 8: subscriptionType: 'deal.creation' is not applied",
      None)),
    ({"eventId": 9, "subscriptionType": "contact.creation"},
     ("HubSpot event 9", "HubSpot event 9: objectId: required", None)),
    ("oops", ("HubSpot event #0", "HubSpot event #0: must be an object, got a string", None)),
])  # fmt: skip
def test_hubspot_events_without_email_or_not_mapped(item: Any, result: tuple[Any, ...]) -> None:
    (event,) = adapt("hubspot", [item], source="hs", digest=DIGEST)
    label, error, lookup = result
    assert event.label == label
    assert "email" not in event.contact
    assert event.lookup == lookup
    if error is None:
        assert event.error is None
    else:
        assert event.error is not None
        assert event.error.startswith(error)


def test_hubspot_workflow_without_email_or_id_cannot_be_mapped() -> None:
    event = _only("hubspot", {"properties": {"firstname": {"value": "Ana"}}})
    assert event.error == ("HubSpot contact: properties.email: required "
                           "(or the contact's vid / hs_object_id)")


def test_rdstation_lead_webhook() -> None:
    event = _only("rdstation", sample("rdstation_leads.json"))
    assert event.error is None
    contact = event.contact
    assert {k: contact[k] for k in ("email", "first_name", "last_name", "company", "job_title",
                                    "phone", "country", "lifecycle_stage")} == {
        "email": "fabio@moveis.example", "first_name": "Fábio", "last_name": "Santos Pereira",
        "company": "Móveis Santos", "job_title": "Diretor Comercial",
        "phone": "48 999999999", "country": "BR", "lifecycle_stage": "mql",
    }  # fmt: skip
    assert contact["properties"]["rdstation_custom_fields"] == {"Tamanho da equipe": "11-50"}
    assert contact["properties"]["rdstation_tags"] == ["cozinhas", "b2b"]
    first, last = event.activities
    assert (first["content"], first["channel"], first["at"]) == (
        "ebook-cozinhas-planejadas", "paid_search", datetime(2026, 11, 20, 18, 31, 35, tzinfo=UTC))
    assert (last["content"], last["channel"]) == ("webinar-showroom", "email")
    assert first["id"].startswith("rdstation:c2f3d2b3-7250-4d27-97f4-eef38be32f7f:")
    assert first["id"] != last["id"]


def test_rdstation_conversion_ids_are_stable_and_first_equals_last_once() -> None:
    lead = sample("rdstation_leads.json")["leads"][0]
    lead["first_conversion"] = lead["last_conversion"]
    (event,) = adapt("rdstation", {"leads": [lead]}, source="rd", digest=DIGEST)
    again = _only("rdstation", sample("rdstation_leads.json"))
    assert len(event.activities) == 1
    assert event.activities[0]["id"] == again.activities[1]["id"]


def test_rdstation_webhooks_api_conversion() -> None:
    event = _only("rdstation", sample("rdstation_converted.json"))
    assert event.error is None
    assert (event.contact["first_name"], event.contact["last_name"]) == ("Gabriela", "Alves")
    assert event.contact["company"] == "Alves Arquitetura"
    assert event.contact["lifecycle_stage"] == "lead"
    assert event.contact["properties"]["rdstation_custom_fields"] == {
        "cf_tamanho_do_projeto": ["Grande"]}
    (activity,) = event.activities
    assert (activity["content"], activity["channel"], activity["at"]) == (
        "orcamento-cozinha", "organic_search",
        datetime(2026, 11, 30, 11, 54, 4, 254000, tzinfo=UTC))


def test_rdstation_marked_opportunity_updates_the_contact_only() -> None:
    data = {**sample("rdstation_converted.json"), "event_type": "WEBHOOK.MARKED_OPPORTUNITY"}
    data["contact"]["funnel"]["opportunity"] = True
    event = _only("rdstation", data)
    assert event.activities == ()
    assert event.contact["properties"]["rdstation_opportunity"] is True


@pytest.mark.parametrize(("data", "error"), [
    ({"leads": [{"name": "Sem Email"}]}, "RD Station lead #0: email: required"),
    ({"leads": ["x"]}, "RD Station lead #0: must be an object"),
    ({"leads": [{"email": "a@b.c", "last_conversion": {"content": {}}}]},
     "RD Station lead #0: last_conversion.created_at: required"),
    ({"event_type": "WEBHOOK.DELETED", "contact": {}},
     "RD Station contact: event_type: 'WEBHOOK.DELETED' is not applied"),
])  # fmt: skip
def test_rdstation_mapping_errors(data: Any, error: str) -> None:
    event = adapt("rdstation", data, source="rd", digest=DIGEST)[0]
    assert event.error is not None
    assert event.error.startswith(error)


@pytest.mark.parametrize(("value", "channel"), [
    ("Busca Paga | Google", "paid_search"), ("Paid Search", "paid_search"),
    ("Busca Orgânica", "organic_search"), ("Tráfego Direto", "direct"), ("E-mail", "email"),
    ("Referência", "referral"), ("Redes Sociais | Facebook", "social"), ("Carrier pigeon", None),
    (None, None),
])  # fmt: skip
def test_rdstation_channels(value: str | None, channel: str | None) -> None:
    assert rd_channel(value) == channel


@pytest.mark.parametrize(("name", "parts"), [
    ("Ana", ("Ana", None)), (" Ana  Maria Souza ", ("Ana", "Maria Souza")), (None, (None, None)),
])  # fmt: skip
def test_split_name(name: str | None, parts: tuple[str | None, str | None]) -> None:
    assert split_name(name) == parts


# ----------------------------------------------------------------------------- stages


@pytest.mark.parametrize(("current", "proposed", "stage", "kept"), [
    (None, "mql", "mql", False),
    ("lead", "mql", "mql", False),
    ("lead", "customer", "customer", False),
    ("mql", "mql", None, False),
    ("sql", "lead", None, True),
    ("customer", "subscriber", None, True),
    ("other", "lead", None, True),
    ("lead", None, None, False),
])  # fmt: skip
def test_stage_update_only_moves_forward(current: str | None, proposed: str | None,
                                         stage: str | None, kept: bool) -> None:  # fmt: skip
    result, note = stage_update(current, proposed)
    assert result == stage
    assert (note is not None) == kept
    if kept:
        assert note == (f"lifecycle_stage: kept {current}; the sender's {proposed} would move "
                        "the contact backwards")


@given(current=st.sampled_from(ALL_STAGES), proposed=st.sampled_from(FUNNEL))
def test_stage_update_against_the_funnel_order(current: str, proposed: str) -> None:
    order = [str(stage) for stage in FUNNEL]
    expected = (proposed if current != "other" and order.index(proposed) > order.index(current)
                else None)  # fmt: skip
    assert stage_update(str(current), str(proposed))[0] == expected



# ----------------------------------------------------------------------------- whole events


def conversion_id(who: str, when: str, identifier: str) -> str:
    """RD Station activity ids: the lead and a hash of the conversion's time and name, so a
    resent conversion keeps its id (docs/webhooks.md)."""
    digest = hashlib.sha256(f"{when}\x1f{identifier}".encode()).hexdigest()[:24]
    return f"rdstation:{who}:{digest}"


FABIO = "c2f3d2b3-7250-4d27-97f4-eef38be32f7f"
GABI = "9a1c5e77-3b2d-4f10-8e6a-5c4d3b2a1f00"


def test_rdstation_lead_webhook_maps_every_field_it_knows() -> None:
    data = sample("rdstation_leads.json")
    lead = data["leads"][0]
    event = _only("rdstation", data)
    assert (event.label, event.error, event.lookup) == (
        "RD Station lead fabio@moveis.example", None, None)
    assert event.contact == {
        "email": "fabio@moveis.example", "first_name": "Fábio", "last_name": "Santos Pereira",
        "company": "Móveis Santos", "job_title": "Diretor Comercial",
        "phone": "48 999999999", "country": "BR", "lifecycle_stage": "mql",
        "created_at": datetime(2026, 11, 20, 18, 31, 35, tzinfo=UTC),
        "properties": {
            "rdstation_uuid": FABIO, "rdstation_city": "Florianópolis", "rdstation_state": "SC",
            "rdstation_tags": ["cozinhas", "b2b"], "rdstation_lead_stage": "Lead Qualificado",
            "rdstation_opportunity": False, "rdstation_owner": "vendas@example.com",
            "rdstation_custom_fields": {"Tamanho da equipe": "11-50"},
        },
    }  # fmt: skip
    first, last = lead["first_conversion"], lead["last_conversion"]
    assert event.activities == (
        {"id": conversion_id(FABIO, first["created_at"], "ebook-cozinhas-planejadas"),
         "kind": "form_submit", "at": datetime(2026, 11, 20, 18, 31, 35, tzinfo=UTC),
         "channel": "paid_search", "content": "ebook-cozinhas-planejadas",
         "properties": {"conversion": first["content"],
                        "conversion_origin": first["conversion_origin"]}},
        {"id": conversion_id(FABIO, last["created_at"], "webinar-showroom"),
         "kind": "form_submit", "at": datetime(2026, 11, 30, 11, 40, tzinfo=UTC),
         "channel": "email", "content": "webinar-showroom",
         "properties": {"conversion": last["content"],
                        "conversion_origin": last["conversion_origin"]}},
    )  # fmt: skip


def test_rdstation_webhooks_api_conversion_maps_every_field_it_knows() -> None:
    event = _only("rdstation", sample("rdstation_converted.json"))
    assert (event.label, event.error, event.lookup) == (
        "RD Station contact gabi@cozinhas.example", None, None)
    assert event.contact == {
        "email": "gabi@cozinhas.example", "first_name": "Gabriela", "last_name": "Alves",
        "company": "Alves Arquitetura", "job_title": "Arquiteta", "phone": "48 30252598",
        "lifecycle_stage": "lead",
        "properties": {
            "rdstation_uuid": GABI, "rdstation_city": "Florianópolis",
            "rdstation_tags": ["orcamento"], "rdstation_lead_stage": "Lead",
            "rdstation_opportunity": False, "rdstation_owner": "vendas@example.com",
            "rdstation_origin": "Busca Orgânica | Google",
            "rdstation_custom_fields": {"cf_tamanho_do_projeto": ["Grande"]},
        },
    }  # fmt: skip
    assert event.activities == ({
        "id": conversion_id(GABI, "2026-11-30T08:54:04.254-03:00", "orcamento-cozinha"),
        "kind": "form_submit", "at": datetime(2026, 11, 30, 11, 54, 4, 254000, tzinfo=UTC),
        "channel": "organic_search", "content": "orcamento-cozinha",
        "properties": {"event_type": "WEBHOOK.CONVERTED"},
    },)  # fmt: skip


def test_hubspot_workflow_form_submission_maps_every_field_it_knows() -> None:
    event = _only("hubspot", sample("hubspot_workflow.json"))
    assert event.label == "HubSpot contact 3051"
    assert event.activities == ({
        "id": "hubspot:form:7f0c3a52-5d1e-4c8a-9a31-2d4f5b8c9e10", "kind": "form_submit",
        "at": datetime(2026, 11, 29, 9, 15, tzinfo=UTC), "url": "https://www.example.com/demo",
        "content": "Request a demo",
        "properties": {"hubspot_form_id": "c1f6a7d2-0b6e-4f7e-a1c2-3e9d8f7a6b5c",
                       "page_title": "Book a demo"},
    },)  # fmt: skip


EMAIL = {"email": {"value": "a@b.c"}}


@pytest.mark.parametrize(("data", "object_id"), [
    ({"vid": 1, "canonical-vid": 2, "objectId": 3, "id": 4, "properties": EMAIL}, "1"),
    ({"canonical-vid": 2, "objectId": 3, "id": 4, "properties": EMAIL}, "2"),
    ({"objectId": 3, "id": 4, "properties": EMAIL}, "3"),
    ({"id": "4", "properties": EMAIL}, "4"),
    ({"vid": [1], "properties": {**EMAIL, "hs_object_id": {"value": 5}}}, "5"),
    ({"email": "a@b.c", "hs_object_id": 6}, "6"),  # a flattened body: properties at the top
])  # fmt: skip
def test_a_hubspot_contact_is_known_by_its_first_id(data: dict[str, Any], object_id: str) -> None:
    event = _only("hubspot", data)
    assert event.label == f"HubSpot contact {object_id}"
    assert event.lookup == ("hubspot_id", object_id)
    assert event.contact["properties"] == {"hubspot_id": object_id}


def test_a_hubspot_contact_without_an_id_is_found_by_email_and_has_no_conversion() -> None:
    event = _only("hubspot", {"properties": {**EMAIL, "recent_conversion_event_name": "x",
                                             "recent_conversion_date": 1795943700000}})
    assert (event.label, event.lookup, event.activities) == ("HubSpot contact", None, ())
    assert event.contact == {"email": "a@b.c"}


@pytest.mark.parametrize(("portal", "stamp"), [
    ({"portal-id": 7, "portalId": 8}, "hubspot:7:"), ({"portalId": 8}, "hubspot:8:"),
    ({}, "hubspot:0:"),
])  # fmt: skip
def test_a_recent_conversion_id_names_the_portal(portal: dict[str, int], stamp: str) -> None:
    props = {**EMAIL, "recent_conversion_event_name": {"value": "Price list"},
             "recent_conversion_date": {"value": "2026-11-29T09:15:00Z"}}  # fmt: skip
    event = _only("hubspot", {"vid": 9, **portal, "properties": props})
    assert event.activities == ({"id": f"{stamp}9:conversion:1795943700000", "kind": "form_submit",
                                 "at": datetime(2026, 11, 29, 9, 15, tzinfo=UTC),
                                 "content": "Price list"},)  # fmt: skip


@pytest.mark.parametrize(("value", "at"), [
    (1795943700000, datetime(2026, 11, 29, 9, 15, tzinfo=UTC)),
    (1795943700500.0, datetime(2026, 11, 29, 9, 15, 0, 500000, tzinfo=UTC)),
    (" 1795943700000 ", datetime(2026, 11, 29, 9, 15, tzinfo=UTC)),
    ("2026-11-29T10:15:00+01:00", datetime(2026, 11, 29, 9, 15, tzinfo=UTC)),
])  # fmt: skip
def test_hubspot_instants_are_unix_milliseconds_or_iso(value: Any, at: datetime) -> None:
    event = _only("hubspot", {"vid": 1, "properties": {**EMAIL, "createdate": value}})
    assert event.contact["created_at"] == at


A_LIST = ["x"]
CONVERSION = {"created_at": "2026-11-20T15:31:35-03:00"}
WHERE = {  # one malformed field at a time -> the whole error, naming the field's path
    "hubspot property": (
        "hubspot", {"vid": 1, "properties": {**EMAIL, "firstname": {"value": A_LIST}}},
        "HubSpot contact: properties.firstname: must be a string, got an array"),
    "hubspot stage": (
        "hubspot", {"vid": 1, "properties": {**EMAIL, "lifecyclestage": {"value": A_LIST}}},
        "HubSpot contact: properties.lifecyclestage: must be a string, got an array"),
    "hubspot source": (
        "hubspot", {"vid": 1, "properties": {**EMAIL, "hs_analytics_source": {"value": {}}}},
        "HubSpot contact: properties.hs_analytics_source: must be a string, got an object"),
    "hubspot createdate": (
        "hubspot", {"vid": 1, "properties": {**EMAIL, "createdate": {"value": True}}},
        "HubSpot contact: properties.createdate: expected Unix milliseconds or an ISO 8601 "
        "instant"),
    "hubspot createdate text": (
        "hubspot", {"vid": 1, "properties": {**EMAIL, "createdate": {"value": "soon"}}},
        "HubSpot contact: properties.createdate: 'soon' is not an ISO 8601 instant"),
    "hubspot form not an object": (
        "hubspot", {"vid": 1, "properties": EMAIL, "form-submissions": ["x"]},
        "HubSpot contact: form-submissions.0: must be an object"),
    "hubspot form without conversion": (
        "hubspot", {"vid": 1, "properties": EMAIL, "form-submissions": [{"timestamp": 1}]},
        "HubSpot contact: form-submissions.0.conversion-id and form-submissions.0.timestamp: "
        "required"),
    "hubspot form without time": (
        "hubspot", {"vid": 1, "properties": EMAIL, "form-submissions": [{"conversion-id": "c"}]},
        "HubSpot contact: form-submissions.0.conversion-id and form-submissions.0.timestamp: "
        "required"),
    "hubspot form conversion": (
        "hubspot", {"vid": 1, "properties": EMAIL,
                    "form-submissions": [{"conversion-id": A_LIST, "timestamp": 1}]},
        "HubSpot contact: form-submissions.0.conversion-id: must be a string, got an array"),
    "hubspot form title": (
        "hubspot", {"vid": 1, "properties": EMAIL,
                    "form-submissions": [{"conversion-id": "c", "timestamp": 1, "title": A_LIST}]},
        "HubSpot contact: form-submissions.0.title: must be a string, got an array"),
    "hubspot form id": (
        "hubspot", {"vid": 1, "properties": EMAIL, "form-submissions": [
            {"conversion-id": "c", "timestamp": 1, "form-id": A_LIST}]},
        "HubSpot contact: form-submissions.0.form-id: must be a string, got an array"),
    "hubspot form time": (
        "hubspot", {"vid": 1, "properties": EMAIL, "form-submissions": [
            {"conversion-id": "c", "timestamp": [1]}]},
        "HubSpot contact: form-submissions.0.timestamp: expected Unix milliseconds or an "
        "ISO 8601 instant"),
    "hubspot form url": (
        "hubspot", {"vid": 1, "properties": EMAIL, "form-submissions": [
            {"conversion-id": "c", "timestamp": 1, "page-url": A_LIST}]},
        "HubSpot contact: form-submissions.0.page-url: must be a string, got an array"),
    "hubspot form page title": (
        "hubspot", {"vid": 1, "properties": EMAIL, "form-submissions": [
            {"conversion-id": "c", "timestamp": 1, "page-title": A_LIST}]},
        "HubSpot contact: form-submissions.0.page-title: must be a string, got an array"),
    "hubspot conversion name": (
        "hubspot", {"vid": 1, "properties": {**EMAIL, "recent_conversion_event_name": A_LIST,
                                             "recent_conversion_date": 1}},
        "HubSpot contact: properties.recent_conversion_event_name: must be a string, got an "
        "array"),
    "hubspot conversion date": (
        "hubspot", {"vid": 1, "properties": {**EMAIL, "recent_conversion_event_name": "x",
                                             "recent_conversion_date": "later"}},
        "HubSpot contact: properties.recent_conversion_date: 'later' is not an ISO 8601 "
        "instant"),
    "hubspot event kind": (
        "hubspot", [{"eventId": 5, "subscriptionType": "deal.creation", "objectId": 1}],
        "HubSpot event 5: subscriptionType: 'deal.creation' is not applied (smarketing maps "
        "contact.creation and contact.propertyChange); discard it or unsubscribe"),
    "hubspot event property": (
        "hubspot", [{"eventId": 5, "subscriptionType": "contact.propertyChange", "objectId": 1}],
        "HubSpot event 5: propertyName: required"),
    "generic email": (
        "generic", {"first_name": "Ana"},
        "form post: email: required (a form post without an email cannot be matched to a "
        "person)"),
    "rd lead created_at": (
        "rdstation", {"leads": [{"email": "a@b.c", "created_at": "soon"}]},
        "RD Station lead #0: created_at: 'soon' is not an ISO 8601 instant"),
    "rd lead not an object": (
        "rdstation", {"leads": [1]}, "RD Station lead #0: must be an object, got a number"),
    "rd lead email": (
        "rdstation", {"leads": [{"name": "Ana"}]},
        "RD Station lead #0: email: required (RD Station identifies leads by email)"),
    "rd conversion content": (
        "rdstation", {"leads": [{"email": "a@b.c", "first_conversion": {**CONVERSION,
                                                                         "content": "x"}}]},
        "RD Station lead #0: first_conversion.content: must be an object, got a string"),
    "rd conversion origin": (
        "rdstation", {"leads": [{"email": "a@b.c", "last_conversion": {
            **CONVERSION, "conversion_origin": A_LIST}}]},
        "RD Station lead #0: last_conversion.conversion_origin: must be an object, got an array"),
    "rd conversion time": (
        "rdstation", {"leads": [{"email": "a@b.c", "first_conversion": {"created_at": A_LIST}}]},
        "RD Station lead #0: first_conversion.created_at: must be a string, got an array"),
    "rd conversion bad time": (
        "rdstation", {"leads": [{"email": "a@b.c", "first_conversion": {"created_at": "x"}}]},
        "RD Station lead #0: first_conversion.created_at: 'x' is not an ISO 8601 instant"),
    "rd conversion name": (
        "rdstation", {"leads": [{"email": "a@b.c", "first_conversion": {
            **CONVERSION, "content": {"identificador": A_LIST}}}]},
        "RD Station lead #0: first_conversion.content.identificador: must be a string, got an "
        "array"),
    "rd conversion source": (
        "rdstation", {"leads": [{"email": "a@b.c", "first_conversion": {
            **CONVERSION, "source": A_LIST}}]},
        "RD Station lead #0: first_conversion.source: must be a string, got an array"),
    "rd conversion channel": (
        "rdstation", {"leads": [{"email": "a@b.c", "first_conversion": {
            **CONVERSION, "conversion_origin": {"channel": A_LIST}}}]},
        "RD Station lead #0: first_conversion.conversion_origin.channel: must be a string, got "
        "an array"),
    "rd api kind": (
        "rdstation", {"event_type": "WEBHOOK.DELETED", "contact": {}},
        "RD Station contact: event_type: 'WEBHOOK.DELETED' is not applied (smarketing maps "
        "WEBHOOK.CONVERTED and WEBHOOK.MARKED_OPPORTUNITY)"),
    "rd api email": (
        "rdstation", {"event_type": "WEBHOOK.MARKED_OPPORTUNITY", "contact": {"name": "Ana"}},
        "RD Station contact: contact.email: required (RD Station identifies leads by email)"),
    "rd api funnel": (
        "rdstation", {"event_type": "WEBHOOK.CONVERTED", "contact": {"funnel": "x"}},
        "RD Station contact: contact.funnel: must be an object, got a string"),
    "rd api company name": (
        "rdstation", {"event_type": "WEBHOOK.CONVERTED", "contact": {"company": {"name": []}}},
        "RD Station contact: contact.company.name: must be a string, got an array"),
    "rd api company": (
        "rdstation", {"event_type": "WEBHOOK.CONVERTED", "contact": {"company": True}},
        "RD Station contact: contact.company: must be a string, got a boolean"),
    "rd api owner": (
        "rdstation", {"event_type": "WEBHOOK.CONVERTED",
                      "contact": {"funnel": {"contact_owner_email": A_LIST}}},
        "RD Station contact: contact.funnel.contact_owner_email: must be a string, got an array"),
    "rd api origin": (
        "rdstation", {"event_type": "WEBHOOK.CONVERTED", "contact": {"funnel": {"origin": {}}}},
        "RD Station contact: contact.funnel.origin: must be a string, got an object"),
    "rd api stage": (
        "rdstation", {"event_type": "WEBHOOK.CONVERTED",
                      "contact": {"funnel": {"lifecycle_stage": A_LIST}}},
        "RD Station contact: contact.funnel.lifecycle_stage: must be a string, got an array"),
    "rd api time": (
        "rdstation", {"event_type": "WEBHOOK.CONVERTED", "contact": {"email": "a@b.c"}},
        "RD Station contact: event_timestamp: required"),
    "rd api bad time": (
        "rdstation", {"event_type": "WEBHOOK.CONVERTED", "event_timestamp": "x",
                      "contact": {"email": "a@b.c"}},
        "RD Station contact: event_timestamp: 'x' is not an ISO 8601 instant"),
}  # fmt: skip


@pytest.mark.parametrize(("adapter", "data", "error"), WHERE.values(), ids=WHERE.keys())
def test_a_mapping_error_names_the_event_and_the_path_of_the_field(adapter: str, data: Any,
                                                                   error: str) -> None:  # fmt: skip
    (event,) = adapt(adapter, data, source="forms", digest=DIGEST)
    assert event.error == error


@pytest.mark.parametrize(("value", "flag"), [
    (True, True), ("true", True), (" TRUE ", True), ("1", True), ("Sim", True), ("yes", True),
    (False, False), ("false", False), ("0", False), ("não", False), (None, None),
])  # fmt: skip
def test_rdstation_opportunity_flags_read_true_sim_yes_or_1(value: Any, flag: bool | None) -> None:
    event = _only("rdstation", {"leads": [{"email": "a@b.c", "opportunity": value}]})
    assert event.contact.get("properties", {}).get("rdstation_opportunity") is flag


@pytest.mark.parametrize(("length", "bounded"), [(188, False), (189, False), (190, True)])
def test_a_sender_id_longer_than_200_characters_is_replaced_by_its_hash(
    length: int, bounded: bool
) -> None:
    own = "x" * length  # "hook:forms:" is 11 characters: 189 + 11 = 200 is the longest kept
    event = _only("generic", {"email": "a@b.c", "id": own})
    digest = hashlib.sha256(own.encode()).hexdigest()[:24]
    expected = f"hook:forms:sha256:{digest}" if bounded else f"hook:forms:{own}"
    assert event.activities[0]["id"] == expected


@pytest.mark.parametrize(("adapter", "data", "refusal"), [
    ("hubspot", 42, "body: the hubspot adapter expects a contact object (workflow webhook) or a "
                    "list of events (Webhooks API), got a number"),
    ("rdstation", [], 'body: the rdstation adapter expects {"leads": [...]} (lead webhook) or '
                      '{"event_type": ..., "contact": {...}} (webhooks API), got an array'),
    ("rdstation", {"contact": {}}, "got an object with keys contact"),
    ("rdstation", {"event_type": "x"}, "got an object with keys event_type"),
    ("rdstation", dict.fromkeys("lkjihgfedcba", 1), "with keys a, b, c, d, e, f, g, h, i, j"),
    ("pardot", {}, "adapter: unknown adapter 'pardot'"),
])  # fmt: skip
def test_a_body_refusal_says_what_the_adapter_expects_and_what_came(
    adapter: str, data: Any, refusal: str
) -> None:
    with pytest.raises(BodyRefused) as refused:
        adapt(adapter, data, source="x", digest=DIGEST)
    assert str(refused.value).endswith(refusal)


def test_hubspot_refusals_say_what_to_check() -> None:
    headers = {**_hubspot(SECRET, URL, BODY, T * 1000), "X-HubSpot-Request-Timestamp": "soon"}
    with pytest.raises(SignatureRefused) as stale:
        verify(SignedRequest(BODY, headers, "POST", (URL,)), SECRET, NOW, hubspot=True)
    assert str(stale.value) == ("X-HubSpot-Request-Timestamp: must be a Unix time in "
                                "milliseconds, got 'soon'")  # fmt: skip
    wrong = _hubspot("another-secret-000", URL, BODY, T * 1000)
    with pytest.raises(SignatureRefused) as refused:
        verify(SignedRequest(BODY, wrong, "POST", (URL,)), SECRET, NOW, hubspot=True)
    assert str(refused.value) == (
        "HubSpot v3 signature does not match: check that the source's secret is the app's "
        "client secret and that the webhook URL is SMARKETING_PUBLIC_URL + /hooks/<key>")


def test_our_refusals_in_full_and_hubspot_signatures_only_when_asked_for() -> None:
    hubspot_signed = SignedRequest(BODY, _hubspot(SECRET, URL, BODY, T * 1000), "POST", (URL,))
    with pytest.raises(SignatureRefused) as unsigned:
        verify(hubspot_signed, SECRET, NOW)  # a source that is not a HubSpot one
    assert str(unsigned.value) == ("unsigned request: send X-Smarketing-Signature and "
                                   "X-Smarketing-Timestamp; see docs/webhooks.md")  # fmt: skip
    with pytest.raises(SignatureRefused) as unsigned_hubspot:
        verify(SignedRequest(BODY, {}), SECRET, NOW, hubspot=True)
    assert str(unsigned_hubspot.value) == (
        "unsigned request: send X-Smarketing-Signature and X-Smarketing-Timestamp (or "
        "X-HubSpot-Signature-v3 with X-HubSpot-Request-Timestamp); see docs/webhooks.md")
    with pytest.raises(SignatureRefused) as mismatch:
        verify(SignedRequest(BODY + b" ", _headers()), SECRET, NOW)
    assert str(mismatch.value) == ("signature does not match: check the secret and that the "
                                   "body is sent exactly as signed")  # fmt: skip
    long = "9" * 30 + "x" * 30
    with pytest.raises(SignatureRefused) as odd_time:
        verify(SignedRequest(BODY, _headers(**{"X-Smarketing-Timestamp": long})), SECRET, NOW)
    assert str(odd_time.value) == (f"X-Smarketing-Timestamp: must be a Unix time in seconds, "
                                   f"got {long[:40]!r}")  # fmt: skip
    with pytest.raises(ValueError, match="^verify: at least one secret is needed$"):
        verify(SignedRequest(BODY, _headers()), [], NOW)


def test_hubspot_subscription_events_map_whole_contacts() -> None:
    events = adapt("hubspot", sample("hubspot_events.json"), source="hs", digest=DIGEST)
    ids = {"hubspot_id": "3060"}
    email = "elena@cocinas.example"
    assert [(e.label, e.contact) for e in events] == [
        ("HubSpot event 1001", {"email": email, "properties": ids}),
        ("HubSpot event 1002", {"email": email, "properties": ids}),
        ("HubSpot event 1003", {"email": email, "lifecycle_stage": "sql", "properties": {
            **ids, "hubspot_lifecyclestage": "salesqualifiedlead"}}),
        ("HubSpot event 1004", {"email": email,
                                "properties": {**ids, "hubspot_hs_lead_status": "IN_PROGRESS"}}),
    ]  # fmt: skip


def test_hubspot_events_keep_sources_and_stages_once_and_label_by_place() -> None:
    events = adapt("hubspot", [
        {"eventId": 7, "subscriptionType": "contact.propertyChange", "objectId": 1,
         "propertyName": "lifecyclestage", "propertyValue": " customer "},
        {"subscriptionType": "contact.propertyChange", "objectId": 1,
         "propertyName": "hs_analytics_source", "propertyValue": "OFFLINE"},
    ], source="hs", digest=DIGEST)  # fmt: skip
    assert [e.label for e in events] == ["HubSpot event 7", "HubSpot event #1"]
    assert events[0].contact == {"lifecycle_stage": "customer", "properties": {
        "hubspot_id": "1", "hubspot_lifecyclestage": "customer"}}
    assert events[1].contact == {"channel": "other", "properties": {
        "hubspot_id": "1", "hubspot_analytics_source": "OFFLINE"}}


def test_hubspot_workflow_fallbacks() -> None:
    form = {"conversion-id": "c1", "timestamp": 1795943700000, "form-id": "f-9"}
    event = _only("hubspot", {"vid": 1, "properties": {**EMAIL, "createdate": {"value": ""},
                                                       "recent_conversion_date": 1795943700000},
                              "form-submissions": [form]})  # fmt: skip
    assert "created_at" not in event.contact
    assert event.activities[0]["content"] == "f-9"  # no title: the form's id
    assert event.activities[0]["properties"] == {"hubspot_form_id": "f-9"}
    no_name = _only("hubspot", {"vid": 1, "properties": {
        **EMAIL, "recent_conversion_date": 1795943700000}})
    assert no_name.activities == ()
    no_date = _only("hubspot", {"vid": 1, "properties": {
        **EMAIL, "recent_conversion_event_name": "x", "recent_conversion_date": ""}})
    assert (no_date.activities, no_date.error) == ((), None)
    bad_form_id = _only("hubspot", {"vid": 1, "properties": EMAIL, "form-submissions": [
        {**form, "title": "T", "form-id": [1]}]})
    assert bad_form_id.error == ("HubSpot contact: form-submissions.0.form-id: must be a string, "
                                 "got an array")
    bad_id = _only("hubspot", {"properties": {**EMAIL, "hs_object_id": {"value": [1]}}})
    assert bad_id.error == ("HubSpot contact: properties.hs_object_id: must be a string, got an "
                            "array")


def test_generic_form_post_channel_and_label() -> None:
    event = _only("generic", {"email": "a@b.c", "channel": "paid_search", "id": "1"})
    assert event.label == "form post"
    assert event.activities[0]["channel"] == "paid_search"
    assert event.contact["channel"] == "paid_search"


def test_rdstation_fallbacks_for_phone_country_ids_and_names() -> None:
    conversion = {"created_at": "2026-11-20T15:31:35-03:00"}
    lead = {"email": "a@b.c", "mobile_phone": "48 988888888", "country": "Brasil",
            "id": "448871", "first_conversion": conversion}  # fmt: skip
    event = _only("rdstation", {"leads": [lead]})
    assert (event.contact["phone"], "country" in event.contact) == ("48 988888888", False)
    assert event.contact["properties"] == {"rdstation_country": "Brasil"}
    assert event.activities[0]["content"] == "conversion"
    assert event.activities[0]["id"] == conversion_id("448871", conversion["created_at"],
                                                      "conversion")  # fmt: skip
    by_email = _only("rdstation", {"leads": [{"email": "a@b.c", "first_conversion": conversion}]})
    assert by_email.activities[0]["id"].startswith("rdstation:a@b.c:")
    api = _only("rdstation", {"event_type": "WEBHOOK.CONVERTED", "timestamp": "2026-11-30T08:55Z",
                              "contact": {"email": "a@b.c"}})  # fmt: skip
    assert (api.activities[0]["content"], api.activities[0]["at"]) == (
        "conversion", datetime(2026, 11, 30, 8, 55, tzinfo=UTC))


@pytest.mark.parametrize(("previous", "expires", "accepted"), [
    (None, None, ("new",)),
    ("old", NOW + timedelta(seconds=1), ("new", "old")),
    ("old", NOW, ("new",)),
    ("old", None, ("new",)),
    ("", NOW + timedelta(days=1), ("new",)),
])  # fmt: skip
def test_the_previous_secret_is_accepted_until_its_grace_period_ends(
    previous: str | None, expires: datetime | None, accepted: tuple[str, ...]
) -> None:
    assert accepted_secrets("new", previous, expires, NOW) == accepted
