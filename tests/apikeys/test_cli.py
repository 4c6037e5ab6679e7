"""`smarketing api-keys create|list|revoke` on fresh SQLite and PostgreSQL workspaces."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from smarketing.auth.service import KeyRefused, authenticate_key
from smarketing.core.database import transaction
from smarketing.core.settings import Settings
from smarketing.core.workspace import OpenWorkspace, open_workspace
from smarketing.models import ApiKey
from tests.apikeys.support import Invoke, command_line


@pytest.fixture
def workspace(workspace_url: str) -> Iterator[OpenWorkspace]:
    workspace = open_workspace(Settings(database_url=workspace_url))
    yield workspace
    workspace.engine.dispose()


@pytest.fixture
def cli(workspace_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    with command_line(workspace_url, monkeypatch) as invoke:
        yield invoke


def _create(cli: Invoke, name: str = "website forms", scope: str = "write") -> str:
    result = cli("api-keys", "create", name, "--scope", scope, "--by", "admin@acme.example")
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def _keys(workspace: OpenWorkspace) -> list[ApiKey]:
    with transaction(workspace.sessions) as session:
        return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


@pytest.mark.parametrize("args", [[], ["create"], ["list"], ["revoke"]])
def test_every_command_has_help(cli: Invoke, args: list[str]) -> None:
    result = cli("api-keys", *args, "--help")
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_create_prints_the_key_once_and_keeps_only_its_hash(
    cli: Invoke, workspace: OpenWorkspace
) -> None:
    result = cli("api-keys", "create", "website forms", "--scope", "write", "--by",
                 "admin@acme.example")  # fmt: skip
    assert result.exit_code == 0, result.output
    plaintext = result.stdout.strip()
    assert plaintext.startswith("smk_")
    assert len(result.stdout.splitlines()) == 1  # only the key goes to stdout (pipe-able)
    [key] = _keys(workspace)
    assert "cannot be shown again" in result.stderr
    assert key.prefix in result.stderr
    assert "(write)" in result.stderr
    assert (key.name, key.scope, key.created_by) == ("website forms", "write",
                                                     "admin@acme.example")  # fmt: skip
    assert key.secret_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    secret = plaintext.split("_", 2)[2]
    assert secret not in key.secret_hash
    with transaction(workspace.sessions) as session:
        assert authenticate_key(session, plaintext).prefix == key.prefix


def test_list_shows_keys_but_never_the_secret(cli: Invoke, workspace: OpenWorkspace) -> None:
    first = _create(cli, "website forms", "write")
    second = _create(cli, "bi export", "read")
    listing = cli("api-keys", "list")
    assert listing.exit_code == 0, listing.output
    for plaintext, name, scope in ((first, "website forms", "write"),
                                   (second, "bi export", "read")):  # fmt: skip
        prefix, secret = plaintext.split("_", 2)[1:]
        assert secret not in listing.output
        [line] = [line for line in listing.output.splitlines() if prefix in line]
        assert name in line
        assert scope in line
        assert "admin@acme.example" in line


def test_revoke_hides_the_key_and_refuses_it(cli: Invoke, workspace: OpenWorkspace) -> None:
    plaintext = _create(cli)
    prefix = plaintext.split("_")[1]
    result = cli("api-keys", "revoke", prefix)
    assert result.exit_code == 0, result.output
    assert f"API key {prefix} (website forms) revoked" in result.output
    assert prefix not in cli("api-keys", "list").output
    listed = cli("api-keys", "list", "--all").output
    [line] = [line for line in listed.splitlines() if prefix in line]
    assert line.count(" UTC") == 2  # created and revoked
    with transaction(workspace.sessions) as session, pytest.raises(KeyRefused, match="revoked"):
        authenticate_key(session, plaintext)
    again = cli("api-keys", "revoke", plaintext)  # the whole key works too
    assert again.exit_code == 0
    assert "was already revoked" in again.output


def test_no_keys_yet(cli: Invoke) -> None:
    assert "no API keys" in cli("api-keys", "list").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "forms", "--scope", "owner"], "--scope: must be one of read, write, admin"),
        (["create", "   ", "--scope", "read"], "name: required"),
        (["revoke", "deadbeef"], "no API key with prefix 'deadbeef'"),
        (["revoke", "smk_nonsense"], "not an smarketing API key"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    cli: Invoke, workspace: OpenWorkspace, args: list[str], message: str
) -> None:
    result = cli("api-keys", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    with transaction(workspace.sessions) as session:
        assert session.scalar(select(func.count()).select_from(ApiKey)) == 0


def test_scope_is_required(cli: Invoke) -> None:
    result = cli("api-keys", "create", "forms")
    assert result.exit_code == 2
    assert "--scope" in result.output
