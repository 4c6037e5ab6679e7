"""Attribution use case: read the store once, run the asked models, return typed results.

The CLI (`smarketing attribution`) and, later, the reports API and page call `attribute`
and print `as_json` of each result: the JSON contract of issue 13.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from smarketing.attribution import repository
from smarketing.attribution.domain import (
    DEFAULT_HALF_LIFE_DAYS,
    DEFAULT_LOOKBACK_DAYS,
    MAX_LOOKBACK_DAYS,
    KeyKind,
    Model,
    ModelResult,
    attribute_all,
    money,
    parse_key_kind,
    parse_models,
    parse_stage,
)
from smarketing.attribution.repository import Excluded
from smarketing.core.errors import ValidationError
from smarketing.workspace.repository import workspace_settings


@dataclass(frozen=True)
class AttributionReport:
    """The results of one or all models over the same conversions and touches."""

    by: KeyKind
    stage: str
    currency: str
    timezone: str
    #: The conversions' period as instants (inclusive); None: open.
    start: datetime | None
    end: datetime | None
    lookback_days: int
    half_life_days: float
    results: tuple[ModelResult, ...]
    #: Won deals of the period in another currency: left out (no FX), counted here.
    excluded: tuple[Excluded, ...]


def attribute(
    session: Session,
    model: str = "all",
    by: str = "channel",
    stage: str | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
) -> AttributionReport:
    """Attribute the conversions to channels or campaigns under `model` (or `all`).

    Revenue is in the workspace currency and days are in its timezone (the workspace row,
    else the SMARKETING_* settings: EUR and UTC by default).

    `from_date`/`to_date` are whole days in the workspace timezone, both included: a
    conversion counts when its instant is in [from 00:00, to + 1 day 00:00). Bad input
    raises ValidationError naming the option.
    """
    try:
        models = parse_models(model)
        kind = parse_key_kind(by)
        stage_name = parse_stage(stage)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    if not 1 <= lookback_days <= MAX_LOOKBACK_DAYS:
        raise ValidationError(f"lookback-days: {lookback_days} is not between 1 and "
                              f"{MAX_LOOKBACK_DAYS}")  # fmt: skip
    if not 0 < half_life_days <= MAX_LOOKBACK_DAYS:
        raise ValidationError(f"half-life-days: {half_life_days} is not a positive number of "
                              f"days up to {MAX_LOOKBACK_DAYS}")  # fmt: skip
    if from_date is not None and to_date is not None and from_date > to_date:
        raise ValidationError(f"from {from_date.isoformat()} is after to {to_date.isoformat()}")
    facts = workspace_settings(session)
    try:
        zone = ZoneInfo(facts.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"workspace timezone {facts.timezone!r} is not an IANA "
                              "timezone") from None  # fmt: skip
    start = None if from_date is None else _midnight(from_date, zone)
    end = None if to_date is None else _midnight(to_date + timedelta(days=1), zone) - timedelta(
        microseconds=1
    )
    # Only Markov reads the non-converting paths; they end with the period.
    period_end = None
    if Model.MARKOV in models:
        period_end = end if end is not None else repository.latest_activity(session)
    loaded = repository.load(session, repository.Query(
        by=kind, stage=stage_name, start=start, end=end, period_end=period_end,
        lookback_days=lookback_days, currency=facts.currency,
    ))  # fmt: skip
    results = attribute_all(models, loaded.data, half_life_days=half_life_days)
    return AttributionReport(kind, stage_name, facts.currency, facts.timezone, start, end,
                             lookback_days, half_life_days, tuple(results),
                             loaded.excluded)  # fmt: skip


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def json_number(value: Fraction) -> int | float:
    """A fractional credit as a JSON number: an integer when whole."""
    return int(value) if value.denominator == 1 else float(value)


def as_json(report: AttributionReport, result: ModelResult) -> dict[str, Any]:
    """One model's result in the JSON contract of issue 13."""
    return {
        "model": result.model.value,
        "by": report.by.value,
        "stage": report.stage,
        "conversions": result.conversions,
        "revenue": str(result.revenue),
        "credits": [{"key": credit.key, "conversions": json_number(credit.conversions),
                     "revenue": str(credit.revenue)} for credit in result.credits],  # fmt: skip
    }


def excluded_note(report: AttributionReport) -> str | None:
    """A sentence on the won deals left out for their currency, None when there are none."""
    if not report.excluded:
        return None
    parts = [f"{e.deals} in {e.currency} ({money(e.amount_cents)})" for e in report.excluded]
    total = sum(e.deals for e in report.excluded)
    return (f"{total} won deal{'s' if total != 1 else ''} left out, not in the workspace "
            f"currency {report.currency} (no exchange rates): {', '.join(parts)}")

