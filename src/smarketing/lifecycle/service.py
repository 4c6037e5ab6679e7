"""The one place that writes a contact's lifecycle stage.

Every change is validated by the pure rules in `domain` and appended to the history
with from, to, at, actor and reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from smarketing.core.errors import ValidationError
from smarketing.lifecycle import repository
from smarketing.lifecycle.domain import (
    Stage,
    StageMove,
    TransitionError,
    initial_move,
    parse_stage,
    plan_move,
)

SYSTEM_ACTOR = "system"


def record_initial_stage(
    session: Session, contact_id: int, stage: Stage, at: datetime, actor: str = SYSTEM_ACTOR
) -> None:
    """Write the history entry of a contact that was just created in `stage`."""
    move = initial_move(stage)
    repository.append_history(
        session,
        contact_id=contact_id,
        from_stage=None,
        to_stage=move.to_stage.value,
        transition=move.transition.value,
        at=at,
        actor=actor,
        reason=None,
        source="contact",
    )


def check_move(session: Session, contact_id: int, to: str, at: datetime, reason: str | None) -> (
    StageMove | None
):
    """Validate a change without writing it. None means the contact is already there."""
    current, entered_at = repository.stage_of(session, contact_id)
    if at < entered_at:
        raise ValidationError(
            f"at {at.isoformat()} is before the contact entered its current stage "
            f"{current} at {entered_at.isoformat()}; history is appended in time order"
        )
    try:
        return plan_move(parse_stage(current), parse_stage(to), reason)
    except TransitionError as exc:
        raise ValidationError(str(exc)) from None


def apply_move(
    session: Session,
    contact_id: int,
    move: StageMove,
    at: datetime,
    actor: str,
    source: str,
    decision_id: int | None = None,
) -> None:
    repository.set_stage(session, contact_id, move.to_stage.value, at)
    repository.append_history(
        session,
        contact_id=contact_id,
        from_stage=move.from_stage.value if move.from_stage else None,
        to_stage=move.to_stage.value,
        transition=move.transition.value,
        at=at,
        actor=actor,
        reason=move.reason,
        source=source,
        decision_id=decision_id,
    )


def change_stage(
    session: Session,
    contact_id: int,
    to: str,
    at: datetime,
    actor: str = SYSTEM_ACTOR,
    reason: str | None = None,
) -> StageMove | None:
    """Move a contact to stage `to`; returns the move, or None if it was already there."""
    move = check_move(session, contact_id, to, at, reason)
    if move is not None:
        apply_move(session, contact_id, move, at, actor, source="stage_change")
    return move
