"""``smarketing gdpr export|erase|allow``: a person's data on request (docs/privacy.md).

Exit codes: 0 done, 2 bad input (not an email address), 1 a crash."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer

from smarketing.contacts.suppression import REQUEST, suppress, unsuppress
from smarketing.core.cli_output import fail
from smarketing.core.database import transaction
from smarketing.core.errors import ValidationError
from smarketing.core.timeutil import utcnow
from smarketing.core.workspace import open_workspace
from smarketing.privacy.service import after_erasure, erase_person, export_person

__all__ = ["gdpr_app"]

gdpr_app = typer.Typer(
    help="Personal data on request (GDPR): export or erase everything about an email "
         "address; erased addresses are refused afterwards.",
    no_args_is_help=True,
)  # fmt: skip


@gdpr_app.command("export")
def export_command(
    email: str = typer.Argument(..., metavar="EMAIL", help="The person's email address."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the JSON to this file [default: standard output]."),
    by: str = typer.Option("cli", "--by", metavar="WHO", help="Who asks (kept in the log)."),
) -> None:  # fmt: skip
    """Everything held about a person, as one JSON document (articles 15 and 20)."""
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            document = export_person(session, email, now=utcnow(), actor=by)
    except ValidationError as exc:
        fail(str(exc))
    data = orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
    if output is None:
        typer.echo(data.decode(), nl=False)
    else:
        output.write_bytes(data)
        typer.echo(f"wrote {output}: {sum(document['counts'].values())} rows", err=True)


@gdpr_app.command("erase")
def erase_command(
    email: str = typer.Argument(..., metavar="EMAIL", help="The person's email address."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    vacuum: bool = typer.Option(
        False, "--vacuum", help="SQLite: also VACUUM, so no earlier copy of the data stays "
                                "in free space of the file (takes about as long as copying "
                                "the file)."),
    by: str = typer.Option("cli", "--by", metavar="WHO", help="Who asks (kept in the log)."),
) -> None:  # fmt: skip
    """Erase a person (article 17): their contact and every row about them; their
    addresses go on the suppression list, so no import, webhook or form brings them back.
    Cannot be undone."""
    if not yes:
        typer.confirm(f"Erase everything about {email} for good?", abort=True)
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            erasure = erase_person(session, email, now=utcnow(), actor=by)
    except ValidationError as exc:
        fail(str(exc))
    if not after_erasure(workspace.engine, vacuum=vacuum):
        typer.echo("note: the write-ahead log could not be truncated now (the server was "
                   "reading); old pages stay in the -wal file until its next checkpoint: run "
                   "the command with --vacuum when the server is quiet", err=True)  # fmt: skip
    rows = ", ".join(f"{table} {count}" for table, count in erasure.counts.items()) or "none"
    typer.echo(f"erased: {rows}; {erasure.addresses} address(es) suppressed")


@gdpr_app.command("allow")
def allow_command(
    email: str = typer.Argument(..., metavar="EMAIL", help="The email address."),
    suppress_it: bool = typer.Option(
        False, "--suppress", help="The other way: put the address on the list without "
                                  "erasing anything (the person objects to being contacted)."),
) -> None:  # fmt: skip
    """Take an address off the suppression list (the person asked to come back)."""
    workspace = open_workspace()
    with transaction(workspace.sessions) as session:
        if suppress_it:
            changed = suppress(session, [email], utcnow(), REQUEST)
        else:
            changed = unsuppress(session, [email])
    state = "suppressed" if suppress_it else "allowed"
    typer.echo(f"{email}: {state}" + ("" if changed else " (it already was)"))
