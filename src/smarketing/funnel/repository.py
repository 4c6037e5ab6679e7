"""Funnel queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smarketing.models import Contact, LifecycleChange


def count_by_stage(session: Session, owner_id: int | None = None) -> dict[str, int]:
    statement = select(Contact.lifecycle_stage, func.count()).group_by(Contact.lifecycle_stage)
    if owner_id is not None:
        statement = statement.where(Contact.owner_id == owner_id)
    return dict(session.execute(statement).all())


def entries_by_stage(
    session: Session, start: datetime, end: datetime, owner_id: int | None = None
) -> dict[str, int]:
    """How many times contacts entered each stage in [start, end)."""
    statement = (
        select(LifecycleChange.to_stage, func.count())
        .where(LifecycleChange.at >= start, LifecycleChange.at < end)
        .group_by(LifecycleChange.to_stage)
    )
    if owner_id is not None:
        statement = statement.join(Contact, Contact.id == LifecycleChange.contact_id).where(
            Contact.owner_id == owner_id
        )
    return dict(session.execute(statement).all())
