"""``smarketing api-keys create|list|revoke``: the API keys of this workspace.

A key is shown once, when it is created; afterwards only its public prefix is known
(the database keeps a SHA-256 of the key, never the key). Bad input (an unknown scope,
an empty name, an unknown prefix) prints an error and exits with code 2.
"""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from smarketing.apikeys.service import create_key, list_keys, revoke_key
from smarketing.auth.keys import SCOPES, MalformedKey
from smarketing.core.cli_output import fail
from smarketing.core.database import transaction
from smarketing.core.errors import SmarketingError
from smarketing.core.timeutil import as_utc, utcnow
from smarketing.core.workspace import open_workspace

__all__ = ["apikeys_app"]

apikeys_app = typer.Typer(
    help="API keys: create (shown once), list and revoke the keys clients send as "
         "`Authorization: Bearer smk_...`.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)  # fmt: skip



def _when(value: datetime | None) -> str:
    """An instant to the minute, in UTC; "-" for none."""
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC") if value is not None else "-"


@apikeys_app.command("create")
def create_command(
    name: str = typer.Argument(..., help="What the key is for, e.g. 'website forms'."),
    scope: str = typer.Option(
        ..., "--scope", help="read (GET only), write (also creates and changes) or admin (also "
                         "exports and erases personal data)."
    ),
    by: str = typer.Option("cli", "--by", metavar="EMAIL", help="Who creates it (recorded)."),
) -> None:
    """Create a key and print it once: store it in the client's secret store now."""
    if scope not in SCOPES:
        fail(f"--scope: must be one of {', '.join(SCOPES)}, got {scope!r}")
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            created = create_key(session, name, scope, by, utcnow())
            prefix, plaintext = created.key.prefix, created.plaintext
    except SmarketingError as exc:
        fail(str(exc))
    # The key goes out with a plain echo: Rich would fold a long word at the terminal's
    # width and break copy and paste.
    typer.echo(plaintext)
    Console(stderr=True).print(
        f"[yellow]This is the only time the key is shown; it cannot be shown again.[/yellow]\n"
        f"Created API key [bold]{prefix}[/bold] ({scope}) named {escape(repr(name.strip()))}. "
        f"Revoke it with `smarketing api-keys revoke {prefix}`.",
        highlight=False, soft_wrap=True,
    )  # fmt: skip


@apikeys_app.command("list")
def list_command(
    include_revoked: bool = typer.Option(False, "--all", help="Include revoked keys."),
) -> None:
    """List the live keys (--all: revoked ones too): prefix, name, scope, created (when and by
    whom), last used, revoked. Never the key itself: it is not stored."""
    workspace = open_workspace()
    with transaction(workspace.sessions, read_only=True) as session:
        keys = list_keys(session, include_revoked=include_revoked)
        rows = [(k.prefix, k.name, k.scope, _when(k.created_at), k.created_by,
                 _when(k.last_used_at), _when(k.revoked_at)) for k in keys]  # fmt: skip
    console = Console()
    if not rows:
        console.print("no API keys; create one with `smarketing api-keys create NAME "
                      "--scope read|write|admin`", highlight=False)  # fmt: skip
        return
    table = Table(show_edge=False)
    for column in ("prefix", "name", "scope", "created", "by", "last used", "revoked"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    console.print(table, highlight=False)


@apikeys_app.command("revoke")
def revoke_command(
    prefix: str = typer.Argument(..., help="The key's prefix (see `list`), or the whole key."),
) -> None:
    """Revoke a key: requests with it are refused (401) from now on. Cannot be undone."""
    workspace = open_workspace()
    now = utcnow()
    try:
        with transaction(workspace.sessions) as session:
            key = revoke_key(session, prefix.strip(), now)
            shown, name, revoked_at = key.prefix, key.name, key.revoked_at
    except (SmarketingError, MalformedKey) as exc:
        fail(str(exc))
    if revoked_at != now:
        typer.echo(f"API key {shown} ({name}) was already revoked at {_when(revoked_at)}")
        return
    typer.echo(f"API key {shown} ({name}) revoked; requests with it are refused from now on")
