"""Every query of the lifecycle: the stage columns of a contact and the history table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from smarketing.models import Contact, LifecycleChange


def stage_of(session: Session, contact_id: int) -> tuple[str, datetime]:
    row = session.execute(
        select(Contact.lifecycle_stage, Contact.stage_entered_at).where(Contact.id == contact_id)
    ).one()
    return row[0], row[1]


def set_stage(session: Session, contact_id: int, stage: str, at: datetime) -> None:
    session.execute(
        update(Contact)
        .where(Contact.id == contact_id)
        .values(lifecycle_stage=stage, stage_entered_at=at)
    )


def append_history(session: Session, **values: object) -> None:
    session.execute(insert(LifecycleChange).values(**values))


def history_exists(session: Session, contact_id: int, to_stage: str, at: datetime) -> bool:
    found = session.execute(
        select(LifecycleChange.id).where(
            LifecycleChange.contact_id == contact_id,
            LifecycleChange.to_stage == to_stage,
            LifecycleChange.at == at,
        )
    ).first()
    return found is not None


def history_of(session: Session, contact_id: int) -> list[LifecycleChange]:
    return list(
        session.scalars(
            select(LifecycleChange)
            .where(LifecycleChange.contact_id == contact_id)
            .order_by(LifecycleChange.at, LifecycleChange.id)
        )
    )
