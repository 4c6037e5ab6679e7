"""Lifecycle rules as pure logic: stages, owning teams, next actions, transitions.

Moving forward is free. Moving backward happens only through an explicit `recycle`
(back to subscriber or lead) or `disqualify` (to `other`), and both need a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from smarketing.i18n.catalogs import N_


class Stage(StrEnum):
    SUBSCRIBER = "subscriber"
    LEAD = "lead"
    MQL = "mql"
    SQL = "sql"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    EVANGELIST = "evangelist"
    OTHER = "other"


class Team(StrEnum):
    MARKETING = "marketing"
    SALES = "sales"


class Transition(StrEnum):
    CREATE = "create"
    ADVANCE = "advance"
    RECYCLE = "recycle"
    DISQUALIFY = "disqualify"


#: The funnel in order. `other` (disqualified, partner, competitor...) stands outside it.
FUNNEL: tuple[Stage, ...] = (
    Stage.SUBSCRIBER,
    Stage.LEAD,
    Stage.MQL,
    Stage.SQL,
    Stage.OPPORTUNITY,
    Stage.CUSTOMER,
    Stage.EVANGELIST,
)
ALL_STAGES: tuple[Stage, ...] = (*FUNNEL, Stage.OTHER)
RECYCLE_TARGETS: frozenset[Stage] = frozenset({Stage.SUBSCRIBER, Stage.LEAD})

OWNING_TEAM: dict[Stage, Team] = {
    Stage.SUBSCRIBER: Team.MARKETING,
    Stage.LEAD: Team.MARKETING,
    Stage.MQL: Team.MARKETING,
    Stage.SQL: Team.SALES,
    Stage.OPPORTUNITY: Team.SALES,
    Stage.CUSTOMER: Team.SALES,
    Stage.EVANGELIST: Team.SALES,
    Stage.OTHER: Team.MARKETING,
}

#: What to do next in each stage; marked with N_, translated where shown.
NEXT_ACTIONS: dict[Stage, tuple[str, ...]] = {
    Stage.SUBSCRIBER: (
        N_("Nurture with content until the person shows buying interest"),
        N_("Offer a gated content piece to turn the subscriber into a lead"),
    ),
    Stage.LEAD: (
        N_("Score engagement and fit against the MQL definition"),
        N_("Enrich company, job title and persona"),
        N_("Nurture with content for the persona and product line"),
    ),
    Stage.MQL: (
        N_("Assign to a sales rep now: the SLA clock starts at assignment"),
        N_("Hand over the full story: source, campaign and content consumed"),
    ),
    Stage.SQL: (
        N_("Make the first attempt within the SLA's business hours"),
        N_("Complete the attempt cadence until connected"),
        N_("Accept into an opportunity or reject with a reason"),
    ),
    Stage.OPPORTUNITY: (
        N_("Work the deal: proposal, negotiation, close date"),
        N_("Record won or lost, with the lost reason, so marketing sees the outcome"),
    ),
    Stage.CUSTOMER: (
        N_("Onboard and look for upsell in other product lines"),
        N_("Ask for a referral or a case study"),
    ),
    Stage.EVANGELIST: (
        N_("Invite to referral programmes, events and case studies"),
    ),
    Stage.OTHER: (
        N_("Review the disqualification reason; recycle to lead if circumstances change"),
    ),
}


class TransitionError(ValueError):
    """A stage change the rules do not allow; the message names the allowed ones."""


@dataclass(frozen=True, slots=True)
class StageMove:
    """A validated change, ready to be appended to the history."""

    from_stage: Stage | None
    to_stage: Stage
    transition: Transition
    reason: str | None


def parse_stage(value: str) -> Stage:
    try:
        return Stage(value)
    except ValueError:
        allowed = ", ".join(s.value for s in ALL_STAGES)
        raise TransitionError(f"unknown lifecycle stage {value!r}; stages are: {allowed}") from None


def funnel_position(stage: Stage) -> int:
    """Index in the funnel; `other` sorts after every funnel stage."""
    return FUNNEL.index(stage) if stage in FUNNEL else len(FUNNEL)


def allowed_moves(current: Stage) -> dict[Stage, Transition]:
    """Every stage reachable from `current`, with the transition it takes."""
    moves: dict[Stage, Transition] = {}
    if current is not Stage.OTHER:
        for stage in FUNNEL[funnel_position(current) + 1 :]:
            moves[stage] = Transition.ADVANCE
    for stage in RECYCLE_TARGETS:
        if stage is not current and stage not in moves:
            moves[stage] = Transition.RECYCLE
    if current is not Stage.OTHER:
        moves[Stage.OTHER] = Transition.DISQUALIFY
    return moves


def _describe_allowed(current: Stage) -> str:
    moves = allowed_moves(current)
    parts = []
    for stage in ALL_STAGES:
        if stage in moves:
            kind = moves[stage]
            suffix = "" if kind is Transition.ADVANCE else f" ({kind.value}, needs a reason)"
            parts.append(f"{stage.value}{suffix}")
    return ", ".join(parts)


def plan_move(current: Stage, target: Stage, reason: str | None = None) -> StageMove | None:
    """Validate moving from `current` to `target`.

    Returns None when the contact is already in `target` (a no-op, not an error).
    Raises TransitionError naming the allowed moves otherwise.
    """
    if target is current:
        return None
    transition = allowed_moves(current).get(target)
    if transition is None:
        raise TransitionError(
            f"cannot move from {current.value} to {target.value}; "
            f"allowed from {current.value}: {_describe_allowed(current)}"
        )
    clean_reason = reason.strip() if reason else None
    if transition is not Transition.ADVANCE and not clean_reason:
        raise TransitionError(
            f"moving from {current.value} back to {target.value} is a {transition.value} "
            "and needs a reason"
        )
    return StageMove(current, target, transition, clean_reason)


def initial_move(stage: Stage) -> StageMove:
    """The history entry of a contact created directly in `stage`."""
    return StageMove(None, stage, Transition.CREATE, None)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    to_stage: Stage
    at: datetime


def became_at(history: list[HistoryEntry]) -> dict[Stage, datetime]:
    """The last instant the contact entered each stage it has been in."""
    result: dict[Stage, datetime] = {}
    for entry in sorted(history, key=lambda e: e.at):
        result[entry.to_stage] = entry.at
    return result


def time_in_stage(stage_entered_at: datetime, now: datetime) -> timedelta:
    return max(now - stage_entered_at, timedelta(0))


def decision_target(decision: str, then: str | None) -> Stage:
    """The stage a handoff decision moves the contact to (interchange spec)."""
    if decision == "accepted":
        return Stage.SQL
    if decision == "rejected":
        if then in (None, "recycle"):
            return Stage.LEAD
        if then == "disqualify":
            return Stage.OTHER
        raise TransitionError(f"then must be recycle or disqualify, got {then!r}")
    raise TransitionError(f"decision must be accepted or rejected, got {decision!r}")
