"""Funnel conversion rates measured from the lifecycle history (planner `--from-history`).

For each step (lead -> mql, mql -> sql, sql -> opportunity, opportunity -> customer)
the cohort is every contact that entered the first stage within the window; the rate is
the share of that cohort that later reached the next stage or any stage beyond it
(skipping stages is allowed in the funnel). Sample sizes are reported with the rates.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from smarketing.core.timeutil import format_instant
from smarketing.lifecycle.domain import FUNNEL, Stage
from smarketing.models import LifecycleChange
from smarketing.sla.planner import FunnelRates, PlannerError

STEPS = (
    ("lead-mql", Stage.LEAD, Stage.MQL),
    ("mql-sql", Stage.MQL, Stage.SQL),
    ("sql-opportunity", Stage.SQL, Stage.OPPORTUNITY),
    ("opportunity-customer", Stage.OPPORTUNITY, Stage.CUSTOMER),
)


def _cohort(session: Session, stage: Stage, start: datetime, end: datetime) -> tuple[int, int]:
    """(contacts that entered `stage` in [start, end), those of them that moved on)."""
    entered = aliased(LifecycleChange)
    later = aliased(LifecycleChange)
    onward = [s.value for s in FUNNEL[FUNNEL.index(stage) + 1 :]]
    in_window = (entered.to_stage == stage.value, entered.at >= start, entered.at < end)
    total = session.execute(
        select(func.count(func.distinct(entered.contact_id))).where(*in_window)
    ).scalar_one()
    moved = session.execute(
        select(func.count(func.distinct(entered.contact_id)))
        .join(later, (later.contact_id == entered.contact_id) & (later.at >= entered.at)
              & later.to_stage.in_(onward))
        .where(*in_window)
    ).scalar_one()  # fmt: skip
    return total, moved


def measure_rates(
    session: Session, now: datetime, window_months: int
) -> tuple[FunnelRates, dict[str, Any]]:
    start = now - timedelta(days=round(30.44 * window_months))
    rates: dict[str, Decimal] = {}
    samples: dict[str, dict[str, int]] = {}
    for key, stage, _next in STEPS:
        total, moved = _cohort(session, stage, start, now)
        samples[key] = {"entered": total, "converted": moved}
        if total == 0 or moved == 0:
            raise PlannerError(
                "window",
                f"not enough history to measure {key}: {moved} of {total} contacts that "
                f"entered {stage.value} since {start.date()} moved on; widen --window or "
                "pass --rate",
            )
        rates[key] = (Decimal(moved) / Decimal(total)).quantize(Decimal("0.0001"))
    details = {"window_months": window_months, "from": format_instant(start),
               "to": format_instant(now), "samples": samples}  # fmt: skip
    return FunnelRates.from_mapping(rates), details
