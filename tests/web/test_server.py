"""`serve_command`: opens (and migrates) the workspace, prints the URL and demo logins,
then hands the app to uvicorn (replaced here by a recorder)."""

from __future__ import annotations

from typing import Any

import pytest
import typer
import uvicorn
from fastapi import FastAPI
from typer.testing import CliRunner

from smarketing.auth.service import set_passwords
from smarketing.core.database import transaction
from smarketing.core.settings import Settings, get_settings
from smarketing.core.workspace import open_workspace
from smarketing.demo.constants import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD
from smarketing.interchange.service import import_records
from smarketing.web.server import serve_command, server_url

ADMIN = f"admin@{DEMO_EMAIL_DOMAIN}"
REP = f"rep@{DEMO_EMAIL_DOMAIN}"
NO_PASSWORD = f"nopass@{DEMO_EMAIL_DOMAIN}"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What uvicorn.run was called with, instead of running a server."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(
        {"app": app, **options}))  # fmt: skip
    return calls


def run_serve(url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.setenv("SMARKETING_DATABASE_URL", url)
    get_settings.cache_clear()
    cli = typer.Typer()
    cli.command()(serve_command)
    try:
        result = CliRunner().invoke(cli, ["--no-jobs", *args], catch_exceptions=False)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output


def test_serve_prints_the_url_and_runs_the_app(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, served: list[dict[str, Any]]
) -> None:
    output = run_serve(sqlite_url, monkeypatch, "--host", "127.0.0.1", "--port", "8765")
    assert "http://127.0.0.1:8765" in output
    assert "Demo logins" not in output
    assert len(served) == 1
    assert isinstance(served[0]["app"], FastAPI)
    assert (served[0]["host"], served[0]["port"]) == ("127.0.0.1", 8765)


def test_serve_defaults_to_the_settings(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, served: list[dict[str, Any]]
) -> None:
    monkeypatch.setenv("SMARKETING_PORT", "8123")
    output = run_serve(sqlite_url, monkeypatch)
    assert "http://127.0.0.1:8123" in output
    assert served[0]["port"] == 8123


def test_serve_prints_the_demo_logins(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, served: list[dict[str, Any]]
) -> None:
    workspace = open_workspace(Settings(database_url=sqlite_url))
    with transaction(workspace.sessions) as session:
        import_records(session, [
            {"type": "user", "email": ADMIN, "name": "Demo Admin", "role": "admin"},
            {"type": "user", "email": REP, "name": "Demo Rep", "role": "sales_rep"},
            {"type": "user", "email": NO_PASSWORD, "name": "No Login", "role": "marketing"},
            {"type": "user", "email": "real@acme.example", "name": "Real", "role": "admin"},
        ])  # fmt: skip
        set_passwords(session, [ADMIN, REP, "real@acme.example"], DEMO_PASSWORD)
    workspace.engine.dispose()
    output = run_serve(sqlite_url, monkeypatch)
    assert f"Demo logins (password: {DEMO_PASSWORD})" in output
    assert ADMIN in output
    assert REP in output
    assert "Demo Rep" in output
    assert NO_PASSWORD not in output
    assert "real@acme.example" not in output


def test_server_url_brackets_ipv6() -> None:
    assert server_url("::1", 8000) == "http://[::1]:8000"
    assert server_url("0.0.0.0", 80) == "http://0.0.0.0:80"  # noqa: S104
