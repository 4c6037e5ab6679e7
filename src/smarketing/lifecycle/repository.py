"""Every query of the lifecycle: the stage columns of a contact and the history table.

Statements are built once and executed with parameters on the session's connection:
imports call these for every line, and building a statement costs more than running it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from smarketing.core.driver_sql import insert_rows
from smarketing.core.rows import chunks
from smarketing.models import Contact, Decision, LifecycleChange

_STAGE_OF = select(Contact.lifecycle_stage, Contact.stage_entered_at).where(
    Contact.id == bindparam("b_contact")
)
_SET_STAGE = update(Contact).where(Contact.id == bindparam("b_contact"))
_APPEND = insert(LifecycleChange)
_INSERT_DECISION = insert(Decision)
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


# --------------------------------------------------------------------------- many at once


def stages_of(session: Session, contact_ids: Iterable[int]) -> dict[int, tuple[str, datetime]]:
    """contact id -> (stage, entered at)."""
    found: dict[int, tuple[str, datetime]] = {}
    for chunk in chunks(sorted(set(contact_ids))):
        rows = session.execute(select(Contact.id, Contact.lifecycle_stage,
                                      Contact.stage_entered_at).where(Contact.id.in_(chunk)))
        found.update((row[0], (row[1], row[2])) for row in rows)
    return found


def history_keys(session: Session, contact_ids: Iterable[int]) -> set[tuple[int, str, datetime]]:
    """(contact, to stage, at) of every history entry of these contacts."""
    keys: set[tuple[int, str, datetime]] = set()
    for chunk in chunks(sorted(set(contact_ids))):
        keys.update(session.execute(
            select(LifecycleChange.contact_id, LifecycleChange.to_stage, LifecycleChange.at)
            .where(LifecycleChange.contact_id.in_(chunk))).all())  # fmt: skip
    return keys


def decision_keys(session: Session, contact_ids: Iterable[int]) -> set[tuple[int, datetime, str]]:
    """(contact, at, decision) of every decision on these contacts."""
    keys: set[tuple[int, datetime, str]] = set()
    for chunk in chunks(sorted(set(contact_ids))):
        keys.update(session.execute(
            select(Decision.contact_id, Decision.at, Decision.decision)
            .where(Decision.contact_id.in_(chunk))).all())  # fmt: skip
    return keys


def insert_decision(session: Session, contact_id: int, at: datetime, facts: Any) -> int:
    result = session.connection().execute(_INSERT_DECISION, {
        "contact_id": contact_id, "user_id": facts.user_id, "decision": facts.decision,
        "at": at, "reason": facts.reason, "comment": facts.comment, "then": facts.then,
    })  # fmt: skip
    return int(result.inserted_primary_key[0])  # type: ignore[index]


_HISTORY = ("contact_id", "from_stage", "to_stage", "transition", "at", "actor", "reason",
            "source", "decision_id")


def append_history_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append history entries, many at a time (constant SQL on the driver)."""
    insert_rows(session.connection(), "lifecycle_history", _HISTORY,
                [tuple(row.get(column) for column in _HISTORY) for row in rows],
                instants=("at",))  # fmt: skip


def set_stages(session: Session, stages: dict[int, tuple[str, datetime]]) -> None:
    """Each contact's (stage, entered at)."""
    if stages:
        session.connection().execute(_SET_STAGE, [
            {"b_contact": contact_id, "lifecycle_stage": stage, "stage_entered_at": at}
            for contact_id, (stage, at) in stages.items()])  # fmt: skip
