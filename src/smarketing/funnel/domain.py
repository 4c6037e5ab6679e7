"""Pure helpers for the funnel views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from smarketing.lifecycle.domain import ALL_STAGES, OWNING_TEAM, Stage


@dataclass(frozen=True)
class StageRow:
    stage: Stage
    count: int
    entered_this_month: int
    entered_last_month: int

    @property
    def team(self) -> str:
        return OWNING_TEAM[self.stage].value

    @property
    def change(self) -> int:
        return self.entered_this_month - self.entered_last_month


def month_bounds(now: datetime, timezone: str) -> tuple[datetime, datetime, datetime]:
    """Start of last month, start of this month and start of next month, as UTC instants.

    Months are those of the workspace timezone, so "this month" matches the wall calendar.
    """
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    this_start = datetime(local.year, local.month, 1, tzinfo=zone)
    last_start = _add_months(this_start.date(), -1)
    next_start = _add_months(this_start.date(), 1)
    return (
        datetime(last_start.year, last_start.month, 1, tzinfo=zone).astimezone(UTC),
        this_start.astimezone(UTC),
        datetime(next_start.year, next_start.month, 1, tzinfo=zone).astimezone(UTC),
    )


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def funnel_rows(
    counts: dict[str, int], this_month: dict[str, int], last_month: dict[str, int]
) -> list[StageRow]:
    """Every stage in funnel order, zero where nothing is there."""
    return [
        StageRow(stage, counts.get(stage.value, 0), this_month.get(stage.value, 0),
                 last_month.get(stage.value, 0))  # fmt: skip
        for stage in ALL_STAGES
    ]
