"""The quarantine API under /api/v1/quarantine with API keys, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from smarketing.core.workspace import OpenWorkspace
from smarketing.web.app import create_app
from tests.apikeys.support import (
    BAD_EMAIL,
    NEEDS_FAIR,
    NOW,
    acme_workspace,
    add_fair,
    held,
    hold_items,
)
from tests.support.api_keys import auth, make_api_key

API = "/api/v1/quarantine"


@pytest.fixture
def workspace(workspace_url: str) -> Iterator[OpenWorkspace]:
    with acme_workspace(workspace_url) as workspace:
        yield workspace


@pytest.fixture
def ids(workspace: OpenWorkspace) -> list[int]:
    return hold_items(workspace)


@pytest.fixture
def client(workspace: OpenWorkspace) -> Iterator[TestClient]:
    with TestClient(create_app(workspace, clock=lambda: NOW)) as test_client:
        yield test_client


@pytest.fixture
def reader(workspace: OpenWorkspace) -> dict[str, str]:
    return auth(make_api_key(workspace, "read"))


@pytest.fixture
def writer(workspace: OpenWorkspace) -> dict[str, str]:
    return auth(make_api_key(workspace, "write", name="ops"))


def test_list_pages_with_a_cursor(
    client: TestClient, workspace: OpenWorkspace, ids: list[int], reader: dict[str, str]
) -> None:
    [tracked] = hold_items(workspace, [{**BAD_EMAIL, "id": "t1"}], source="track")
    first = client.get(API, params={"limit": 2}, headers=reader)
    assert first.status_code == 200, first.text
    body = first.json()
    assert [item["id"] for item in body["items"]] == ids
    assert body["next_cursor"] == ids[1]
    item = body["items"][0]
    assert (item["source"], item["kind"], item["status"], item["attempts"]) == (
        "api", "activity", "open", 1)  # fmt: skip
    assert json.loads(item["payload"]) == NEEDS_FAIR
    assert "unknown campaign 'autumn-fair'" in item["reason"]
    last = client.get(API, params={"limit": 2, "after": body["next_cursor"]}, headers=reader)
    assert last.json() == {"items": [last.json()["items"][0]], "next_cursor": None}
    assert last.json()["items"][0]["id"] == tracked
    exact = client.get(API, params={"limit": 3}, headers=reader).json()
    assert exact["next_cursor"] is None  # no empty page after the last one


def test_list_filters(
    client: TestClient, workspace: OpenWorkspace, ids: list[int], reader: dict[str, str],
    writer: dict[str, str],
) -> None:  # fmt: skip
    [tracked] = hold_items(workspace, [{**BAD_EMAIL, "id": "t1"}], source="track")

    def listed(**params: str) -> list[int]:
        response = client.get(API, params=params, headers=reader)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert listed(source="track") == [tracked]
    assert listed(kind="activity", source="api") == ids
    assert listed(kind="contact") == []
    client.post(f"{API}/{ids[0]}/discard", json={"reason": "junk"}, headers=writer)
    assert listed() == [ids[1], tracked]
    assert listed(status="discarded") == [ids[0]]
    assert listed(status="all") == [*ids, tracked]


@pytest.mark.parametrize(
    ("params", "message"),
    [({"status": "closed"}, "status: must be one of open, replayed, discarded"),
     ({"limit": "0"}, "limit:"), ({"limit": "501"}, "limit:"), ({"after": "-1"}, "after:")],
)  # fmt: skip
def test_bad_list_parameters_are_422(
    client: TestClient, reader: dict[str, str], params: dict[str, str], message: str
) -> None:
    response = client.get(API, params=params, headers=reader)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_get_one_item(client: TestClient, ids: list[int], reader: dict[str, str]) -> None:
    response = client.get(f"{API}/{ids[1]}", headers=reader)
    assert response.status_code == 200
    assert json.loads(response.json()["payload"]) == BAD_EMAIL
    missing = client.get(f"{API}/999999", headers=reader)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "no quarantined item 999999"}


def test_replay_still_rejected_is_422_and_the_attempt_is_kept(
    client: TestClient, workspace: OpenWorkspace, ids: list[int], writer: dict[str, str]
) -> None:
    response = client.post(f"{API}/{ids[0]}/replay", headers=writer)
    assert response.status_code == 422
    body = response.json()
    assert (body["status"], body["attempts"]) == ("open", 2)
    assert "unknown campaign 'autumn-fair'" in body["reason"]
    assert held(workspace, ids[0]).attempts == 2  # committed

    add_fair(workspace)
    fixed = client.post(f"{API}/{ids[0]}/replay", headers=writer)
    assert fixed.status_code == 200
    assert (fixed.json()["status"], fixed.json()["resolution"]) == (
        "replayed", "activity q1 created")  # fmt: skip
    again = client.post(f"{API}/{ids[0]}/replay", headers=writer)
    assert again.status_code == 409
    assert "is replayed, not open" in again.json()["detail"]
    assert client.post(f"{API}/999999/replay", headers=writer).status_code == 404


def test_replay_with_a_corrected_payload(
    client: TestClient, workspace: OpenWorkspace, ids: list[int], writer: dict[str, str]
) -> None:
    corrected = {**BAD_EMAIL, "email": "eva@studio.example"}
    extra = client.post(f"{API}/{ids[1]}/replay", json=corrected, headers=writer)
    assert extra.status_code == 422  # the item must be wrapped in {"payload": ...}
    assert "id: Extra inputs are not permitted" in extra.json()["detail"]
    assert held(workspace, ids[1]).attempts == 1

    response = client.post(f"{API}/{ids[1]}/replay", json={"payload": corrected},
                           headers=writer)  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "replayed"
    assert json.loads(held(workspace, ids[1]).payload) == corrected


def test_replay_with_the_payload_as_text(
    client: TestClient, workspace: OpenWorkspace, ids: list[int], writer: dict[str, str]
) -> None:
    """A string payload is the item's text, like `payload` in the item itself."""
    text = json.dumps({**BAD_EMAIL, "email": "eva@studio.example"})
    response = client.post(f"{API}/{ids[1]}/replay", json={"payload": text}, headers=writer)
    assert response.status_code == 200, response.text
    assert held(workspace, ids[1]).payload == text


def test_discard(
    client: TestClient, workspace: OpenWorkspace, ids: list[int], writer: dict[str, str]
) -> None:
    url = f"{API}/{ids[1]}/discard"
    assert client.post(url, json={}, headers=writer).status_code == 422
    assert client.post(url, json={"reason": "  "}, headers=writer).status_code == 422
    response = client.post(url, json={"reason": "test data"}, headers=writer)
    assert response.status_code == 200
    prefix = writer["Authorization"].split("_")[1]
    assert response.json()["resolution"] == f"test data (by api-key:{prefix})"
    assert held(workspace, ids[1]).status == "discarded"
    assert client.post(url, json={"reason": "again"}, headers=writer).status_code == 409
    assert client.post(f"{API}/{ids[1]}/replay", headers=writer).status_code == 409


def test_keys_and_scopes(
    client: TestClient, workspace: OpenWorkspace, ids: list[int], reader: dict[str, str],
    writer: dict[str, str],
) -> None:  # fmt: skip
    assert client.get(API).status_code == 401
    assert client.get(f"{API}/{ids[0]}").status_code == 401
    assert client.post(f"{API}/{ids[0]}/replay").status_code == 401
    assert client.get(API, headers=writer).status_code == 200  # a write key may also read
    refused = client.post(f"{API}/{ids[1]}/discard", json={"reason": "x"}, headers=reader)
    assert refused.status_code == 403
    assert held(workspace, ids[1]).status == "open"


def test_documented_in_openapi(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    paths = {path: spec["paths"][path] for path in spec["paths"] if path.startswith(API)}
    assert set(paths) == {API, f"{API}/{{item_id}}", f"{API}/{{item_id}}/replay",
                          f"{API}/{{item_id}}/discard"}  # fmt: skip
    replay = paths[f"{API}/{{item_id}}/replay"]["post"]
    assert replay["tags"] == ["quarantine"]
    assert "still rejected" in replay["responses"]["422"]["description"].lower()
