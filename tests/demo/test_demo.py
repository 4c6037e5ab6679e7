"""The demo workspace: deterministic, realistic, and loaded through the import path."""

from __future__ import annotations

import inspect
import itertools
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from smarketing.auth.service import authenticate
from smarketing.core.settings import get_settings
from smarketing.core.timeutil import parse_instant
from smarketing.demo.cli import demo_command
from smarketing.demo.constants import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD
from smarketing.demo.generator import CALENDARS, demo_logins, generate
from smarketing.demo.service import build_demo, counts_by_type
from smarketing.models import Contact, Deal, Decision, SlaClock
from smarketing.records.schema import CHANNELS, parse_record
from smarketing.sla.calendar import business_time_between, calendar_from_json

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
MIDNIGHT = datetime(2026, 11, 19, 23, 0, tzinfo=UTC)  # 2026-11-20 00:00 in Madrid
Record = dict[str, Any]


@pytest.fixture(scope="module")
def thousand() -> list[Record]:
    return list(generate(1000, 7, NOW))


def by_type(records: list[Record], kind: str) -> list[Record]:
    return [r for r in records if r["type"] == kind]


def instants(record: Record) -> list[datetime]:
    return [parse_instant(record[k]) for k in ("at", "created_at", "closed_at") if k in record]


# -- determinism and streaming ---------------------------------------------------------


def test_same_seed_gives_the_same_records_and_another_seed_does_not() -> None:
    first = list(generate(150, 7, NOW))
    assert first == list(generate(150, 7, NOW))
    assert first != list(generate(150, 8, NOW))


def test_the_same_day_gives_the_same_records() -> None:
    later_that_day = NOW.replace(hour=21, minute=59)
    assert list(generate(80, 7, NOW)) == list(generate(80, 7, later_that_day))


def test_generate_streams_records() -> None:
    records = generate(1_000_000, 7, NOW)
    assert inspect.isgenerator(records)
    head = list(itertools.islice(records, 3000))
    assert head[0]["type"] == "workspace"
    assert head[-1]["type"] == "company"


def test_contacts_count_is_exact() -> None:
    for count in (1, 2, 7, 333):
        assert len(by_type(list(generate(count, 3, NOW)), "contact")) == count


# -- shape of the workspace --------------------------------------------------------------


def test_every_record_follows_the_spec(thousand: list[Record]) -> None:
    for record in thousand:
        parse_record(record)


def test_setup_records(thousand: list[Record]) -> None:
    (workspace,) = by_type(thousand, "workspace")
    assert workspace["timezone"] == "Europe/Madrid"
    assert workspace["currency"] == "EUR"
    assert len(by_type(thousand, "calendar")) >= 2
    assert len(by_type(thousand, "team")) >= 2
    assert len(by_type(thousand, "persona")) >= 3
    assert {r["key"] for r in by_type(thousand, "product_line")} == {
        "kitchens", "office", "hospitality"}  # fmt: skip
    users = by_type(thousand, "user")
    roles = Counter(u["role"] for u in users)
    assert roles["sales_rep"] >= 8
    assert roles["sales_manager"] == 2
    assert roles["marketing"] >= 3
    assert roles["admin"] == 1
    assert all(u["email"].endswith(f"@{DEMO_EMAIL_DOMAIN}") for u in users)
    assert all(u.get("team") for u in users if u["role"] in ("sales_rep", "sales_manager"))
    logins = demo_logins()
    assert sorted(e for emails in logins.values() for e in emails) == sorted(
        u["email"] for u in users
    )
    (sla,) = by_type(thousand, "sla")
    assert sla["calendar"] == "madrid"
    assert sla["sales"]["first_attempt_within_hours"] == 8
    assert sla["effective_from"].endswith("-01")
    order = [r["type"] for r in thousand]
    assert order.index("sla") < order.index("contact")
    assert max(i for i, t in enumerate(order) if t == "company") < order.index("contact")


def test_campaigns_cover_every_channel_with_costs(thousand: list[Record]) -> None:
    campaigns = by_type(thousand, "campaign")
    assert len(campaigns) >= 12
    assert {c["channel"] for c in campaigns} == set(CHANNELS)
    names = " ".join(c["name"] for c in campaigns)
    assert "Salone del Mobile" in names
    assert "Maderalia / Hábitat Valencia" in names
    assert any("cost" in c for c in campaigns)
    costs = by_type(thousand, "cost")
    assert len({c["campaign"] for c in costs}) >= 10
    assert all(c["on"] < "2026-11-20" for c in costs)


# -- realistic rates -------------------------------------------------------------------


def test_realistic_rates(thousand: list[Record]) -> None:
    contacts = by_type(thousand, "contact")
    assert {c["channel"] for c in contacts} == set(CHANNELS)
    assert Counter(c["lifecycle_stage"] for c in contacts).keys() <= {"subscriber", "lead"}
    mqls = {r["contact"] for r in by_type(thousand, "stage_change") if r["to"] == "mql"}
    assert 0.08 <= len(mqls) / len(contacts) <= 0.30
    assigned = {r["contact"] for r in by_type(thousand, "assignment")}
    assert assigned <= mqls
    decisions = Counter((d["decision"], d.get("then")) for d in by_type(thousand, "decision"))
    assert decisions[("accepted", None)] > sum(decisions.values()) / 2
    assert decisions[("rejected", "recycle")] > 0
    assert decisions[("rejected", "disqualify")] > 0
    deals = Counter(d["status"] for d in by_type(thousand, "deal"))
    assert deals["won"] > 0
    assert deals["lost"] > 0
    assert deals["open"] > 0
    stages = Counter(r["to"] for r in by_type(thousand, "stage_change"))
    assert stages["opportunity"] > 0
    assert stages["customer"] == deals["won"]


def test_most_first_attempts_are_on_time_but_not_all(thousand: list[Record]) -> None:
    madrid = calendar_from_json(CALENDARS["madrid"])
    attempts: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for attempt in by_type(thousand, "attempt"):
        attempts[(attempt["contact"], attempt["by"])].append(parse_instant(attempt["at"]))
    on_time = late = missing = 0
    for assignment in by_type(thousand, "assignment"):
        at = parse_instant(assignment["at"])
        mine = [t for t in attempts[(assignment["contact"], assignment["owner"])] if t >= at]
        if not mine:
            missing += at < MIDNIGHT - timedelta(days=3)
        elif business_time_between(madrid, at, min(mine)) <= timedelta(hours=8):
            on_time += 1
        else:
            late += 1
    assert late > 0
    assert missing > 0
    assert on_time / (on_time + late + missing) >= 0.7
    cadences = Counter(len(times) for times in attempts.values())
    assert max(cadences) <= 6  # five attempts, plus a meeting
    assert cadences[5] + cadences[6] > 0


def test_instants_are_past_and_in_order_per_contact(thousand: list[Record]) -> None:
    seen: dict[str, datetime] = {}
    for record in thousand:
        for instant in instants(record):
            assert instant < MIDNIGHT <= NOW, record
        if record["type"] == "contact":
            assert record["email"] not in seen, "each contact is defined once"
            seen[record["email"]] = parse_instant(record["created_at"])
        elif "contact" in record:
            first = instants(record)[0]
            assert first >= seen[record["contact"]], record  # defined before, in time order
            seen[record["contact"]] = first
    created = sorted(parse_instant(c["created_at"]) for c in by_type(thousand, "contact"))
    assert MIDNIGHT - created[0] > timedelta(days=150)
    assert MIDNIGHT - created[-1] < timedelta(days=3)


# -- through the importer --------------------------------------------------------------


def test_the_demo_imports_with_zero_rejects(session: Session) -> None:
    report = build_demo(session, 150, 7, NOW)

    assert report.rejected == 0
    counts = counts_by_type(report)
    assert counts["contact"] == 150
    assert session.scalar(select(func.count()).select_from(Contact)) == 150
    stages = Counter(session.scalars(select(Contact.lifecycle_stage)))
    assert stages["mql"] + stages["sql"] + stages["opportunity"] + stages["customer"] > 0
    assert session.scalar(select(func.count()).select_from(Decision)) > 0
    assert session.scalar(select(func.count()).select_from(Deal)) > 0
    assert session.scalar(select(func.count()).select_from(SlaClock)) > 0  # SLA came first
    for emails in demo_logins().values():
        assert authenticate(session, emails[0], DEMO_PASSWORD) is not None


def test_building_the_demo_twice_changes_nothing(session: Session) -> None:
    build_demo(session, 20, 7, NOW)
    again = build_demo(session, 20, 7, NOW)
    assert {key.split(" ")[1] for key in again.applied} == {"unchanged"}


# -- the command -----------------------------------------------------------------------


@pytest.fixture
def demo_cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SMARKETING_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Keep `demo` a sub-command."""

    app.command("demo")(demo_command)
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, ["demo", *args], catch_exceptions=False)
    get_settings.cache_clear()


def test_demo_command_loads_once_and_prints_logins(demo_cli) -> None:  # type: ignore[no-untyped-def]
    result = demo_cli("--contacts", "25", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "Nordwood Kitchens & Furniture" in result.output
    assert "contact" in result.output
    assert DEMO_PASSWORD in result.output
    for emails in demo_logins().values():
        for email in emails:
            assert email in result.output

    again = demo_cli("--contacts", "25")
    assert again.exit_code == 1
    assert "already has contacts" in again.output

    skipped = demo_cli("--if-empty")
    assert skipped.exit_code == 0
    assert "not loaded" in skipped.output


def test_demo_command_rejects_zero_contacts(demo_cli) -> None:  # type: ignore[no-untyped-def]
    result = demo_cli("--contacts", "0")
    assert result.exit_code == 2
