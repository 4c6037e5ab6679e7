"""`smarketing demo`: load the Nordwood demo workspace into an empty workspace."""

from __future__ import annotations

import time

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from smarketing.core.database import transaction
from smarketing.core.errors import SmarketingError
from smarketing.core.timeutil import utcnow
from smarketing.core.workspace import open_workspace
from smarketing.demo.constants import DEMO_PASSWORD
from smarketing.demo.generator import WORKSPACE_NAME, demo_logins
from smarketing.demo.service import build_demo, counts_by_type, workspace_has_contacts


def _stdout() -> Console:
    """A console made when needed, so it sees the terminal (or COLUMNS) of this run."""
    return Console()


def _stderr() -> Console:
    return Console(stderr=True)

ROLE_LABELS = {"admin": "admin", "marketing": "marketing", "sales_manager": "sales managers",
               "sales_rep": "sales reps"}  # fmt: skip


def demo_command(
    contacts: int = typer.Option(
        5000, "--contacts", min=1, help="How many contacts (people) the demo has."
    ),
    seed: int = typer.Option(
        7, "--seed", help="Random seed: the same seed, count and day give the same workspace."
    ),
    if_empty: bool = typer.Option(
        False, "--if-empty",
        help="Load the demo only when the workspace has no contacts yet; otherwise say so "
             "and exit 0 (used by `make run`).",
    ),  # fmt: skip
) -> None:
    """Load a realistic demo workspace: Nordwood Kitchens & Furniture.

    A B2B maker of kitchens, office and hospitality furniture selling in Spain, Portugal
    and Italy: calendars, two sales teams, reps, managers and marketers, personas,
    product lines, campaigns on every channel (trade fairs such as Salone del Mobile
    Milano and Maderalia / Hábitat Valencia included) with their costs, the SLA, and
    for every contact its story over the last six months: activities, MQLs, assignments,
    attempts (some late or missing), decisions, opportunities, won and lost deals.

    The records go through the same path as `smarketing import`. The workspace must
    have no contacts yet (exit 1 otherwise, or exit 0 with --if-empty). Every demo
    user gets the password printed at the end.
    """
    workspace = open_workspace()
    with transaction(workspace.sessions) as session:
        if workspace_has_contacts(session):
            if if_empty:
                _stdout().print("The workspace already has contacts; the demo was not loaded.")
                return
            _stderr().print(
                "[red]The workspace already has contacts.[/red] The demo loads only into an "
                "empty workspace: point SMARKETING_DATABASE_URL at a new database, or use "
                "--if-empty to skip quietly."
            )
            raise typer.Exit(1)
    started = time.perf_counter()
    with transaction(workspace.sessions) as session, _progress() as progress:
        task = progress.add_task(f"building {WORKSPACE_NAME}", total=contacts)

        def checkpoint() -> None:
            session.commit()
            session.expunge_all()

        try:
            report = build_demo(session, contacts, seed, utcnow(), checkpoint=checkpoint,
                                on_contact=lambda: progress.advance(task))  # fmt: skip
        except SmarketingError as exc:
            progress.stop()
            _stderr().print(f"[red]Demo not built:[/red] {exc}", highlight=False)
            raise typer.Exit(1) from None
    elapsed = time.perf_counter() - started
    _print_summary(counts_by_type(report), report.lines, elapsed)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("contacts"), TimeElapsedColumn(), console=_stderr(),
                    transient=True)  # fmt: skip


def _print_summary(counts: dict[str, int], lines: int, elapsed: float) -> None:
    _stdout().print(f"Demo workspace [bold]{WORKSPACE_NAME}[/bold]: {lines:,} records loaded "
                  f"in {elapsed:.1f} s")  # fmt: skip
    table = Table(show_edge=False)
    table.add_column("record")
    table.add_column("count", justify="right")
    for kind, count in counts.items():
        table.add_row(kind, f"{count:,}")
    _stdout().print(table)
    logins = Table(title="Demo logins", show_edge=False)
    logins.add_column("role")
    logins.add_column("email")
    for role, emails in demo_logins().items():
        for number, email in enumerate(emails):
            logins.add_row(ROLE_LABELS[role] if number == 0 else "", email)
    _stdout().print(logins)
    _stdout().print(f"Password for every demo login: [bold]{DEMO_PASSWORD}[/bold]")
