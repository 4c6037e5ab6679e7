"""The activity endpoints: auth, single and batch, idempotency, limits, bad bodies.
On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smarketing.activities.api import BATCH_MAX_BYTES, BATCH_MAX_ITEMS
from smarketing.core.database import transaction
from smarketing.core.workspace import OpenWorkspace
from smarketing.models import Activity, QuarantineItem
from smarketing.web.app import create_app
from tests.support.api_keys import auth, make_api_key
from tests.support.web import seeded_workspace

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
RECORDS = [
    {"type": "campaign", "key": "spring-webinar", "name": "Spring webinar", "channel": "email"},
    {"type": "contact", "email": "ana@studio.example", "created_at": "2026-10-01T09:00:00Z"},
]


@pytest.fixture
def workspace(workspace_url: str) -> Iterator[OpenWorkspace]:
    with seeded_workspace(workspace_url, RECORDS, [], NOW) as workspace:
        yield workspace


@pytest.fixture
def client(workspace: OpenWorkspace) -> Iterator[TestClient]:
    with TestClient(create_app(workspace, clock=lambda: NOW)) as test_client:
        test_client.headers.update(auth(make_api_key(workspace, "write")))
        yield test_client


def _count(workspace: OpenWorkspace, model: type) -> int:
    with transaction(workspace.sessions, read_only=True) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _item(n: int, **extra: object) -> dict[str, object]:
    return {"id": f"ev-{n}", "email": "ana@studio.example", "kind": "page_view",
            "at": "2026-11-01T10:00:00Z", **extra}


def test_single_activity_created_then_acknowledged(client: TestClient,
                                                   workspace: OpenWorkspace) -> None:
    first = client.post("/api/v1/activities", json=_item(1))
    again = client.post("/api/v1/activities", json=_item(1))
    assert (first.status_code, first.json()["status"]) == (201, "created")
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert _count(workspace, Activity) == 1


def test_idempotency_key_header_is_the_id(client: TestClient, workspace: OpenWorkspace) -> None:
    body = {"email": "ana@studio.example", "kind": "page_view"}
    first = client.post("/api/v1/activities", json=body, headers={"Idempotency-Key": "req-1"})
    again = client.post("/api/v1/activities", json=body, headers={"Idempotency-Key": "req-1"})
    assert first.json()["id"] == "req-1"
    assert again.json()["status"] == "duplicate"
    assert _count(workspace, Activity) == 1


def test_rejected_single_item_is_quarantined(client: TestClient, workspace: OpenWorkspace) -> None:
    response = client.post("/api/v1/activities", json=_item(2, campaign="autumn-fair"))
    assert response.status_code == 422
    assert "unknown campaign 'autumn-fair'" in response.json()["detail"]
    assert response.json()["quarantine_id"] >= 1
    assert _count(workspace, QuarantineItem) == 1


def test_batch_keeps_good_items_and_quarantines_bad_ones(client: TestClient,
                                                         workspace: OpenWorkspace) -> None:
    no_email = {"id": "ev-5", "kind": "page_view"}
    items = [_item(1), _item(2, email="broken"), 42, _item(4, campaign="spring-webinar"),
             no_email]
    response = client.post("/api/v1/activities/batch", json={"items": items})
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["rejected"], body["duplicates"]) == (2, 3, 0)
    assert [i["status"] for i in body["items"]] == [
        "created", "rejected", "rejected", "created", "rejected"]
    assert body["items"][1]["reason"].startswith("email:")
    assert body["items"][2]["reason"] == "item: must be a JSON object, got a number"
    assert body["items"][4]["reason"] == "email: required (or contact_id)"
    assert _count(workspace, Activity) == 2
    assert _count(workspace, QuarantineItem) == 3


def test_batch_over_the_item_limit_is_refused_whole(client: TestClient,
                                                    workspace: OpenWorkspace) -> None:
    items = [_item(n) for n in range(BATCH_MAX_ITEMS + 1)]
    response = client.post("/api/v1/activities/batch", json={"items": items})
    assert response.status_code == 413
    assert f"limit of {BATCH_MAX_ITEMS}" in response.json()["detail"]
    assert _count(workspace, Activity) == 0


def test_batch_over_the_byte_limit_is_refused(client: TestClient) -> None:
    item = _item(1, content="x" * 60000)
    body = orjson.dumps({"items": [item] * 10})
    assert len(body) > BATCH_MAX_BYTES
    response = client.post("/api/v1/activities/batch", content=body,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert f"limit of {BATCH_MAX_BYTES} bytes" in response.json()["detail"]


@pytest.mark.parametrize(("body", "status", "reason"), [
    (b"[1, 2]", 422, "body: must be a JSON object, got an array"),
    (b'"text"', 422, "body: must be a JSON object, got a string"),
    (b"{not json", 400, "body: not valid JSON"),
    ("{\"items\": []}".encode("utf-16"), 400, "body: not valid JSON"),
    (b"", 400, "body: empty"),
    (b'{"items": {}}', 422, "items: required, a JSON array"),
    (b'{"items": [], "extra": 1}', 422, "extra: unknown field"),
])  # fmt: skip
def test_malformed_batch_bodies_get_clear_errors(client: TestClient, body: bytes, status: int,
                                                 reason: str) -> None:
    response = client.post("/api/v1/activities/batch", content=body,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert response.json()["detail"].startswith(reason)


def test_keys_are_required_and_scoped(workspace: OpenWorkspace) -> None:
    with TestClient(create_app(workspace, clock=lambda: NOW)) as anonymous:
        missing = anonymous.post("/api/v1/activities", json=_item(1))
        read_only = anonymous.post("/api/v1/activities", json=_item(1),
                                   headers=auth(make_api_key(workspace, "read")))
        wrong = anonymous.post("/api/v1/activities", json=_item(1),
                               headers=auth("smk_00000000_nope"))
    assert missing.status_code == 401
    assert "no API key" in missing.json()["detail"]
    assert read_only.status_code == 403
    assert wrong.status_code == 401
    assert _count(workspace, Activity) == 0


def test_openapi_documents_the_batch_endpoint(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    batch = schema["paths"]["/api/v1/activities/batch"]["post"]
    items = batch["requestBody"]["content"]["application/json"]["schema"]["properties"]["items"]
    assert items["maxItems"] == BATCH_MAX_ITEMS
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/static/swagger-ui/swagger-ui-bundle.js" in docs.text
