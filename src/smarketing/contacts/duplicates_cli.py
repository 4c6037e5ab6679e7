"""`smarketing duplicates`: list likely duplicate contacts, and merge one pair."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from smarketing.contacts.duplicates_service import list_duplicates, merge, pair_as_dict
from smarketing.core.database import transaction
from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.core.timeutil import utcnow
from smarketing.core.workspace import open_workspace

duplicates_app = typer.Typer(
    help="Find likely duplicate contacts and merge them.", invoke_without_command=True
)


@duplicates_app.callback()
def list_command(
    ctx: typer.Context,
    min_score: int = typer.Option(40, "--min-score", min=1, max=100,
                                  help="Only pairs scoring at least this (1-100)."),
    limit: int = typer.Option(100, "--limit", min=1, help="At most this many pairs."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:  # fmt: skip
    """List likely duplicate pairs, best first, with the evidence for each."""
    if ctx.invoked_subcommand is not None:
        return
    workspace = open_workspace()
    with transaction(workspace.sessions, read_only=True) as session:
        pairs = list_duplicates(session, min_score=min_score, limit=limit)
    if as_json:
        typer.echo(json.dumps([pair_as_dict(p) for p in pairs], ensure_ascii=False, indent=2))
        return
    if not pairs:
        typer.echo(f"No likely duplicates scoring {min_score} or more.")
        return
    table = Table(show_edge=False)
    for column in ("score", "contact", "likely the same as", "evidence"):
        table.add_column(column)
    for pair in pairs:
        table.add_row(str(pair.score), pair.first.email, pair.second.email,
                      "; ".join(pair.evidence))  # fmt: skip
    Console().print(table)


@duplicates_app.command("merge")
def merge_command(
    survivor: str = typer.Argument(..., help="Email (or id) of the contact that stays."),
    duplicate: str = typer.Argument(
        ..., help="Email (or id) of the contact merged into it and removed."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    actor: str = typer.Option("system", "--by", help="Who merges (recorded in the history)."),
) -> None:
    """Move everything of DUPLICATE to SURVIVOR and delete DUPLICATE.

    Later events addressed to DUPLICATE's email or id reach SURVIVOR.
    """
    if not yes:
        typer.confirm(
            f"Merge {duplicate} into {survivor}? {duplicate} will be deleted", abort=True
        )
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            result = merge(session, survivor, duplicate, utcnow(), actor)
    except (NotFoundError, ValidationError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2 if isinstance(exc, ValidationError) else 3) from None
    row = result.survivor
    typer.echo(f"Merged {result.merged_email} into {row['email']} "
               f"(stage {row['lifecycle_stage']}).")  # fmt: skip
