"""Derive handoffs from a contact's recorded history (pure logic).

A handoff starts when an MQL gets an owner: an MQL is assigned, or a contact that
already has an owner becomes an MQL. It ends for that owner when the lead is assigned
to someone else (`reassigned_at`) or leaves the funnel (recycled or disqualified,
`disqualified_at`). Attempts count for the owner who made them while owning the lead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from smarketing.sla.clocks import AttemptFact, HandoffFacts

HANDOFF_STAGE = "mql"
LEAVING_TRANSITIONS = frozenset({"recycle", "disqualify"})


@dataclass(frozen=True)
class Handoff:
    owner_id: int
    facts: HandoffFacts


@dataclass
class _Open:
    owner_id: int
    started_at: datetime
    reassigned_at: datetime | None = None
    disqualified_at: datetime | None = None
    attempts: list[AttemptFact] = field(default_factory=list)


def derive_handoffs(
    stages: Sequence[tuple[datetime, str, str]],
    owners: Sequence[tuple[datetime, int | None]],
    attempts: Sequence[tuple[datetime, int, str | None]],
    decisions: Sequence[datetime],
) -> list[Handoff]:
    """`stages`: (at, to_stage, transition); `owners`: (at, owner_id); `attempts`:
    (at, user_id, outcome); `decisions`: instants. Each list in time order."""
    # (at, 0 for a stage change / 1 for an owner change, stage, transition, owner)
    events: list[tuple[datetime, int, str, str, int | None]] = [
        (at, 0, to, transition, None) for at, to, transition in stages
    ]
    events += [(at, 1, "", "", new_owner) for at, new_owner in owners]
    events.sort(key=lambda e: (e[0], e[1]))

    done: list[_Open] = []
    current: _Open | None = None
    stage: str | None = None
    owner: int | None = None
    for at, order, to, transition, new_owner in events:
        if order == 1:
            if new_owner == owner:
                continue
            if current is not None:
                current.reassigned_at = at
                done.append(current)
                current = None
            owner = new_owner
            if stage == HANDOFF_STAGE and owner is not None:
                current = _Open(owner, at)
        else:
            previous, stage = stage, to
            if current is not None and transition in LEAVING_TRANSITIONS:
                current.disqualified_at = at
                done.append(current)
                current = None
            elif to == HANDOFF_STAGE and previous != HANDOFF_STAGE and owner is not None:
                if current is None:
                    current = _Open(owner, at)
    if current is not None:
        done.append(current)
    return [_finish(h, attempts, decisions) for h in done]


def _finish(
    handoff: _Open,
    attempts: Sequence[tuple[datetime, int, str | None]],
    decisions: Sequence[datetime],
) -> Handoff:
    end = min((t for t in (handoff.reassigned_at, handoff.disqualified_at) if t), default=None)

    def within(at: datetime) -> bool:
        return at >= handoff.started_at and (end is None or at <= end)

    own_attempts = tuple(
        AttemptFact(at, outcome) for at, user_id, outcome in attempts
        if user_id == handoff.owner_id and within(at)
    )  # fmt: skip
    decided = next((at for at in decisions if within(at)), None)
    return Handoff(handoff.owner_id, HandoffFacts(
        started_at=handoff.started_at, attempts=own_attempts,
        reassigned_at=handoff.reassigned_at, decided_at=decided,
        disqualified_at=handoff.disqualified_at,
    ))  # fmt: skip
