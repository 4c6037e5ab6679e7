"""SLA clocks from facts: golden cases on a Madrid calendar (hand-computed due instants)."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smarketing.sla.calendar import add_business_time, add_business_times, calendar_from_json
from smarketing.sla.clocks import AttemptFact, HandoffFacts, evaluate_clocks
from smarketing.sla.handoffs import derive_handoffs
from smarketing.sla.terms import SalesTerms

MADRID = ZoneInfo("Europe/Madrid")
CAL = calendar_from_json({
    "timezone": "Europe/Madrid",
    "hours": {d: [["09:00", "14:00"], ["15:00", "18:00"]]
              for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": {"country": "ES", "subdivision": "MD"},
})  # fmt: skip
TERMS = SalesTerms(first_attempt_within_hours=Decimal(8), attempts=5, attempts_within_days=14)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MADRID)


def first_attempt(facts: HandoffFacts, now: datetime):  # type: ignore[no-untyped-def]
    return evaluate_clocks(facts, TERMS, CAL, now)[0]


FIRST_ATTEMPT_DUE = [
    # assigned (Madrid wall time), due (Madrid wall time), why
    ("2026-10-09 17:59", "2026-10-13 17:59",
     "Fri 1 min; Sat, Sun closed; Mon 12 Oct National Day; Tue 09-14 (5h) + 15:00-17:59"),
    ("2026-11-18 23:30", "2026-11-19 18:00", "night: starts Thu 09:00; 5h + 3h ends at 18:00"),
    ("2026-10-23 16:00", "2026-10-26 16:00",
     "Fri 2h; DST ends Sun 25 Oct; Mon 09-14 (5h) + 15-16 (1h), now UTC+1"),
    ("2026-12-07 10:00", "2026-12-09 18:00", "Mon 7 and Tue 8 Dec both Madrid holidays"),
    ("2026-04-01 17:00", "2026-04-06 17:00",
     "Wed 1h; Thu 2 Apr (regional, Madrid) and Good Friday closed; Mon 09-14 + 15-17"),
    ("2026-05-04 13:30", "2026-05-05 13:30", "lunch: Mon 30 min + 3h; Tue 4h30 to 13:30"),
    ("2026-05-04 14:30", "2026-05-05 14:00", "assigned during lunch: clock starts 15:00"),
]  # fmt: skip


@pytest.mark.parametrize(("assigned", "due", "why"), FIRST_ATTEMPT_DUE)
def test_first_attempt_due_in_business_hours(assigned: str, due: str, why: str) -> None:
    clock = first_attempt(HandoffFacts(local(assigned)), now=local(assigned))
    assert clock.due_at == local(due), why
    assert clock.state == "on_track"


def test_states_on_time_late_missing_and_at_risk() -> None:
    start = local("2026-10-09 17:59")  # due Tue 13 Oct 17:59
    on_time = HandoffFacts(start, attempts=(AttemptFact(local("2026-10-13 10:00")),))
    late = HandoffFacts(start, attempts=(AttemptFact(local("2026-10-14 09:30")),))
    later = local("2026-10-20 12:00")
    assert first_attempt(on_time, later).state == "met"
    # business time to the attempt: Fri 1 min + Tue 1 h
    assert first_attempt(on_time, later).elapsed_business_seconds == 61 * 60
    assert (first_attempt(late, later).state, first_attempt(late, later).met_at) == (
        "breached", local("2026-10-14 09:30"))
    missing = first_attempt(HandoffFacts(start), later)
    assert (missing.state, missing.met_at, missing.next_check_at) == ("breached", None, None)
    # at risk once a quarter of the 8 h is left: 6 business hours in = Tue 15:59
    assert first_attempt(HandoffFacts(start), local("2026-10-13 15:58")).state == "on_track"
    risky = first_attempt(HandoffFacts(start), local("2026-10-13 15:59"))
    assert (risky.state, risky.next_check_at) == ("at_risk", local("2026-10-13 17:59"))


def test_reassigned_before_the_deadline_owes_nothing_after_it_is_missing() -> None:
    start = local("2026-11-18 23:30")  # due Thu 19 Nov 18:00
    early = HandoffFacts(start, reassigned_at=local("2026-11-19 12:00"))
    late = HandoffFacts(start, reassigned_at=local("2026-11-20 09:00"))
    now = local("2026-11-25 09:00")
    assert (first_attempt(early, now).state, first_attempt(early, now).closed_reason) == (
        "closed", "reassigned")
    assert first_attempt(late, now).state == "breached"


def test_cadence_met_by_attempts_or_by_connecting_and_missed_otherwise() -> None:
    start = local("2026-10-01 10:00")
    five = tuple(AttemptFact(start + timedelta(days=d)) for d in (0, 2, 4, 6, 8))
    three = five[:3]
    connected = (*three[:2], AttemptFact(start + timedelta(days=3), "connected"))
    now = start + timedelta(days=30)

    def cadence(facts: HandoffFacts, at: datetime = now):  # type: ignore[no-untyped-def]
        return evaluate_clocks(facts, TERMS, CAL, at)[1]

    assert cadence(HandoffFacts(start, five)).state == "met"
    assert cadence(HandoffFacts(start, five)).met_at == start + timedelta(days=8)
    assert cadence(HandoffFacts(start, three)).state == "breached"
    assert cadence(HandoffFacts(start, connected)).closed_reason == "connected"
    assert cadence(HandoffFacts(start, three), start + timedelta(days=5)).state == "on_track"
    decided = HandoffFacts(start, three[:1], decided_at=start + timedelta(days=1))
    assert (cadence(decided).state, cadence(decided).closed_reason) == ("met", "decided")
    # 14 calendar days, not business days
    assert cadence(HandoffFacts(start)).due_at == start + timedelta(days=14)


def test_attempts_after_the_cadence_window_do_not_count() -> None:
    """5 attempts within 14 days: a rep whose last two attempts came on days 15 and 16
    made 3 in time. The cadence is breached with 3 done, never met 5/5."""
    start = local("2026-10-01 10:00")
    late_two = tuple(AttemptFact(start + timedelta(days=d)) for d in (0, 2, 4, 15, 16))
    day_30 = start + timedelta(days=30)
    [_, clock] = evaluate_clocks(HandoffFacts(start, late_two), TERMS, CAL, day_30)
    assert (clock.state, clock.attempts_done, clock.met_at) == ("breached", 3, None)
    # The same two attempts on day 13 and a minute before the window ends meet it.
    in_time = (*late_two[:3], AttemptFact(start + timedelta(days=13)),
               AttemptFact(start + timedelta(days=14, minutes=-1)))  # fmt: skip
    [_, met] = evaluate_clocks(HandoffFacts(start, in_time), TERMS, CAL, day_30)
    assert (met.state, met.attempts_done, met.met_at) == ("met", 5, in_time[-1].at)


def test_decision_clock_when_the_terms_ask_for_one() -> None:
    terms = SalesTerms(decision_within_hours=Decimal(16))
    start = local("2026-11-18 23:30")  # 16 business hours: Thu 8h + Fri 8h -> Fri 18:00
    decided = HandoffFacts(start, decided_at=local("2026-11-20 17:00"))
    [clock] = evaluate_clocks(decided, terms, CAL, local("2026-12-01 00:00"))
    assert (clock.kind, clock.due_at, clock.state) == ("decision", local("2026-11-20 18:00"), "met")


@pytest.mark.parametrize("offset", [timedelta(0), timedelta(hours=1)])
def test_a_decision_at_or_after_reassignment_is_the_next_owners(offset: timedelta) -> None:
    terms = SalesTerms(decision_within_hours=Decimal(16))
    start = local("2026-11-18 23:30")  # due Fri 20 Nov 18:00
    moved = local("2026-11-19 12:00")
    facts = HandoffFacts(start, reassigned_at=moved, decided_at=moved + offset)
    [clock] = evaluate_clocks(facts, terms, CAL, local("2026-12-01 00:00"))
    assert (clock.state, clock.met_at, clock.closed_at, clock.closed_reason) == (
        "closed", None, moved, "reassigned")


T = local("2026-10-01 09:00")


def at(hours: float) -> datetime:
    return T + timedelta(hours=hours)


def test_handoff_starts_when_an_mql_is_assigned_and_ends_on_reassignment() -> None:
    stages = [(at(0), "lead", "create"), (at(1), "mql", "advance"), (at(5), "sql", "advance")]
    owners = [(at(2), 10), (at(3), 11)]
    attempts = [(at(2.5), 10, "no_answer"), (at(3.5), 11, "connected"), (at(4), 10, None)]
    first, second = derive_handoffs(stages, owners, attempts, [at(5)])
    assert (first.owner_id, first.facts.started_at, first.facts.reassigned_at) == (10, at(2), at(3))
    assert [a.at for a in first.facts.attempts] == [at(2.5)]  # only while owning it
    assert (second.owner_id, second.facts.started_at, second.facts.decided_at) == (11, at(3), at(5))


def test_owned_lead_becoming_mql_starts_a_handoff_and_recycling_ends_it() -> None:
    stages = [(at(0), "lead", "create"), (at(1), "mql", "advance"), (at(2), "lead", "recycle"),
              (at(3), "mql", "advance")]  # fmt: skip
    [first, second] = derive_handoffs(stages, [(at(0), 7)], [], [])
    assert (first.facts.started_at, first.facts.disqualified_at) == (at(1), at(2))
    assert second.facts.started_at == at(3)


def test_no_handoff_without_an_owner_or_outside_mql() -> None:
    assert derive_handoffs([(at(0), "mql", "create")], [], [], []) == []
    assert derive_handoffs([(at(0), "customer", "create")], [(at(1), 3)], [], []) == []


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)),  # noqa: DTZ001
    st.lists(st.integers(min_value=0, max_value=60 * 60 * 40), min_size=1, max_size=4),
)
@settings(max_examples=60, deadline=None)
def test_several_durations_in_one_walk_match_one_at_a_time(
    start: datetime, seconds: list[int]
) -> None:
    begin = start.replace(tzinfo=MADRID)
    durations = [timedelta(seconds=s) for s in seconds]
    together = add_business_times(CAL, begin, durations)
    assert together == [add_business_time(CAL, begin, d) for d in durations]


def test_reassigning_to_the_same_owner_changes_nothing_and_unassigning_ends_the_handoff() -> None:
    stages = [(at(0), "mql", "create")]
    owners = [(at(1), 10), (at(2), 10), (at(3), None), (at(4), 11)]
    first, second = derive_handoffs(stages, owners, [], [])
    assert (first.owner_id, first.facts.started_at, first.facts.reassigned_at) == (10, at(1), at(3))
    assert (second.owner_id, second.facts.started_at, second.facts.reassigned_at) == (
        11, at(4), None)
    assert second.facts.disqualified_at is None


def test_a_handoff_survives_advancing_and_ends_when_the_lead_leaves_the_funnel() -> None:
    stages = [(at(0), "mql", "create"), (at(2), "sql", "advance"), (at(3), "other", "disqualify"),
              (at(5), "mql", "advance")]  # fmt: skip
    first, again = derive_handoffs(stages, [(at(1), 10)], [], [])
    assert (first.facts.started_at, first.facts.disqualified_at) == (at(1), at(3))
    assert first.facts.reassigned_at is None
    # back to MQL while still owned: a new handoff for the same owner
    assert (again.owner_id, again.facts.started_at, again.facts.disqualified_at) == (
        10, at(5), None)


def test_an_mql_entered_twice_starts_one_handoff() -> None:
    stages = [(at(0), "mql", "create"), (at(2), "mql", "advance")]
    assert [h.facts.started_at for h in derive_handoffs(stages, [(at(1), 10)], [], [])] == [at(1)]


def test_an_assignment_at_the_instant_the_lead_becomes_an_mql_starts_the_handoff_once() -> None:
    stages = [(at(0), "lead", "create"), (at(1), "mql", "advance")]
    [handoff] = derive_handoffs(stages, [(at(1), 10)], [], [])
    assert (handoff.owner_id, handoff.facts.started_at) == (10, at(1))


def test_the_owner_keeps_own_attempts_and_the_first_decision_while_owning_the_lead() -> None:
    stages = [(at(0), "mql", "create")]
    owners = [(at(1), 10), (at(4), 11)]
    attempts = [(at(0.5), 10, None), (at(1), 10, "no_answer"), (at(2), 11, None),
                (at(3), 10, "connected"), (at(4), 10, "replied"), (at(5), 10, None)]  # fmt: skip
    decisions = [at(0.5), at(3.5), at(3.8)]
    first, second = derive_handoffs(stages, owners, attempts, decisions)
    # from the start to the reassignment, both included; only the owner's own attempts
    assert first.facts.attempts == (
        AttemptFact(at(1), "no_answer"), AttemptFact(at(3), "connected"),
        AttemptFact(at(4), "replied"))  # fmt: skip
    assert first.facts.decided_at == at(3.5)
    assert second.facts.attempts == ()
    assert second.facts.decided_at is None


def test_the_cadence_is_at_risk_once_a_quarter_of_its_days_is_left() -> None:
    start = local("2026-10-01 10:00")
    facts = HandoffFacts(start, (AttemptFact(start),))
    at_risk_at = start + timedelta(days=10, hours=12)  # 14 days x (1 - 0.25) = 10.5 days
    [_, before] = evaluate_clocks(facts, TERMS, CAL, at_risk_at - timedelta(seconds=1))
    [_, after] = evaluate_clocks(facts, TERMS, CAL, at_risk_at)
    assert before.at_risk_at == at_risk_at
    assert (before.state, before.next_check_at) == ("on_track", at_risk_at)
    assert (after.state, after.next_check_at) == ("at_risk", start + timedelta(days=14))


def test_only_attempts_between_the_start_and_the_reassignment_count_for_the_first_attempt() -> None:
    start = local("2026-11-18 23:30")  # due Thu 19 Nov 18:00
    moved = local("2026-11-19 12:00")
    earlier = AttemptFact(local("2026-11-18 20:00"))  # before the lead was handed over
    after_move = AttemptFact(local("2026-11-19 13:00"))  # by then the lead was someone else's
    now = local("2026-11-25 09:00")
    closed = first_attempt(HandoffFacts(start, (earlier, after_move), reassigned_at=moved), now)
    assert (closed.state, closed.met_at, closed.closed_reason) == ("closed", None, "reassigned")
    missing = first_attempt(HandoffFacts(start, (earlier,)), now)
    assert (missing.state, missing.met_at) == ("breached", None)


S0 = local("2026-10-01 10:00")  # a cadence of 5 attempts in 14 days: due Thu 15 Oct 10:00


def day(n: float) -> datetime:
    return S0 + timedelta(days=n)


CADENCES = {
    # name: (facts, now, (state, met_at, closed_at, closed_reason, attempts_done))
    "reassigned: only the attempts before it count, the one at the instant does not": (
        HandoffFacts(S0, tuple(AttemptFact(day(d)) for d in (1, 2, 3, 4)), reassigned_at=day(3)),
        day(20), ("closed", None, day(3), "reassigned", 2)),
    "reassigned at the end of the window: the window ended first": (
        HandoffFacts(S0, (AttemptFact(day(1)),), reassigned_at=day(14)),
        day(20), ("breached", None, None, None, 1)),
    "reassigned just now": (
        HandoffFacts(S0, (AttemptFact(day(1)),), reassigned_at=day(3)),
        day(3), ("closed", None, day(3), "reassigned", 1)),
    "disqualified: met when it happened": (
        HandoffFacts(S0, (AttemptFact(day(1)),), disqualified_at=day(2)),
        day(20), ("met", day(2), None, "disqualified", 1)),
    "disqualified at the very start": (
        HandoffFacts(S0, disqualified_at=S0), day(20), ("met", S0, None, "disqualified", 0)),
    "decided at the instant of the reassignment": (
        HandoffFacts(S0, reassigned_at=day(3), decided_at=day(3)),
        day(20), ("met", day(3), None, "decided", 0)),
    "decided just now": (
        HandoffFacts(S0, decided_at=day(5)), day(5), ("met", day(5), None, "decided", 0)),
    "decided later than now: still open": (
        HandoffFacts(S0, decided_at=day(5)), day(4), ("on_track", None, None, None, 0)),
    "the earliest stop wins, whatever its name": (
        HandoffFacts(S0, (AttemptFact(day(3), "connected"),), decided_at=day(2)),
        day(20), ("met", day(2), None, "decided", 1)),
}  # fmt: skip


@pytest.mark.parametrize("name", CADENCES)
def test_cadence_outcomes(name: str) -> None:
    facts, now, expected = CADENCES[name]
    [_, clock] = evaluate_clocks(facts, TERMS, CAL, now)
    assert (clock.state, clock.met_at, clock.closed_at, clock.closed_reason,
            clock.attempts_done) == expected  # fmt: skip
    assert (clock.kind, clock.started_at, clock.due_at, clock.at_risk_at,
            clock.attempts_required) == ("cadence", S0, day(14), day(10.5), 5)  # fmt: skip


@pytest.mark.parametrize(("ended", "reason"), [("decided_at", "decided"),
                                               ("disqualified_at", "disqualified")])
def test_a_first_attempt_no_longer_owed_says_why(ended: str, reason: str) -> None:
    start = local("2026-11-18 23:30")  # due Thu 19 Nov 18:00
    facts = HandoffFacts(start, **{ended: local("2026-11-19 12:00")})
    clock = first_attempt(facts, local("2026-11-25 09:00"))
    assert (clock.state, clock.closed_at, clock.closed_reason) == (
        "closed", local("2026-11-19 12:00"), reason)


def test_a_cadence_short_of_attempts_is_breached_the_instant_its_window_ends() -> None:
    facts = HandoffFacts(S0, (AttemptFact(day(1)),))
    [_, clock] = evaluate_clocks(facts, TERMS, CAL, day(14))
    assert (clock.state, clock.next_check_at) == ("breached", None)


F0 = local("2026-10-09 17:59")  # first attempt due Tue 13 Oct 17:59, at risk from 15:59
F_DUE = local("2026-10-13 17:59")
FIRST_ATTEMPTS = {
    # name: (facts, now, (state, met_at, closed_at, closed_reason, attempts_done))
    "an attempt at the due instant is on time": (
        HandoffFacts(F0, (AttemptFact(F_DUE),)), local("2026-10-20 09:00"),
        ("met", F_DUE, None, None, 1)),
    "decided at the due instant: owed, and missing": (
        HandoffFacts(F0, decided_at=F_DUE), local("2026-10-20 09:00"),
        ("breached", None, None, None, 0)),
    "decided just now, before the due instant": (
        HandoffFacts(F0, decided_at=local("2026-10-13 10:00")), local("2026-10-13 10:00"),
        ("closed", None, local("2026-10-13 10:00"), "decided", 0)),
    "nothing by the due instant": (
        HandoffFacts(F0), F_DUE, ("breached", None, None, None, 0)),
}  # fmt: skip


@pytest.mark.parametrize("name", FIRST_ATTEMPTS)
def test_first_attempt_outcomes(name: str) -> None:
    facts, now, expected = FIRST_ATTEMPTS[name]
    clock = first_attempt(facts, now)
    assert (clock.state, clock.met_at, clock.closed_at, clock.closed_reason,
            clock.attempts_done) == expected  # fmt: skip
    assert (clock.due_at, clock.at_risk_at) == (F_DUE, local("2026-10-13 15:59"))


def test_a_met_decision_clock_counts_no_attempt_and_an_open_cadence_counts_its_attempts() -> None:
    terms = SalesTerms(decision_within_hours=Decimal(8), attempts=5, attempts_within_days=14)
    facts = HandoffFacts(F0, (AttemptFact(local("2026-10-13 09:00")),),
                         decided_at=local("2026-10-13 10:00"))  # fmt: skip
    cadence, decision = evaluate_clocks(facts, terms, CAL, local("2026-10-13 09:30"))
    assert (cadence.kind, cadence.state, cadence.attempts_done) == ("cadence", "on_track", 1)
    [_, met] = evaluate_clocks(facts, terms, CAL, local("2026-10-20 09:00"))
    assert (met.kind, met.state, met.attempts_done, met.elapsed_business_seconds) == (
        "decision", "met", 0, 61 * 60)  # Fri 1 min (Mon 12 Oct a holiday), Tue 09:00-10:00
    assert decision.kind == "decision"
