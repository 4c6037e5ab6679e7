"""Helpers shared by the API key and quarantine edge tests (CLI, pages, API): a workspace
with an admin and a marketer, logins, and rejected activities in the quarantine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner, Result

from smarketing.activities.service import ingest_activities
from smarketing.cli import app
from smarketing.core.database import transaction
from smarketing.core.settings import get_settings
from smarketing.core.workspace import OpenWorkspace
from smarketing.interchange.service import import_records
from smarketing.models import QuarantineItem
from tests.support.web import PASSWORD, csrf_from, seeded_workspace

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
ADMIN, MARTA = "admin@acme.example", "marta@acme.example"
RECORDS: list[dict[str, Any]] = [
    {"type": "workspace", "name": "Acme Cocinas", "timezone": "Europe/Madrid"},
    {"type": "campaign", "key": "spring-webinar", "name": "Spring webinar", "channel": "email"},
    {"type": "user", "email": ADMIN, "name": "Adam Admin", "role": "admin"},
    {"type": "user", "email": MARTA, "name": "Marta Gil", "role": "marketing"},
]  # fmt: skip
#: Rejected because the campaign does not exist yet: replays once `add_fair` ran.
NEEDS_FAIR = {"id": "q1", "email": "ana@studio.example", "kind": "form_submit",
              "at": "2026-11-20T10:00:00Z", "campaign": "autumn-fair"}  # fmt: skip
#: Rejected for good: only a corrected payload replays it.
BAD_EMAIL = {"id": "q2", "email": "not-an-email", "kind": "page_view",
             "at": "2026-11-21T10:00:00Z"}  # fmt: skip
Invoke = Callable[..., Result]


@contextmanager
def acme_workspace(url: str) -> Iterator[OpenWorkspace]:
    """An admin and a marketer (both log in with PASSWORD), one campaign, nothing held."""
    with seeded_workspace(url, RECORDS, [ADMIN, MARTA], NOW) as workspace:
        yield workspace


def hold_items(workspace: OpenWorkspace, items: list[Any] | None = None,
               source: str = "api") -> list[int]:  # fmt: skip
    """Ingest `items` (default: NEEDS_FAIR, then BAD_EMAIL); the ids they are held under."""
    with transaction(workspace.sessions) as session:
        result = ingest_activities(session, items or [NEEDS_FAIR, BAD_EMAIL], source=source,
                                   now=NOW)  # fmt: skip
    ids = [item.quarantine_id for item in result.items]
    assert all(ids), result.as_dict()
    return [i for i in ids if i is not None]


def add_fair(workspace: OpenWorkspace) -> None:
    """The fix an admin makes for NEEDS_FAIR: create the campaign."""
    with transaction(workspace.sessions) as session:
        import_records(session, [{"type": "campaign", "key": "autumn-fair",
                                  "name": "Autumn fair", "channel": "event"}], now=NOW)  # fmt: skip


def held(workspace: OpenWorkspace, item_id: int) -> QuarantineItem:
    """The item as committed (read in a new transaction)."""
    with transaction(workspace.sessions) as session:
        return session.execute(
            select(QuarantineItem).where(QuarantineItem.id == item_id)).scalar_one()


def log_in(client: TestClient, email: str) -> str:
    """Log in through the form; returns the session's CSRF token."""
    page = client.get("/login")
    form = {"csrf_token": csrf_from(page.text), "email": email, "password": PASSWORD}
    response = client.post("/login", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/").text)


@contextmanager
def command_line(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """`invoke("quarantine", "list")` runs the real `smarketing` command on `url`."""
    monkeypatch.setenv("SMARKETING_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")  # Rich wraps table cells at 80 columns
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        yield lambda *args: runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    finally:
        get_settings.cache_clear()
