"""``smarketing sla due``: output, units and errors (exit code 2, no traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from smarketing.sla.cli import parse_within, sla_app

MADRID = {
    "key": "madrid",
    "timezone": "Europe/Madrid",
    "hours": {
        day: [["09:00", "14:00"], ["15:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
    },
    "holidays": {"country": "ES", "subdivision": "MD"},
}


def make_app() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(sla_app, name="sla")
    return root


@pytest.fixture
def calendar_file(tmp_path: Path) -> Path:
    path = tmp_path / "madrid.json"
    path.write_text(json.dumps(MADRID), encoding="utf-8")
    return path


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(make_app(), ["sla", "due", *map(str, args)])


def unwrapped(text: str) -> str:
    """The text without Rich's panel borders and line wrapping."""
    return " ".join(text.replace("│", " ").split())


def test_json_output_friday_1759(calendar_file: Path) -> None:
    # 1 minute on Friday; Monday 09-14 (5h) and 15:00-17:59 (2h59m).
    result = run("--start", "2026-03-06T17:59:00+01:00", "--within", "8h",
                 "--calendar", calendar_file, "--json")

    assert result.exit_code == 0, result.output
    assert result.stdout == '{"due": "2026-03-09T17:59:00+01:00"}\n'


def test_json_output_is_in_the_calendar_time_zone(calendar_file: Path) -> None:
    # 07:00Z is 08:00 in Madrid: the clock starts at 09:00, 1h30m later is 10:30 Madrid.
    result = run("--start", "2026-03-02T07:00:00Z", "--within", "1h30m",
                 "--calendar", calendar_file, "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"due": "2026-03-02T10:30:00+01:00"}


def test_human_output(calendar_file: Path) -> None:
    result = run("--start", "2026-03-27T16:00:00+01:00", "--within", "8h",
                 "--calendar", calendar_file)

    assert result.exit_code == 0, result.output
    # 2h on Friday (CET), then Monday after the DST change: 5h + 1h.
    assert "2026-03-30T16:00:00+02:00" in result.stdout
    assert "Monday 30 March 2026, 16:00 CEST" in result.stdout
    assert "8h of business time" in result.stdout


@pytest.mark.parametrize(
    ("within", "due"),
    [
        ("8h", "2026-03-02T18:00:00+01:00"),  # a whole day: 5h + 3h
        ("90m", "2026-03-02T10:30:00+01:00"),
        ("1h30m", "2026-03-02T10:30:00+01:00"),
        ("6h", "2026-03-02T16:00:00+01:00"),  # 5h, lunch, 1h
        ("0m", "2026-03-02T09:00:00+01:00"),  # nothing to elapse: due at the start
        ("480m", "2026-03-02T18:00:00+01:00"),
    ],
)
def test_within_units(calendar_file: Path, within: str, due: str) -> None:
    result = run("--start", "2026-03-02T09:00:00+01:00", "--within", within,
                 "--calendar", calendar_file, "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"due": due}


@pytest.mark.parametrize("within", ["8", "8x", "h", "1m30h", "8 h", "-1h", "1.5h", "1d", ""])
def test_bad_within_names_the_value(calendar_file: Path, within: str) -> None:
    result = run("--start", "2026-03-02T09:00:00+01:00", "--within", within,
                 "--calendar", calendar_file)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--within" in result.stderr
    assert f"{within!r} is not a duration" in unwrapped(result.stderr)
    assert "Traceback" not in result.output


def test_parse_within() -> None:
    assert parse_within("1h30m").total_seconds() == 5400
    assert parse_within("90m").total_seconds() == 5400
    assert parse_within("8H").total_seconds() == 8 * 3600
    with pytest.raises(ValueError, match="'2h2h' is not a duration"):
        parse_within("2h2h")


def test_naive_start_is_an_error(calendar_file: Path) -> None:
    result = run("--start", "2026-03-02T09:00:00", "--within", "8h",
                 "--calendar", calendar_file)

    assert result.exit_code == 2
    assert "--start" in result.stderr
    assert "'2026-03-02T09:00:00' has no UTC offset" in unwrapped(result.stderr)
    assert "Traceback" not in result.output


def test_start_that_is_not_an_instant(calendar_file: Path) -> None:
    result = run("--start", "tomorrow", "--within", "8h", "--calendar", calendar_file)

    assert result.exit_code == 2
    assert "'tomorrow' is not an ISO 8601 instant" in unwrapped(result.stderr)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[]", "calendar: expected a JSON object"),
        (
            json.dumps({**MADRID, "hours": {"mon": [["09:00", "14:00"], ["14:00", "13:00"]]}}),
            "hours.mon[1]: end 13:00 is not after start 14:00",
        ),
        (json.dumps({**MADRID, "timezone": "Mars/Olympus"}), "timezone: unknown IANA"),
        (json.dumps({**MADRID, "colour": "red"}), "unknown field(s) 'colour'"),
        (json.dumps({**MADRID, "holidays": {"country": "ES", "subdivision": "XX"}}),
         "holidays.subdivision: 'XX' is not a subdivision of ES"),
    ],
)
def test_bad_calendar_file_exits_2_with_the_message(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "calendar.json"
    path.write_text(content, encoding="utf-8")

    result = run("--start", "2026-03-02T09:00:00+01:00", "--within", "8h", "--calendar", path)

    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "--calendar" in result.stderr
    assert message in unwrapped(result.stderr)
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_missing_calendar_file(tmp_path: Path) -> None:
    result = run("--start", "2026-03-02T09:00:00+01:00", "--within", "8h",
                 "--calendar", tmp_path / "nope.json")

    assert result.exit_code == 2
    assert "cannot read" in unwrapped(result.stderr)
    assert "Traceback" not in result.output


def test_help_texts() -> None:
    result = CliRunner().invoke(make_app(), ["sla", "due", "--help"])

    assert result.exit_code == 0
    text = unwrapped(result.stdout)
    for expected in ("--start", "--within", "--calendar", "--json", "8h, 90m, 1h30m"):
        assert expected in text
