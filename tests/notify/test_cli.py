"""`smarketing notify ...` as a user runs it, on a fresh SQLite workspace."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from smarketing.core.database import transaction
from smarketing.core.settings import get_settings
from smarketing.core.timeutil import utcnow
from smarketing.models import NotificationTarget
from smarketing.notify import repository, service
from smarketing.notify.cli import notify_app
from tests.notify import FAILING_URL, add_people, sessions_for

Invoke = Callable[..., Result]
SECRET_URL = "mailtos://alerts:s3cretPass@smtp.example.com?to=rep@example.com"


@pytest.fixture
def cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """`cli("targets", "list")` runs `smarketing notify targets list` on a workspace with
    the team `emea` (rep@example.com, boss@example.com) and solo@example.com."""
    monkeypatch.setenv("SMARKETING_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    with sessions_for(sqlite_url) as factory, transaction(factory) as session:
        add_people(session)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(notify_app, list(args), catch_exceptions=False)

    yield invoke
    get_settings.cache_clear()


def plain(output: str) -> str:
    """Click's error box without its frame and line breaks."""
    return " ".join(output.translate({ord(c): " " for c in "│╭╮╰╯─"}).split())


def stored_urls(url: str) -> list[str]:
    with sessions_for(url) as factory, transaction(factory) as session:
        return list(session.scalars(
            select(NotificationTarget.url).order_by(NotificationTarget.id)))


def raise_alert(url: str, email: str = "rep@example.com") -> None:
    with sessions_for(url) as factory, transaction(factory) as session:
        user = repository.user_by_email(session, email)
        assert user is not None
        service.notify(session, user_ids=[user.id], kind="sla_breach",
                       subject="SLA breached: first attempt for ada@example.com",
                       body="Overdue.", dedupe_key="cli-test",
                       now=utcnow() - timedelta(minutes=1))  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [[], ["targets"], ["targets", "add"], ["targets", "list"], ["targets", "remove"],
     ["log"], ["deliver"]],
)  # fmt: skip
def test_every_command_has_help(cli: Invoke, args: list[str]) -> None:
    result = cli(*args, "--help")
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_add_list_remove_a_target(cli: Invoke, sqlite_url: str) -> None:
    result = cli("targets", "add", SECRET_URL, "--user", "rep@example.com")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "target 1 added for user rep@example.com: "
        "mailtos://alerts:****@smtp.example.com?to=rep@example.com\n"
    )
    assert cli("targets", "add", FAILING_URL, "--team", "emea").exit_code == 0
    assert stored_urls(sqlite_url) == [SECRET_URL, FAILING_URL]

    listing = cli("targets", "list")
    assert listing.exit_code == 0
    assert "s3cretPass" not in listing.output
    assert listing.output.splitlines() == [
        "   1  user rep@example.com  mailtos://alerts:****@smtp.example.com?to=rep@example.com",
        "   2  team emea             json://127.0.0.1:9/",
    ]
    rows = json.loads(cli("targets", "list", "--json").output)
    assert [(r["id"], r["owner"]) for r in rows] == [(1, "user rep@example.com"), (2, "team emea")]

    removed = cli("targets", "remove", "1")
    assert removed.exit_code == 0
    assert removed.output == "target 1 removed, with 0 delivery log entries\n"
    assert stored_urls(sqlite_url) == [FAILING_URL]


def test_no_targets_yet(cli: Invoke) -> None:
    assert "no notification targets" in cli("targets", "list").output
    assert "no deliveries yet" in cli("log").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bogus://foo", "--user", "rep@example.com"], "bogus://"),
        (["slack://", "--team", "emea"], "slack://"),
        ([FAILING_URL], "give exactly one of --user EMAIL or --team KEY"),
        ([FAILING_URL, "--user", "rep@example.com", "--team", "emea"], "exactly one"),
        ([FAILING_URL, "--user", "nobody@example.com"], "no user with email"),
        ([FAILING_URL, "--team", "apac"], "no team with key 'apac'"),
    ],
)
def test_bad_targets_exit_2_and_save_nothing(
    cli: Invoke, sqlite_url: str, args: list[str], message: str
) -> None:
    result = cli("targets", "add", *args)
    assert result.exit_code == 2
    assert message in plain(result.output)
    assert "Traceback" not in result.output
    assert stored_urls(sqlite_url) == []


def test_removing_an_unknown_target_exits_2(cli: Invoke) -> None:
    result = cli("targets", "remove", "42")
    assert result.exit_code == 2
    assert "no notification target with id 42" in plain(result.output)
    assert cli("targets", "remove", "forty-two").exit_code == 2


def test_deliver_then_read_the_log(cli: Invoke, sqlite_url: str) -> None:
    cli("targets", "add", FAILING_URL, "--team", "emea")
    raise_alert(sqlite_url)
    result = cli("deliver")
    assert result.exit_code == 0, result.output
    assert result.output == "1 due: 0 sent, 1 will be retried, 0 failed for good\n"
    assert cli("deliver").output == "0 due: 0 sent, 0 will be retried, 0 failed for good\n"

    log = cli("log").output.splitlines()
    assert log[0].split()[:4] == ["1", "pending", "1", "attempt(s)"]
    assert "next attempt" in log[0]
    assert log[1].strip() == "SLA breached: first attempt for ada@example.com"
    assert log[2].strip() == "to rep@example.com via json://127.0.0.1:9/"
    assert log[3].strip().startswith("last error: ")

    [entry] = json.loads(cli("log", "--json", "--limit", "5").output)
    assert (entry["status"], entry["attempts"], entry["recipient"]) == (
        "pending", 1, "rep@example.com")
    assert entry["delivered_at"] == "-"
    assert entry["next_attempt_at"].endswith("Z")
    assert cli("log", "--limit", "0").exit_code == 2
