"""SLA planner: the reverse funnel, as pure logic.

Start from a revenue goal and walk the funnel backwards. Every stage is the
smallest whole number of records that, converted at the stage's rate, still
yields the next stage::

    customers     = ceil(revenue_goal / avg_deal_size)
    opportunities = ceil(customers     / rate["opportunity-customer"])
    sqls          = ceil(opportunities / rate["sql-opportunity"])
    mqls          = ceil(sqls          / rate["mql-sql"])
    leads         = ceil(mqls          / rate["lead-mql"])

Per rep per month figures are ``ceil(total / (reps * months))``: rounded *up*,
so that reps times months times the figure always covers the total. Marketing's
side of the SLA is the MQL figure (``mqls_per_rep_per_month``). The value of one
MQL is ``revenue_goal / mqls`` and of one lead ``revenue_goal / leads``, in
money rounded to cents with ROUND_HALF_UP.

Money and rates are :class:`~decimal.Decimal` parsed from strings. Divisions
that are rounded (the ceilings and the cents) are done on exact fractions, so no
float and no context precision ever decides a result.

No I/O, no clock, no database: plain data in and out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from fractions import Fraction

__all__ = [
    "DEFAULT_RATES",
    "DEFAULT_WINDOW_MONTHS",
    "RATE_KEYS",
    "FunnelRates",
    "Plan",
    "PlanInputs",
    "PlannerError",
    "StageCounts",
    "parse_decimal",
    "parse_rate_options",
    "parse_window",
    "plan_funnel",
    "plan_to_json",
]

#: Rate keys in funnel order, as written on the command line and in JSON.
RATE_KEYS: tuple[str, ...] = (
    "lead-mql",
    "mql-sql",
    "sql-opportunity",
    "opportunity-customer",
)

#: Months of history measured by ``--from-history`` when no ``--window`` is given.
DEFAULT_WINDOW_MONTHS = 6


class PlannerError(ValueError):
    """Bad planner input. ``parameter`` names the offending input.

    ``parameter`` is one of ``revenue_goal``, ``avg_deal_size``, ``reps``,
    ``months``, ``rate`` or ``window``; ``problem`` is the message without it.
    """

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter
        self.problem = problem


def parse_decimal(text: str, parameter: str) -> Decimal:
    """Parse ``text`` as an exact, finite decimal number (``"100000"``, ``"0.2"``)."""
    cleaned = text.strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise PlannerError(
            parameter, f"{text!r} is not a number (write e.g. 100000 or 0.2)"
        ) from None
    if not value.is_finite():
        raise PlannerError(parameter, f"{text!r} is not a finite number")
    return value


def _check_rate(key: str, value: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise PlannerError("rate", f"{key} must be a finite Decimal, got {value!r}")
    if value <= 0 or value > 1:
        hint = " (rates are fractions: write 0.2 for 20%)" if value > 1 else ""
        raise PlannerError(
            "rate",
            f"{key} must be greater than 0 and at most 1, got {_fixed(value)}{hint}",
        )


@dataclass(frozen=True)
class FunnelRates:
    """Conversion rate of each funnel step, each in (0, 1]."""

    lead_mql: Decimal
    mql_sql: Decimal
    sql_opportunity: Decimal
    opportunity_customer: Decimal

    def __post_init__(self) -> None:
        for key, value in self.as_dict().items():
            _check_rate(key, value)

    def as_dict(self) -> dict[str, Decimal]:
        """The rates keyed by :data:`RATE_KEYS` (``"lead-mql"`` ...), in funnel order."""
        return {
            key: getattr(self, field.name)
            for key, field in zip(RATE_KEYS, fields(self), strict=True)
        }

    @classmethod
    def from_mapping(cls, rates: Mapping[str, Decimal]) -> FunnelRates:
        """Build from a mapping keyed by :data:`RATE_KEYS`; every key is required."""
        unknown = sorted(set(rates) - set(RATE_KEYS))
        if unknown:
            raise PlannerError("rate", _unknown_key_problem(unknown[0]))
        missing = [key for key in RATE_KEYS if key not in rates]
        if missing:
            raise PlannerError("rate", f"missing {', '.join(missing)}")
        return cls(*(rates[key] for key in RATE_KEYS))


#: Rates used when none are given and ``--from-history`` is not asked for:
#: lead-mql 0.2, mql-sql 0.5, sql-opportunity 0.6, opportunity-customer 0.4.
DEFAULT_RATES = FunnelRates(
    lead_mql=Decimal("0.2"),
    mql_sql=Decimal("0.5"),
    sql_opportunity=Decimal("0.6"),
    opportunity_customer=Decimal("0.4"),
)


def _unknown_key_problem(key: str) -> str:
    return f"unknown rate key {key!r}; known keys: {', '.join(RATE_KEYS)}"


def parse_rate_options(values: Iterable[str]) -> FunnelRates:
    """Parse ``--rate`` values like ``"lead-mql=0.2"`` into :class:`FunnelRates`.

    A stage not given keeps its rate from :data:`DEFAULT_RATES`. Keys are
    matched case-insensitively; giving the same key twice is an error.
    """
    given: dict[str, Decimal] = {}
    for raw in values:
        key, sep, number = raw.partition("=")
        key = key.strip().lower()
        if not sep or not key or not number.strip():
            raise PlannerError("rate", f"{raw!r} must look like lead-mql=0.2")
        if key not in RATE_KEYS:
            raise PlannerError("rate", _unknown_key_problem(key))
        if key in given:
            raise PlannerError("rate", f"{key} is given more than once")
        value = parse_decimal(number, "rate")
        _check_rate(key, value)
        given[key] = value
    return FunnelRates.from_mapping({**DEFAULT_RATES.as_dict(), **given})


_WINDOW = re.compile(r"(\d+)m", re.IGNORECASE)


def parse_window(text: str) -> int:
    """Parse a history window written as months, ``"6m"`` -> 6 (at least 1 month)."""
    match = _WINDOW.fullmatch(text.strip())
    if match is None:
        raise PlannerError("window", f"{text!r} must be a number of months like 6m")
    months = int(match.group(1))
    if months < 1:
        raise PlannerError("window", f"must be at least 1 month, got {text!r}")
    return months


@dataclass(frozen=True)
class PlanInputs:
    """What the plan must reach: the revenue goal over ``months`` with ``reps`` sales reps."""

    revenue_goal: Decimal
    avg_deal_size: Decimal
    reps: int
    months: int = 1

    def __post_init__(self) -> None:
        for name in ("revenue_goal", "avg_deal_size"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite():
                raise PlannerError(name, f"must be a finite Decimal, got {value!r}")
            if value <= 0:
                raise PlannerError(name, f"must be greater than 0, got {_fixed(value)}")
        for name in ("reps", "months"):
            count = getattr(self, name)
            if isinstance(count, bool) or not isinstance(count, int):
                raise PlannerError(name, f"must be a whole number, got {count!r}")
            if count < 1:
                raise PlannerError(name, f"must be at least 1, got {count}")


@dataclass(frozen=True)
class StageCounts:
    """A whole number of records for each funnel stage, from the bottom up."""

    customers: int
    opportunities: int
    sqls: int
    mqls: int
    leads: int

    def as_dict(self) -> dict[str, int]:
        return {field.name: getattr(self, field.name) for field in fields(self)}


@dataclass(frozen=True)
class Plan:
    """The reverse funnel for ``inputs`` at ``rates``."""

    inputs: PlanInputs
    rates: FunnelRates
    totals: StageCounts
    per_rep_per_month: StageCounts
    mql_value: Decimal
    lead_value: Decimal

    @property
    def mqls_per_rep_per_month(self) -> int:
        """Marketing's SLA term: MQLs to hand each rep each month."""
        return self.per_rep_per_month.mqls

    @property
    def sla_terms(self) -> dict[str, int]:
        return {"mqls_per_rep_per_month": self.mqls_per_rep_per_month}


def _ceil_div(numerator: Decimal | int, denominator: Decimal | int) -> int:
    """Exact ``ceil(numerator / denominator)`` for Decimal or int operands."""
    return math.ceil(Fraction(numerator) / Fraction(denominator))


def _money_per(total: Decimal, count: int) -> Decimal:
    """``total / count`` rounded to cents, ROUND_HALF_UP, computed exactly."""
    cents = math.floor(Fraction(total) * 100 / count + Fraction(1, 2))  # both are positive
    return Decimal(f"{cents}E-2")  # exact: a string never meets the context precision


def plan_funnel(inputs: PlanInputs, rates: FunnelRates) -> Plan:
    """Walk the funnel backwards from ``inputs.revenue_goal`` at ``rates``."""
    customers = _ceil_div(inputs.revenue_goal, inputs.avg_deal_size)
    opportunities = _ceil_div(customers, rates.opportunity_customer)
    sqls = _ceil_div(opportunities, rates.sql_opportunity)
    mqls = _ceil_div(sqls, rates.mql_sql)
    leads = _ceil_div(mqls, rates.lead_mql)
    totals = StageCounts(customers, opportunities, sqls, mqls, leads)

    rep_months = inputs.reps * inputs.months
    per_rep_per_month = StageCounts(
        **{name: _ceil_div(count, rep_months) for name, count in totals.as_dict().items()}
    )
    return Plan(
        inputs=inputs,
        rates=rates,
        totals=totals,
        per_rep_per_month=per_rep_per_month,
        mql_value=_money_per(inputs.revenue_goal, mqls),
        lead_value=_money_per(inputs.revenue_goal, leads),
    )


def _fixed(value: Decimal) -> str:
    """A Decimal as plain fixed-point text (``1E+5`` -> ``"100000"``)."""
    return format(value, "f")


def plan_to_json(
    plan: Plan, *, extra_inputs: Mapping[str, object] | None = None
) -> dict[str, object]:
    """The plan as JSON-ready data. Decimals (money, rates) become exact strings.

    ``extra_inputs`` (JSON-ready, e.g. where the rates came from) is merged into
    ``inputs``.
    """
    inputs = plan.inputs
    return {
        **plan.totals.as_dict(),
        "per_rep_per_month": plan.per_rep_per_month.as_dict(),
        "rates": {key: _fixed(value) for key, value in plan.rates.as_dict().items()},
        "mql_value": _fixed(plan.mql_value),
        "lead_value": _fixed(plan.lead_value),
        "sla_terms": plan.sla_terms,
        "inputs": {
            "revenue_goal": _fixed(inputs.revenue_goal),
            "avg_deal_size": _fixed(inputs.avg_deal_size),
            "reps": inputs.reps,
            "months": inputs.months,
            **(extra_inputs or {}),
        },
    }
