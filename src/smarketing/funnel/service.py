"""Funnel use cases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from smarketing.funnel import repository
from smarketing.funnel.domain import StageRow, funnel_rows, month_bounds
from smarketing.workspace.repository import workspace_settings


def funnel(session: Session, now: datetime, owner_id: int | None = None) -> list[StageRow]:
    """Contacts per current stage and stage entries this month vs last month.

    `owner_id` limits everything to one rep's contacts.
    """
    last_start, this_start, next_start = month_bounds(now, workspace_settings(session).timezone)
    return funnel_rows(
        repository.count_by_stage(session, owner_id),
        repository.entries_by_stage(session, this_start, next_start, owner_id),
        repository.entries_by_stage(session, last_start, this_start, owner_id),
    )
