"""`smarketing hooks ...` as a user runs it, on a fresh SQLite workspace."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from smarketing.cli import app
from smarketing.core.database import transaction
from smarketing.core.settings import get_settings
from smarketing.core.timeutil import utcnow
from smarketing.core.workspace import open_workspace
from smarketing.hooks import service
from smarketing.hooks.domain import SignedRequest, verify
from smarketing.interchange.service import import_records
from smarketing.models import WebhookSource
from tests.hooks import SAMPLES

Invoke = Callable[..., Result]


@pytest.fixture
def cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """`cli("list")` runs `smarketing hooks list` on a workspace with campaign `fair`."""
    monkeypatch.setenv("SMARKETING_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("SMARKETING_PUBLIC_URL", "https://smk.example.com/")
    get_settings.cache_clear()
    workspace = open_workspace()
    with transaction(workspace.sessions) as session:
        import_records(session, [{"type": "campaign", "key": "fair", "name": "Fair",
                                  "channel": "event"}], now=utcnow())  # fmt: skip
    workspace.engine.dispose()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["hooks", *args], catch_exceptions=False)

    yield invoke
    get_settings.cache_clear()


def stored_secret(key: str) -> str:
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            return session.execute(select(WebhookSource.secret)
                                   .where(WebhookSource.key == key)).scalar_one()  # fmt: skip
    finally:
        workspace.engine.dispose()


@pytest.mark.parametrize("args", [[], ["add"], ["list"], ["disable"], ["enable"],
                                  ["rotate-secret"], ["log"], ["sign"]])  # fmt: skip
def test_every_command_has_help(cli: Invoke, args: list[str]) -> None:
    result = cli(*args, "--help")
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_add_prints_a_generated_secret_once_and_list_never_shows_it(cli: Invoke) -> None:
    added = cli("add", "hubspot-main", "--adapter", "hubspot", "--campaign", "fair")

    assert added.exit_code == 0, added.output
    secret = stored_secret("hubspot-main")
    assert len(secret) >= 32
    lines = added.output.splitlines()
    assert lines[0] == "webhook source hubspot-main added (adapter hubspot, campaign fair)"
    assert lines[1] == "URL: POST https://smk.example.com/hooks/hubspot-main"
    assert secret in lines
    listed = cli("list")
    assert listed.exit_code == 0
    assert secret not in listed.output
    assert "hubspot-main" in listed.output
    assert "fair" in listed.output
    assert "active" in listed.output


def test_add_with_a_given_secret_does_not_echo_it(cli: Invoke) -> None:
    result = cli("add", "forms", "--adapter", "generic", "--secret", "my-own-secret-12345")

    assert result.exit_code == 0, result.output
    assert "my-own-secret-12345" not in result.output
    assert stored_secret("forms") == "my-own-secret-12345"


@pytest.mark.parametrize(("args", "error"), [
    (["add", "Forms", "--adapter", "generic"], "key: use 1 to 48 lower-case letters"),
    (["add", "forms", "--adapter", "mailchimp"],
     "adapter: must be one of generic, hubspot, rdstation, got 'mailchimp'"),
    (["add", "forms", "--adapter", "generic", "--secret", "short"],
     "secret: at least 16 characters"),
    (["add", "forms", "--adapter", "generic", "--campaign", "nope"],
     "campaign: no campaign 'nope'; create it first"),
    (["disable", "nope"], "no webhook source 'nope'"),
    (["enable", "nope"], "no webhook source 'nope'"),
    (["rotate-secret", "nope"], "no webhook source 'nope'"),
    (["rotate-secret", "forms", "--grace-hours", "-1"], "--grace-hours"),
    (["rotate-secret", "forms", "--grace-hours", "721"], "--grace-hours"),
])  # fmt: skip
def test_bad_input_names_what_is_wrong(cli: Invoke, args: list[str], error: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert error in " ".join(result.output.split())


def test_a_key_cannot_be_added_twice(cli: Invoke) -> None:
    assert cli("add", "forms", "--adapter", "generic").exit_code == 0
    again = cli("add", "forms", "--adapter", "rdstation")
    assert again.exit_code == 2
    assert "webhook source 'forms' already exists" in again.output


def test_disable(cli: Invoke) -> None:
    cli("add", "forms", "--adapter", "generic")

    first = cli("disable", "forms")
    second = cli("disable", "forms")

    assert first.output == "webhook source forms disabled; its requests are refused from now on\n"
    assert second.output.startswith("webhook source forms was already disabled at ")
    assert "disabled 20" in cli("list").output


def test_enable(cli: Invoke) -> None:
    cli("add", "forms", "--adapter", "generic")
    active = cli("enable", "forms")
    cli("disable", "forms")

    enabled = cli("enable", "forms")

    assert active.exit_code == 0
    assert active.output == "webhook source forms is already active\n"
    assert enabled.exit_code == 0, enabled.output
    assert enabled.output.startswith("webhook source forms enabled (disabled since 20")
    assert enabled.output.endswith("); its requests are accepted from now on\n")
    assert "active" in cli("list").output
    assert "disabled" not in cli("list").output


def stored_previous(key: str) -> tuple[str | None, datetime | None]:
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            row = session.execute(select(WebhookSource.previous_secret,
                                         WebhookSource.previous_secret_expires_at)
                                  .where(WebhookSource.key == key)).one()  # fmt: skip
            return row[0], row[1]
    finally:
        workspace.engine.dispose()


def test_rotate_secret_prints_the_new_secret_once_and_keeps_the_old_one_for_a_day(
        cli: Invoke) -> None:  # fmt: skip
    cli("add", "forms", "--adapter", "generic")
    old = stored_secret("forms")
    before = utcnow()

    result = cli("rotate-secret", "forms")

    assert result.exit_code == 0, result.output
    new = stored_secret("forms")
    assert new != old
    assert len(new) >= 32
    lines = result.output.splitlines()
    assert lines[:3] == ["webhook source forms: secret rotated",
                         "new secret (shown only now; store it with the sender):", new]  # fmt: skip
    assert lines[3].startswith("the previous secret is still accepted until 20")
    previous, until = stored_previous("forms")
    assert previous == old
    assert until is not None
    assert before + timedelta(hours=24) <= until <= utcnow() + timedelta(hours=24)
    listed = cli("list").output
    assert "accepted until 20" in listed
    assert old not in listed
    assert new not in listed


def test_rotate_secret_with_no_grace_and_a_given_secret(cli: Invoke) -> None:
    cli("add", "hs", "--adapter", "hubspot", "--secret", "client-secret-0123456789")
    cli("disable", "hs")

    result = cli("rotate-secret", "hs", "--grace-hours", "0", "--secret",
                 "client-secret-9876543210")  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "client-secret-9876543210" not in result.output
    assert result.output.splitlines() == [
        "webhook source hs: secret rotated",
        "the previous secret is no longer accepted",
        "the source is disabled: `smarketing hooks enable hs` to accept its requests again",
    ]  # fmt: skip
    assert stored_secret("hs") == "client-secret-9876543210"
    assert stored_previous("hs") == (None, None)
    assert "accepted until" not in cli("list").output


def test_sign_prints_headers_that_verify_and_a_curl_command(cli: Invoke) -> None:
    cli("add", "rd", "--adapter", "rdstation")
    file = SAMPLES / "rdstation_leads.json"

    result = cli("sign", "rd", str(file))

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    headers = dict(line.split(": ", 1) for line in lines[:3])
    assert headers["Content-Type"] == "application/json"
    request = SignedRequest(file.read_bytes(), headers)
    assert verify(request, stored_secret("rd"), utcnow()) == "smarketing"
    curl = shlex.split(lines[4])
    assert curl[:5] == ["curl", "-sS", "-X", "POST", "https://smk.example.com/hooks/rd"]
    assert curl[-2:] == ["--data-binary", f"@{file}"]
    assert f"X-Smarketing-Signature: {headers['X-Smarketing-Signature']}" in curl


def test_sign_refuses_an_unknown_source_or_a_missing_file(cli: Invoke, tmp_path: Path) -> None:
    missing = cli("sign", "rd", str(SAMPLES / "rdstation_leads.json"))
    assert missing.exit_code == 2
    assert "no webhook source 'rd'" in missing.output
    cli("add", "rd", "--adapter", "rdstation")
    no_file = cli("sign", "rd", str(tmp_path / "nope.json"))
    assert no_file.exit_code == 2
    assert "FILE: cannot read" in no_file.output


def test_log_shows_requests_newest_first_with_filters(cli: Invoke) -> None:
    cli("add", "forms", "--adapter", "generic")
    cli("add", "rd", "--adapter", "rdstation")
    workspace = open_workspace()
    with transaction(workspace.sessions) as session:
        for key, body in [("forms", b"{}"), ("rd", b'{"leads": []}'), ("forms", b"{}")]:
            headers = {} if key == "forms" else service.sign(session, key, body, utcnow())
            incoming = service.Incoming(key, body, headers, len(body), remote_addr="203.0.113.9")
            service.receive(session, incoming, utcnow())
    workspace.engine.dispose()

    everything = cli("log")
    refused = cli("log", "--refused", "--limit", "1")
    only_rd = cli("log", "--source", "rd")

    assert everything.exit_code == 0, everything.output
    assert everything.output.count("refused") == 2
    assert everything.output.count("accepted") == 1
    assert "203.0.113.9" in everything.output
    assert "unsigned request" in refused.output
    assert refused.output.count("refused") == 1
    assert "accepted" in only_rd.output
    assert "refused" not in only_rd.output
    assert cli("log", "--source", "nope").output == "no webhook requests match\n"
