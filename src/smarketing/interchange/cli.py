"""`smarketing import` and `smarketing export`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from smarketing.core.cli_output import SOME_REJECTED
from smarketing.core.database import transaction
from smarketing.core.workspace import open_workspace
from smarketing.interchange.service import export_file, import_file


def _stdout() -> Console:
    """A console made when needed, so it sees the terminal (or COLUMNS) of this run."""
    return Console()


def _stderr() -> Console:
    return Console(stderr=True)


def import_command(
    file: Path = typer.Argument(..., help="Interchange JSON Lines file to load.", exists=True,
                                dir_okay=False, readable=True),  # fmt: skip
    rejects: Path | None = typer.Option(
        None, "--rejects", help="Where to write rejected lines (default: FILE.rejects.jsonl)."
    ),
) -> None:
    """Load an interchange file (JSON Lines) into the workspace.

    Lines are applied in file order and history is replayed at its recorded instants.
    Each bad line is reported with its number and reason and copied unchanged to the
    rejects file; the good lines still load. Importing the same file twice changes nothing.
    Exit code 0 when every line loaded, 3 when some lines were rejected (the others
    loaded), 2 for bad usage, 1 for a crash.
    """
    workspace = open_workspace()
    total_bytes = file.stat().st_size
    with transaction(workspace.sessions) as session, _progress() as progress:
        task = progress.add_task(f"importing {file.name}", total=None)

        def checkpoint() -> None:
            session.commit()
            session.expunge_all()
            progress.update(task, description=f"importing {file.name} (committed)")

        report, rejects_file = import_file(
            session, file, rejects_path=rejects, checkpoint=checkpoint,
            on_line=lambda: progress.advance(task),
        )  # fmt: skip
    del total_bytes
    _print_report(report)
    if rejects_file is not None:
        _stderr().print(f"[yellow]{report.rejected} line(s) rejected; written unchanged to "
                          f"{rejects_file}[/yellow]")  # fmt: skip
        raise typer.Exit(SOME_REJECTED)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed:,} lines"), TimeElapsedColumn(),
                    console=_stderr(), transient=True)  # fmt: skip


def _print_report(report) -> None:  # type: ignore[no-untyped-def]
    table = Table(title=f"{report.lines:,} lines read", show_edge=False)
    table.add_column("record")
    table.add_column("result")
    table.add_column("lines", justify="right")
    for key, count in sorted(report.applied.items()):
        kind, outcome = key.split(" ", 1)
        table.add_row(kind, outcome, f"{count:,}")
    if report.blank:
        table.add_row("(blank)", "skipped", f"{report.blank:,}")
    if report.rejected:
        table.add_row("[red]rejected[/red]", "", f"{report.rejected:,}")
    _stdout().print(table)
    for rejection in report.rejections[:50]:
        _stderr().print(f"line {rejection.line_number}: {rejection.reason}", markup=False)
    if report.rejected > 50:
        _stderr().print(f"... and {report.rejected - 50} more (see the rejects file)")


def export_command(
    file: Path = typer.Argument(..., help="Where to write the JSON Lines file.", dir_okay=False),
) -> None:
    """Write every record of the workspace to an interchange file.

    The file imports cleanly into an empty workspace and exporting that workspace again
    gives the same lines.
    """
    workspace = open_workspace()
    with transaction(workspace.sessions, read_only=True) as session:
        count = export_file(session, file)
    _stdout().print(f"wrote {count:,} records to {file}")
