"""SLA clocks of one handoff, evaluated from recorded facts (pure logic).

A handoff starts when an MQL is assigned to a rep (or an owned lead becomes an MQL) and
ends when the lead is reassigned. For each obligation of the SLA's sales terms there is
one clock:

- `first_attempt`: the owner's first attempt is due N business hours after the start.
  met (on time), breached with `met_at` (late), breached without (missing), or `closed`
  when the handoff ended (reassigned, decided, disqualified) before the due instant
  without an attempt: then nothing was owed.
- `cadence`: K attempts within D calendar days. Met at the K-th attempt, or earlier when
  the lead is connected (an attempt with outcome `connected` or `replied`), decided or
  disqualified; breached when the window ends short; closed when reassigned before.
- `decision`: accept or reject within M business hours.

Open clocks are `on_track`, or `at_risk` once the configured share of their time is
left. `next_check_at` tells the sweeper when to look again; it is None once final.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from smarketing.sla.calendar import BusinessCalendar, add_business_times, business_time_between
from smarketing.sla.terms import SalesTerms

CONNECTED_OUTCOMES = frozenset({"connected", "replied"})
OPEN_STATES = frozenset({"on_track", "at_risk"})


@dataclass(frozen=True)
class AttemptFact:
    at: datetime
    outcome: str | None = None


@dataclass(frozen=True)
class HandoffFacts:
    """What happened to one lead while one rep owned it."""

    started_at: datetime
    attempts: tuple[AttemptFact, ...] = ()  # by the owner, in time order
    reassigned_at: datetime | None = None
    decided_at: datetime | None = None
    disqualified_at: datetime | None = None


@dataclass(frozen=True)
class ClockState:
    kind: str
    started_at: datetime
    due_at: datetime
    at_risk_at: datetime | None
    state: str
    met_at: datetime | None = None
    closed_at: datetime | None = None
    closed_reason: str | None = None
    attempts_done: int = 0
    attempts_required: int | None = None
    elapsed_business_seconds: int | None = None
    next_check_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Builder:
    """The fixed part of one clock; `make` adds the outcome."""

    kind: str
    started_at: datetime
    due_at: datetime
    at_risk_at: datetime | None
    attempts_required: int | None = None

    def make(
        self,
        state: str,
        met_at: datetime | None = None,
        closed_at: datetime | None = None,
        closed_reason: str | None = None,
        attempts_done: int = 0,
        elapsed_business_seconds: int | None = None,
        next_check_at: datetime | None = None,
    ) -> ClockState:
        return ClockState(self.kind, self.started_at, self.due_at, self.at_risk_at, state,
                          met_at, closed_at, closed_reason, attempts_done,
                          self.attempts_required, elapsed_business_seconds,
                          next_check_at)  # fmt: skip


def _hours(value: Decimal) -> timedelta:
    return timedelta(seconds=int(value * 3600))


def _open_state(
    now: datetime, at_risk_at: datetime | None, due_at: datetime
) -> tuple[str, datetime]:
    """State and next check of a clock that is neither met nor breached yet."""
    if at_risk_at is not None and now < at_risk_at:
        return "on_track", at_risk_at
    return "at_risk", due_at


def _first_end(facts: HandoffFacts) -> tuple[datetime | None, str | None]:
    """The earliest event that ends the rep's obligations, and its name."""
    events = [
        (facts.reassigned_at, "reassigned"),
        (facts.decided_at, "decided"),
        (facts.disqualified_at, "disqualified"),
    ]
    present = [(at, name) for at, name in events if at is not None]
    if not present:
        return None, None
    return min(present, key=lambda item: item[0])


def _attempts_in(facts: HandoffFacts, until: datetime | None) -> list[AttemptFact]:
    return [
        a for a in facts.attempts
        if a.at >= facts.started_at and (until is None or a.at < until)
    ]  # fmt: skip


def _business_hours_clock(
    kind: str,
    done_at: datetime | None,
    facts: HandoffFacts,
    within: Decimal,
    share: Decimal,
    cal: BusinessCalendar,
    now: datetime,
) -> ClockState:
    """A clock due N business hours after the start, met by the action at `done_at`."""
    start = facts.started_at
    at_risk, due = add_business_times(cal, start, (_hours(within * (1 - share)), _hours(within)))
    base = _Builder(kind, start, due, at_risk)
    if done_at is not None:
        elapsed = int(business_time_between(cal, start, done_at).total_seconds())
        return base.make("met" if done_at <= due else "breached", met_at=done_at,
                         attempts_done=1 if kind == "first_attempt" else 0,
                         elapsed_business_seconds=elapsed)  # fmt: skip
    ended_at, reason = _first_end(facts)
    if ended_at is not None and ended_at < due and ended_at <= now:
        return base.make("closed", closed_at=ended_at, closed_reason=reason)
    if now >= due:
        return base.make("breached")
    state, next_check = _open_state(now, at_risk, due)
    return base.make(state, next_check_at=next_check)


def first_attempt_clock(
    facts: HandoffFacts, within: Decimal, share: Decimal, cal: BusinessCalendar, now: datetime
) -> ClockState:
    attempts = _attempts_in(facts, facts.reassigned_at)
    first = attempts[0].at if attempts else None
    return _business_hours_clock("first_attempt", first, facts, within, share, cal, now)


def cadence_clock(
    facts: HandoffFacts, attempts_required: int, days: int, share: Decimal, now: datetime
) -> ClockState:
    start = facts.started_at
    due = start + timedelta(days=days)
    at_risk = start + timedelta(seconds=int(days * 86400 * (1 - share)))
    base = _Builder("cadence", start, due, at_risk, attempts_required)
    until = min(due, facts.reassigned_at) if facts.reassigned_at else due
    attempts = [a for a in _attempts_in(facts, until) if a.at <= due]
    if len(attempts) >= attempts_required:
        return base.make("met", met_at=attempts[attempts_required - 1].at,
                          attempts_done=len(attempts))  # fmt: skip
    stops = [(a.at, "connected") for a in attempts if a.outcome in CONNECTED_OUTCOMES]
    stops += [(at, name) for at, name in ((facts.decided_at, "decided"),
              (facts.disqualified_at, "disqualified")) if at is not None and start <= at <= until]
    stops = [(at, name) for at, name in stops if at <= now]
    done = len(attempts)
    if stops:
        at, name = min(stops, key=lambda item: item[0])
        return base.make("met", met_at=at, closed_reason=name, attempts_done=done)
    if facts.reassigned_at is not None and facts.reassigned_at < due and facts.reassigned_at <= now:
        return base.make("closed", closed_at=facts.reassigned_at,
                          closed_reason="reassigned", attempts_done=done)  # fmt: skip
    if now >= due:
        return base.make("breached", attempts_done=done)
    state, next_check = _open_state(now, at_risk, due)
    return base.make(state, next_check_at=next_check, attempts_done=done)


def decision_clock(
    facts: HandoffFacts, within: Decimal, share: Decimal, cal: BusinessCalendar, now: datetime
) -> ClockState:
    decided = facts.decided_at
    if decided is not None and facts.reassigned_at is not None and decided >= facts.reassigned_at:
        decided = None  # decided by the next owner
    return _business_hours_clock("decision", decided, facts, within, share, cal, now)


def evaluate_clocks(
    facts: HandoffFacts, terms: SalesTerms, cal: BusinessCalendar, now: datetime
) -> list[ClockState]:
    """Every clock the sales terms define for one handoff, as of `now`."""
    clocks = []
    if terms.first_attempt_within_hours is not None:
        clocks.append(first_attempt_clock(facts, terms.first_attempt_within_hours,
                                          terms.at_risk_share, cal, now))  # fmt: skip
    if terms.attempts is not None and terms.attempts_within_days is not None:
        clocks.append(cadence_clock(facts, terms.attempts, terms.attempts_within_days,
                                    terms.at_risk_share, now))  # fmt: skip
    if terms.decision_within_hours is not None:
        clocks.append(decision_clock(facts, terms.decision_within_hours, terms.at_risk_share,
                                     cal, now))  # fmt: skip
    return clocks
