"""`smarketing import-csv` and `smarketing export-csv`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from smarketing.core.cli_output import SOME_REJECTED, fail
from smarketing.core.database import transaction
from smarketing.core.workspace import open_workspace
from smarketing.ingest.csv_import import (
    Capture,
    CsvImportError,
    CsvReport,
    export_csv,
    import_csv,
)
from smarketing.ingest.csv_presets import DATE_ORDERS, PRESETS, MappingError, parse_mapping


def _stdout() -> Console:
    """A console made when needed, so it sees the terminal (or COLUMNS) of this run."""
    return Console()


def _stderr() -> Console:
    return Console(stderr=True)
DELIMITERS = {"comma": ",", ",": ",", "semicolon": ";", ";": ";", "tab": "\t", "\\t": "\t",
              "\t": "\t"}  # fmt: skip


def import_csv_command(
    file: Path = typer.Argument(
        ..., help="CSV file of contacts.", exists=True, dir_okay=False, readable=True
    ),  # fmt: skip
    preset: str | None = typer.Option(
        None,
        "--preset",
        help="hubspot, salesforce, rdstation or generic (default: detected from the headers).",
    ),  # fmt: skip
    date_order: str | None = typer.Option(
        None, "--date-order",
        help="day-first (14/03/2026) or month-first (3/14/2026) for slash dates (default: "
             "the preset's: month first for HubSpot and Salesforce, day first for RD "
             "Station). Exports follow the exporting user's locale.",
    ),  # fmt: skip
    mapping: str | None = typer.Option(
        None, "--map", help='Extra column mapping, e.g. "E-mail=email,Empresa=company".'
    ),
    delimiter: str | None = typer.Option(
        None, "--delimiter", help="comma, semicolon or tab (default: detected)."
    ),
    encoding: str | None = typer.Option(
        None, "--encoding", help="File encoding (default UTF-8; e.g. latin-1 for old Excel)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate every row; write nothing."),
    campaign: str | None = typer.Option(
        None, "--campaign", help="Offline capture: campaign key (e.g. a trade fair)."
    ),
    captured_by: str | None = typer.Option(
        None, "--captured-by", help="Offline capture: email of the user who met the leads."
    ),
    rejects: Path | None = typer.Option(
        None, "--rejects", help="Where to write rejected rows (default: FILE.rejects.csv)."
    ),
) -> None:
    """Import contacts from a CSV export (HubSpot, Salesforce, RD Station or any CSV).

    Each row becomes a contact (upsert by email; importing the same file twice changes
    nothing). Bad rows are reported with their row number (the header is row 1) and
    copied unchanged to the rejects file. Exit code 0 when every row loaded, 3 when some
    rows were rejected (the others loaded), 2 when the file cannot be imported at all or
    an option is wrong, 1 for a crash.
    """
    if preset is not None and preset not in PRESETS:
        fail(f"unknown preset {preset!r}; use one of {', '.join(PRESETS)}")
    if date_order is not None and date_order not in DATE_ORDERS:
        fail(f"--date-order {date_order!r}: use {' or '.join(DATE_ORDERS)}")
    if (campaign is None) != (captured_by is None):
        fail("--campaign and --captured-by go together")
    if delimiter is not None:
        if delimiter.lower() not in DELIMITERS and len(delimiter) != 1:
            fail(f"--delimiter {delimiter!r}: use comma, semicolon or tab")
        delimiter = DELIMITERS.get(delimiter.lower(), delimiter)
    try:
        extra = parse_mapping(mapping)
    except MappingError as exc:
        fail(str(exc))
    capture = Capture(campaign, captured_by) if campaign and captured_by else None
    workspace = open_workspace()
    size = file.stat().st_size
    try:
        with transaction(workspace.sessions) as session, _progress() as progress:
            task = progress.add_task(f"importing {file.name}", total=size)

            def checkpoint() -> None:
                session.commit()
                session.expunge_all()

            report, rejects_file = import_csv(
                session, file, preset=preset, date_order=date_order, mapping=extra,
                delimiter=delimiter,
                encoding=encoding, dry_run=dry_run, capture=capture, rejects_path=rejects,
                on_row=lambda done: progress.update(task, completed=done),
                checkpoint=checkpoint,
            )  # fmt: skip
    except CsvImportError as exc:
        fail(str(exc))
    _print_report(report, dry_run)
    if report.rejected:
        where = f"written unchanged to {rejects_file}" if rejects_file else "dry run: no file"
        _stderr().print(f"[yellow]{report.rejected} row(s) rejected; {where}[/yellow]")
        raise typer.Exit(SOME_REJECTED)



def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                    TimeElapsedColumn(), console=_stderr(), transient=True)  # fmt: skip


def _print_report(report: CsvReport, dry_run: bool) -> None:
    title = f"{report.rows:,} rows read ({report.preset} preset, delimiter {report.delimiter!r})"
    if dry_run:
        title += " - dry run, nothing written"
    table = Table(title=title, show_edge=False)
    table.add_column("record")
    table.add_column("result")
    table.add_column("rows", justify="right")
    for key, count in sorted(report.applied.items()):
        kind, outcome = key.split(" ", 1)
        table.add_row(kind, outcome, f"{count:,}")
    if report.rejected:
        table.add_row("[red]rejected[/red]", "", f"{report.rejected:,}")
    _stdout().print(table)
    for rejection in report.rejections[:50]:
        _stderr().print(f"row {rejection.row}: {rejection.reason}", markup=False)
    if report.rejected > 50:
        _stderr().print(f"... and {report.rejected - 50} more (see the rejects file)")


def export_csv_command(
    file: Path = typer.Argument(..., help="Where to write the CSV file.", dir_okay=False),
    delimiter: str = typer.Option(",", "--delimiter", help="comma, semicolon or tab."),
) -> None:
    """Write every contact to a CSV file (email, names, company, stage, owner, first touch,
    created_at). Cells starting with = + - @ tab or CR get a leading ' so spreadsheets do
    not run them as formulas."""
    sep = DELIMITERS.get(delimiter.lower())
    if sep is None:
        fail(f"--delimiter {delimiter!r}: use comma, semicolon or tab")
    workspace = open_workspace()
    with transaction(workspace.sessions, read_only=True) as session:
        count = export_csv(session, file, delimiter=sep)
    _stdout().print(f"wrote {count:,} contacts to {file}")
