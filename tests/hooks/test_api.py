"""`POST /hooks/{source}` end to end on SQLite and PostgreSQL: signatures, refusals and
their log, resends stored once, the quarantine and its replay, the senders' samples."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smarketing.core.database import transaction
from smarketing.core.workspace import OpenWorkspace
from smarketing.hooks import service
from smarketing.hooks.domain import signed_headers
from smarketing.interchange.service import import_records
from smarketing.models import (
    Activity,
    Campaign,
    Contact,
    LifecycleChange,
    QuarantineItem,
    WebhookRequest,
)
from smarketing.quarantine import service as quarantine
from smarketing.web.app import create_app
from tests.hooks import sample, sample_bytes
from tests.support.web import seeded_workspace

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
T = int(NOW.timestamp())
SECRETS = {"forms": "forms-secret-0123456789", "hs": "hubspot-client-secret-0123",
           "rd": "rdstation-secret-0123456789", "fair": "fair-secret-0123456789",
           "off": "off-secret-0123456789"}  # fmt: skip
RECORDS = [
    {"type": "campaign", "key": "spring-webinar", "name": "Spring webinar", "channel": "email"},
    {"type": "campaign", "key": "trade-fair", "name": "Trade fair", "channel": "event"},
    {"type": "contact", "email": "fabio@moveis.example", "created_at": "2026-10-01T09:00:00Z",
     "lifecycle_stage": "sql"},
]  # fmt: skip


@pytest.fixture
def workspace(workspace_url: str) -> Iterator[OpenWorkspace]:
    with seeded_workspace(workspace_url, RECORDS, logins=[], now=NOW) as workspace:
        with transaction(workspace.sessions) as session:
            for key, adapter, campaign in [("forms", "generic", None), ("hs", "hubspot", None),
                                           ("rd", "rdstation", None),
                                           ("fair", "generic", "trade-fair"),
                                           ("off", "generic", None)]:  # fmt: skip
                service.add_source(session, key, adapter, now=NOW, secret=SECRETS[key],
                                   campaign=campaign)  # fmt: skip
            service.disable_source(session, "off", NOW)
        yield workspace


@pytest.fixture
def client(workspace: OpenWorkspace) -> Iterator[TestClient]:
    with TestClient(create_app(workspace, clock=lambda: NOW)) as test_client:
        yield test_client


def post(client: TestClient, key: str, body: bytes, *, at: int = T,
         headers: dict[str, str] | None = None) -> Any:
    """POST `body` to /hooks/KEY signed with the source's secret at `at`."""
    signed = signed_headers(SECRETS.get(key, "x" * 16), body, at) if headers is None else headers
    return client.post(f"/hooks/{key}", content=body,
                       headers={"Content-Type": "application/json", **signed})  # fmt: skip


def count(workspace: OpenWorkspace, model: Any) -> int:
    with transaction(workspace.sessions) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def contact(workspace: OpenWorkspace, email: str) -> Contact:
    with transaction(workspace.sessions) as session:
        return session.execute(select(Contact).where(Contact.email == email)).scalar_one()


def log_entries(workspace: OpenWorkspace) -> list[tuple[str, str, str | None]]:
    with transaction(workspace.sessions) as session:
        rows = session.execute(select(WebhookRequest.source, WebhookRequest.outcome,
                                      WebhookRequest.reason).order_by(WebhookRequest.id))
        return [(source, outcome, reason) for source, outcome, reason in rows]


# ----------------------------------------------------------------------------- accepted


def test_signed_form_post_creates_the_contact_and_a_form_submit(
        client: TestClient, workspace: OpenWorkspace) -> None:  # fmt: skip
    response = post(client, "forms", sample_bytes("generic_form.json"))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] == 1
    assert body["quarantined"] == 0
    assert [(c["email"], c["status"]) for c in body["contacts"]] == [
        ("dora.lima@atelier.example", "created")]
    assert body["activities"] == [{"id": "hook:forms:wf-20261130-0042", "status": "created"}]
    dora = contact(workspace, "dora.lima@atelier.example")
    assert (dora.first_name, dora.last_name, dora.job_title, dora.country, dora.phone) == (
        "Dora", "Lima", "Head of Design", "ES", "+34612345678")
    assert dora.lifecycle_stage == "lead"
    with transaction(workspace.sessions) as session:
        activity = session.get(Activity, "hook:forms:wf-20261130-0042")
        assert activity is not None
        assert (activity.kind, activity.channel, activity.content) == (
            "form_submit", None, "webinar-signup")
        assert activity.at == datetime(2026, 11, 30, 10, 58, tzinfo=UTC)
        assert session.get(Campaign, activity.campaign_id).key == "spring-webinar"  # type: ignore[union-attr]
        assert activity.properties["fields"]["team_size"] == "11-50"
    assert log_entries(workspace) == [("forms", "accepted", None)]


def test_a_resent_webhook_is_stored_once(client: TestClient, workspace: OpenWorkspace) -> None:
    body = sample_bytes("generic_form.json")
    first = post(client, "forms", body, at=T - 120)
    again = post(client, "forms", body, at=T)

    assert first.status_code == again.status_code == 200
    assert again.json()["contacts"][0]["status"] == "unchanged"
    assert again.json()["activities"] == [
        {"id": "hook:forms:wf-20261130-0042", "status": "duplicate"}]
    assert count(workspace, Activity) == 1
    assert [outcome for _, outcome, _ in log_entries(workspace)] == ["accepted", "accepted"]


def test_a_resent_post_without_id_or_time_is_recognized_by_its_body(
        client: TestClient, workspace: OpenWorkspace) -> None:  # fmt: skip
    body = json.dumps({"email": "hugo@example.com", "form": "newsletter"}).encode()
    first = post(client, "forms", body)
    later = NOW + timedelta(minutes=10)
    with TestClient(create_app(workspace, clock=lambda: later)) as later_client:
        again = post(later_client, "forms", body, at=int(later.timestamp()))

    digest = hashlib.sha256(body).hexdigest()
    assert first.json()["activities"] == [{"id": f"hook:forms:sha256:{digest}",
                                           "status": "created"}]  # fmt: skip
    assert again.json()["activities"][0]["status"] == "duplicate"
    assert count(workspace, Activity) == 1


def test_the_source_default_campaign_is_applied(
        client: TestClient, workspace: OpenWorkspace) -> None:  # fmt: skip
    response = post(client, "fair", json.dumps({"email": "ines@example.com", "id": "1"}).encode())

    assert response.status_code == 200, response.text
    ines = contact(workspace, "ines@example.com")
    with transaction(workspace.sessions) as session:
        activity = session.get(Activity, "hook:fair:1")
        assert activity is not None
        assert session.get(Campaign, activity.campaign_id).key == "trade-fair"  # type: ignore[union-attr]
        assert activity.channel is None
    assert ines.last_touch_channel == "event"


# ----------------------------------------------------------------------------- refused

BIG = b'{"email": "a@b.c", "pad": "' + b"x" * (512 * 1024) + b'"}'
REFUSALS: list[tuple[str, str, bytes, dict[str, str] | None, int, str]] = [
    ("unsigned", "forms", b'{"email": "a@b.c"}', {}, 401, "unsigned request"),
    ("bad signature", "forms", b'{"email": "a@b.c"}',
     signed_headers("not-the-secret-000000", b'{"email": "a@b.c"}', T), 401,
     "signature does not match"),
    ("stale", "forms", b'{"email": "a@b.c"}',
     signed_headers(SECRETS["forms"], b'{"email": "a@b.c"}', T - 301), 401,
     "timestamp is 301 s away from the server clock (tolerance 300 s)"),
    ("unknown source", "nope", b'{"email": "a@b.c"}', None, 404,
     "no active webhook source 'nope'"),
    ("disabled source", "off", b'{"email": "a@b.c"}', None, 404,
     "no active webhook source 'off'"),
    ("not JSON", "forms", b"email=a@b.c", None, 400, "body: not valid JSON"),
    ("not an object", "forms", b'[{"email": "a@b.c"}]', None, 400,
     "the generic adapter expects one JSON object (a form post), got an array"),
    ("too large", "forms", BIG, None, 413, "body: larger than the 512 KB limit"),
]  # fmt: skip


def test_refusals_are_answered_and_logged(
        client: TestClient, workspace: OpenWorkspace,
        caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    caplog.set_level(logging.WARNING, logger="smarketing.hooks")
    for name, key, body, headers, status, reason in REFUSALS:
        response = post(client, key, body, headers=headers)
        assert response.status_code == status, (name, response.text)
        assert reason in response.json()["detail"], name

    log = log_entries(workspace)
    assert [outcome for _, outcome, _ in log] == ["refused"] * len(REFUSALS)
    for (name, key, _, _, _, reason), (source, _, logged) in zip(REFUSALS, log, strict=True):
        assert source == key, name
        assert logged is not None, name
        assert reason in logged, name
    assert log[4][2] == "source disabled: no active webhook source 'off'"
    assert count(workspace, Contact) == 1  # only the seeded one
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == len(REFUSALS)
    assert "timestamp is 301 s away" in refused[2].getMessage()


def _hubspot_v3(body: bytes) -> dict[str, str]:
    millis = str(T * 1000)
    source = b"POSThttp://testserver/hooks/hs" + body + millis.encode()
    digest = hmac.new(SECRETS["hs"].encode(), source, hashlib.sha256).digest()
    return {"X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
            "X-HubSpot-Request-Timestamp": millis}  # fmt: skip


#: Every adapter with a sample its sender sends, signed by each scheme it accepts.
SIGNED = {
    "generic": ("forms", "generic_form.json", "X-Smarketing-Signature"),
    "hubspot": ("hs", "hubspot_workflow.json", "X-Smarketing-Signature"),
    "hubspot v3": ("hs", "hubspot_workflow.json", "X-HubSpot-Signature-v3"),
    "rdstation": ("rd", "rdstation_leads.json", "X-Smarketing-Signature"),
}


@pytest.mark.parametrize("adapter", SIGNED)
def test_a_valid_signature_with_its_last_character_changed_is_refused_by_every_adapter(
        client: TestClient, workspace: OpenWorkspace, adapter: str) -> None:  # fmt: skip
    key, sample_name, header = SIGNED[adapter]
    body = sample_bytes(sample_name)
    valid = (signed_headers(SECRETS[key], body, T) if header.startswith("X-Smarketing")
             else _hubspot_v3(body))  # fmt: skip
    last = valid[header][-1]
    forged = {**valid, header: valid[header][:-1] + ("1" if last == "0" else "0")}

    refused = post(client, key, body, headers=forged)
    assert refused.status_code == 401, refused.text
    assert "signature does not match" in refused.json()["detail"]
    assert count(workspace, Contact) == 1  # only the seeded one
    accepted = post(client, key, body, headers=valid)
    assert accepted.status_code == 200, accepted.text
    assert [outcome for _, outcome, _ in log_entries(workspace)] == ["refused", "accepted"]


def test_a_body_over_the_limit_without_content_length_is_refused(
        client: TestClient, workspace: OpenWorkspace) -> None:  # fmt: skip
    chunks = iter([BIG[:300_000], BIG[300_000:]])  # sent chunked: no Content-Length
    response = client.post("/hooks/forms", content=chunks,
                           headers=signed_headers(SECRETS["forms"], BIG, T))  # fmt: skip

    assert response.status_code == 413
    with transaction(workspace.sessions) as session:
        entry = session.execute(select(WebhookRequest)).scalar_one()
        assert (entry.outcome, entry.body_bytes > 512 * 1024) == ("refused", True)


# ----------------------------------------------------------------------------- quarantine


def test_unmappable_content_is_quarantined_and_replayed_after_the_fix(
        client: TestClient, workspace: OpenWorkspace) -> None:  # fmt: skip
    body = json.dumps({"email": "jon@example.com", "id": "f-9", "campaign": "autumn-fair",
                       "submitted_at": "2026-11-30T11:00:00Z"}).encode()  # fmt: skip
    response = post(client, "forms", body)

    assert response.status_code == 202, response.text
    answer = response.json()
    assert (answer["accepted"], answer["quarantined"]) == (0, 1)
    assert "unknown campaign 'autumn-fair'" in answer["reason"]
    item_id = answer["quarantine_id"]
    with transaction(workspace.sessions) as session:
        item = session.get(QuarantineItem, item_id)
        assert item is not None
        assert (item.kind, item.source, item.status) == ("hook", "hook:forms", "open")
        assert json.loads(item.payload) == {"source": "forms", "body": body.decode(),
                                            "events": [0]}  # fmt: skip
        assert session.scalar(select(Contact.id).where(Contact.email == "jon@example.com")) is None
    assert log_entries(workspace)[-1][:2] == ("forms", "quarantined")
    assert f"quarantine item {item_id}" in (log_entries(workspace)[-1][2] or "")

    with transaction(workspace.sessions) as session:
        import_records(session, [{"type": "campaign", "key": "autumn-fair",
                                  "name": "Autumn fair", "channel": "event"}], now=NOW)  # fmt: skip
        replayed = quarantine.replay(session, item_id, NOW)
        assert (replayed.status, replayed.resolution) == ("replayed",
                                                          "hook forms: 1 event(s) applied")
    assert contact(workspace, "jon@example.com").lifecycle_stage == "lead"
    assert count(workspace, Activity) == 1
    resent = post(client, "forms", body)
    assert resent.status_code == 200
    assert resent.json()["activities"][0]["status"] == "duplicate"


def test_only_the_events_that_fail_are_held(
        client: TestClient, workspace: OpenWorkspace) -> None:  # fmt: skip
    leads = sample("rdstation_leads.json")["leads"]
    nameless = {"name": "Sem Email", "uuid": "u-2"}
    body = json.dumps({"leads": [nameless, leads[0]]}).encode()
    response = post(client, "rd", body)

    assert response.status_code == 202, response.text
    answer = response.json()
    assert (answer["accepted"], answer["quarantined"]) == (1, 1)
    assert answer["reason"].startswith("RD Station lead #0: email: required")
    with transaction(workspace.sessions) as session:
        item = quarantine.get_item(session, answer["quarantine_id"])
        assert json.loads(item.payload)["events"] == [0]
        fixed = {"source": "rd", "events": [0],
                 "body": json.dumps({"leads": [{**nameless, "email": "sem@example.com"},
                                               leads[0]]})}  # fmt: skip
        assert quarantine.replay(session, item.id, NOW, payload=fixed).status == "replayed"
    assert contact(workspace, "sem@example.com").first_name == "Sem"


def test_a_replay_that_still_fails_leaves_nothing_applied(
        client: TestClient, workspace: OpenWorkspace) -> None:  # fmt: skip
    response = post(client, "hs", json.dumps([
        {"eventId": 5, "subscriptionType": "contact.creation", "objectId": 777,
         "portalId": 62515, "occurredAt": T * 1000}]).encode())  # fmt: skip

    assert response.status_code == 202
    assert "no contact with hubspot_id '777' is known yet" in response.json()["reason"]
    with transaction(workspace.sessions) as session:
        item = quarantine.replay(session, response.json()["quarantine_id"], NOW)
        assert (item.status, item.attempts) == ("open", 2)
    assert count(workspace, Contact) == 1


# ----------------------------------------------------------------------------- senders


def test_hubspot_workflow_webhook_with_hubspots_own_v3_signature(
        client: TestClient, workspace: OpenWorkspace) -> None:  # fmt: skip
    body = sample_bytes("hubspot_workflow.json")
    millis = str(T * 1000)
    source = b"POSThttp://testserver/hooks/hs" + body + millis.encode()
    digest = hmac.new(SECRETS["hs"].encode(), source, hashlib.sha256).digest()
    response = post(client, "hs", body, headers={
        "X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
        "X-HubSpot-Request-Timestamp": millis})  # fmt: skip

    assert response.status_code == 200, response.text
    bruno = contact(workspace, "bruno@tienda.example")
    assert (bruno.first_name, bruno.last_name, bruno.lifecycle_stage) == (
        "Bruno", "Díaz Prieto", "mql")
    assert bruno.created_at == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    assert bruno.first_touch_channel == "paid_search"
    assert bruno.properties["hubspot_id"] == "3051"
    assert response.json()["activities"] == [
        {"id": "hubspot:form:7f0c3a52-5d1e-4c8a-9a31-2d4f5b8c9e10", "status": "created"}]


def test_hubspot_subscription_events_create_then_find_the_contact_by_its_hubspot_id(
        client: TestClient, workspace: OpenWorkspace) -> None:  # fmt: skip
    first = post(client, "hs", sample_bytes("hubspot_events.json"))

    assert first.status_code == 200, first.text
    assert [c["status"] for c in first.json()["contacts"]] == [
        "created", "unchanged", "updated", "updated"]
    elena = contact(workspace, "elena@cocinas.example")
    assert elena.lifecycle_stage == "sql"
    assert elena.properties == {"hubspot_id": "3060", "hubspot_lifecyclestage":
                                "salesqualifiedlead", "hubspot_hs_lead_status": "IN_PROGRESS"}
    later = post(client, "hs", json.dumps([
        {"eventId": 2001, "subscriptionType": "contact.propertyChange", "objectId": 3060,
         "propertyName": "lifecyclestage", "propertyValue": "customer",
         "occurredAt": T * 1000}]).encode())  # fmt: skip
    assert later.status_code == 200, later.text
    assert contact(workspace, "elena@cocinas.example").lifecycle_stage == "customer"


def test_rdstation_lead_webhook_never_moves_a_contact_backwards(
        client: TestClient, workspace: OpenWorkspace) -> None:  # fmt: skip
    lead = sample("rdstation_leads.json")
    lead["leads"][0]["lead_stage"] = "Lead"
    response = post(client, "rd", json.dumps(lead).encode())

    assert response.status_code == 200, response.text
    assert response.json()["notes"] == [
        "fabio@moveis.example: lifecycle_stage: kept sql; the sender's lead would move the "
        "contact backwards"]
    assert [a["status"] for a in response.json()["activities"]] == ["created", "created"]
    fabio = contact(workspace, "fabio@moveis.example")
    assert (fabio.lifecycle_stage, fabio.first_name, fabio.job_title) == (
        "sql", "Fábio", "Diretor Comercial")
    assert fabio.properties["rdstation_tags"] == ["cozinhas", "b2b"]
    assert fabio.last_touch_channel == "email"


def test_rdstation_qualified_lead_moves_a_new_contact_to_mql(
        client: TestClient, workspace: OpenWorkspace) -> None:  # fmt: skip
    lead = sample("rdstation_leads.json")
    lead["leads"][0]["email"] = "novo@moveis.example"
    response = post(client, "rd", json.dumps(lead).encode())

    assert response.status_code == 200, response.text
    novo = contact(workspace, "novo@moveis.example")
    assert (novo.lifecycle_stage, novo.country, novo.phone) == ("mql", "BR", "+5548999999999")
    assert novo.first_touch_channel == "paid_search"
    with transaction(workspace.sessions) as session:
        stages = session.scalars(select(LifecycleChange.to_stage)
                                 .where(LifecycleChange.contact_id == novo.id)).all()  # fmt: skip
    assert stages == ["mql"]


def test_rdstation_webhooks_api_conversion(client: TestClient, workspace: OpenWorkspace) -> None:
    body = sample_bytes("rdstation_converted.json")
    response = post(client, "rd", body)
    again = post(client, "rd", body)

    assert response.status_code == 200, response.text
    assert again.json()["activities"][0]["status"] == "duplicate"
    gabi = contact(workspace, "gabi@cozinhas.example")
    assert (gabi.first_name, gabi.last_name, gabi.lifecycle_stage) == ("Gabriela", "Alves", "lead")
    assert gabi.first_touch_channel == "organic_search"
    assert count(workspace, Activity) == 1
