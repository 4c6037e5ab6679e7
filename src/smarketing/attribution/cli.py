"""`smarketing attribution`: where conversions and revenue came from, under each model."""

from __future__ import annotations

from datetime import date

import orjson
import typer
from rich.console import Console
from rich.table import Table

from smarketing.attribution.domain import DEFAULT_HALF_LIFE_DAYS, DEFAULT_LOOKBACK_DAYS
from smarketing.attribution.service import AttributionReport, as_json, attribute, excluded_note
from smarketing.core.cli_output import fail
from smarketing.core.database import transaction
from smarketing.core.errors import ValidationError
from smarketing.core.workspace import open_workspace


def _date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)")


def attribution_command(
    model: str = typer.Option(
        "all", "--model", "-m", metavar="MODEL",
        help="first_touch, last_touch, linear, u_shaped, w_shaped, full_path, time_decay, "
             "markov, or all (a list)."),
    by: str = typer.Option("channel", "--by", metavar="channel|campaign",
                           help="Credit channels or campaigns."),
    stage: str | None = typer.Option(
        None, "--stage", metavar="STAGE",
        help="Attribute each contact's first arrival at lead, mql, sql, opportunity or "
             "customer (value 0) instead of won deals."),
    from_date: str | None = typer.Option(
        None, "--from", metavar="DATE",
        help="Only conversions on or after this day (workspace timezone)."),
    to_date: str | None = typer.Option(
        None, "--to", metavar="DATE",
        help="Only conversions on or before this day (workspace timezone); also ends the "
             "window of the non-converting paths (Markov)."),
    lookback_days: int = typer.Option(
        DEFAULT_LOOKBACK_DAYS, "--lookback-days", metavar="N",
        help="Touches up to N days before a conversion count."),
    half_life_days: float = typer.Option(
        DEFAULT_HALF_LIFE_DAYS, "--half-life-days", metavar="N",
        help="time_decay: a touch N days older weighs half as much."),
    as_json_output: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:  # fmt: skip
    """Attribute won revenue (or stage arrivals) to channels or campaigns.

    JSON: {"model", "by", "stage", "conversions", "revenue": "decimal",
    "credits": [{"key", "conversions": number, "revenue": "decimal"}]}; a list of these
    with --model all. Definitions and worked examples: docs/attribution.md.
    """
    start, end = _date("--from", from_date), _date("--to", to_date)
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions, read_only=True) as session:
            report = attribute(session, model, by, stage, start, end, lookback_days,
                               half_life_days)  # fmt: skip
    except ValidationError as exc:
        fail(str(exc))
    note = excluded_note(report)
    if note:
        Console(stderr=True).print(f"[yellow]note:[/yellow] {note}", highlight=False,
                                   soft_wrap=True)  # fmt: skip
    if as_json_output:
        payloads = [as_json(report, result) for result in report.results]
        payload = payloads if model == "all" else payloads[0]
        typer.echo(orjson.dumps(payload).decode())
        return
    _print_tables(report)


def _print_tables(report: AttributionReport) -> None:
    console = Console()
    for result in report.results:
        title = (f"{result.model.value} by {report.by.value}: {result.conversions:,} "
                 f"{'won deals' if report.stage == 'won' else 'arrivals at ' + report.stage}, "
                 f"{result.revenue:,} {report.currency}")  # fmt: skip
        table = Table(title=title, show_edge=False)
        table.add_column(report.by.value)
        table.add_column("conversions", justify="right")
        table.add_column("share", justify="right")
        table.add_column(f"revenue ({report.currency})", justify="right")
        if result.removal_effects:
            table.add_column("removal effect", justify="right")
        for credit in result.credits:
            share = (float(credit.conversions) / result.conversions if result.conversions
                     else 0.0)  # fmt: skip
            row = [credit.key, f"{float(credit.conversions):,.2f}", f"{share:.1%}",
                   f"{credit.revenue:,}"]  # fmt: skip
            if result.removal_effects:
                effect = result.removal_effects.get(credit.key)
                row.append("" if effect is None else f"{effect:.4f}")
            table.add_row(*row)
        console.print(table)
