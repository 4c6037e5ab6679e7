"""`smarketing import-csv` / `export-csv` as whole commands on a fresh SQLite workspace."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner, Result

from smarketing.core.settings import get_settings
from smarketing.ingest.csv_cli import export_csv_command, import_csv_command
from smarketing.models import Contact

SAMPLES = Path(__file__).parent / "samples"

app = typer.Typer()
app.command("import-csv")(import_csv_command)
app.command("export-csv")(export_csv_command)

Invoke = Callable[..., Result]


@pytest.fixture
def cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    monkeypatch.setenv("SMARKETING_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    yield invoke
    get_settings.cache_clear()


def contacts(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(select(func.count()).select_from(Contact)).scalar_one()
    engine.dispose()
    return found


def test_import_reports_rejected_rows_and_exits_3(cli: Invoke, tmp_path: Path,
                                                  sqlite_url: str) -> None:  # fmt: skip
    path = tmp_path / "hubspot.csv"
    shutil.copy(SAMPLES / "hubspot_contacts.csv", path)
    result = cli("import-csv", str(path))
    assert result.exit_code == 3
    assert "row 5: email is missing" in result.output
    assert "row 7: date 'yesterday-ish' is not in a known format" in result.output
    assert "hubspot.rejects.csv" in result.output
    assert (tmp_path / "hubspot.rejects.csv").exists()
    assert contacts(sqlite_url) == 4
    again = cli("import-csv", str(path))
    assert "unchanged" in again.output
    assert contacts(sqlite_url) == 4


def test_a_day_first_salesforce_export_loads_with_date_order(cli: Invoke, tmp_path: Path,
                                                             sqlite_url: str) -> None:  # fmt: skip
    path = tmp_path / "salesforce_eu.csv"
    path.write_text("Lead ID,First Name,Last Name,Email,Company,Created Date\n"
                    "00Q1,Ana,Ruiz,ana@studio.example,Studio,14/03/2026 10:22\n"
                    "00Q2,Luca,Neri,luca@casa.example,Casa,25/04/2026\n", encoding="utf-8")
    refused = cli("import-csv", str(path))
    assert refused.exit_code == 3
    assert "row 2: date '14/03/2026 10:22' is not in a known format" in refused.output
    loaded = cli("import-csv", str(path), "--date-order", "day-first")
    assert loaded.exit_code == 0, loaded.output
    assert contacts(sqlite_url) == 2
    bad = cli("import-csv", str(path), "--date-order", "sideways")
    assert bad.exit_code == 2
    assert "--date-order 'sideways': use day-first or month-first" in bad.output


def test_dry_run_writes_nothing(cli: Invoke, tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "rd.csv"
    shutil.copy(SAMPLES / "rdstation_leads.csv", path)
    result = cli("import-csv", str(path), "--dry-run")
    assert result.exit_code == 3
    assert "dry run" in result.output
    assert "row 4: email is missing" in result.output
    assert contacts(sqlite_url) == 0
    assert not (tmp_path / "rd.rejects.csv").exists()


def test_semicolon_delimiter_option_and_map(cli: Invoke, tmp_path: Path, sqlite_url: str) -> (
    None
):
    path = tmp_path / "list.csv"
    path.write_text("Correo;Empresa\nuno@example.com;Uno SA\n", encoding="utf-8")
    result = cli("import-csv", str(path), "--delimiter", "semicolon", "--map",
                 "Correo=email,Empresa=company")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert contacts(sqlite_url) == 1


@pytest.mark.parametrize(("content", "args", "message"), [
    ("email,x\nze@example.com,Açaí\n".encode("latin-1"), (), "--encoding latin-1"),
    (b"Email;Nome\na@example.com;A\n", ("--delimiter", ","), "no email column found"),
    (b"email\na@example.com\n", ("--campaign", "nope", "--captured-by", "x@example.com"),
     "unknown campaign 'nope'"),
    (b"email\na@example.com\n", ("--campaign", "nope"), "go together"),
    (b"email\na@example.com\n", ("--map", "email"), "is not HEADER=field"),
    (b"email\na@example.com\n", ("--preset", "zoho"), "unknown preset"),
])  # fmt: skip
def test_file_level_errors_exit_2_before_loading(
    cli: Invoke, tmp_path: Path, sqlite_url: str, content: bytes, args: tuple[str, ...],
    message: str,
) -> None:  # fmt: skip
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = cli("import-csv", str(path), *args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert contacts(sqlite_url) == 0


def test_export_escapes_formulas(cli: Invoke, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "email,first_name,last_name,company,stage,created\n"
        'evil@example.com,=HYPERLINK("http://x"),@SUM(A1),+Corp,MQL,2026-03-14T10:22:00Z\n'
        "fine@example.com,Ana,-,Acme,,2026-03-15T08:00:00Z\n",
        encoding="utf-8",
    )
    mapping = ("first_name=first_name,last_name=last_name,company=company,"
               "stage=lifecycle_stage,created=created_at")  # fmt: skip
    assert cli("import-csv", str(source), "--map", mapping).exit_code == 0
    target = tmp_path / "out.csv"
    result = cli("export-csv", str(target))
    assert result.exit_code == 0, result.output
    with target.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows == [
        ["email", "first_name", "last_name", "company", "lifecycle_stage", "owner",
         "first_touch_channel", "first_touch_campaign", "created_at"],
        ["evil@example.com", "'=HYPERLINK(\"http://x\")", "'@SUM(A1)", "'+Corp", "mql", "", "",
         "", "2026-03-14T10:22:00Z"],
        ["fine@example.com", "Ana", "'-", "Acme", "lead", "", "", "", "2026-03-15T08:00:00Z"],
    ]  # fmt: skip
