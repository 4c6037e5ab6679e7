"""`smarketing attempts log`."""

from __future__ import annotations

import typer

from smarketing.core.database import transaction
from smarketing.core.errors import ValidationError
from smarketing.core.timeutil import parse_instant, utcnow
from smarketing.core.workspace import open_workspace
from smarketing.followup.service import log_attempt

attempts_app = typer.Typer(help="Sales follow-up attempts on leads.", no_args_is_help=True)


@attempts_app.command("log")
def log(
    contact: str = typer.Argument(..., help="The lead's email address."),
    by: str = typer.Option(..., "--by", help="Email of the rep who made the attempt."),
    kind: str = typer.Option(..., "--kind", help="call, email, meeting, social or other."),
    outcome: str | None = typer.Option(
        None, "--outcome",
        help="no_answer, left_message, connected, replied, bounced or other.",
    ),  # fmt: skip
    at: str | None = typer.Option(
        None, "--at", help="When it happened, ISO 8601 with offset (default: now)."
    ),
    note: str | None = typer.Option(None, "--note", help="Free text."),
) -> None:
    """Record a follow-up attempt; the lead's SLA clocks are updated at once."""
    now = utcnow()
    try:
        when = parse_instant(at) if at else now
    except ValueError as exc:
        typer.echo(f"error: --at: {exc}", err=True)
        raise typer.Exit(2) from None
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            attempt_id = log_attempt(session, contact=contact, by=by, kind=kind, at=when, now=now,
                                     outcome=outcome, note=note)  # fmt: skip
    except ValidationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"attempt {attempt_id} recorded")
