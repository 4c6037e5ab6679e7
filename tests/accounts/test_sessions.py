"""Sessions and passwords (issue 10, item 7): server-side sessions that end at logout, on a
password change or reset, when idle and when old; the password rule; the password page,
the admins' users page and the commands; the security headers; production refuses the
default secret. On SQLite and PostgreSQL where the store is involved."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from smarketing.auth.domain import SessionLimits, check_new_password, session_ended
from smarketing.auth.passwords import verify_password
from smarketing.cli import app as cli_app
from smarketing.core.database import transaction
from smarketing.core.errors import ValidationError
from smarketing.core.settings import Settings, get_settings
from smarketing.core.workspace import OpenWorkspace
from smarketing.models import User, UserSession
from smarketing.web.app import CONTENT_SECURITY_POLICY, HSTS, SESSION_COOKIE, create_app
from tests.support.web import PASSWORD, csrf_from, seeded_workspace

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ADMIN = "admin@acme.example"
REP = "ana.ruiz@acme.example"
NEW_PASSWORD = "mellow cactus violin harbour"
RECORDS = [
    {"type": "workspace", "name": "Acme", "currency": "EUR", "timezone": "Europe/Madrid"},
    {"type": "user", "email": ADMIN, "name": "Ada", "role": "admin"},
    {"type": "user", "email": REP, "name": "Ana Ruiz", "role": "sales_rep"},
]  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def workspace(workspace_url: str) -> Iterator[OpenWorkspace]:
    with seeded_workspace(workspace_url, RECORDS, logins=[ADMIN, REP], now=NOW) as workspace:
        yield workspace


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(workspace: OpenWorkspace, clock: Clock) -> Any:
    return create_app(workspace, clock=clock)


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    return client.post("/login", data={"csrf_token": csrf_from(page.text), "email": email,
                                       "password": password}, follow_redirects=False)  # fmt: skip


def logged_in(client: TestClient) -> bool:
    return client.get("/account", follow_redirects=False).status_code == 200


def test_a_cookie_kept_from_before_logout_logs_nobody_in(app: Any) -> None:
    with TestClient(app) as client:
        log_in(client, REP)
        kept = client.cookies.get(SESSION_COOKIE)
        page = client.get("/account")
        client.post("/logout", data={"csrf_token": csrf_from(page.text)})
        assert not logged_in(client)
        client.cookies.set(SESSION_COOKIE, kept)  # the captured cookie, replayed
        assert not logged_in(client)


def test_sessions_end_when_idle_and_when_old(app: Any, clock: Clock,
                                             workspace: OpenWorkspace) -> None:  # fmt: skip
    idle = timedelta(minutes=workspace.settings.session_idle_minutes)
    lifetime = timedelta(hours=workspace.settings.session_max_hours)
    with TestClient(app) as client:
        log_in(client, REP)
        clock.now = NOW + idle - timedelta(minutes=1)
        assert logged_in(client)  # and its last-seen time moves on
        clock.now += idle - timedelta(minutes=1)
        assert logged_in(client)
        clock.now += idle
        assert not logged_in(client)
        clock.now = NOW
        log_in(client, REP)
        step = idle - timedelta(minutes=2)
        while clock.now + step < NOW + lifetime:
            clock.now += step
            assert logged_in(client)
        clock.now = NOW + lifetime
        assert not logged_in(client)
    with transaction(workspace.sessions) as session:
        assert len(session.scalars(select(UserSession)).all()) == 2


def test_changing_ones_password_ends_the_other_sessions(app: Any) -> None:
    with TestClient(app) as here, TestClient(app) as elsewhere:
        log_in(here, REP)
        log_in(elsewhere, REP)
        page = here.get("/account/password")
        token = csrf_from(page.text)
        form = {"csrf_token": token, "current": PASSWORD, "new": NEW_PASSWORD,
                "confirm": NEW_PASSWORD}  # fmt: skip
        wrong = here.post("/account/password", data={**form, "current": "not it"})
        short = here.post("/account/password", data={**form, "new": "short", "confirm": "short"})
        common = here.post("/account/password", data={**form, "new": "passwordpassword1",
                                                      "confirm": "passwordpassword1"})  # fmt: skip
        done = here.post("/account/password", data=form, follow_redirects=False)
        assert (wrong.status_code, short.status_code, common.status_code) == (422, 422, 422)
        assert "current password is wrong" in wrong.text
        assert "at least 12 characters" in short.text
        assert "too easy to guess" in common.text
        assert done.status_code == 303
        assert logged_in(here)  # this browser got a new session
        assert not logged_in(elsewhere)
    with TestClient(app) as client:
        log_in(client, REP)  # the old password
        assert not logged_in(client)
        log_in(client, REP, NEW_PASSWORD)
        assert logged_in(client)


def test_an_admin_resets_a_password_on_the_users_page(app: Any, workspace: OpenWorkspace) -> None:
    with TestClient(app) as rep, TestClient(app) as admin:
        log_in(rep, REP)
        assert rep.get("/admin/users").status_code == 403
        log_in(admin, ADMIN)
        page = admin.get("/admin/users")
        with transaction(workspace.sessions) as session:
            rep_id = session.scalars(select(User.id).where(User.email == REP)).one()
        reset = admin.post(f"/admin/users/{rep_id}/reset-password",
                           data={"csrf_token": csrf_from(page.text)})  # fmt: skip
        assert reset.status_code == 200
        assert reset.headers["cache-control"] == "no-store"
        generated = reset.text.split('id="new-password">')[1].split("<")[0]
        assert not logged_in(rep)
        assert logged_in(admin)
        unknown = admin.post("/admin/users/999999/reset-password",
                             data={"csrf_token": csrf_from(page.text)})  # fmt: skip
        assert unknown.status_code == 404
    with transaction(workspace.sessions) as session:
        hashed = session.scalars(select(User.password_hash).where(User.email == REP)).one()
    assert verify_password(hashed, generated)
    assert not verify_password(hashed, PASSWORD)


def test_the_commands_set_and_reset_passwords(workspace: OpenWorkspace,
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("SMARKETING_DATABASE_URL",
                       workspace.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    runner = CliRunner()
    weak = runner.invoke(cli_app, ["users", "password", REP, "--stdin"], input="demo1234\n")
    unknown = runner.invoke(cli_app, ["users", "password", "x@y.example", "--stdin"],
                            input=NEW_PASSWORD + "\n")  # fmt: skip
    good = runner.invoke(cli_app, ["users", "password", REP, "--stdin"], input=NEW_PASSWORD + "\n")
    asked = runner.invoke(cli_app, ["users", "password", ADMIN],
                          input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")  # fmt: skip
    reset = runner.invoke(cli_app, ["users", "reset-password", REP])
    get_settings.cache_clear()
    assert weak.exit_code == 2
    assert "at least 12" in weak.output
    assert unknown.exit_code == 3
    assert good.exit_code == 0, good.output
    assert asked.exit_code == 0, asked.output
    assert reset.exit_code == 0, reset.output
    generated = reset.stdout.splitlines()[0]
    with transaction(workspace.sessions) as session:
        hashes = dict(session.execute(select(User.email, User.password_hash)).all())
    assert verify_password(hashes[REP], generated)
    assert verify_password(hashes[ADMIN], NEW_PASSWORD)


# ----------------------------------------------------------------------------- pure rules


@pytest.mark.parametrize(("password", "why"), [
    ("short-1!", "at least 12"),
    ("passwordpassword", "too easy"),
    ("qwertyuiop123", "too easy"),
    ("aaaaaaaaaaaaaaaa", "too easy"),
    ("ana.ruiz@acme.example", "too easy"),  # the person's own email
    ("x" * 129, "at most 128"),
])  # fmt: skip
def test_the_password_rule_refuses(password: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        check_new_password(password, (REP, "Ana Ruiz"))


def test_the_password_rule_accepts_a_passphrase() -> None:
    assert check_new_password(NEW_PASSWORD, (REP, "Ana Ruiz")) == NEW_PASSWORD


def test_session_ended_reasons() -> None:
    limits = SessionLimits(idle=timedelta(hours=2), lifetime=timedelta(hours=12))
    start = NOW
    assert session_ended(start, start, None, start + timedelta(hours=1), limits) is None
    assert session_ended(start, start, NOW, start, limits) == "revoked"
    assert session_ended(start, start, None, start + timedelta(hours=2), limits) == "idle"
    late = start + timedelta(hours=12)
    assert session_ended(start, late - timedelta(minutes=1), None, late, limits) == "expired"


# ----------------------------------------------------------------------------- headers


def test_pages_send_the_content_security_policy_and_no_hsts_over_http(app: Any) -> None:
    with TestClient(app) as client:
        page = client.get("/login")
        docs = client.get("/docs")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "strict-transport-security" not in page.headers
    assert "<script>" not in docs.text  # Swagger UI starts from a file


def test_secure_cookies_and_hsts_with_cookie_secure(sqlite_url: str) -> None:
    with seeded_workspace(sqlite_url, RECORDS, logins=[REP], now=NOW) as workspace:
        workspace.settings = Settings(database_url=sqlite_url, secret_key="k" * 32,
                                      cookie_secure=True)  # fmt: skip
        with TestClient(create_app(workspace, clock=lambda: NOW),
                        base_url="https://testserver") as client:  # fmt: skip
            login = log_in(client, REP)
    assert login.headers["strict-transport-security"] == HSTS
    cookie = login.headers["set-cookie"].lower()
    assert "secure" in cookie
    assert "httponly" in cookie


def test_serve_refuses_the_default_secret_in_production(monkeypatch: pytest.MonkeyPatch,
                                                        sqlite_url: str) -> None:  # fmt: skip
    monkeypatch.setenv("SMARKETING_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("SMARKETING_ENV", "production")
    monkeypatch.delenv("SMARKETING_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["serve", "--no-jobs"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "SMARKETING_SECRET_KEY" in result.output
    assert "Not started" in result.output


def test_sessions_that_ended_long_ago_are_purged(session: Any) -> None:
    from smarketing.auth.jobs import KEEP_ENDED, purge_sessions

    user = User(email="purge@acme.example", name="P", role="sales_rep", password_hash="x")
    session.add(user)
    session.flush()
    max_age = timedelta(hours=12)
    old = NOW - KEEP_ENDED - max_age - timedelta(days=1)
    rows = {
        "revoked-long-ago": (old, NOW - KEEP_ENDED - timedelta(days=1)),
        "revoked-lately": (NOW - timedelta(days=1), NOW - timedelta(hours=20)),
        "expired-long-ago": (old, None),
        "live": (NOW - timedelta(hours=1), None),
    }
    for name, (created, revoked) in rows.items():
        session.add(UserSession(id=name, user_id=user.id, created_at=created,
                                last_seen_at=created, revoked_at=revoked))  # fmt: skip
    session.flush()
    assert purge_sessions(session, NOW, max_age=max_age) == 2
    left = set(session.scalars(select(UserSession.id).where(UserSession.user_id == user.id)))
    assert left == {"revoked-lately", "live"}
