"""`smarketing quarantine list|show|replay|discard` on fresh SQLite and PostgreSQL
workspaces holding two rejected activities: NEEDS_FAIR (fixed by creating the campaign)
and BAD_EMAIL (fixed only by a corrected payload)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from smarketing.core.database import transaction
from smarketing.core.workspace import OpenWorkspace
from smarketing.models import Activity
from tests.apikeys.support import (
    BAD_EMAIL,
    NEEDS_FAIR,
    Invoke,
    acme_workspace,
    add_fair,
    command_line,
    held,
    hold_items,
)


@pytest.fixture
def workspace(workspace_url: str) -> Iterator[OpenWorkspace]:
    with acme_workspace(workspace_url) as workspace:
        yield workspace


@pytest.fixture
def ids(workspace: OpenWorkspace) -> list[int]:
    return hold_items(workspace)


@pytest.fixture
def cli(workspace_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    with command_line(workspace_url, monkeypatch) as invoke:
        yield invoke


def _activity_exists(workspace: OpenWorkspace, activity_id: str) -> bool:
    with transaction(workspace.sessions) as session:
        return session.get(Activity, activity_id) is not None


@pytest.mark.parametrize("args", [[], ["list"], ["show"], ["replay"], ["discard"]])
def test_every_command_has_help(cli: Invoke, args: list[str]) -> None:
    result = cli("quarantine", *args, "--help")
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_list_shows_open_items_with_reason_and_preview(cli: Invoke, ids: list[int]) -> None:
    result = cli("quarantine", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    [fair] = [line for line in lines if line.split()[:1] == [str(ids[0])]]
    assert "api" in fair
    assert "activity" in fair
    assert "unknown campaign 'autumn-fair'" in result.output
    assert '{"id":"q1"' in fair
    assert "2 item(s)" in result.output


def test_list_filters_and_json(cli: Invoke, workspace: OpenWorkspace, ids: list[int]) -> None:
    [tracked] = hold_items(workspace, [{**BAD_EMAIL, "id": "t1"}], source="track")
    rows = json.loads(cli("quarantine", "list", "--json").output)
    assert [row["id"] for row in rows] == [*ids, tracked]
    assert json.loads(rows[0]["payload"]) == NEEDS_FAIR
    assert rows[0]["reason"].startswith("campaign: unknown campaign 'autumn-fair'")
    only_track = json.loads(cli("quarantine", "list", "--source", "track", "--json").output)
    assert [row["id"] for row in only_track] == [tracked]
    assert json.loads(cli("quarantine", "list", "--kind", "contact", "--json").output) == []
    limited = json.loads(cli("quarantine", "list", "--limit", "1", "--json").output)
    assert [row["id"] for row in limited] == [ids[0]]
    assert "1 of 3 item(s)" in cli("quarantine", "list", "--limit", "1").output
    cli("quarantine", "discard", str(ids[1]), "--reason", "junk")
    assert [r["id"] for r in json.loads(cli("quarantine", "list", "--json").output)] == [
        ids[0], tracked]  # fmt: skip
    discarded = json.loads(cli("quarantine", "list", "--status", "discarded", "--json").output)
    assert [row["id"] for row in discarded] == [ids[1]]
    every = json.loads(cli("quarantine", "list", "--status", "all", "--json").output)
    assert len(every) == 3


def test_show_prints_the_whole_item(cli: Invoke, ids: list[int]) -> None:
    result = cli("quarantine", "show", str(ids[0]))
    assert result.exit_code == 0, result.output
    assert f"item {ids[0]}: activity from api, open" in result.output
    assert "attempts: 1" in result.output
    assert "unknown campaign 'autumn-fair'" in result.output
    payload = result.output.split("payload:\n", 1)[1]
    assert '  "campaign": "autumn-fair"' in payload  # indented
    assert json.loads(payload) == NEEDS_FAIR


def test_replay_still_rejected_exits_1_and_counts_the_attempt(
    cli: Invoke, workspace: OpenWorkspace, ids: list[int]
) -> None:
    result = cli("quarantine", "replay", str(ids[0]))
    assert result.exit_code == 1
    assert f"item {ids[0]} still rejected (attempt 2)" in result.stderr
    item = held(workspace, ids[0])
    assert (item.status, item.attempts) == ("open", 2)
    assert not _activity_exists(workspace, "q1")


def test_replay_after_the_fix_stores_the_activity(
    cli: Invoke, workspace: OpenWorkspace, ids: list[int]
) -> None:
    add_fair(workspace)
    result = cli("quarantine", "replay", str(ids[0]))
    assert result.exit_code == 0, result.output
    assert result.output == f"item {ids[0]} replayed: activity q1 created\n"
    item = held(workspace, ids[0])
    assert (item.status, item.resolution) == ("replayed", "activity q1 created")
    assert _activity_exists(workspace, "q1")
    again = cli("quarantine", "replay", str(ids[0]))
    assert again.exit_code == 2
    assert "is replayed, not open" in again.stderr
    shown = cli("quarantine", "show", str(ids[0])).output
    assert "replayed: " in shown
    assert "activity q1 created" in shown


def test_replay_with_a_corrected_payload_file(
    cli: Invoke, workspace: OpenWorkspace, ids: list[int], tmp_path: Path
) -> None:
    corrected = {**BAD_EMAIL, "email": "eva@studio.example"}
    good = tmp_path / "fixed.json"
    good.write_text(json.dumps(corrected, indent=2))
    broken = tmp_path / "broken.json"
    broken.write_text('{"id": "q2", "email": ')

    refused = cli("quarantine", "replay", str(ids[1]), "--payload", broken)
    assert refused.exit_code == 2
    assert "is not JSON" in refused.stderr
    assert held(workspace, ids[1]).attempts == 1  # nothing recorded

    result = cli("quarantine", "replay", str(ids[1]), "--payload", good)
    assert result.exit_code == 0, result.output
    item = held(workspace, ids[1])
    assert item.status == "replayed"
    assert json.loads(item.payload) == corrected
    assert _activity_exists(workspace, "q2")


def test_replay_all_prints_a_summary(
    cli: Invoke, workspace: OpenWorkspace, ids: list[int]
) -> None:
    add_fair(workspace)
    result = cli("quarantine", "replay", "--all")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "replayed 1, still open 1"
    assert lines[1].startswith(f"  item {ids[1]}: email:")
    assert held(workspace, ids[0]).status == "replayed"
    assert (held(workspace, ids[1]).status, held(workspace, ids[1]).attempts) == ("open", 2)
    assert cli("quarantine", "discard", str(ids[1]), "--reason", "typo").exit_code == 0
    nothing = cli("quarantine", "replay", "--all")
    assert (nothing.exit_code, nothing.output) == (0, "no open items to replay\n")


def test_replay_all_of_one_source(cli: Invoke, workspace: OpenWorkspace, ids: list[int]) -> None:
    [tracked] = hold_items(workspace, [{**NEEDS_FAIR, "id": "t1"}], source="track")
    add_fair(workspace)
    result = cli("quarantine", "replay", "--all", "--source", "track")
    assert result.exit_code == 0, result.output
    assert result.output == "replayed 1, still open 0\n"
    assert held(workspace, tracked).status == "replayed"
    assert held(workspace, ids[0]).status == "open"


def test_discard_keeps_the_reason(cli: Invoke, workspace: OpenWorkspace, ids: list[int]) -> None:
    result = cli("quarantine", "discard", str(ids[1]), "--reason", "test data from staging")
    assert result.exit_code == 0, result.output
    item = held(workspace, ids[1])
    assert item.status == "discarded"
    assert item.resolution == "test data from staging (by cli)"
    assert cli("quarantine", "discard", str(ids[1]), "--reason", "again").exit_code == 2
    assert cli("quarantine", "replay", str(ids[1])).exit_code == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["replay"], "give an item ID or --all"),
        (["replay", "1", "--all"], "give an item ID or --all"),
        (["replay", "--all", "--payload", "x.json"], "--payload goes with one item ID"),
        (["replay", "1", "--kind", "activity"], "--kind and --source go with --all"),
        (["replay", "1", "--payload", "/no/such/file.json"], "cannot read"),
        (["replay", "999"], "no quarantined item 999"),
        (["show", "999"], "no quarantined item 999"),
        (["discard", "999", "--reason", "x"], "no quarantined item 999"),
        (["discard", "1", "--reason", "  "], "--reason: say why"),
        (["list", "--status", "closed"], "--status: must be one of open, replayed"),
    ],
)
def test_bad_usage_exits_2(
    cli: Invoke, workspace: OpenWorkspace, ids: list[int], args: list[str], message: str
) -> None:
    result = cli("quarantine", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert [held(workspace, i).attempts for i in ids] == [1, 1]
    assert [held(workspace, i).status for i in ids] == ["open", "open"]
