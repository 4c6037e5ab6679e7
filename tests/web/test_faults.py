"""Faults are not bad data (issue 10, item 4): a locked or unreachable database answers 503
with Retry-After and quarantines nothing; a read never writes in its own transaction
(an API key's last use and a session's last-seen time are written after the answer, and
may fail); an unexpected error answers 500 and keeps the connection open."""

from __future__ import annotations

import http.client
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from smarketing.core import database
from smarketing.core.database import make_engine, make_session_factory, transaction
from smarketing.core.settings import Settings
from smarketing.core.workspace import OpenWorkspace
from smarketing.kit.errors import is_unavailable
from smarketing.models import ApiKey, QuarantineItem, UserSession
from smarketing.web.app import create_app
from tests.browser.conftest import serve_in_thread
from tests.support.api_keys import auth, make_api_key
from tests.support.web import PASSWORD, csrf_from, seeded_workspace

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ADMIN = "admin@acme.example"
RECORDS = [
    {"type": "workspace", "name": "Acme", "currency": "EUR", "timezone": "Europe/Madrid"},
    {"type": "user", "email": ADMIN, "name": "Ada", "role": "admin"},
    {"type": "contact", "email": "lea@studio.example", "created_at": "2026-05-01T10:00:00Z"},
]  # fmt: skip
CONTACT = {"email": "new@studio.example", "first_name": "New"}


@pytest.fixture
def workspace(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenWorkspace]:
    # A short busy timeout, so a held lock is felt in a blink instead of 30 s.
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 150)
    with seeded_workspace(sqlite_url, RECORDS, logins=[ADMIN], now=NOW) as workspace:
        workspace.engine.dispose()  # new connections take the short timeout
        yield workspace


@contextmanager
def write_lock(url: str) -> Iterator[None]:
    """Another process's writer holding SQLite's write lock."""
    holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _quarantined(workspace: OpenWorkspace) -> int:
    with transaction(workspace.sessions) as session:
        return len(list(session.scalars(select(QuarantineItem.id))))


def _url(workspace: OpenWorkspace) -> str:
    return workspace.engine.url.render_as_string(hide_password=False)


def test_a_locked_database_answers_503_and_quarantines_nothing(workspace: OpenWorkspace) -> None:
    key = auth(make_api_key(workspace, "write"))
    with TestClient(create_app(workspace, clock=lambda: NOW)) as client:
        client.get("/api/v1/contacts", headers=key)  # the key's lookup, before the lock
        with write_lock(_url(workspace)):
            contact = client.post("/api/v1/contacts", json=CONTACT, headers=key)
            activity = client.post("/api/v1/activities", headers=key, json={
                "id": "ev-1", "email": "lea@studio.example", "kind": "page_view"})
            batch = client.post("/api/v1/activities/batch", headers=key, json={"items": [
                {"id": "ev-2", "email": "lea@studio.example", "kind": "page_view"}]})
        after = client.post("/api/v1/contacts", json=CONTACT, headers=key)
    for response in (contact, activity, batch):
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "5"
        assert response.json()["detail"].startswith("database unavailable")
    assert _quarantined(workspace) == 0
    assert after.status_code == 201  # the lock gone, the same request goes through


def test_a_read_answers_while_the_database_is_locked(workspace: OpenWorkspace) -> None:
    """A read key's first use notes its last-use time; writing it fails under the lock
    and does not fail the read. It is written by a later request's task."""
    key = auth(make_api_key(workspace, "read"))
    with TestClient(create_app(workspace, clock=lambda: NOW)) as client:
        with write_lock(_url(workspace)):
            read = client.get("/api/v1/contacts", headers=key)
        with transaction(workspace.sessions) as session:
            assert session.scalars(select(ApiKey.last_used_at)).all()[-1] is None
        client.app.state.api_key_cache.clear()  # type: ignore[attr-defined]
        assert client.get("/api/v1/contacts", headers=key).status_code == 200
    assert read.status_code == 200, read.text
    with transaction(workspace.sessions) as session:
        assert session.scalars(select(ApiKey.last_used_at)).all()[-1] == NOW


def test_a_page_is_shown_while_the_database_is_locked(workspace: OpenWorkspace) -> None:
    now = [NOW]
    with TestClient(create_app(workspace, clock=lambda: now[0])) as client:
        login = client.get("/login")
        client.post("/login", data={"csrf_token": csrf_from(login.text), "email": ADMIN,
                                    "password": PASSWORD})  # fmt: skip
        now[0] = NOW.replace(minute=5)  # the session's last-seen time is due an update
        with write_lock(_url(workspace)):
            page = client.get("/", follow_redirects=False)
            form = client.post("/account", data={"csrf_token": csrf_from(page.text),
                                                 "locale": "es"})  # fmt: skip
    assert page.status_code == 200
    assert form.status_code == 503
    assert "try again" in form.text.lower()
    with transaction(workspace.sessions) as session:
        assert session.scalars(select(UserSession.last_seen_at)).one() == NOW


@pytest.mark.parametrize("url", [
    "sqlite:////nonexistent-dir/for/sure/workspace.db",
    "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2",
])  # fmt: skip
def test_an_unreachable_database_answers_503(url: str) -> None:
    engine = make_engine(url)
    workspace = OpenWorkspace(Settings(database_url=url, secret_key="k" * 20), engine,
                              make_session_factory(engine))  # fmt: skip
    with TestClient(create_app(workspace, clock=lambda: NOW)) as client:
        api = client.get("/api/v1/contacts", headers={"Authorization": "Bearer smk_12345678_x"})
        page = client.get("/login")
    assert api.status_code == 503
    assert api.headers["retry-after"] == "5"
    assert page.status_code == 503
    assert "<html" in page.text


def test_only_faults_that_pass_are_503() -> None:
    def sqlite_error(message: str) -> OperationalError:
        return OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))

    assert is_unavailable(sqlite_error("database is locked"))
    assert is_unavailable(sqlite_error("unable to open database file"))
    assert not is_unavailable(sqlite_error("no such table: contacts"))
    assert not is_unavailable(ValueError("database is locked"))


# ----------------------------------------------------------------------------- 500s


def _failing_app(workspace: OpenWorkspace) -> object:
    app = create_app(workspace, clock=lambda: NOW)
    boom = APIRouter()

    @boom.get("/api/v1/boom")
    def api_boom() -> None:
        raise RuntimeError("a bug")

    @boom.get("/boom")
    def page_boom() -> None:
        raise RuntimeError("a bug")

    app.include_router(boom)
    return app


def test_a_500_answers_and_keeps_the_connection(workspace: OpenWorkspace) -> None:
    """Through a real uvicorn: after a 500 the same keep-alive connection serves the next
    request (without the catch-all, uvicorn closes it: Starlette re-raises after its 500)."""
    served = serve_in_thread(_failing_app(workspace))  # type: ignore[arg-type]
    base = next(served)
    try:
        host, port = base.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        answers = []
        for path in ("/api/v1/boom", "/boom", "/login"):
            connection.request("GET", path)
            response = connection.getresponse()
            answers.append((response.status, response.getheader("content-type"),
                            response.read().decode()))  # fmt: skip
        connection.close()
    finally:
        served.close()
    (api_status, api_type, api_body), (page_status, page_type, page_body), login = answers
    assert api_status == 500
    assert api_type == "application/json"
    assert json.loads(api_body)["detail"].startswith("internal error")
    assert page_status == 500
    assert page_type.startswith("text/html")
    assert "reference" in page_body
    assert login[0] == 200  # the third request, on the same connection

