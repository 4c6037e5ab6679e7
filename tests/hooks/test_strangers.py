"""Webhook senders cannot be blocked by strangers: unsigned or badly signed requests count
against a limit of their own, and their request log is capped per source and minute
with the refusals counted (issue 10, item 6). On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from smarketing.core.database import transaction
from smarketing.core.workspace import OpenWorkspace
from smarketing.hooks import service
from smarketing.hooks.domain import signed_headers
from smarketing.hooks.service import REFUSAL_ROWS_PER_MINUTE
from smarketing.kit.ratelimit import RateLimiter, RateLimits
from smarketing.models import WebhookRequest
from smarketing.web.app import create_app
from tests.hooks.test_api import NOW, RECORDS, SECRETS, T, post
from tests.support.web import seeded_workspace

BODY = b'{"email": "dora@atelier.example", "id": "f-1"}'


@pytest.fixture
def workspace(workspace_url: str) -> Iterator[OpenWorkspace]:
    with seeded_workspace(workspace_url, RECORDS, logins=[], now=NOW) as workspace:
        with transaction(workspace.sessions) as session:
            service.add_source(session, "forms", "generic", now=NOW, secret=SECRETS["forms"])
        yield workspace


@pytest.fixture
def client(workspace: OpenWorkspace) -> Iterator[TestClient]:
    with TestClient(create_app(workspace, clock=lambda: NOW)) as test_client:
        yield test_client


def _log(workspace: OpenWorkspace) -> list[tuple[str, int]]:
    with transaction(workspace.sessions) as session:
        rows = session.execute(select(WebhookRequest.outcome, WebhookRequest.repeats)
                               .order_by(WebhookRequest.id))  # fmt: skip
        return [(outcome, repeats) for outcome, repeats in rows]


def _small_limits(client: TestClient, **limits: Any) -> None:
    client.app.state.rate_limiter = RateLimiter(RateLimits(**limits))  # type: ignore[attr-defined]


def test_unsigned_floods_do_not_use_up_the_signed_senders_limit(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    _small_limits(client, hook_per_source=3, unsigned_hook_per_source=5)
    refused = [post(client, "forms", BODY, headers={}).status_code for _ in range(7)]
    assert refused == [401] * 5 + [429] * 2
    badly_signed = post(client, "forms", BODY, headers=signed_headers("not-the-secret-123",
                                                                      BODY, T))  # fmt: skip
    assert badly_signed.status_code == 429  # the same separate count as the unsigned
    assert "unsigned or badly signed" in badly_signed.json()["detail"]
    signed = [post(client, "forms", BODY).status_code for _ in range(4)]
    assert signed == [200, 200, 200, 429]  # the sender's own limit, untouched by strangers


def test_refusals_are_logged_on_at_most_n_rows_a_minute_and_counted(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    extra = 7
    for _ in range(REFUSAL_ROWS_PER_MINUTE + extra):
        assert post(client, "forms", BODY, headers={}).status_code == 401
    assert post(client, "forms", BODY).status_code == 200
    log = _log(workspace)
    refusals = [repeats for outcome, repeats in log if outcome == "refused"]
    assert len(refusals) == REFUSAL_ROWS_PER_MINUTE
    assert sum(1 + repeats for repeats in refusals) == REFUSAL_ROWS_PER_MINUTE + extra
    assert refusals[-1] == extra  # the later ones are counted on the newest row
    assert log[-1] == ("accepted", 0)


def test_a_400_digit_timestamp_is_refused_not_a_crash(client: TestClient) -> None:
    headers = {"X-Smarketing-Timestamp": "9" * 400, "X-Smarketing-Signature": "sha256=00"}
    response = post(client, "forms", BODY, headers=headers)
    assert response.status_code == 401
    assert "Unix time" in response.json()["detail"]
