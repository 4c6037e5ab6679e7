"""``smarketing tracking ...``: the site domains allowed to send events, the channel
rules, and the visitors seen.

Exit codes: 0 success; 2 on bad input (a value that is not a domain, a rules file that
is not JSON or breaks a rule, an unknown domain); nothing is written then.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from smarketing.core.cli_output import fail
from smarketing.core.database import transaction
from smarketing.core.errors import SmarketingError
from smarketing.core.timeutil import as_utc, utcnow
from smarketing.core.workspace import open_workspace
from smarketing.tracking import domain, service

__all__ = ["tracking_app"]

tracking_app = typer.Typer(
    help="First-party website tracking (/t.js): the site domains allowed to send events, "
         "the rules that give each visit its channel, and the visitors seen.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)  # fmt: skip
domains_app = typer.Typer(
    help="Site domains whose pages may send events to /track (subdomains included).",
    no_args_is_help=True,
)
rules_app = typer.Typer(
    help="Channel rules: an ordered JSON list; the first matching rule gives the channel.",
    no_args_is_help=True,
)
tracking_app.add_typer(domains_app, name="domains")
tracking_app.add_typer(rules_app, name="rules")



def _json(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


# -- domains -----------------------------------------------------------------------------


@domains_app.command("add")
def add_domains(
    names: list[str] = typer.Argument(..., metavar="DOMAIN...",
                                      help="e.g. acme.example (covers www.acme.example)."),
) -> None:  # fmt: skip
    """Allow pages on these domains, and on their subdomains, to send tracking events."""
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            added = service.add_domains(session, names, utcnow())
            current = service.list_domains(session)
    except SmarketingError as exc:
        fail(str(exc))
    console = Console()
    for name in added:
        console.print(f"added {escape(name)}", highlight=False)
    if not added:
        console.print("nothing to add: already allowed", highlight=False)
    console.print(f"tracking domains: {escape(', '.join(current))}", highlight=False)


@domains_app.command("remove")
def remove_domain(name: str = typer.Argument(..., metavar="DOMAIN")) -> None:
    """Stop accepting events from pages on this domain."""
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            removed = service.remove_domain(session, name, utcnow())
    except SmarketingError as exc:
        fail(str(exc))
    Console().print(f"removed {escape(removed)}", highlight=False)


@domains_app.command("list")
def list_domains(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
) -> None:
    """List the tracking domains."""
    workspace = open_workspace()
    with transaction(workspace.sessions, read_only=True) as session:
        names = service.list_domains(session)
    if as_json:
        typer.echo(_json(names))
        return
    console = Console()
    if not names:
        console.print("no tracking domains yet: add one with `smarketing tracking domains "
                      "add acme.example`", highlight=False, markup=False)  # fmt: skip
    for name in names:
        console.print(escape(name), highlight=False)


# -- rules -------------------------------------------------------------------------------


@rules_app.command("show")
def show_rules() -> None:
    """Print the rules in force as JSON (a file `rules set` takes back)."""
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions, read_only=True) as session:
            rules, custom = service.current_rules(session)
    except SmarketingError as exc:
        fail(str(exc))
    Console(stderr=True).print("custom rules" if custom else "default rules", highlight=False)
    typer.echo(_json(domain.rules_as_data(rules)))


@rules_app.command("set")
def set_rules(
    path: Path = typer.Argument(..., metavar="FILE.json", exists=True, dir_okay=False,
                                help="A JSON list of rules (see `rules show`)."),
) -> None:  # fmt: skip
    """Replace the channel rules with the list in FILE.json (checked first)."""
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        fail(f"{path}: not valid JSON ({exc})")
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            rules = service.set_rules(session, data, utcnow())
    except SmarketingError as exc:
        fail(f"{path}: {exc}")
    Console().print(f"{len(rules)} channel rules saved", highlight=False)


@rules_app.command("reset")
def reset_rules() -> None:
    """Go back to the default rules."""
    workspace = open_workspace()
    with transaction(workspace.sessions) as session:
        had_custom = service.reset_rules(session)
    message = "custom rules removed" if had_custom else "already on the default rules"
    Console().print(f"{message}; the default rules apply", highlight=False)


@rules_app.command("test")
def try_rules(
    url: str = typer.Argument(..., metavar="URL", help="A landing page address, with its "
                              "query (quote it): 'https://acme.example/?utm_medium=cpc'."),
    referrer: str | None = typer.Option(None, "--referrer", "-r", metavar="URL",
                                        help="The page the visitor came from."),
) -> None:  # fmt: skip
    """Show the channel (and campaign) a visit to URL from --referrer would get."""
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions, read_only=True) as session:
            tested = service.classify_url(session, url, referrer)
    except SmarketingError as exc:
        fail(str(exc))
    console = Console()
    touch = tested.touch
    channel = tested.channel if touch.is_new_touch else "none (internal navigation)"
    console.print(f"channel:  {channel}", highlight=False)
    console.print(f"rule:     {escape(touch.rule)}", highlight=False)
    console.print(f"campaign: {escape(tested.campaign or '-')}", highlight=False)
    if touch.utm:
        utm = ", ".join(f"{k}={v}" for k, v in touch.utm.items())
        console.print(f"utm:      {escape(utm)}", highlight=False)


# -- visitors ----------------------------------------------------------------------------


@tracking_app.command("visitors")
def list_visitors(
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=10_000, help="At most N."),
) -> None:
    """The visitors seen last, with their first and last touch and their contact."""
    workspace = open_workspace()
    with transaction(workspace.sessions, read_only=True) as session:
        rows = service.recent_visitors(session, limit)
    console = Console()
    if not rows:
        console.print("no visitors yet", highlight=False)
        return
    table = Table(show_edge=False)
    for column in ("visitor", "last seen (UTC)", "first touch", "last touch", "contact",
                   "anonymous events"):
        table.add_column(column, overflow="fold")
    for row in rows:
        visitor = row.visitor
        table.add_row(
            escape(visitor.id), as_utc(visitor.last_seen_at).strftime("%Y-%m-%d %H:%M"),
            visitor.first_touch_channel or "-", visitor.last_touch_channel or "-",
            escape(row.email or "-"), str(row.pending_events),
        )  # fmt: skip
    console.print(table)
