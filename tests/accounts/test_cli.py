"""`smarketing users set` on a fresh SQLite and PostgreSQL workspace."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from smarketing.cli import app
from smarketing.core.database import transaction
from smarketing.core.settings import Settings, get_settings
from smarketing.core.timeutil import utcnow
from smarketing.core.workspace import open_workspace
from smarketing.interchange.service import import_records
from smarketing.models import User

Invoke = Callable[..., Result]
RITA = "rita@acme.example"


@pytest.fixture
def cli(workspace_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    monkeypatch.setenv("SMARKETING_DATABASE_URL", workspace_url)
    get_settings.cache_clear()
    workspace = open_workspace(Settings(database_url=workspace_url))
    with transaction(workspace.sessions) as session:
        import_records(session, [{"type": "user", "email": RITA, "name": "Rita Rep",
                                  "role": "sales_rep"}], now=utcnow())  # fmt: skip
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    invoke.workspace = workspace  # type: ignore[attr-defined]
    yield invoke
    workspace.engine.dispose()
    get_settings.cache_clear()


def settings_of(cli: Invoke) -> tuple[str | None, list[str] | None]:
    with transaction(cli.workspace.sessions) as session:  # type: ignore[attr-defined]
        user = session.scalars(select(User).where(User.email == RITA)).one()
        return user.locale, user.muted_notification_kinds


def test_set_language_and_mutes(cli: Invoke) -> None:
    result = cli("users", "set", "Rita@Acme.example", "--locale", "es", "--mute", "lead_activity",
                 "--mute", "sla_pacing")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output == (f"{RITA}: locale es; muted notifications: "
                             "lead_activity, sla_pacing\n")  # fmt: skip
    assert settings_of(cli) == ("es", ["lead_activity", "sla_pacing"])
    result = cli("users", "set", RITA, "--locale", "auto", "--unmute", "sla_pacing")
    assert result.output == f"{RITA}: locale auto; muted notifications: lead_activity\n"
    assert settings_of(cli) == (None, ["lead_activity"])
    assert cli("users", "set", RITA).output == result.output  # no option: shows them


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mute", "sla_breach"], "'sla_breach' notifications cannot be turned off"),
        (["--mute", "sla_at_risk"], "'sla_at_risk' notifications cannot be turned off"),
        (["--mute", "lead"], "unknown notification kind 'lead'"),
        (["--locale", "fr", "--mute", "lead_activity"], "locale must be one of en, es, pt, it"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(
    cli: Invoke, args: list[str], message: str
) -> None:
    result = cli("users", "set", RITA, *args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert settings_of(cli) == (None, [])


def test_an_unknown_user(cli: Invoke) -> None:
    result = cli("users", "set", "nobody@acme.example", "--locale", "it")
    assert result.exit_code == 3
    assert "no user with email 'nobody@acme.example'" in result.output
