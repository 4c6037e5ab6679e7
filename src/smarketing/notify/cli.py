"""``smarketing notify ...``: notification targets, the delivery log, a delivery pass now.

The root CLI adds :data:`notify_app` as ``notify``. Bad input (an URL apprise cannot use,
an unknown user, team or target, both or neither of --user/--team) prints an error that
names the option and exits with code 2; nothing is written.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import typer

from smarketing.core.database import transaction
from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.core.settings import public_url
from smarketing.core.timeutil import format_instant, utcnow
from smarketing.core.workspace import open_workspace
from smarketing.notify import service
from smarketing.notify.domain import redact_url
from smarketing.notify.jobs import deliver_due

__all__ = ["notify_app"]

notify_app = typer.Typer(
    help=(
        "Notifications: where alerts go (apprise targets such as Slack, Microsoft Teams or "
        "e-mail), the delivery log with retries, and a delivery pass on demand."
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
targets_app = typer.Typer(
    help=(
        "Targets: apprise URLs that receive the alerts of one user or of one whole team, "
        "besides the in-app inbox."
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
notify_app.add_typer(targets_app, name="targets")


def _when(value: Any) -> str:
    return format_instant(value) if value is not None else "-"


@targets_app.command("add")
def add_target(
    ctx: typer.Context,
    url: str = typer.Argument(
        ...,
        help="An apprise URL (quote it), e.g. slack://TokenA/TokenB/TokenC/#sales, "
             "workflows://HOST:443/WORKFLOW/SIGNATURE for Microsoft Teams, or "
             "mailtos://user:pass@example.com. See docs/notifications.md.",
    ),
    user: str | None = typer.Option(
        None, "--user", metavar="EMAIL", help="The user (by e-mail) whose alerts go there."
    ),
    team: str | None = typer.Option(
        None, "--team", metavar="KEY", help="The team (by key) whose members' alerts go there."
    ),
) -> None:  # fmt: skip
    """Send a user's or a team's alerts to an apprise URL, too.

    Give exactly one of --user and --team. The URL is checked with apprise before it is
    saved; it is shown redacted afterwards because it usually holds a token or password.
    """
    if (user is None) == (team is None):
        raise typer.BadParameter("give exactly one of --user EMAIL or --team KEY", ctx=ctx,
                                 param_hint="--user / --team")  # fmt: skip
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            target = service.add_target(session, url, user_email=user, team_key=team,
                                        now=utcnow())  # fmt: skip
            owner = f"user {user}" if user else f"team {team}"
            shown = redact_url(target.url)
            target_id = target.id
    except ValidationError as error:
        raise typer.BadParameter(str(error), ctx=ctx, param_hint="URL") from None
    except NotFoundError as error:
        hint = "--user" if user else "--team"
        raise typer.BadParameter(str(error), ctx=ctx, param_hint=hint) from None
    typer.echo(f"target {target_id} added for {owner}: {shown}")


@targets_app.command("list")
def list_targets(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """List every target.

    Shows the id, the owner (user or team) and the URL with its secrets masked.
    """
    workspace = open_workspace()
    with transaction(workspace.sessions) as session:
        targets = service.list_targets(session)
    if as_json:
        rows = [{**asdict(t), "created_at": _when(t.created_at)} for t in targets]
        typer.echo(json.dumps(rows, indent=2))
        return
    if not targets:
        typer.echo("no notification targets; add one with `smarketing notify targets add`")
        return
    width = max(len(t.owner) for t in targets)
    for t in targets:
        typer.echo(f"{t.id:>4}  {t.owner:<{width}}  {t.url}")


@targets_app.command("remove")
def remove_target(
    ctx: typer.Context,
    target_id: int = typer.Argument(..., metavar="ID", help="The target's id (see `list`)."),
) -> None:
    """Remove a target.

    Its entries in the delivery log are removed with it.
    """
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            removed = service.remove_target(session, target_id)
    except NotFoundError as error:
        raise typer.BadParameter(str(error), ctx=ctx, param_hint="ID") from None
    typer.echo(f"target {target_id} removed, with {removed} delivery log entr"
               f"{'y' if removed == 1 else 'ies'}")  # fmt: skip


@notify_app.command("log")
def delivery_log(
    limit: int = typer.Option(
        50, "--limit", "-n", min=1, max=10_000, help="How many deliveries, newest first."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Show the delivery log, newest first.

    Each entry: notification subject, recipient, target (redacted), status (`pending`,
    `sending`, `sent`, `failed`), attempts, last error, and times in UTC.
    """
    workspace = open_workspace()
    with transaction(workspace.sessions) as session:
        entries = service.delivery_log(session, limit)
    if as_json:
        rows = [
            {**asdict(e), **{k: _when(getattr(e, k))
                             for k in ("created_at", "next_attempt_at", "delivered_at")}}
            for e in entries
        ]  # fmt: skip
        typer.echo(json.dumps(rows, indent=2))
        return
    if not entries:
        typer.echo("no deliveries yet")
        return
    for e in entries:
        when = (f"delivered {_when(e.delivered_at)}" if e.delivered_at
                else f"next attempt {_when(e.next_attempt_at)}" if e.status != "failed"
                else "gave up")  # fmt: skip
        typer.echo(f"{e.delivery_id:>5}  {e.status:<8} {e.attempts} attempt(s)  "
                   f"raised {_when(e.created_at)}  {when}")  # fmt: skip
        typer.echo(f"       {e.subject}")
        typer.echo(f"       to {e.recipient} via {e.target}")
        if e.last_error:
            typer.echo(f"       last error: {e.last_error}")


@notify_app.command("deliver")
def deliver() -> None:
    """Run one delivery pass now.

    Sends every due delivery (the job worker does this every minute) and prints how many
    were sent, will be retried, or failed for good.
    """
    workspace = open_workspace()
    stats = deliver_due(workspace.sessions, utcnow(), base_url=public_url())
    typer.echo(f"{stats.claimed} due: {stats.sent} sent, {stats.retrying} will be retried, "
               f"{stats.failed} failed for good")  # fmt: skip
