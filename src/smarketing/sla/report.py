"""SLA compliance report: both sides of the agreement per rep, team and month (pure logic).

Input is plain rows (one :class:`ClockRow` per stored SLA clock, one :class:`Rep` per
user, the :class:`~smarketing.sla.terms.SlaVersion` list) and the instant ``now``; output
is a :class:`ComplianceReport` whose :meth:`~ComplianceReport.to_json` is the JSON
contract of ``smarketing sla report --month YYYY-MM --json``. No database, no clock.

Definitions (docs/sla.md says the same for users):

- A *handoff* (one lead handed to one rep) counts in the month, in the workspace time
  zone, of its start, for the rep who received it. It is identified by (contact, rep,
  start); each of its clocks (first attempt, cadence, decision) shares that start.
- ``assigned``: the rep's ``first_attempt`` clocks of the month, except those closed
  because the lead was reassigned before the first attempt was due (nothing was owed;
  the lead counts for the next rep). A clock closed because the lead was decided or
  disqualified before its due instant counts as assigned but in none of the three
  first-attempt counts; so does a clock not due yet (pending).
- ``first_attempt_on_time``: ``met_at <= due_at``; ``first_attempt_late``: ``met_at >
  due_at``; ``first_attempt_missing``: no attempt, the due instant is at or before
  ``now`` and the clock is not closed.
- ``first_attempt_on_time_pct``: on_time / (on_time + late + missing) * 100, rounded
  half-up to one decimal; null when the denominator is 0.
- Median and p95 of business hours to the first attempt: over clocks with an attempt
  (on time or late), ``elapsed_business_seconds / 3600``, by linear interpolation
  between closest ranks (position ``(n - 1) * q`` of the sorted values; the usual
  median), rounded half-up to two decimals; null when there is none.
- ``cadence_met`` / ``cadence_missed`` / ``cadence_open``: the month's ``cadence``
  clocks by state; an open clock (on_track, at_risk) whose due instant is at or before
  ``now`` counts as missed (the sweeper may not have visited it yet); closed clocks
  (reassigned) are left out.
- Marketing: ``mqls_delivered`` is the rep's handoffs of the month, every one of them
  (a lead reassigned from A to B counts for both). ``mqls_target`` is the
  ``mqls_per_rep_per_month`` of the rep's SLA for the month: the SLA that governed the
  rep's latest handoff of the month, else the one that applies to the rep on the
  month's first day on which any applies (:func:`~smarketing.sla.terms.applicable_sla`).
  ``lead_value_delivered`` is the sum over the handoffs of their SLA's ``mql_value``
  (``mqls_delivered * mql_value`` under one SLA); ``"0.00"`` when no value is set.
- Reps: every ``sales_rep`` user that an SLA covers on some day of the month, plus
  every owner of a handoff of the month; sorted by email. A rep belongs to the team
  of their latest handoff of the month, else to their current team; team rollups add
  up the rows (and pool the clocks) of their reps.
- Pilot: the same sales aggregates over the clocks of pilot SLAs (``in_pilot``) and
  over the others, with the SLA keys involved on each side.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from smarketing.sla.terms import SlaVersion, applicable_sla

__all__ = [
    "CADENCE",
    "FIRST_ATTEMPT",
    "SALES_REP_ROLE",
    "ClockRow",
    "ComplianceReport",
    "HandoffRow",
    "MarketingStats",
    "Month",
    "PilotComparison",
    "Rep",
    "RepPlan",
    "ReportError",
    "SalesStats",
    "build_compliance_report",
    "cadence_outcome",
    "first_attempt_outcome",
    "handoffs_of",
    "marketing_stats",
    "money",
    "mql_value",
    "percentile",
    "resolve_reps",
    "sales_stats",
]

FIRST_ATTEMPT = "first_attempt"
CADENCE = "cadence"
SALES_REP_ROLE = "sales_rep"
_OPEN_STATES = frozenset({"on_track", "at_risk"})
#: First-attempt outcomes that count in ``assigned`` (all but ``reassigned``).
_ASSIGNED_OUTCOMES = ("on_time", "late", "missing", "pending", "not_needed")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_CENT = Decimal("0.01")
_TENTH = Decimal("0.1")
_P95 = Decimal("0.95")
_MEDIAN = Decimal("0.5")


class ReportError(ValueError):
    """Bad report input (a malformed month); the message says what to write instead."""


# --------------------------------------------------------------------------- months


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, such as 2026-10."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _MONTH_RE.match(text.strip()) if isinstance(text, str) else None
        if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
            raise ReportError(f"{text!r} is not a month; write YYYY-MM, for example 2026-10")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, instant: datetime, timezone: str) -> Month:
        """The month that ``instant`` falls in, in ``timezone``."""
        local = instant.astimezone(ZoneInfo(timezone))
        return cls(local.year, local.month)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def days(self) -> list[date]:
        first = self.first_day
        return [first + timedelta(days=n) for n in range(self.last_day.day)]

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        """``[start, end)`` of the month as UTC instants: local midnights in ``timezone``."""
        zone = ZoneInfo(timezone)
        after = self.next()
        start = datetime(self.year, self.month, 1, tzinfo=zone)
        end = datetime(after.year, after.month, 1, tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)


# --------------------------------------------------------------------------- input rows


@dataclass(frozen=True)
class ClockRow:
    """One stored SLA clock, as the report reads it (``rep`` is the owner's email)."""

    contact_id: int
    rep: str
    team: str | None
    kind: str
    started_at: datetime
    due_at: datetime
    state: str
    sla_id: int
    in_pilot: bool = False
    met_at: datetime | None = None
    closed_reason: str | None = None
    elapsed_business_seconds: int | None = None


@dataclass(frozen=True)
class HandoffRow:
    """One lead handed to one rep, with what marketing's quality mix looks at."""

    contact_id: int
    rep: str
    team: str | None
    started_at: datetime
    sla_id: int
    channel: str | None = None
    persona: str | None = None
    decision: str | None = None  # accepted, rejected, or None while undecided


@dataclass(frozen=True)
class Rep:
    """A user who may own leads; ``team`` is the current team's key."""

    id: int
    email: str
    role: str
    team: str | None = None


@dataclass(frozen=True)
class RepPlan:
    """A rep in a month's report: the team they count in and the SLA that sets targets."""

    rep: Rep
    team: str | None
    sla: SlaVersion | None


def handoffs_of(clocks: Iterable[ClockRow]) -> list[HandoffRow]:
    """The distinct handoffs (contact, rep, start) behind some clocks, in start order."""
    seen: dict[tuple[int, str, datetime], HandoffRow] = {}
    for clock in clocks:
        key = (clock.contact_id, clock.rep, clock.started_at)
        if key not in seen:
            seen[key] = HandoffRow(clock.contact_id, clock.rep, clock.team, clock.started_at,
                                   clock.sla_id)  # fmt: skip
    return sorted(seen.values(), key=lambda h: (h.started_at, h.rep, h.contact_id))


def resolve_reps(
    reps: Iterable[Rep],
    handoffs: Sequence[HandoffRow],
    versions: Sequence[SlaVersion],
    days: Sequence[date],
) -> list[RepPlan]:
    """Who is in the month's report, in email order, with their team and target SLA.

    Covered ``sales_rep`` users (an SLA applies to them on one of ``days``) and every
    owner of one of ``handoffs`` (in time order).
    """
    by_email = {rep.email: rep for rep in reps}
    by_id = {v.id: v for v in versions}
    latest: dict[str, HandoffRow] = {}
    for handoff in handoffs:
        latest[handoff.rep] = handoff
    plans = []
    for email in sorted(set(by_email) | set(latest)):
        last = latest.get(email)
        # An owner the user list does not know keeps the facts of their handoff.
        rep = by_email.get(email) or Rep(0, email, "", last.team if last is not None else None)
        sla = by_id.get(last.sla_id) if last is not None else None
        if sla is None:
            sla = _first_applicable(versions, days, rep)
        if last is None and (rep.role != SALES_REP_ROLE or sla is None):
            continue
        plans.append(RepPlan(rep, last.team if last is not None else rep.team, sla))
    return plans


def _first_applicable(
    versions: Sequence[SlaVersion], days: Sequence[date], rep: Rep
) -> SlaVersion | None:
    for day in days:
        found = applicable_sla(versions, day, rep.email, rep.team)
        if found is not None:
            return found
    return None


# --------------------------------------------------------------------------- sales side


def first_attempt_outcome(clock: ClockRow, now: datetime) -> str:
    """``on_time``, ``late``, ``missing``, ``pending`` (not due yet, no attempt),
    ``not_needed`` (closed: decided or disqualified before due) or ``reassigned``."""
    if clock.state == "closed":
        return "reassigned" if clock.closed_reason == "reassigned" else "not_needed"
    if clock.met_at is not None:
        return "on_time" if clock.met_at <= clock.due_at else "late"
    if clock.due_at <= now:
        return "missing"
    return "pending"


def cadence_outcome(clock: ClockRow, now: datetime) -> str | None:
    """``met``, ``missed``, ``open``, or None for a closed cadence (left out)."""
    if clock.state == "closed":
        return None
    if clock.state == "met":
        return "met"
    if clock.state in _OPEN_STATES and clock.due_at > now:
        return "open"
    return "missed"


def percentile(values: Sequence[int | Decimal], q: Decimal) -> Decimal:
    """The ``q`` quantile (0..1) by linear interpolation between closest ranks.

    Position ``(n - 1) * q`` in the sorted values; ``q = 0.5`` is the usual median.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not Decimal(0) <= q <= Decimal(1):
        raise ValueError(f"quantile must be between 0 and 1, got {q}")
    ordered = sorted(Decimal(v) for v in values)
    position = (len(ordered) - 1) * q
    low = int(position)
    if low + 1 >= len(ordered):
        return ordered[-1]
    return ordered[low] + (position - low) * (ordered[low + 1] - ordered[low])


def _round(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def money(value: Decimal) -> str:
    """A money amount as a decimal string with two decimals, rounded half-up."""
    return str(_round(value, _CENT))


@dataclass(frozen=True)
class SalesStats:
    """The sales side of one rep, team or group of clocks (contract key names)."""

    assigned: int = 0
    first_attempt_on_time: int = 0
    first_attempt_late: int = 0
    first_attempt_missing: int = 0
    first_attempt_on_time_pct: Decimal | None = None
    median_business_hours_to_first_attempt: Decimal | None = None
    p95_business_hours_to_first_attempt: Decimal | None = None
    cadence_met: int = 0
    cadence_missed: int = 0
    cadence_open: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "assigned": self.assigned,
            "first_attempt_on_time": self.first_attempt_on_time,
            "first_attempt_late": self.first_attempt_late,
            "first_attempt_missing": self.first_attempt_missing,
            "first_attempt_on_time_pct": _number(self.first_attempt_on_time_pct),
            "median_business_hours_to_first_attempt": _number(
                self.median_business_hours_to_first_attempt
            ),
            "p95_business_hours_to_first_attempt": _number(
                self.p95_business_hours_to_first_attempt
            ),
            "cadence_met": self.cadence_met,
            "cadence_missed": self.cadence_missed,
            "cadence_open": self.cadence_open,
        }


def sales_stats(clocks: Iterable[ClockRow], now: datetime) -> SalesStats:
    """Aggregate first-attempt and cadence clocks (other kinds are ignored)."""
    counts: dict[str, int] = defaultdict(int)
    elapsed: list[int] = []
    for clock in clocks:
        if clock.kind == FIRST_ATTEMPT:
            outcome = first_attempt_outcome(clock, now)
            counts[outcome] += 1
            if outcome in ("on_time", "late") and clock.elapsed_business_seconds is not None:
                elapsed.append(clock.elapsed_business_seconds)
        elif clock.kind == CADENCE:
            cadence = cadence_outcome(clock, now)
            if cadence is not None:
                counts[f"cadence_{cadence}"] += 1
    judged = counts["on_time"] + counts["late"] + counts["missing"]
    pct = _round(Decimal(counts["on_time"] * 100) / judged, _TENTH) if judged else None
    hour = Decimal(3600)
    median = _round(percentile(elapsed, _MEDIAN) / hour, _CENT) if elapsed else None
    p95 = _round(percentile(elapsed, _P95) / hour, _CENT) if elapsed else None
    assigned = sum(counts[outcome] for outcome in _ASSIGNED_OUTCOMES)
    return SalesStats(
        assigned=assigned,
        first_attempt_on_time=counts["on_time"],
        first_attempt_late=counts["late"],
        first_attempt_missing=counts["missing"],
        first_attempt_on_time_pct=pct,
        median_business_hours_to_first_attempt=median,
        p95_business_hours_to_first_attempt=p95,
        cadence_met=counts["cadence_met"],
        cadence_missed=counts["cadence_missed"],
        cadence_open=counts["cadence_open"],
    )


# --------------------------------------------------------------------------- marketing side


@dataclass(frozen=True)
class MarketingStats:
    """The marketing side of one rep or team."""

    mqls_delivered: int = 0
    mqls_target: int | None = None
    lead_value_delivered: Decimal = Decimal("0.00")

    def to_json(self) -> dict[str, Any]:
        return {
            "mqls_delivered": self.mqls_delivered,
            "mqls_target": self.mqls_target,
            "lead_value_delivered": money(self.lead_value_delivered),
        }


def mql_value(sla: SlaVersion | None) -> Decimal:
    """The money value of one MQL under an SLA (0 when it sets none)."""
    if sla is None or sla.marketing.mql_value is None:
        return Decimal(0)
    return sla.marketing.mql_value


def marketing_stats(
    handoffs: Sequence[HandoffRow], sla: SlaVersion | None, versions: Mapping[int, SlaVersion]
) -> MarketingStats:
    """One rep's handoffs against the target of ``sla``; each MQL is valued at its own SLA."""
    value = sum((mql_value(versions.get(h.sla_id)) for h in handoffs), Decimal(0))
    target = sla.marketing.mqls_per_rep_per_month if sla is not None else None
    return MarketingStats(len(handoffs), target, value)


def _add_marketing(rows: Iterable[MarketingStats]) -> MarketingStats:
    delivered, value, targets = 0, Decimal(0), []
    for row in rows:
        delivered += row.mqls_delivered
        value += row.lead_value_delivered
        if row.mqls_target is not None:
            targets.append(row.mqls_target)
    return MarketingStats(delivered, sum(targets) if targets else None, value)


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class PilotComparison:
    pilot: SalesStats
    non_pilot: SalesStats
    pilot_slas: tuple[str, ...]
    non_pilot_slas: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"pilot": self.pilot.to_json(), "non_pilot": self.non_pilot.to_json(),
                "pilot_slas": list(self.pilot_slas),
                "non_pilot_slas": list(self.non_pilot_slas)}  # fmt: skip


@dataclass(frozen=True)
class ComplianceReport:
    month: Month
    now: datetime
    sales: tuple[tuple[str, SalesStats], ...]
    marketing: tuple[tuple[str, MarketingStats], ...]
    sales_teams: tuple[tuple[str | None, SalesStats], ...]
    marketing_teams: tuple[tuple[str | None, MarketingStats], ...]
    pilot: PilotComparison

    def to_json(self) -> dict[str, Any]:
        """The JSON contract (``month``, ``sales``, ``marketing``, ``pilot``) plus the
        ``sales_teams`` / ``marketing_teams`` rollups and ``as_of``."""
        return {
            "month": self.month.label,
            "sales": [{"rep": rep, **stats.to_json()} for rep, stats in self.sales],
            "marketing": [{"rep": rep, **stats.to_json()} for rep, stats in self.marketing],
            "pilot": self.pilot.to_json(),
            "sales_teams": [{"team": team, **s.to_json()} for team, s in self.sales_teams],
            "marketing_teams": [{"team": team, **s.to_json()} for team, s in self.marketing_teams],
            "as_of": self.now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }


def _team_order(team: str | None) -> tuple[bool, str]:
    return (team is None, team or "")


def _sla_keys(clocks: Iterable[ClockRow], versions: Mapping[int, SlaVersion]) -> tuple[str, ...]:
    return tuple(sorted({versions[c.sla_id].key for c in clocks if c.sla_id in versions}))


def build_compliance_report(
    month: Month,
    clocks: Sequence[ClockRow],
    reps: Iterable[Rep],
    versions: Sequence[SlaVersion],
    now: datetime,
) -> ComplianceReport:
    """The month's report from the clocks that started in it (see the module docstring)."""
    by_id = {v.id: v for v in versions}
    handoffs = handoffs_of(clocks)
    plans = resolve_reps(reps, handoffs, versions, month.days())
    team_of = {plan.rep.email: plan.team for plan in plans}
    rep_clocks: dict[str, list[ClockRow]] = defaultdict(list)
    for clock in clocks:
        rep_clocks[clock.rep].append(clock)
    rep_handoffs: dict[str, list[HandoffRow]] = defaultdict(list)
    for handoff in handoffs:
        rep_handoffs[handoff.rep].append(handoff)

    sales = tuple((p.rep.email, sales_stats(rep_clocks[p.rep.email], now)) for p in plans)
    marketing = tuple(
        (p.rep.email, marketing_stats(rep_handoffs[p.rep.email], p.sla, by_id)) for p in plans
    )
    teams = sorted({plan.team for plan in plans}, key=_team_order)
    team_clocks: dict[str | None, list[ClockRow]] = defaultdict(list)
    for clock in clocks:
        team_clocks[team_of.get(clock.rep)].append(clock)
    sales_teams = tuple((team, sales_stats(team_clocks[team], now)) for team in teams)
    marketing_by_rep = dict(marketing)
    marketing_teams = tuple(
        (team, _add_marketing(marketing_by_rep[p.rep.email] for p in plans if p.team == team))
        for team in teams
    )
    in_pilot = [c for c in clocks if c.in_pilot]
    not_pilot = [c for c in clocks if not c.in_pilot]
    pilot = PilotComparison(
        sales_stats(in_pilot, now), sales_stats(not_pilot, now),
        _sla_keys(in_pilot, by_id), _sla_keys(not_pilot, by_id),
    )  # fmt: skip
    return ComplianceReport(month, now, sales, marketing, sales_teams, marketing_teams, pilot)
