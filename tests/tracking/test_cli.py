"""`smarketing tracking ...` as an admin runs it, on a fresh SQLite workspace."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from smarketing.cli import app
from smarketing.core.database import transaction
from smarketing.core.settings import get_settings
from smarketing.tracking import service
from smarketing.tracking.domain import DEFAULT_RULES_DATA
from tests.support.web import seeded_workspace
from tests.tracking.support import SITE, body, form_submit, page_view

Invoke = Callable[..., Result]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """`cli("domains", "list")` runs `smarketing tracking domains list`."""
    monkeypatch.setenv("SMARKETING_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["tracking", *args], catch_exceptions=False)

    yield invoke
    get_settings.cache_clear()


def plain(output: str) -> str:
    """Output without Rich's box characters and line breaks."""
    return " ".join(output.translate({ord(c): " " for c in "│╭╮╰╯─┃"}).split())


@pytest.mark.parametrize(
    "args",
    [[], ["domains"], ["domains", "add"], ["domains", "remove"], ["domains", "list"],
     ["rules"], ["rules", "show"], ["rules", "set"], ["rules", "reset"], ["rules", "test"],
     ["visitors"]],
)  # fmt: skip
def test_every_command_has_help(cli: Invoke, args: list[str]) -> None:
    result = cli(*args, "--help")
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_domains_add_list_remove(cli: Invoke) -> None:
    added = cli("domains", "add", "https://www.Acme.example/", "127.0.0.1")
    assert added.exit_code == 0, added.output
    assert added.output == ("added www.acme.example\nadded 127.0.0.1\n"
                            "tracking domains: 127.0.0.1, www.acme.example\n")  # fmt: skip
    assert json.loads(cli("domains", "list", "--json").output) == ["127.0.0.1",
                                                                   "www.acme.example"]
    assert cli("domains", "remove", "127.0.0.1").output == "removed 127.0.0.1\n"
    assert cli("domains", "list").output == "www.acme.example\n"
    missing = cli("domains", "remove", "127.0.0.1")
    assert missing.exit_code == 2
    assert "127.0.0.1 is not a tracking domain" in plain(missing.output)


def test_a_value_that_is_not_a_domain_is_refused(cli: Invoke) -> None:
    result = cli("domains", "add", "acme.example", "*.shop.example")
    assert result.exit_code == 2
    assert "give the domain without '*.'" in plain(result.output)
    assert cli("domains", "list").output.startswith("no tracking domains yet")


def test_rules_show_set_test_reset(cli: Invoke, tmp_path: Path) -> None:
    shown = cli("rules", "show")
    assert shown.exit_code == 0
    assert json.loads(shown.stdout) == DEFAULT_RULES_DATA
    custom = tmp_path / "rules.json"
    custom.write_text(json.dumps([
        {"name": "trade fair QR codes", "channel": "event", "utm_source": ["qr"]},
        *DEFAULT_RULES_DATA]))  # fmt: skip
    assert cli("rules", "set", str(custom)).output == f"{len(DEFAULT_RULES_DATA) + 1} channel " \
                                                      "rules saved\n"
    tested = cli("rules", "test", f"{SITE}/?utm_source=QR&utm_campaign=expo")
    assert tested.output.splitlines() == [
        "channel:  event", "rule:     trade fair QR codes", "campaign: -",
        "utm:      utm_source=QR, utm_campaign=expo"]  # fmt: skip
    assert json.loads(cli("rules", "show").stdout)[0]["name"] == "trade fair QR codes"
    assert cli("rules", "reset").output.startswith("custom rules removed")
    assert cli("rules", "test", f"{SITE}/?utm_source=QR").output.startswith("channel:  other")


def test_rules_test_with_a_referrer(cli: Invoke) -> None:
    cli("domains", "add", "acme.example")
    search = cli("rules", "test", f"{SITE}/pricing", "--referrer", "https://www.google.de/")
    assert search.output.splitlines()[:2] == ["channel:  organic_search",
                                              "rule:     search engine referrer"]
    internal = cli("rules", "test", f"{SITE}/pricing", "-r", "https://blog.acme.example/")
    assert internal.output.splitlines()[0] == "channel:  none (internal navigation)"


@pytest.mark.parametrize(
    ("content", "message"),
    [("[{\"channel\": \"fax\"}]", "rule 1: channel: must be one of organic_search"),
     ("{not json", "not valid JSON"),
     ("[{\"channel\": \"email\", \"utm_medum\": [\"email\"]}]", "unknown field 'utm_medum'")],
)  # fmt: skip
def test_a_bad_rules_file_is_refused_and_nothing_changes(
    cli: Invoke, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "rules.json"
    path.write_text(content)
    result = cli("rules", "set", str(path))
    assert result.exit_code == 2
    assert message in plain(result.output)
    assert json.loads(cli("rules", "show").stdout) == DEFAULT_RULES_DATA


def test_visitors_lists_touches_and_contacts(cli: Invoke, sqlite_url: str) -> None:
    assert cli("visitors").output == "no visitors yet\n"
    with seeded_workspace(sqlite_url, [], logins=[], now=NOW) as workspace, \
            transaction(workspace.sessions) as session:  # fmt: skip
        service.add_domains(session, ["acme.example"], NOW)
        service.record_events(session, body(
            page_view("ev-00000001", f"{SITE}/", "https://www.bing.com/"),
            visitor="anonymous-visitor"), now=NOW)  # fmt: skip
        service.record_events(session, body(
            page_view("ev-00000002", f"{SITE}/?utm_medium=email"),
            form_submit("ev-00000003", "ana@studio.example"),
            visitor="identified-visitor"), now=NOW)  # fmt: skip
    rows = [plain(line) for line in cli("visitors").output.splitlines()]
    assert "anonymous-visitor 2026-11-30 12:00 organic_search organic_search - 1" in rows
    assert "identified-visitor 2026-11-30 12:00 email email ana@studio.example 0" in rows
