"""Funnel use cases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.funnel import repository
from smarketing.funnel.domain import StageRow, funnel_rows, month_bounds
from smarketing.models import Workspace


def workspace_timezone(session: Session) -> str:
    return session.execute(select(Workspace.timezone)).scalar_one_or_none() or "UTC"


def funnel(session: Session, now: datetime, owner_id: int | None = None) -> list[StageRow]:
    """Contacts per current stage and stage entries this month vs last month.

    `owner_id` limits everything to one rep's contacts.
    """
    last_start, this_start, next_start = month_bounds(now, workspace_timezone(session))
    return funnel_rows(
        repository.count_by_stage(session, owner_id),
        repository.entries_by_stage(session, this_start, next_start, owner_id),
        repository.entries_by_stage(session, last_start, this_start, owner_id),
    )
