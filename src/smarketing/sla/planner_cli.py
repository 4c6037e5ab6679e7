"""``smarketing sla plan``: the reverse-funnel planner on the command line.

The command is added to the ``sla`` Typer app with :func:`register_plan_command`.
Rates come from ``--rate`` options (a stage not given keeps its default), from
measured history with ``--from-history [--window 6m]``, or else from
:data:`~smarketing.sla.planner.DEFAULT_RATES`.

``--from-history`` calls an injectable measurer ``(window_months) -> (rates,
details)``; ``details`` is JSON-ready data about the measurement (sample sizes,
period ...) shown under ``inputs.measurement`` in the JSON. A measurer reports a
user-facing problem by raising :class:`~smarketing.sla.planner.PlannerError` or
:class:`typer.BadParameter`. Without one, :func:`measured_rates` says the option
is not available.

Bad input prints an error naming the option and exits with code 2, no traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from smarketing.sla.planner import (
    DEFAULT_WINDOW_MONTHS,
    FunnelRates,
    Plan,
    PlanInputs,
    PlannerError,
    parse_decimal,
    parse_rate_options,
    parse_window,
    plan_funnel,
    plan_to_json,
)

__all__ = ["RateMeasurer", "measured_rates", "register_plan_command"]

#: Measures funnel rates over the last ``window_months`` months of history.
RateMeasurer = Callable[[int], tuple[FunnelRates, dict[str, Any]]]

_OPTION_FOR = {
    "revenue_goal": "--revenue-goal",
    "avg_deal_size": "--avg-deal-size",
    "reps": "--reps",
    "months": "--months",
    "rate": "--rate",
    "window": "--window",
}

_STAGE_LABELS = {
    "customers": "Customers",
    "opportunities": "Opportunities",
    "sqls": "SQLs",
    "mqls": "MQLs",
    "leads": "Leads",
}


def measured_rates(window_months: int) -> tuple[FunnelRates, dict[str, Any]]:
    """Placeholder measurer used until the workspace database is wired in."""
    raise typer.BadParameter(
        "needs a workspace database with funnel history, which this command is not "
        "connected to yet; pass the rates with --rate instead",
        param_hint="--from-history",
    )


def register_plan_command(
    sla_app: typer.Typer, *, measure_rates: RateMeasurer | None = None
) -> None:
    """Add the ``plan`` command to ``sla_app``.

    ``measure_rates`` backs ``--from-history``; it defaults to :func:`measured_rates`.
    """
    measurer = measure_rates or measured_rates

    @sla_app.command("plan")
    def plan(
        ctx: typer.Context,
        revenue_goal: Annotated[
            str, typer.Option("--revenue-goal", help="Revenue to reach in the period, e.g. 100000.")
        ],
        avg_deal_size: Annotated[
            str, typer.Option("--avg-deal-size", help="Average revenue of one won deal.")
        ],
        reps: Annotated[int, typer.Option("--reps", help="Sales reps sharing the goal.")],
        months: Annotated[int, typer.Option("--months", help="Months in the period.")] = 1,
        rate: Annotated[
            list[str] | None,
            typer.Option(
                "--rate",
                metavar="STAGE=RATE",
                help=(
                    "Conversion rate of one step, repeatable: lead-mql, mql-sql, "
                    "sql-opportunity, opportunity-customer. Defaults: 0.2, 0.5, 0.6, 0.4."
                ),
            ),
        ] = None,
        from_history: Annotated[
            bool,
            typer.Option("--from-history", help="Use the rates measured in the workspace."),
        ] = False,
        window: Annotated[
            str | None,
            typer.Option(
                "--window",
                metavar="Nm",
                help=f"History measured by --from-history, in months. [default: "
                f"{DEFAULT_WINDOW_MONTHS}m]",
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print only JSON.")] = False,
    ) -> None:
        """Plan the funnel backwards from a revenue goal: the MQLs per rep per month to agree."""
        try:
            inputs = PlanInputs(
                revenue_goal=parse_decimal(revenue_goal, "revenue_goal"),
                avg_deal_size=parse_decimal(avg_deal_size, "avg_deal_size"),
                reps=reps,
                months=months,
            )
            rates, source = _choose_rates(rate or [], from_history, window, measurer)
        except PlannerError as error:
            hint = _OPTION_FOR.get(error.parameter, error.parameter)
            if error.parameter == "rate" and from_history:
                hint = "--from-history"
            raise typer.BadParameter(error.problem, ctx=ctx, param_hint=hint) from None
        except typer.BadParameter as error:
            error.ctx = error.ctx or ctx
            raise

        result = plan_funnel(inputs, rates)
        if as_json:
            data = plan_to_json(result, extra_inputs=source)
            typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
        else:
            _print_plan(result, source)


def _choose_rates(
    rate_options: list[str],
    from_history: bool,
    window: str | None,
    measurer: RateMeasurer,
) -> tuple[FunnelRates, dict[str, Any]]:
    """The rates to plan with and a JSON-ready note of where they came from."""
    if from_history:
        if rate_options:
            raise typer.BadParameter(
                "give either --rate or --from-history, not both", param_hint="--rate"
            )
        window_months = DEFAULT_WINDOW_MONTHS if window is None else parse_window(window)
        rates, details = measurer(window_months)
        return rates, {
            "rates_source": "history",
            "window_months": window_months,
            "measurement": details,
        }
    if window is not None:
        raise typer.BadParameter("only applies with --from-history", param_hint="--window")
    if rate_options:
        return parse_rate_options(rate_options), {"rates_source": "options"}
    return parse_rate_options([]), {"rates_source": "default"}


def _print_plan(plan: Plan, source: dict[str, Any]) -> None:
    console = Console()
    inputs = plan.inputs
    reps_months = f"{inputs.reps} rep{'s' if inputs.reps != 1 else ''} x {inputs.months} month"
    reps_months += "s" if inputs.months != 1 else ""

    stages = Table(
        title=f"Reverse funnel for {inputs.revenue_goal:f} at {inputs.avg_deal_size:f} a deal"
    )
    stages.add_column("Stage")
    stages.add_column("Total", justify="right")
    stages.add_column("Per rep per month", justify="right")
    totals = plan.totals.as_dict()
    per_rep = plan.per_rep_per_month.as_dict()
    for name, label in _STAGE_LABELS.items():
        stages.add_row(label, str(totals[name]), str(per_rep[name]))
    console.print(stages)
    console.print(f"Per rep per month = total / ({reps_months}), rounded up.")

    where = {
        "default": "the defaults",
        "options": "from --rate, the other steps at their defaults",
        "history": f"measured over the last {source.get('window_months')} months",
    }[source["rates_source"]]
    rates = Table(title="Conversion rates")
    rates.add_column("Step")
    rates.add_column("Rate", justify="right")
    for key, value in plan.rates.as_dict().items():
        rates.add_row(key, f"{value:f} ({(value * 100).normalize():f}%)")
    console.print(rates)
    console.print(f"[bold]Rates[/bold]: {where}.")

    console.print(
        f"[bold]SLA terms[/bold]: marketing hands each rep at least "
        f"[bold]{plan.mqls_per_rep_per_month}[/bold] MQLs per month."
    )
    console.print(
        f"[bold]Lead value[/bold]: one MQL is worth {plan.mql_value:f}, "
        f"one lead {plan.lead_value:f}."
    )
