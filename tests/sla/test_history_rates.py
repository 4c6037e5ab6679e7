"""Planner rates measured from the lifecycle history (`sla plan --from-history`)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from smarketing.interchange.service import import_records
from smarketing.sla.history_rates import measure_rates
from smarketing.sla.planner import PlannerError

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def walk(email: str, stages: list[str], day: int) -> list[dict]:
    """A contact created as a lead on 2026-10-`day`, then moved through `stages`."""
    records: list[dict] = [{"type": "contact", "email": email,
                            "created_at": f"2026-10-{day:02d}T09:00:00Z"}]  # fmt: skip
    for hour, stage in enumerate(stages, start=10):
        records.append({"type": "stage_change", "contact": email, "to": stage,
                        "at": f"2026-10-{day:02d}T{hour}:00:00Z"})  # fmt: skip
    return records


def test_rates_are_the_share_of_each_cohort_that_moved_on(session: Session) -> None:
    records: list[dict] = []
    # 10 leads: 5 become MQL; of those 4 become SQL; 2 opportunities; 1 customer.
    # One lead jumps straight to customer: it counts as having passed every step.
    paths = [["mql", "sql", "opportunity", "customer"], ["mql", "sql", "opportunity"],
             ["mql", "sql"], ["mql", "sql"], ["mql"], ["customer"], [], [], [], []]  # fmt: skip
    for index, path in enumerate(paths):
        records += walk(f"c{index}@x.es", path, day=index + 1)
    import_records(session, records, now=NOW)
    rates, details = measure_rates(session, NOW, window_months=6)
    # lead->mql: 6 of 10 moved on (5 via mql, 1 jumped); mql->sql: 4 of 5;
    # sql->opportunity: 2 of 4; opportunity->customer: 1 of 2
    assert rates.as_dict() == {
        "lead-mql": Decimal("0.6"), "mql-sql": Decimal("0.8"),
        "sql-opportunity": Decimal("0.5"), "opportunity-customer": Decimal("0.5"),
    }  # fmt: skip
    assert details["samples"]["lead-mql"] == {"entered": 10, "converted": 6}


def test_not_enough_history_names_the_step(session: Session) -> None:
    import_records(session, walk("a@x.es", ["mql"], day=1), now=NOW)
    with pytest.raises(PlannerError, match="not enough history to measure mql-sql"):
        measure_rates(session, NOW, window_months=6)
