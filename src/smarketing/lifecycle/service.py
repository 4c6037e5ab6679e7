"""The one place that writes a contact's lifecycle stage.

Every change is validated by the pure rules in `domain` and appended to the history
with from, to, at, actor and reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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


# --------------------------------------------------------------------------- many at once


@dataclass(frozen=True)
class DecisionFacts:
    """A sales decision on a handed-off lead (the `decisions` row)."""

    user_id: int
    decision: str  # accepted | rejected
    reason: str | None = None
    comment: str | None = None
    then: str | None = None  # recycle | disqualify, for a rejection


@dataclass(frozen=True)
class LifecycleEvent:
    """A request to move `contact_id` to stage `to` at `at` (a `stage_change`), or a
    decision (`decision` set) whose lifecycle effect is that move."""

    contact_id: int
    to: str
    at: datetime
    actor: str
    reason: str | None = None
    decision: DecisionFacts | None = None


def apply_events(session: Session, events: Sequence[LifecycleEvent]) -> list[str | ValidationError]:
    """Apply lifecycle events in the given order (a contact's earlier event first), with
    the rules of `change_stage`: one outcome per event, `created` or `unchanged` (already
    recorded, or the contact is already in that stage), or the ValidationError that
    refuses it (nothing of a refused event is written). A few statements per batch."""
    contact_ids = {event.contact_id for event in events}
    current = repository.stages_of(session, contact_ids)
    known_moves = repository.history_keys(session, contact_ids)
    known_decisions = repository.decision_keys(session, contact_ids)
    outcomes: list[str | ValidationError] = []
    history: list[dict[str, Any]] = []
    for event in events:
        try:
            outcomes.append(_apply_event(session, event, current, known_moves, known_decisions,
                                         history))  # fmt: skip
        except ValidationError as exc:
            outcomes.append(exc)
    repository.append_history_rows(session, history)
    moved = {row["contact_id"] for row in history}
    repository.set_stages(session, {c: current[c] for c in moved})
    return outcomes


def _apply_event(
    session: Session,
    event: LifecycleEvent,
    current: dict[int, tuple[str, datetime]],
    known_moves: set[tuple[int, str, datetime]],
    known_decisions: set[tuple[int, datetime, str]],
    history: list[dict[str, Any]],
) -> str:
    facts = event.decision
    if facts is None and (event.contact_id, event.to, event.at) in known_moves:
        return "unchanged"
    if facts is not None and (event.contact_id, event.at, facts.decision) in known_decisions:
        return "unchanged"
    move = _checked_move(current[event.contact_id], event)
    decision_id = None
    if facts is not None:
        decision_id = repository.insert_decision(session, event.contact_id, event.at, facts)
        known_decisions.add((event.contact_id, event.at, facts.decision))
    elif move is None:
        return "unchanged"
    if move is not None:
        history.append({
            "contact_id": event.contact_id,
            "from_stage": move.from_stage.value if move.from_stage else None,
            "to_stage": move.to_stage.value, "transition": move.transition.value,
            "at": event.at, "actor": event.actor, "reason": move.reason,
            "source": "decision" if facts is not None else "stage_change",
            "decision_id": decision_id,
        })  # fmt: skip
        known_moves.add((event.contact_id, move.to_stage.value, event.at))
        current[event.contact_id] = (move.to_stage.value, event.at)
    return "created"


def _checked_move(state: tuple[str, datetime], event: LifecycleEvent) -> StageMove | None:
    stage, entered_at = state
    if event.at < entered_at:
        raise ValidationError(
            f"at {event.at.isoformat()} is before the contact entered its current stage "
            f"{stage} at {entered_at.isoformat()}; history is appended in time order"
        )
    reason = event.decision.reason if event.decision is not None else event.reason
    if event.decision is not None and event.decision.decision != "rejected":
        reason = None
    try:
        return plan_move(parse_stage(stage), parse_stage(event.to), reason)
    except TransitionError as exc:
        raise ValidationError(str(exc)) from None


def record_initial_stages(
    session: Session, contacts: Sequence[tuple[int, str, datetime]], actor: str = SYSTEM_ACTOR
) -> None:
    """The history entries of contacts just created: (contact id, stage, created at)."""
    rows = []
    for contact_id, stage, at in contacts:
        move = initial_move(Stage(stage))
        rows.append({"contact_id": contact_id, "from_stage": None,
                     "to_stage": move.to_stage.value, "transition": move.transition.value,
                     "at": at, "actor": actor, "reason": None, "source": "contact",
                     "decision_id": None})  # fmt: skip
    repository.append_history_rows(session, rows)
