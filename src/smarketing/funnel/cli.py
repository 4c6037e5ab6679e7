"""`smarketing funnel`."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from smarketing.core.database import transaction
from smarketing.core.timeutil import utcnow
from smarketing.core.workspace import open_workspace
from smarketing.funnel.service import funnel


def funnel_command(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Contacts per current lifecycle stage, in funnel order.

    JSON: {"stages": [{"stage": "subscriber", "count": 12}, ...]} with every stage,
    zero counts included.
    """
    workspace = open_workspace()
    with transaction(workspace.sessions, read_only=True) as session:
        rows = funnel(session, utcnow())
    if as_json:
        payload = {"stages": [{"stage": row.stage.value, "count": row.count} for row in rows]}
        typer.echo(__import__("orjson").dumps(payload).decode())
        return
    table = Table(title="Funnel", show_edge=False)
    for column in ("stage", "team", "contacts", "entered this month", "last month"):
        table.add_column(column, justify="left" if column in ("stage", "team") else "right")
    for row in rows:
        table.add_row(row.stage.value, row.team, f"{row.count:,}", f"{row.entered_this_month:,}",
                      f"{row.entered_last_month:,}")  # fmt: skip
    Console().print(table)
