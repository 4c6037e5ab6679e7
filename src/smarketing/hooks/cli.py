"""``smarketing hooks add|list|disable|enable|rotate-secret|log|sign``: inbound webhook
sources.

A generated secret is printed once, when the source is added or its secret rotated;
`list` never shows secrets. Bad input (a malformed key, an unknown adapter, source or
campaign, a key that exists, an unreadable file) prints an error and exits with code 2.
"""

from __future__ import annotations

import shlex
from datetime import datetime, timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from smarketing.core.cli_output import fail
from smarketing.core.database import transaction
from smarketing.core.errors import SmarketingError
from smarketing.core.settings import get_settings, public_url, server_url
from smarketing.core.timeutil import format_instant, utcnow
from smarketing.core.workspace import open_workspace
from smarketing.hooks import service
from smarketing.hooks.domain import ADAPTERS, MAX_BODY_BYTES, TOLERANCE_SECONDS

__all__ = ["hooks_app"]

hooks_app = typer.Typer(
    help="Inbound webhooks: the sources that may POST /hooks/KEY (a generic form post, "
         "HubSpot, RD Station Marketing), each with its shared signing secret, and the log "
         "of their requests. See docs/webhooks.md.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)  # fmt: skip



def _when(value: datetime | None) -> str:
    return format_instant(value) if value is not None else "-"


def hook_url(key: str) -> str:
    """The URL senders post to: SMARKETING_PUBLIC_URL, else the server's own address."""
    settings = get_settings()
    return f"{public_url() or server_url(settings.host, settings.port)}/hooks/{key}"


@hooks_app.command("add")
def add_command(
    key: str = typer.Argument(..., help="The source's key: its URL is /hooks/KEY."),
    adapter: str = typer.Option(..., "--adapter", help=f"One of {', '.join(ADAPTERS)}."),
    secret: str | None = typer.Option(
        None, "--secret", help="The shared secret (at least 16 characters; for HubSpot's "
        "own signature, the app's client secret). Default: a new random one, printed once."),
    campaign: str | None = typer.Option(
        None, "--campaign", metavar="KEY", help="A campaign given to this source's "
        "activities (and new contacts) that name none."),
) -> None:  # fmt: skip
    """Add a webhook source and print its URL (and its secret, when generated)."""
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            row, shared = service.add_source(session, key, adapter, now=utcnow(),
                                             secret=secret, campaign=campaign)  # fmt: skip
    except SmarketingError as exc:
        fail(str(exc))
    extra = f", campaign {row.campaign}" if row.campaign else ""
    typer.echo(f"webhook source {row.key} added (adapter {row.adapter}{extra})")
    typer.echo(f"URL: POST {hook_url(row.key)}")
    if secret is None:
        typer.echo("secret (shown only now; store it with the sender):")
        typer.echo(shared)
    typer.echo(f"Sign each request: `smarketing hooks sign {row.key} FILE` shows how.")


@hooks_app.command("list")
def list_command() -> None:
    """List the sources: key, adapter, default campaign, created, status, and until when a
    rotated-out secret is still accepted. Never secrets."""
    workspace = open_workspace()
    with transaction(workspace.sessions, read_only=True) as session:
        rows = service.list_sources(session, utcnow())
    console = Console()
    if not rows:
        console.print("no webhook sources; add one with `smarketing hooks add KEY --adapter "
                      f"{'|'.join(ADAPTERS)}`", highlight=False)  # fmt: skip
        return
    table = Table(show_edge=False)
    for column in ("key", "adapter", "campaign", "created", "status", "previous secret"):
        table.add_column(column, overflow="fold")
    for row in rows:
        status = f"disabled {_when(row.disabled_at)}" if row.disabled_at else "active"
        previous = (f"accepted until {_when(row.previous_secret_until)}"
                    if row.previous_secret_until else "-")  # fmt: skip
        table.add_row(escape(row.key), row.adapter, escape(row.campaign or "-"),
                      _when(row.created_at), status, previous)  # fmt: skip
    console.print(table, highlight=False)


@hooks_app.command("disable")
def disable_command(key: str = typer.Argument(..., help="The source's key.")) -> None:
    """Disable a source: its requests are refused (404) from now on."""
    workspace = open_workspace()
    now = utcnow()
    try:
        with transaction(workspace.sessions) as session:
            disabled_at = service.disable_source(session, key, now)
    except SmarketingError as exc:
        fail(str(exc))
    if disabled_at != now:
        typer.echo(f"webhook source {key} was already disabled at {_when(disabled_at)}")
        return
    typer.echo(f"webhook source {key} disabled; its requests are refused from now on")


@hooks_app.command("enable")
def enable_command(key: str = typer.Argument(..., help="The source's key.")) -> None:
    """Enable a disabled source again: its requests are accepted from now on."""
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            disabled_at = service.enable_source(session, key)
    except SmarketingError as exc:
        fail(str(exc))
    if disabled_at is None:
        typer.echo(f"webhook source {key} is already active")
        return
    typer.echo(f"webhook source {key} enabled (disabled since {_when(disabled_at)}); its "
               "requests are accepted from now on")  # fmt: skip


@hooks_app.command("rotate-secret")
def rotate_secret_command(
    key: str = typer.Argument(..., help="The source's key."),
    grace_hours: int = typer.Option(
        24, "--grace-hours", min=0, max=service.MAX_GRACE // timedelta(hours=1),
        help="How long the current secret stays valid next to the new one, so the sender "
        "can be switched without losing requests; 0 refuses it at once."),
    secret: str | None = typer.Option(
        None, "--secret", help="The new secret (at least 16 characters; for HubSpot's own "
        "signature, the app's new client secret). Default: a new random one, printed once."),
) -> None:  # fmt: skip
    """Give a source a new secret; the old one stays valid for the grace period."""
    workspace = open_workspace()
    now = utcnow()
    try:
        with transaction(workspace.sessions) as session:
            rotation = service.rotate_secret(session, key, now, secret=secret,
                                             grace=timedelta(hours=grace_hours))  # fmt: skip
    except SmarketingError as exc:
        fail(str(exc))
    typer.echo(f"webhook source {key}: secret rotated")
    if secret is None:
        typer.echo("new secret (shown only now; store it with the sender):")
        typer.echo(rotation.secret)
    if rotation.previous_until is None:
        typer.echo("the previous secret is no longer accepted")
    else:
        typer.echo(f"the previous secret is still accepted until "
                   f"{_when(rotation.previous_until)}; switch the sender before then")  # fmt: skip
    if rotation.disabled_at is not None:
        typer.echo(f"the source is disabled: `smarketing hooks enable {key}` to accept its "
                   "requests again")  # fmt: skip


@hooks_app.command("log")
def log_command(
    source: str | None = typer.Option(None, "--source", metavar="KEY", help="Only this source."),
    refused: bool = typer.Option(False, "--refused", help="Only refused requests."),
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=10_000,
                              help="At most N requests, newest first."),
) -> None:  # fmt: skip
    """Show the request log, newest first: when, source, outcome, reason, sender, size.
    A refusal row that stands for more (the log keeps at most 10 refusal rows per source
    and minute) says so: "refused (+7 more)"."""
    workspace = open_workspace()
    with transaction(workspace.sessions, read_only=True) as session:
        entries = [(_when(e.received_at), e.source,
                    e.outcome + (f" (+{e.repeats} more)" if e.repeats else ""), e.reason or "",
                    e.remote_addr or "-", str(e.body_bytes))
                   for e in service.request_log(session, source=source, refused=refused,
                                                limit=limit)]  # fmt: skip
    console = Console()
    if not entries:
        console.print("no webhook requests match", highlight=False)
        return
    table = Table(show_edge=False)
    for column in ("received", "source", "outcome", "reason", "from", "bytes"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(*(escape(value) for value in entry))
    console.print(table, highlight=False)


@hooks_app.command("sign")
def sign_command(
    key: str = typer.Argument(..., help="The source's key."),
    file: Path = typer.Argument(..., help="The body to send, exactly as it will be sent."),
    url: str | None = typer.Option(None, "--url", help="Where to send it [default: "
                                   "SMARKETING_PUBLIC_URL or the server's address + /hooks/KEY]."),
) -> None:  # fmt: skip
    """Print the headers that sign FILE for source KEY now, and a curl command that sends it.

    The signature is valid for 5 minutes. A relay (for senders that cannot sign, such as
    RD Station Marketing) computes the same headers; see docs/webhooks.md.
    """
    try:
        body = file.read_bytes()
    except OSError as exc:
        fail(f"FILE: cannot read {file}: {exc.strerror or exc}")
    if len(body) > MAX_BODY_BYTES:
        fail(f"FILE: {len(body)} bytes is over the {MAX_BODY_BYTES // 1024} KB limit")
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions, read_only=True) as session:
            headers = service.sign(session, key, body, utcnow())
    except SmarketingError as exc:
        fail(str(exc))
    headers = {"Content-Type": "application/json", **headers}
    for name, value in headers.items():
        typer.echo(f"{name}: {value}")
    command = ["curl", "-sS", "-X", "POST", url or hook_url(key)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += ["--data-binary", f"@{file}"]
    typer.echo("")
    typer.echo(" ".join(shlex.quote(part) for part in command))
    typer.echo(f"(valid for {TOLERANCE_SECONDS} s)")
