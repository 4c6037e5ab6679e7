"""`smarketing sla list|show|status|recompute|sweep`: manage agreements and clocks."""

from __future__ import annotations

import orjson
import typer
from rich.console import Console
from rich.table import Table

from smarketing.core.database import transaction
from smarketing.core.errors import SmarketingError
from smarketing.core.timeutil import format_instant, parse_instant, utcnow
from smarketing.core.workspace import open_workspace
from smarketing.sla import agreements
from smarketing.sla.service import recompute_all_clocks
from smarketing.sla.sweeper import sweep


def register_admin_commands(sla_app: typer.Typer) -> None:
    sla_app.command("list")(list_command)
    sla_app.command("status")(status_command)
    sla_app.command("recompute")(recompute_command)
    sla_app.command("sweep")(sweep_command)


def list_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every SLA version: status, effective dates, who it applies to, and its terms."""
    workspace = open_workspace()
    with transaction(workspace.sessions) as session:
        rows = agreements.describe_all(session)
    if as_json:
        typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(title="SLA agreements", show_edge=False)
    for column in ("key", "version", "status", "effective", "applies to", "marketing", "sales"):
        table.add_column(column)
    for row in rows:
        applies = row["applies_to"] or {}
        scope = ", ".join(applies.get("teams", []) + applies.get("users", [])) or "everyone"
        table.add_row(row["key"], str(row["version"]), row["status"],
                      f"{row['effective_from']} .. {row['effective_to'] or ''}", scope,
                      orjson.dumps(row["marketing"]).decode(),
                      orjson.dumps(row["sales"]).decode())  # fmt: skip
    Console().print(table)


def status_command(
    key: str = typer.Argument(..., help="The SLA key, e.g. default."),
    status: str = typer.Argument(..., help="draft, pilot, active or retired."),
    team: list[str] = typer.Option([], "--team", help="For a pilot: a team key it applies to."),
    user: list[str] = typer.Option([], "--user", help="For a pilot: a rep's email it applies to."),
) -> None:
    """Move the latest version of an SLA to another status.

    draft -> pilot (only the --team/--user given) -> active (everyone) -> retired.
    Clocks are recomputed, so leads fall under the terms that now apply.
    """
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            agreements.set_status(session, key, status, teams=team, users=user,
                                  today=utcnow().date())
            written = recompute_all_clocks(session, utcnow())
    except SmarketingError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{key} is now {status}; {written} clock(s) updated")


def recompute_command() -> None:
    """Recompute every lead's SLA clocks from the recorded facts."""
    workspace = open_workspace()
    with transaction(workspace.sessions) as session:
        written = recompute_all_clocks(session, utcnow())
    typer.echo(f"{written} clock(s) written")


def sweep_command(
    now: str | None = typer.Option(
        None, "--now", help="Sweep as of this ISO instant (default: now); for drills and tests."
    ),
) -> None:
    """Run one sweeper pass: mark at-risk and breached clocks and notify, each once."""
    try:
        at = parse_instant(now) if now else utcnow()
    except ValueError as exc:
        typer.echo(f"error: --now: {exc}", err=True)
        raise typer.Exit(2) from None
    workspace = open_workspace()
    with transaction(workspace.sessions) as session:
        stats = sweep(session, at)
    typer.echo(f"swept as of {format_instant(at)}: {stats.examined} examined, "
               f"{stats.breached} breached, {stats.at_risk} at risk, "
               f"{stats.reassigned} reassigned")  # fmt: skip
