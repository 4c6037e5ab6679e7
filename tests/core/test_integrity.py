"""`smarketing check` and the start-up check (issue 10, item 9): a sound database passes on
SQLite and PostgreSQL; a SQLite file with a damaged page or cut short is reported with
what to do, and `smarketing serve` refuses to start on it."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smarketing.cli import app as cli_app
from smarketing.core.integrity import DAMAGED, check_database
from smarketing.core.settings import get_settings


def _path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _damage_page(path: Path) -> None:
    """Overwrite the header of the contacts table's root page."""
    with sqlite3.connect(path) as connection:
        root = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'contacts'").fetchone()[0]
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    with path.open("r+b") as file:
        file.seek(page_size * (root - 1))
        file.write(b"\x0d" + b"\xff" * 7)


def _cut_short(path: Path) -> None:
    with path.open("r+b") as file:
        file.truncate(3 * 4096 + 17)


def _run(url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> object:
    monkeypatch.setenv("SMARKETING_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli_app, list(args))
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("full", [False, True])
def test_a_sound_workspace_passes(workspace_url: str, full: bool) -> None:
    report = check_database(workspace_url, full=full)
    assert report.ok, report.problems
    assert any("newest migration" in note for note in report.notes)


def test_check_command_says_ok(workspace_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(workspace_url, monkeypatch, "check")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert result.output.splitlines()[-1] == "ok"  # type: ignore[attr-defined]


@pytest.mark.parametrize("damage", [_damage_page, _cut_short])
def test_a_damaged_file_is_reported_and_not_served(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: object
) -> None:
    copy = tmp_path / "damaged.db"
    shutil.copy(_path(sqlite_url), copy)
    damage(copy)  # type: ignore[operator]
    url = f"sqlite:///{copy}"
    report = check_database(url)
    assert not report.ok
    assert "malformed" in report.problems[0]
    assert "backup" in report.what_to_do
    checked = _run(url, monkeypatch, "check")
    assert checked.exit_code == DAMAGED  # type: ignore[attr-defined]
    assert "problem:" in checked.output  # type: ignore[attr-defined]
    before = copy.read_bytes()
    served = _run(url, monkeypatch, "serve", "--no-jobs")
    assert served.exit_code == DAMAGED  # type: ignore[attr-defined]
    assert "not started" in served.output  # type: ignore[attr-defined]
    assert "restore your latest backup" in served.output.lower()  # type: ignore[attr-defined]
    assert copy.read_bytes() == before  # nothing was written to it


def test_a_cut_short_file_is_refused_even_without_the_check(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "short.db"
    shutil.copy(_path(sqlite_url), copy)
    _cut_short(copy)
    served = _run(f"sqlite:///{copy}", monkeypatch, "serve", "--no-jobs", "--skip-check")
    assert served.exit_code == DAMAGED  # type: ignore[attr-defined]
    assert "Traceback" not in served.output  # type: ignore[attr-defined]


def test_not_a_database_and_no_file_yet(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("hello, I am not a database" * 200)
    assert "not a database" in check_database(f"sqlite:///{text}").problems[0]
    missing = check_database(f"sqlite:///{tmp_path / 'new.db'}")
    assert missing.ok
    assert "no database file yet" in missing.notes[0]


def test_an_unreachable_server_is_a_problem() -> None:
    report = check_database("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2")
    assert not report.ok
    assert report.problems[0].startswith("cannot use the database")
