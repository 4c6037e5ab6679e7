"""The API keys page (admins only) and what its keys may do on the API, on SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smarketing.core.database import transaction
from smarketing.core.workspace import OpenWorkspace
from smarketing.models import ApiKey
from smarketing.web.app import create_app
from tests.apikeys.support import ADMIN, MARTA, NOW, acme_workspace, hold_items, log_in
from tests.support.api_keys import auth, make_api_key

PAGE = "/admin/api-keys"
KEY_FIELD = re.compile(r'id="new-key-value"[^>]*value="(smk_[^"]+)"')


@pytest.fixture
def workspace(workspace_url: str) -> Iterator[OpenWorkspace]:
    with acme_workspace(workspace_url) as workspace:
        yield workspace


@pytest.fixture
def client(workspace: OpenWorkspace) -> Iterator[TestClient]:
    with TestClient(create_app(workspace, clock=lambda: NOW)) as test_client:
        yield test_client


def _key_count(workspace: OpenWorkspace) -> int:
    with transaction(workspace.sessions) as session:
        return session.scalar(select(func.count()).select_from(ApiKey)) or 0


def _create(client: TestClient, csrf: str, name: str, scope: str) -> str:
    response = client.post(PAGE, data={"csrf_token": csrf, "name": name, "scope": scope})
    assert response.status_code == 200, response.text
    match = KEY_FIELD.search(response.text)
    assert match, "the new key is not on the page"
    return match.group(1)


def test_admin_creates_a_key_shown_once_that_works_on_the_api(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    csrf = log_in(client, ADMIN)
    response = client.post(PAGE, data={"csrf_token": csrf, "name": "Website forms",
                                       "scope": "read"})  # fmt: skip
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "cannot be shown again" in response.text
    plaintext = KEY_FIELD.search(response.text).group(1)  # type: ignore[union-attr]
    prefix = plaintext.split("_")[1]
    assert f'data-prefix="{prefix}"' in response.text

    page = client.get(PAGE)
    assert page.status_code == 200
    assert plaintext not in page.text
    assert plaintext.split("_", 2)[2] not in page.text
    assert "Website forms" in page.text
    assert client.get("/api/v1/quarantine", headers=auth(plaintext)).status_code == 200
    with transaction(workspace.sessions) as session:
        key = session.scalars(select(ApiKey)).one()
        assert (key.name, key.scope, key.created_by) == ("Website forms", "read", ADMIN)
        assert key.last_used_at == NOW


@pytest.mark.parametrize(
    ("name", "scope", "message"),
    [("", "read", "Name: required"),
     ("forms", "superuser", "Scope: must be one of read, write, admin")],
)
def test_bad_create_form_shows_the_error_and_creates_nothing(
    client: TestClient, workspace: OpenWorkspace, name: str, scope: str, message: str
) -> None:
    csrf = log_in(client, ADMIN)
    response = client.post(PAGE, data={"csrf_token": csrf, "name": name, "scope": scope})
    assert response.status_code == 422
    assert message in response.text
    assert "new-key-value" not in response.text
    assert _key_count(workspace) == 0


def test_revoke_button_refuses_the_key_from_then_on(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    csrf = log_in(client, ADMIN)
    plaintext = _create(client, csrf, "CRM sync", "write")
    prefix = plaintext.split("_")[1]
    url = f"{PAGE}/{prefix}/revoke"
    assert client.post(url, data={}).status_code == 403  # no CSRF token: "Form expired"
    assert client.get("/api/v1/quarantine", headers=auth(plaintext)).status_code == 200

    response = client.post(url, data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert f"API key {prefix} (CRM sync) is revoked" in page.text
    assert f'action="{url}"' not in page.text  # no revoke button on a revoked key
    refused = client.get("/api/v1/quarantine", headers=auth(plaintext))
    assert refused.status_code == 401
    assert f"API key {prefix} was revoked" in refused.json()["detail"]
    assert client.post(f"{PAGE}/nosuchkey/revoke", data={"csrf_token": csrf}).status_code == 404


def test_only_admins_see_or_manage_keys(client: TestClient, workspace: OpenWorkspace) -> None:
    plaintext = make_api_key(workspace, "write")
    prefix = plaintext.split("_")[1]
    csrf = log_in(client, MARTA)
    assert client.get(PAGE).status_code == 403
    created = client.post(PAGE, data={"csrf_token": csrf, "name": "mine", "scope": "write"})
    assert created.status_code == 403
    revoked = client.post(f"{PAGE}/{prefix}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 403
    assert _key_count(workspace) == 1
    assert client.get("/api/v1/quarantine", headers=auth(plaintext)).status_code == 200
    assert 'href="/admin/api-keys"' not in client.get("/").text


def test_the_page_needs_a_login(client: TestClient) -> None:
    response = client.get(PAGE, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_api_refuses_missing_unknown_and_read_keys_on_writes(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    [item_id, _] = hold_items(workspace)
    read = make_api_key(workspace, "read")
    replay = f"/api/v1/quarantine/{item_id}/replay"
    assert client.get("/api/v1/quarantine").status_code == 401
    forged = read[:-4] + ("AAAA" if not read.endswith("AAAA") else "BBBB")
    assert client.get("/api/v1/quarantine", headers=auth(forged)).status_code == 401
    assert client.get("/api/v1/quarantine", headers={"X-API-Key": read}).status_code == 200
    refused = client.post(replay, headers=auth(read))
    assert refused.status_code == 403
    assert "scope 'read'" in refused.json()["detail"]
    discard = client.post(f"/api/v1/quarantine/{item_id}/discard", headers=auth(read),
                          json={"reason": "nope"})  # fmt: skip
    assert discard.status_code == 403
    item = client.get(f"/api/v1/quarantine/{item_id}", headers=auth(read)).json()
    assert (item["status"], item["attempts"]) == ("open", 1)
