"""Lifecycle rules: table-driven golden cases and property tests against a simple oracle."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smarketing.lifecycle.domain import (
    ALL_STAGES,
    FUNNEL,
    NEXT_ACTIONS,
    OWNING_TEAM,
    HistoryEntry,
    Stage,
    StageMove,
    Team,
    Transition,
    TransitionError,
    became_at,
    decision_target,
    funnel_position,
    initial_move,
    parse_stage,
    plan_move,
    time_in_stage,
)

S = Stage

MOVES = [
    # current, target, reason, expected transition (None = no-op)
    (S.SUBSCRIBER, S.LEAD, None, Transition.ADVANCE),
    (S.LEAD, S.MQL, None, Transition.ADVANCE),
    (S.LEAD, S.CUSTOMER, None, Transition.ADVANCE),  # skipping stages forward is free
    (S.MQL, S.SQL, None, Transition.ADVANCE),
    (S.OPPORTUNITY, S.CUSTOMER, None, Transition.ADVANCE),
    (S.CUSTOMER, S.EVANGELIST, None, Transition.ADVANCE),
    (S.MQL, S.LEAD, "not ready to buy", Transition.RECYCLE),
    (S.SQL, S.SUBSCRIBER, "only wants the newsletter", Transition.RECYCLE),
    (S.OTHER, S.LEAD, "new budget this year", Transition.RECYCLE),
    (S.SQL, S.OTHER, "student, no company", Transition.DISQUALIFY),
    (S.LEAD, S.OTHER, "competitor", Transition.DISQUALIFY),
    (S.MQL, S.MQL, None, None),
    (S.OTHER, S.OTHER, None, None),
]


@pytest.mark.parametrize(("current", "target", "reason", "expected"), MOVES)
def test_allowed_moves(current: Stage, target: Stage, reason: str | None, expected: object) -> None:
    move = plan_move(current, target, reason)
    if expected is None:
        assert move is None
    else:
        assert move is not None
        assert (move.from_stage, move.to_stage, move.transition) == (current, target, expected)


REFUSED = [
    # current, target, reason, words the message must contain
    (S.SQL, S.MQL, "whatever", "cannot move from sql to mql"),
    (S.CUSTOMER, S.OPPORTUNITY, None, r"lead \(recycle, needs a reason\), evangelist, other"),
    (S.OTHER, S.MQL, None, "cannot move from other to mql"),
    (S.MQL, S.LEAD, None, "recycle and needs a reason"),
    (S.MQL, S.LEAD, "   ", "needs a reason"),
    (S.SQL, S.OTHER, None, "disqualify and needs a reason"),
]


@pytest.mark.parametrize(("current", "target", "reason", "words"), REFUSED)
def test_refused_moves_name_the_allowed_ones(
    current: Stage, target: Stage, reason: str | None, words: str
) -> None:
    with pytest.raises(TransitionError, match=words):
        plan_move(current, target, reason)


def test_every_stage_has_an_owning_team_and_next_actions() -> None:
    assert {OWNING_TEAM[s] for s in (S.SUBSCRIBER, S.LEAD, S.MQL)} == {Team.MARKETING}
    assert {OWNING_TEAM[s] for s in (S.SQL, S.OPPORTUNITY, S.CUSTOMER)} == {Team.SALES}
    assert all(NEXT_ACTIONS[s] for s in ALL_STAGES)


def test_unknown_stage_lists_the_stages() -> None:
    with pytest.raises(TransitionError, match="stages are: subscriber, lead, mql"):
        parse_stage("prospect")


@pytest.mark.parametrize(
    ("decision", "then", "stage"),
    [("accepted", None, S.SQL), ("rejected", None, S.LEAD), ("rejected", "recycle", S.LEAD),
     ("rejected", "disqualify", S.OTHER)],
)  # fmt: skip
def test_decision_effects(decision: str, then: str | None, stage: Stage) -> None:
    assert decision_target(decision, then) is stage


def oracle_allows(current: Stage, target: Stage, has_reason: bool) -> bool:
    """The rule in words: forward is free; back only to subscriber/lead or to other, with a
    reason; `other` can only be left by a recycle."""
    if current is target:
        return True
    if current is not S.OTHER and target in FUNNEL and FUNNEL.index(target) > FUNNEL.index(current):
        return True
    if target in (S.SUBSCRIBER, S.LEAD) or (target is S.OTHER and current is not S.OTHER):
        return has_reason
    return False


stages = st.sampled_from(ALL_STAGES)


@given(stages, stages, st.one_of(st.none(), st.text(max_size=5)))
def test_plan_move_agrees_with_oracle(current: Stage, target: Stage, reason: str | None) -> None:
    has_reason = bool(reason and reason.strip())
    try:
        plan_move(current, target, reason)
        allowed = True
    except TransitionError:
        allowed = False
    assert allowed == oracle_allows(current, target, has_reason)


@given(st.lists(st.tuples(stages, st.text(min_size=1, max_size=3)), max_size=20))
def test_any_accepted_walk_ends_where_the_last_move_went(walk: list[tuple[Stage, str]]) -> None:
    current = S.LEAD
    for target, reason in walk:
        try:
            move = plan_move(current, target, reason)
        except TransitionError:
            continue
        if move is not None:
            assert move.from_stage is current
            current = move.to_stage
        assert current is target


def test_became_at_keeps_the_latest_entry_and_time_in_stage() -> None:
    t0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
    history = [HistoryEntry(S.LEAD, t0), HistoryEntry(S.MQL, t0 + timedelta(days=2)),
               HistoryEntry(S.LEAD, t0 + timedelta(days=5))]  # fmt: skip
    assert became_at(history) == {S.LEAD: t0 + timedelta(days=5), S.MQL: t0 + timedelta(days=2)}
    assert time_in_stage(t0, t0 + timedelta(hours=3)) == timedelta(hours=3)
    assert time_in_stage(t0, t0 - timedelta(hours=3)) == timedelta(0)


@pytest.mark.parametrize(("current", "target", "reason", "move"), [
    (S.LEAD, S.MQL, None, (S.LEAD, S.MQL, Transition.ADVANCE, None)),
    (S.LEAD, S.CUSTOMER, " signed ", (S.LEAD, S.CUSTOMER, Transition.ADVANCE, "signed")),
    (S.MQL, S.LEAD, " no budget ", (S.MQL, S.LEAD, Transition.RECYCLE, "no budget")),
    (S.SQL, S.SUBSCRIBER, "newsletter only", (S.SQL, S.SUBSCRIBER, Transition.RECYCLE,
                                              "newsletter only")),
    (S.SQL, S.OTHER, "spam", (S.SQL, S.OTHER, Transition.DISQUALIFY, "spam")),
    (S.OTHER, S.LEAD, "came back", (S.OTHER, S.LEAD, Transition.RECYCLE, "came back")),
])  # fmt: skip
def test_a_move_records_its_transition_and_the_trimmed_reason(
    current: Stage, target: Stage, reason: str | None, move: tuple[object, ...]
) -> None:
    planned = plan_move(current, target, reason)
    assert planned is not None
    assert (planned.from_stage, planned.to_stage, planned.transition, planned.reason) == move


def test_a_refusal_lists_every_allowed_move_in_funnel_order() -> None:
    with pytest.raises(TransitionError) as refused:
        plan_move(S.SQL, S.MQL)
    assert str(refused.value) == (
        "cannot move from sql to mql; allowed from sql: subscriber (recycle, needs a reason), "
        "lead (recycle, needs a reason), opportunity, customer, evangelist, "
        "other (disqualify, needs a reason)")
    with pytest.raises(TransitionError) as from_other:
        plan_move(S.OTHER, S.MQL)
    assert str(from_other.value) == (
        "cannot move from other to mql; allowed from other: subscriber (recycle, needs a "
        "reason), lead (recycle, needs a reason)")
    with pytest.raises(TransitionError) as no_reason:
        plan_move(S.MQL, S.LEAD, "  ")
    assert str(no_reason.value) == "moving from mql back to lead is a recycle and needs a reason"


def test_messages_for_unknown_stages_and_decisions_in_full() -> None:
    with pytest.raises(TransitionError) as stage:
        parse_stage("prospect")
    assert str(stage.value) == ("unknown lifecycle stage 'prospect'; stages are: subscriber, "
                                "lead, mql, sql, opportunity, customer, evangelist, other")
    assert parse_stage("mql") is S.MQL
    with pytest.raises(TransitionError) as then:
        decision_target("rejected", "later")
    assert str(then.value) == "then must be recycle or disqualify, got 'later'"
    with pytest.raises(TransitionError) as decision:
        decision_target("maybe", None)
    assert str(decision.value) == "decision must be accepted or rejected, got 'maybe'"


def test_positions_creation_history_and_time_in_stage() -> None:
    assert [funnel_position(s) for s in ALL_STAGES] == [0, 1, 2, 3, 4, 5, 6, 7]
    assert initial_move(S.MQL) == StageMove(None, S.MQL, Transition.CREATE, None)
    assert plan_move(S.MQL, S.MQL, "again") is None
    t0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
    unsorted = [HistoryEntry(S.LEAD, t0 + timedelta(days=5)), HistoryEntry(S.LEAD, t0)]
    assert became_at(unsorted) == {S.LEAD: t0 + timedelta(days=5)}
    assert time_in_stage(t0 + timedelta(hours=1), t0) == timedelta(0)
