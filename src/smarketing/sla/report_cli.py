"""``smarketing sla report`` and ``smarketing sla pacing`` on the command line.

:func:`register_report_commands` adds both commands to the ``sla`` Typer app:

- ``report --month YYYY-MM [--json] [--as-of ISO]``: the SLA compliance report of a
  month, both sides, per rep and team, with the pilot comparison.
- ``pacing [--json] [--as-of ISO]``: marketing pacing of the current month.

Bad input (a malformed month or instant) prints an error naming the option and exits
with code 2, never a traceback. Definitions: docs/sla.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.box import SIMPLE_HEAD
from rich.console import Console
from rich.table import Table

from smarketing.core.database import transaction
from smarketing.core.timeutil import parse_instant, utcnow
from smarketing.core.workspace import open_workspace
from smarketing.sla.pacing import Pacing, PacingRow, pacing_alerts
from smarketing.sla.report import ComplianceReport, Month, ReportError, SalesStats
from smarketing.sla.report_service import compliance_report_data, pacing

__all__ = ["register_report_commands"]

_AS_OF_HELP = (
    "Compute as of this ISO 8601 instant with an offset (default: now); a first attempt "
    "counts as missing once its due instant is before it."
)
_PACING_AS_OF_HELP = (
    "Pace the month of this ISO 8601 instant with an offset, as of that instant (default: now)."
)


def _as_of(ctx: typer.Context, text: str | None) -> datetime:
    if text is None:
        return utcnow()
    try:
        return parse_instant(text)
    except ValueError as error:
        raise typer.BadParameter(str(error), ctx=ctx, param_hint="--as-of") from None


def _echo_json(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False))


def _num(value: Decimal | None) -> str:
    return "-" if value is None else str(value)


def _table(title: str, label: str, columns: Iterable[str], caption: str | None = None) -> Table:
    """A table whose first column (rep or team) is never cut; the others may wrap."""
    table = Table(
        title=title,
        caption=caption,
        box=SIMPLE_HEAD,
        show_edge=False,
        collapse_padding=True,
        pad_edge=False,
    )
    table.add_column(label, no_wrap=True)
    for column in columns:  # a header may wrap between its words, never inside one
        table.add_column(column, justify="right", min_width=max(map(len, column.split())))
    return table


Rows = list[tuple[str, SalesStats]]


def _sales_rows(report: ComplianceReport) -> tuple[Rows, Rows, Rows]:
    pilot = report.pilot
    return (
        list(report.sales),
        [(f"team {team or '(no team)'}", stats) for team, stats in report.sales_teams],
        [("pilot SLAs", pilot.pilot), ("other SLAs", pilot.non_pilot)],
    )


def _print_report(report: ComplianceReport) -> None:
    console = Console()
    month = report.month.label
    pilot = report.pilot
    slas = (f"pilot SLAs: {', '.join(pilot.pilot_slas) or 'none'}; "
            f"other SLAs: {', '.join(pilot.non_pilot_slas) or 'none'}")  # fmt: skip
    first = _table(f"Sales side, {month}: first attempt", "rep / team",
                   ("assigned", "on time", "late", "missing", "on time %", "median", "p95"),
                   f"median, p95: business hours to the first attempt; {slas}")  # fmt: skip
    cadence = _table(f"Sales side, {month}: attempt cadence", "rep / team",
                     ("met", "missed", "open"), slas)  # fmt: skip
    for group in _sales_rows(report):
        for label, s in group:
            first.add_row(label, str(s.assigned), str(s.first_attempt_on_time),
                          str(s.first_attempt_late), str(s.first_attempt_missing),
                          _num(s.first_attempt_on_time_pct),
                          _num(s.median_business_hours_to_first_attempt),
                          _num(s.p95_business_hours_to_first_attempt))  # fmt: skip
            cadence.add_row(label, str(s.cadence_met), str(s.cadence_missed),
                            str(s.cadence_open))  # fmt: skip
        first.add_section()
        cadence.add_section()
    marketing = _table(f"Marketing side, {month}: MQLs delivered", "rep / team",
                       ("MQLs delivered", "target", "lead value"))  # fmt: skip
    teams = [(f"team {t or '(no team)'}", m) for t, m in report.marketing_teams]
    for marketing_group in (list(report.marketing), teams):
        for label, m in marketing_group:
            target = "-" if m.mqls_target is None else str(m.mqls_target)
            marketing.add_row(label, str(m.mqls_delivered), target,
                              f"{m.lead_value_delivered:,.2f}")  # fmt: skip
        marketing.add_section()
    for table in (first, cadence, marketing):
        console.print(table)


def _label(row: PacingRow) -> str:
    return row.key or "" if row.scope == "rep" else f"team {row.key or '(no team)'}"


def _top(counts: Mapping[str, int], limit: int = 2) -> str:
    return ", ".join(f"{key} {n}" for key, n in list(counts.items())[:limit]) or "-"


def _status(status: str) -> str:
    return f"[red]{status}[/red]" if status == "behind" else status


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _print_pacing(result: Pacing) -> None:
    console = Console()
    month = result.month.label
    as_of = f"as of {result.now:%Y-%m-%d %H:%M %Z}"
    mqls = _table(f"Marketing pacing, {month}, {as_of}: MQLs", "rep / team",
                  ("delivered", "target", "expected by now", "projected", "status"),
                  "expected = target x share of the month's business time passed")  # fmt: skip
    value = _table(f"Marketing pacing, {month}: lead value", "rep / team",
                   ("delivered", "target", "expected by now", "status"))  # fmt: skip
    mix = _table(f"Quality of the MQLs delivered, {month}", "rep / team",
                 ("top channels", "top personas", "accepted %", "rejected %"))  # fmt: skip
    for group in (result.reps, result.teams):
        for row in group:
            expected = "-" if row.mqls_expected is None else f"{row.mqls_expected:.1f}"
            mqls.add_row(_label(row), str(row.mqls_delivered),
                         "-" if row.mqls_target is None else str(row.mqls_target), expected,
                         "-" if row.mqls_projected is None else str(row.mqls_projected),
                         _status(row.status))  # fmt: skip
            value.add_row(_label(row), _money(row.lead_value_delivered),
                          _money(row.lead_value_target), _money(row.lead_value_expected),
                          _status(row.lead_value_status))  # fmt: skip
            mix.add_row(_label(row), _top(row.mix.channels), _top(row.mix.personas),
                        _num(row.mix.accepted_pct), _num(row.mix.rejected_pct))  # fmt: skip
        for table in (mqls, value, mix):
            table.add_section()
    for table in (mqls, value, mix):
        console.print(table)
    for row in pacing_alerts(result):
        behind = [("MQLs", row.status), ("lead value", row.lead_value_status)]
        what = " and ".join(name for name, status in behind if status == "behind")
        console.print(f"[red]behind pace[/red] on {what}: {_label(row)}")


def register_report_commands(sla_app: typer.Typer) -> None:
    """Add ``report`` and ``pacing`` to ``sla_app``."""

    @sla_app.command("report")
    def report_command(
        ctx: typer.Context,
        month: Annotated[
            str,
            typer.Option(
                "--month",
                metavar="YYYY-MM",
                help="The month, in the workspace time zone; a lead counts in the "
                "month it was assigned.",
            ),  # fmt: skip
        ],
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the report as JSON (see docs/sla.md).")
        ] = False,
        as_of: Annotated[
            str | None, typer.Option("--as-of", metavar="ISO", help=_AS_OF_HELP)
        ] = None,
    ) -> None:
        """SLA compliance per rep, team and month, both sides, with the pilot comparison.

        Sales side: leads assigned, first attempts on time, late and missing, business
        hours to the first attempt (median, p95) and the attempt cadence.
        Marketing side: MQLs delivered against the target, and their value.
        """
        try:
            wanted = Month.parse(month)
        except ReportError as error:
            raise typer.BadParameter(str(error), ctx=ctx, param_hint="--month") from None
        now = _as_of(ctx, as_of)
        workspace = open_workspace()
        with transaction(workspace.sessions) as session:
            result = compliance_report_data(session, wanted, now)
        if as_json:
            _echo_json(result.to_json())
        else:
            _print_report(result)

    @sla_app.command("pacing")
    def pacing_command(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help="Print pacing as JSON.")] = False,
        as_of: Annotated[
            str | None, typer.Option("--as-of", metavar="ISO", help=_PACING_AS_OF_HELP)
        ] = None,
    ) -> None:
        """Marketing pacing this month: MQLs and lead value per rep and team vs the SLA.

        Shows delivered so far, the target, the share expected by now (in business
        time), the projected month end, the quality mix, and who is behind pace.
        """
        now = _as_of(ctx, as_of)
        workspace = open_workspace()
        with transaction(workspace.sessions) as session:
            result = pacing(session, now)
        if as_json:
            _echo_json(result.to_json())
        else:
            _print_pacing(result)
