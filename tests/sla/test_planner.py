"""The SLA planner (reverse funnel): golden cases, properties against an oracle, CLI."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from smarketing.sla.planner import (
    DEFAULT_RATES,
    RATE_KEYS,
    FunnelRates,
    PlanInputs,
    PlannerError,
    parse_decimal,
    parse_rate_options,
    parse_window,
    plan_funnel,
    plan_to_json,
)
from smarketing.sla.planner_cli import RateMeasurer, register_plan_command

D = Decimal
STAGES = ("customers", "opportunities", "sqls", "mqls", "leads")


def rates(lead_mql: str, mql_sql: str, sql_opp: str, opp_customer: str) -> FunnelRates:
    return FunnelRates(D(lead_mql), D(mql_sql), D(sql_opp), D(opp_customer))


# --- golden cases ---------------------------------------------------------------------------

# Worked by hand:
#   100000 / 5000 = 20 customers; 20 / 0.4 = 50; 50 / 0.6 = 83.33 -> 84; 84 / 0.5 = 168;
#   168 / 0.2 = 840. Per rep per month over 4 reps x 1 month: 20/4 = 5, 50/4 = 12.5 -> 13,
#   84/4 = 21, 168/4 = 42, 840/4 = 210. MQL value 100000/168 = 595.238 -> 595.24;
#   lead value 100000/840 = 119.047 -> 119.05.
GOLDEN = [
    pytest.param(
        PlanInputs(D("100000"), D("5000"), reps=4, months=1),
        DEFAULT_RATES,
        (20, 50, 84, 168, 840),
        (5, 13, 21, 42, 210),
        ("595.24", "119.05"),
        id="issue-example",
    ),
    # 100000 / 3000 = 33.3 -> 34; 34 / 0.4 = 85; 85 / 0.6 = 141.67 -> 142; 142 / 0.5 = 284;
    # 284 / 0.2 = 1420. Over 3 reps x 2 months = 6: 34/6 -> 6, 85/6 -> 15, 142/6 -> 24,
    # 284/6 -> 48, 1420/6 -> 237. 100000/284 = 352.112 -> 352.11; 100000/1420 = 70.422 -> 70.42.
    pytest.param(
        PlanInputs(D("100000"), D("3000"), reps=3, months=2),
        DEFAULT_RATES,
        (34, 85, 142, 284, 1420),
        (6, 15, 24, 48, 237),
        ("352.11", "70.42"),
        id="deal-size-not-dividing-goal",
    ),
    # Every rate 1: each stage equals the next one. 1000 / 1000 = 1 customer.
    pytest.param(
        PlanInputs(D("1000"), D("1000"), reps=5, months=12),
        rates("1", "1", "1", "1"),
        (1, 1, 1, 1, 1),
        (1, 1, 1, 1, 1),
        ("1000.00", "1000.00"),
        id="all-rates-one",
    ),
    # Goal below one deal still needs one customer. 0.5 / 0.25 = 2, 2 / 0.1 = 20,
    # 20 / 0.05 = 400, 400 / 0.01 = 40000. 250/400 = 0.625 -> 0.63 (half up);
    # 250/40000 = 0.00625 -> 0.01.
    pytest.param(
        PlanInputs(D("250"), D("500"), reps=1, months=1),
        rates("0.01", "0.05", "0.1", "0.5"),
        (1, 2, 20, 400, 40000),
        (1, 2, 20, 400, 40000),
        ("0.63", "0.01"),
        id="tiny-rates-and-goal-below-one-deal",
    ),
    # Every rate 0.5 doubles each stage: 1, 2, 4, 8, 16; over 2 reps: 1, 1, 2, 4, 8.
    # 1.25/8 = 0.15625 -> 0.16; 1.25/16 = 0.078125 -> 0.08.
    pytest.param(
        PlanInputs(D("1.25"), D("2"), reps=2, months=1),
        rates("0.5", "0.5", "0.5", "0.5"),
        (1, 2, 4, 8, 16),
        (1, 1, 2, 4, 8),
        ("0.16", "0.08"),
        id="halving-rates",
    ),
    # An exact half cent rounds up (banker's rounding would give 0.12): 0.125 / 1 MQL.
    pytest.param(
        PlanInputs(D("0.125"), D("1"), reps=1, months=1),
        rates("1", "1", "1", "1"),
        (1, 1, 1, 1, 1),
        (1, 1, 1, 1, 1),
        ("0.13", "0.13"),
        id="exact-half-cent-rounds-up",
    ),
    # 0.05 / 0.02 = 2.5 -> 3; 3 / 0.3 = 10 exactly (no float 9.9999 or 10.0001);
    # 10 / 0.7 = 14.29 -> 15; 15 / 0.3 = 50; 50 / 0.1 = 500. 0.05/50 = 0.001 -> 0.00.
    pytest.param(
        PlanInputs(D("0.05"), D("0.02"), reps=1, months=1),
        rates("0.1", "0.3", "0.7", "0.3"),
        (3, 10, 15, 50, 500),
        (3, 10, 15, 50, 500),
        ("0.00", "0.00"),
        id="exact-decimal-division",
    ),
]


@pytest.mark.parametrize(("inputs", "funnel_rates", "totals", "per_rep", "values"), GOLDEN)
def test_golden_plans(
    inputs: PlanInputs,
    funnel_rates: FunnelRates,
    totals: tuple[int, ...],
    per_rep: tuple[int, ...],
    values: tuple[str, str],
) -> None:
    plan = plan_funnel(inputs, funnel_rates)

    assert plan.totals.as_dict() == dict(zip(STAGES, totals, strict=True))
    assert plan.per_rep_per_month.as_dict() == dict(zip(STAGES, per_rep, strict=True))
    assert (str(plan.mql_value), str(plan.lead_value)) == values
    assert plan.sla_terms == {"mqls_per_rep_per_month": per_rep[3]}


def test_default_rates_are_the_documented_ones() -> None:
    assert {key: str(value) for key, value in DEFAULT_RATES.as_dict().items()} == {
        "lead-mql": "0.2",
        "mql-sql": "0.5",
        "sql-opportunity": "0.6",
        "opportunity-customer": "0.4",
    }


def test_plan_to_json_shape_and_values() -> None:
    plan = plan_funnel(PlanInputs(D("100000"), D("5000"), reps=4, months=1), DEFAULT_RATES)

    data = plan_to_json(plan, extra_inputs={"rates_source": "default"})

    assert data == {
        "customers": 20,
        "opportunities": 50,
        "sqls": 84,
        "mqls": 168,
        "leads": 840,
        "per_rep_per_month": {
            "customers": 5,
            "opportunities": 13,
            "sqls": 21,
            "mqls": 42,
            "leads": 210,
        },
        "rates": {
            "lead-mql": "0.2",
            "mql-sql": "0.5",
            "sql-opportunity": "0.6",
            "opportunity-customer": "0.4",
        },
        "mql_value": "595.24",
        "lead_value": "119.05",
        "sla_terms": {"mqls_per_rep_per_month": 42},
        "inputs": {
            "revenue_goal": "100000",
            "avg_deal_size": "5000",
            "reps": 4,
            "months": 1,
            "rates_source": "default",
        },
    }
    assert json.loads(json.dumps(data)) == data


def test_plan_to_json_writes_decimals_in_fixed_point() -> None:
    plan = plan_funnel(PlanInputs(D("1E+5"), D("5E+3"), reps=1), DEFAULT_RATES)

    inputs = plan_to_json(plan)["inputs"]

    assert inputs == {"revenue_goal": "100000", "avg_deal_size": "5000", "reps": 1, "months": 1}


# --- parsing --------------------------------------------------------------------------------


def test_parse_rate_options_overrides_given_stages_and_defaults_the_rest() -> None:
    parsed = parse_rate_options(["mql-sql=0.25", " SQL-Opportunity = 1 "])

    assert parsed == FunnelRates(D("0.2"), D("0.25"), D("1"), D("0.4"))


def test_parse_rate_options_empty_gives_defaults() -> None:
    assert parse_rate_options([]) == DEFAULT_RATES


def test_parse_rate_options_keeps_the_exact_decimal() -> None:
    parsed = parse_rate_options([f"{key}=0.1" for key in RATE_KEYS])

    assert set(parsed.as_dict().values()) == {D("0.1")}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["lead-to-mql=0.2"], "unknown rate key 'lead-to-mql'"),
        (["lead-mql"], "must look like lead-mql=0.2"),
        (["lead-mql="], "must look like lead-mql=0.2"),
        (["=0.2"], "must look like lead-mql=0.2"),
        (["lead-mql=abc"], "'abc' is not a number"),
        (["lead-mql=NaN"], "is not a finite number"),
        (["lead-mql=0"], "lead-mql must be greater than 0 and at most 1, got 0"),
        (["mql-sql=-0.5"], "mql-sql must be greater than 0 and at most 1, got -0.5"),
        (["sql-opportunity=1.5"], "write 0.2 for 20%"),
        (["opportunity-customer=20"], "opportunity-customer must be greater than 0"),
        (["lead-mql=0.2", "lead-mql=0.3"], "lead-mql is given more than once"),
    ],
)
def test_parse_rate_options_rejects(values: list[str], message: str) -> None:
    with pytest.raises(PlannerError, match="rate") as caught:
        parse_rate_options(values)

    assert caught.value.parameter == "rate"
    assert message in str(caught.value)


@pytest.mark.parametrize(("text", "months"), [("6m", 6), ("1m", 1), (" 12M ", 12)])
def test_parse_window(text: str, months: int) -> None:
    assert parse_window(text) == months


@pytest.mark.parametrize("text", ["6", "90d", "m", "0m", "-1m", "1.5m", "6 months", ""])
def test_parse_window_rejects(text: str) -> None:
    with pytest.raises(PlannerError) as caught:
        parse_window(text)

    assert caught.value.parameter == "window"


@pytest.mark.parametrize(("values", "problem"), [
    (["lead-to-mql=0.2"], "unknown rate key 'lead-to-mql'; known keys: lead-mql, mql-sql, "
                          "sql-opportunity, opportunity-customer"),
    (["lead-mql=0.2=0.3"], "'0.2=0.3' is not a number"),
])  # fmt: skip
def test_rate_problems_in_full(values: list[str], problem: str) -> None:
    """The whole message: the first '=' separates the key; the known keys are listed."""
    with pytest.raises(PlannerError) as caught:
        parse_rate_options(values)
    assert caught.value.problem.startswith(problem)


@pytest.mark.parametrize(("text", "problem"), [
    ("0m", "must be at least 1 month, got '0m'"),
    ("6 months", "'6 months' must be a number of months like 6m"),
])  # fmt: skip
def test_window_problems_in_full(text: str, problem: str) -> None:
    with pytest.raises(PlannerError) as caught:
        parse_window(text)
    assert str(caught.value) == f"window: {problem}"


@pytest.mark.parametrize("text", ["1,000", "", "ten", "Infinity"])
def test_parse_decimal_rejects(text: str) -> None:
    with pytest.raises(PlannerError, match="^revenue_goal: "):
        parse_decimal(text, "revenue_goal")


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "parameter", "message"),
    [
        ({"revenue_goal": D("0")}, "revenue_goal", "must be greater than 0, got 0"),
        ({"revenue_goal": D("-1")}, "revenue_goal", "must be greater than 0, got -1"),
        ({"revenue_goal": D("Infinity")}, "revenue_goal", "finite"),
        ({"avg_deal_size": D("0")}, "avg_deal_size", "must be greater than 0"),
        ({"avg_deal_size": D("-5000")}, "avg_deal_size", "must be greater than 0"),
        ({"reps": 0}, "reps", "must be at least 1, got 0"),
        ({"reps": -3}, "reps", "must be at least 1"),
        ({"months": 0}, "months", "must be at least 1, got 0"),
        ({"revenue_goal": 100000.0}, "revenue_goal", "must be a finite Decimal"),
        ({"reps": 2.5}, "reps", "must be a whole number"),
    ],
)
def test_plan_inputs_reject(kwargs: dict[str, Any], parameter: str, message: str) -> None:
    values: dict[str, Any] = {
        "revenue_goal": D("100000"),
        "avg_deal_size": D("5000"),
        "reps": 4,
        "months": 1,
        **kwargs,
    }

    with pytest.raises(PlannerError) as caught:
        PlanInputs(**values)

    assert caught.value.parameter == parameter
    assert str(caught.value).startswith(f"{parameter}: ")
    assert message in caught.value.problem


@pytest.mark.parametrize("bad", [D("0"), D("-0.1"), D("1.01"), D("NaN")])
@pytest.mark.parametrize("position", range(4))
def test_funnel_rates_reject_out_of_range(bad: Decimal, position: int) -> None:
    values = [D("0.5")] * 4
    values[position] = bad

    with pytest.raises(PlannerError) as caught:
        FunnelRates(*values)

    assert caught.value.parameter == "rate"
    assert RATE_KEYS[position] in str(caught.value)


def test_funnel_rates_from_mapping_needs_every_key() -> None:
    with pytest.raises(PlannerError, match="missing mql-sql"):
        FunnelRates.from_mapping(
            {"lead-mql": D("0.2"), "sql-opportunity": D("0.5"), "opportunity-customer": D("1")}
        )


@pytest.mark.parametrize(("value", "problem"), [
    ("0", "lead-mql must be greater than 0 and at most 1, got 0"),
    ("-0.5", "lead-mql must be greater than 0 and at most 1, got -0.5"),
    ("20", "lead-mql must be greater than 0 and at most 1, got 20 (rates are fractions: write "
           "0.2 for 20%)"),
])  # fmt: skip
def test_a_rate_out_of_range_says_so_and_hints_at_fractions_only_above_1(
    value: str, problem: str
) -> None:
    with pytest.raises(PlannerError) as caught:
        parse_rate_options([f"lead-mql={value}"])
    assert caught.value.problem == problem


def test_funnel_rates_from_mapping_names_the_first_unknown_key_then_every_missing_one() -> None:
    every = {key: D("0.5") for key in RATE_KEYS}
    with pytest.raises(PlannerError) as unknown:
        FunnelRates.from_mapping({**every, "zz": D("0.5"), "lead-to-mql": D("0.5")})
    assert (unknown.value.parameter, str(unknown.value)) == (
        "rate", "rate: unknown rate key 'lead-to-mql'; known keys: lead-mql, mql-sql, "
                "sql-opportunity, opportunity-customer")
    with pytest.raises(PlannerError) as missing:
        FunnelRates.from_mapping({"lead-mql": D("0.2"), "opportunity-customer": D("1")})
    assert (missing.value.parameter, str(missing.value)) == (
        "rate", "rate: missing mql-sql, sql-opportunity")


# --- properties against an oracle -----------------------------------------------------------


def decimals(low: int, high: int, places: int) -> st.SearchStrategy[Decimal]:
    """Decimals in [low / 10**places, high / 10**places] with at most ``places`` places."""
    return st.integers(low, high).map(lambda n: D(n).scaleb(-places))


def rate_values(min_units: int = 1) -> st.SearchStrategy[Decimal]:
    """Rates in (0, 1] written with 1 to 4 decimal places."""
    return st.integers(1, 4).flatmap(
        lambda places: st.integers(max(min_units * 10**places // 10_000, 1), 10**places).map(
            lambda n: D(n).scaleb(-places)
        )
    )


funnel_rates = st.builds(FunnelRates, rate_values(), rate_values(), rate_values(), rate_values())
plan_inputs = st.builds(
    PlanInputs,
    revenue_goal=decimals(1, 10**12, 2),
    avg_deal_size=decimals(1, 10**9, 2),
    reps=st.integers(1, 500),
    months=st.integers(1, 36),
)


def stage_pairs(plan_totals: dict[str, int], funnel: FunnelRates) -> list[tuple[int, Decimal, int]]:
    """(stage count, rate into the next stage, next stage count), top of the funnel first."""
    counts = [plan_totals[name] for name in ("leads", "mqls", "sqls", "opportunities")]
    nexts = [plan_totals[name] for name in ("mqls", "sqls", "opportunities", "customers")]
    return list(zip(counts, funnel.as_dict().values(), nexts, strict=True))


@given(plan_inputs, funnel_rates)
def test_each_stage_is_the_least_count_that_converts_into_the_next(
    inputs: PlanInputs, funnel: FunnelRates
) -> None:
    plan = plan_funnel(inputs, funnel)
    totals = plan.totals.as_dict()

    with localcontext() as ctx:
        ctx.prec = 200  # the products below are then exact
        customers = totals["customers"]
        assert customers * inputs.avg_deal_size >= inputs.revenue_goal
        assert (customers - 1) * inputs.avg_deal_size < inputs.revenue_goal
        for count, rate, next_count in stage_pairs(totals, funnel):
            assert count * rate >= next_count
            assert (count - 1) * rate < next_count


@given(plan_inputs, funnel_rates)
def test_per_rep_per_month_is_the_least_share_covering_the_total(
    inputs: PlanInputs, funnel: FunnelRates
) -> None:
    plan = plan_funnel(inputs, funnel)
    rep_months = inputs.reps * inputs.months

    for name, total in plan.totals.as_dict().items():
        share = plan.per_rep_per_month.as_dict()[name]
        assert share * rep_months >= total
        assert (share - 1) * rep_months < total
    assert plan.sla_terms["mqls_per_rep_per_month"] == plan.per_rep_per_month.mqls


@given(plan_inputs, funnel_rates)
def test_values_are_goal_per_record_rounded_half_up_to_cents(
    inputs: PlanInputs, funnel: FunnelRates
) -> None:
    plan = plan_funnel(inputs, funnel)

    with localcontext() as ctx:
        ctx.prec = 200  # far more digits than any quotient here needs before rounding
        for value, count in (
            (plan.mql_value, plan.totals.mqls),
            (plan.lead_value, plan.totals.leads),
        ):
            oracle = (inputs.revenue_goal / count).quantize(D("0.01"), rounding=ROUND_HALF_UP)
            assert value == oracle
            assert value.as_tuple().exponent == -2


def slow_ceil_stage(next_count: int, rate: Decimal) -> int:
    """The obviously correct stage: count up until the stage converts into ``next_count``."""
    count = 0
    while count * rate < next_count:
        count += 1
    return count


@given(
    st.builds(
        PlanInputs,
        revenue_goal=decimals(1, 10**6, 2),
        avg_deal_size=decimals(1, 10**6, 2),
        reps=st.integers(1, 20),
        months=st.integers(1, 12),
    ).filter(lambda inputs: inputs.revenue_goal / inputs.avg_deal_size <= 20),
    st.builds(
        FunnelRates, rate_values(2000), rate_values(2000), rate_values(2000), rate_values(2000)
    ),
)
def test_plan_matches_a_slow_counting_oracle(inputs: PlanInputs, funnel: FunnelRates) -> None:
    customers = 0
    while customers * inputs.avg_deal_size < inputs.revenue_goal:
        customers += 1
    expected = [customers]
    for rate in reversed(list(funnel.as_dict().values())):
        expected.append(slow_ceil_stage(expected[-1], rate))

    plan = plan_funnel(inputs, funnel)

    assert list(plan.totals.as_dict().values()) == expected


# --- CLI --------------------------------------------------------------------------------------


def make_app(measure_rates: RateMeasurer | None = None) -> typer.Typer:
    root = typer.Typer()
    sla = typer.Typer()
    register_plan_command(sla, measure_rates=measure_rates)
    root.add_typer(sla, name="sla")
    return root


BASE_ARGS = ["sla", "plan", "--revenue-goal", "100000", "--avg-deal-size", "5000", "--reps", "4"]


def run(args: list[str], measure_rates: RateMeasurer | None = None) -> Any:
    return CliRunner().invoke(make_app(measure_rates), args)


def test_cli_json_issue_example() -> None:
    result = run([*BASE_ARGS, "--months", "1", "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == [
        "customers",
        "opportunities",
        "sqls",
        "mqls",
        "leads",
        "per_rep_per_month",
        "rates",
        "mql_value",
        "lead_value",
        "sla_terms",
        "inputs",
    ]
    assert [data[stage] for stage in STAGES] == [20, 50, 84, 168, 840]
    assert data["per_rep_per_month"] == dict(zip(STAGES, [5, 13, 21, 42, 210], strict=True))
    assert data["rates"] == {
        "lead-mql": "0.2",
        "mql-sql": "0.5",
        "sql-opportunity": "0.6",
        "opportunity-customer": "0.4",
    }
    assert (data["mql_value"], data["lead_value"]) == ("595.24", "119.05")
    assert data["sla_terms"] == {"mqls_per_rep_per_month": 42}
    assert data["inputs"] == {
        "revenue_goal": "100000",
        "avg_deal_size": "5000",
        "reps": 4,
        "months": 1,
        "rates_source": "default",
    }


def test_cli_explicit_rates_as_in_the_issue() -> None:
    result = run(
        [
            *BASE_ARGS,
            "--rate",
            "lead-mql=0.2",
            "--rate",
            "mql-sql=0.5",
            "--rate",
            "sql-opportunity=0.6",
            "--rate",
            "opportunity-customer=0.4",
            "--json",
        ]
    )

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [data[stage] for stage in STAGES] == [20, 50, 84, 168, 840]
    assert data["inputs"]["rates_source"] == "options"


def test_cli_missing_rate_uses_the_default() -> None:
    result = run([*BASE_ARGS, "--months", "2", "--rate", "mql-sql=0.25", "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rates"]["mql-sql"] == "0.25"
    assert data["rates"]["lead-mql"] == "0.2"
    # 84 / 0.25 = 336 MQLs; 336 / 0.2 = 1680 leads; over 4 reps x 2 months = 8.
    assert (data["mqls"], data["leads"]) == (336, 1680)
    assert data["sla_terms"] == {"mqls_per_rep_per_month": 42}


def test_cli_human_output() -> None:
    result = run(BASE_ARGS)

    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("Customers", "MQLs", "Leads", "840", "210", "lead-mql", "0.2 (20%)"):
        assert text in out
    assert "at least 42 MQLs per month" in out
    assert "595.24" in out
    assert "119.05" in out
    assert "rounded up" in out


def test_cli_from_history_uses_the_injected_measurer() -> None:
    calls: list[int] = []

    def measure(window_months: int) -> tuple[FunnelRates, dict[str, Any]]:
        calls.append(window_months)
        return rates("0.1", "0.5", "0.5", "0.5"), {"leads_measured": 1200}

    result = run([*BASE_ARGS, "--from-history", "--window", "3m", "--json"], measure)

    assert result.exit_code == 0, result.output
    assert calls == [3]
    data = json.loads(result.stdout)
    # 20 customers / 0.5 = 40 / 0.5 = 80 / 0.5 = 160 MQLs / 0.1 = 1600 leads.
    assert [data[stage] for stage in STAGES] == [20, 40, 80, 160, 1600]
    assert data["inputs"]["rates_source"] == "history"
    assert data["inputs"]["window_months"] == 3
    assert data["inputs"]["measurement"] == {"leads_measured": 1200}


def test_cli_from_history_default_window_is_six_months() -> None:
    calls: list[int] = []

    def measure(window_months: int) -> tuple[FunnelRates, dict[str, Any]]:
        calls.append(window_months)
        return DEFAULT_RATES, {}

    result = run([*BASE_ARGS, "--from-history"], measure)

    assert result.exit_code == 0, result.output
    assert calls == [6]
    assert "measured over the last 6 months" in result.stdout


def test_cli_from_history_without_a_measurer_is_a_clear_error() -> None:
    result = run([*BASE_ARGS, "--from-history"])

    assert result.exit_code == 2
    assert "--from-history" in result.stderr
    assert "workspace" in result.stderr
    assert "Traceback" not in result.output


def test_cli_measurer_error_names_from_history() -> None:
    def measure(window_months: int) -> tuple[FunnelRates, dict[str, Any]]:
        return FunnelRates(D("0"), D("0.5"), D("0.5"), D("0.5")), {}

    result = run([*BASE_ARGS, "--from-history"], measure)

    assert result.exit_code == 2
    assert "--from-history" in result.stderr
    assert "lead-mql must be greater than 0" in result.stderr


@pytest.mark.parametrize(
    ("args", "option", "message"),
    [
        (["--revenue-goal", "0"], "--revenue-goal", "greater than 0"),
        (["--revenue-goal", "lots"], "--revenue-goal", "not a number"),
        (["--avg-deal-size", "-1"], "--avg-deal-size", "greater than 0"),
        (["--reps", "0"], "--reps", "at least 1"),
        (["--months", "0"], "--months", "at least 1"),
        (["--rate", "lead-mql=0"], "--rate", "greater than 0"),
        (["--rate", "lead-mql=1.2"], "--rate", "at most 1"),
        (["--rate", "mql-opportunity=0.5"], "--rate", "unknown rate key"),
        (["--from-history", "--window", "90d"], "--window", "months like 6m"),
        (["--window", "6m"], "--window", "only applies with --from-history"),
        (["--from-history", "--rate", "lead-mql=0.2"], "--rate", "not both"),
    ],
)
def test_cli_errors_name_the_option_and_exit_2(args: list[str], option: str, message: str) -> None:
    def measure(window_months: int) -> tuple[FunnelRates, dict[str, Any]]:
        return DEFAULT_RATES, {}

    # Later options override the base ones.
    result = run([*BASE_ARGS, *args, "--json"], measure)

    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert option in result.stderr
    assert message in " ".join(result.stderr.replace("│", " ").split())  # unwrap Rich's panel
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
