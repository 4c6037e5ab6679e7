"""Every query of the lifecycle: the stage columns of a contact and the history table.

Statements are built once and executed with parameters on the session's connection:
imports call these for every line, and building a statement costs more than running it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from smarketing.models import Contact, LifecycleChange

_STAGE_OF = select(Contact.lifecycle_stage, Contact.stage_entered_at).where(
    Contact.id == bindparam("b_contact")
)
_SET_STAGE = update(Contact).where(Contact.id == bindparam("b_contact"))
_APPEND = insert(LifecycleChange)
_EXISTS = select(LifecycleChange.id).where(
    LifecycleChange.contact_id == bindparam("b_contact"),
    LifecycleChange.to_stage == bindparam("b_to"),
    LifecycleChange.at == bindparam("b_at"),
)


def stage_of(session: Session, contact_id: int) -> tuple[str, datetime]:
    row = session.connection().execute(_STAGE_OF, {"b_contact": contact_id}).one()
    return row[0], row[1]


def set_stage(session: Session, contact_id: int, stage: str, at: datetime) -> None:
    session.connection().execute(
        _SET_STAGE, {"b_contact": contact_id, "lifecycle_stage": stage, "stage_entered_at": at}
    )


def append_history(session: Session, **values: Any) -> None:
    values.setdefault("decision_id", None)
    session.connection().execute(_APPEND, values)


def history_exists(session: Session, contact_id: int, to_stage: str, at: datetime) -> bool:
    found = session.connection().execute(
        _EXISTS, {"b_contact": contact_id, "b_to": to_stage, "b_at": at}
    ).first()
    return found is not None
