"""Marketing pacing for the current month (pure logic).

Where does marketing stand against its side of the SLA today? For each rep and team:
MQLs (and their value) delivered so far, the month's target, the share expected by
``now``, the projected month end, a pace status, and the quality mix of what was
delivered. :func:`pacing_alerts` returns the rows behind pace. No database, no clock.

Definitions (docs/sla.md says the same for users):

- The month is the workspace-time-zone month of ``now``; a rep's MQLs are their
  handoffs started in it up to ``now`` (see :mod:`smarketing.sla.report`), and the
  target comes from the same SLA as in the compliance report.
- ``elapsed_share``: business time of the rep's SLA calendar (the SLA's calendar, else
  the rep's, team's or workspace's) from the month's start to ``now``, divided by the
  business time of the whole month: lunch breaks, weekends and holidays do not count.
  A calendar with no business time in the month falls back to calendar time.
- ``mqls_expected = target * elapsed_share``; ``mqls_projected = delivered /
  elapsed_share`` rounded half-up to a whole number (null before any business time has
  passed). A team's figures are the sums of its reps' (its projection is the rounded
  sum of their unrounded projections).
- ``status``: ``behind`` when ``delivered < (1 - tolerance) * expected`` and at least
  one whole MQL is expected; ``ahead`` when ``delivered > (1 + tolerance) * expected``;
  else ``on_pace``; ``no_target`` without a target. The tolerance defaults to 10 %.
- Lead value: the same against ``lead_value_per_rep_per_month`` (when the SLA sets
  it), where "one whole MQL" is the value of one MQL.
- Quality mix of the delivered MQLs: counts by first-touch channel and by persona
  (``unknown`` / ``none`` when missing), and how many were later accepted, rejected or
  are still undecided (the contact's first decision at or after the handoff start),
  with accepted and rejected as percentages of the delivered MQLs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any

from smarketing.sla.calendar import BusinessCalendar, business_time_between
from smarketing.sla.report import HandoffRow, Month, RepPlan, money, mql_value
from smarketing.sla.terms import SlaVersion

__all__ = [
    "DEFAULT_TOLERANCE",
    "Pacing",
    "PacingRow",
    "QualityMix",
    "RepPace",
    "build_pacing",
    "elapsed_share",
    "pace_status",
    "pacing_alerts",
    "quality_mix",
]

#: A rep is behind when delivering less than 90 % of what is expected by now.
DEFAULT_TOLERANCE = Decimal("0.10")
BEHIND, ON_PACE, AHEAD, NO_TARGET = "behind", "on_pace", "ahead", "no_target"
UNKNOWN_CHANNEL = "unknown"
NO_PERSONA = "none"
_ONE = Decimal(1)
_TENTH = Decimal("0.1")
_SHARE_STEP = Decimal("0.0001")


def _round(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


def elapsed_share(cal: BusinessCalendar, start: datetime, end: datetime, now: datetime) -> Decimal:
    """Share (0..1) of the business time in ``[start, end)`` that has passed by ``now``.

    A calendar with no business time in the period falls back to plain calendar time.
    """
    clamped = min(max(now, start), end)
    total = business_time_between(cal, start, end).total_seconds()
    if total > 0:
        passed = business_time_between(cal, start, clamped).total_seconds()
    else:
        total = (end - start).total_seconds()
        passed = (clamped - start).total_seconds()
    if total <= 0:
        return _ONE
    return Decimal(int(passed)) / Decimal(int(total))


def pace_status(
    delivered: Decimal, expected: Decimal | None, unit: Decimal, tolerance: Decimal
) -> str:
    """``behind``, ``on_pace``, ``ahead`` or ``no_target`` (when ``expected`` is None).

    Behind only once at least ``unit`` (one MQL, or the value of one) is expected, so
    the first hours of a month raise no alert.
    """
    if expected is None:
        return NO_TARGET
    if expected >= unit and delivered < (_ONE - tolerance) * expected:
        return BEHIND
    if delivered > (_ONE + tolerance) * expected:
        return AHEAD
    return ON_PACE


@dataclass(frozen=True)
class QualityMix:
    """What the delivered MQLs looked like: channels, personas, and sales' verdict."""

    channels: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    personas: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    accepted: int = 0
    rejected: int = 0
    undecided: int = 0

    @property
    def total(self) -> int:
        return self.accepted + self.rejected + self.undecided

    def _pct(self, count: int) -> Decimal | None:
        return _round(Decimal(count * 100) / self.total, _TENTH) if self.total else None

    @property
    def accepted_pct(self) -> Decimal | None:
        return self._pct(self.accepted)

    @property
    def rejected_pct(self) -> Decimal | None:
        return self._pct(self.rejected)

    def to_json(self) -> dict[str, Any]:
        accepted, rejected = self.accepted_pct, self.rejected_pct
        return {
            "channels": dict(self.channels),
            "personas": dict(self.personas),
            "accepted": self.accepted,
            "rejected": self.rejected,
            "undecided": self.undecided,
            "accepted_pct": None if accepted is None else float(accepted),
            "rejected_pct": None if rejected is None else float(rejected),
        }


def _ranked(counter: Counter[str]) -> Mapping[str, int]:
    """Most frequent first, then by name."""
    return MappingProxyType(dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))))


def quality_mix(handoffs: Iterable[HandoffRow]) -> QualityMix:
    channels: Counter[str] = Counter()
    personas: Counter[str] = Counter()
    decisions: Counter[str | None] = Counter()
    for handoff in handoffs:
        channels[handoff.channel or UNKNOWN_CHANNEL] += 1
        personas[handoff.persona or NO_PERSONA] += 1
        decisions[handoff.decision if handoff.decision in ("accepted", "rejected") else None] += 1
    return QualityMix(_ranked(channels), _ranked(personas), decisions["accepted"],
                      decisions["rejected"], decisions[None])  # fmt: skip


def _add_mix(mixes: Iterable[QualityMix]) -> QualityMix:
    channels: Counter[str] = Counter()
    personas: Counter[str] = Counter()
    accepted = rejected = undecided = 0
    for mix in mixes:
        channels.update(mix.channels)
        personas.update(mix.personas)
        accepted, rejected = accepted + mix.accepted, rejected + mix.rejected
        undecided += mix.undecided
    return QualityMix(_ranked(channels), _ranked(personas), accepted, rejected, undecided)


@dataclass(frozen=True)
class RepPace:
    """One rep's input: who, in which team, under which SLA and calendar, and their MQLs."""

    plan: RepPlan
    calendar: BusinessCalendar
    handoffs: tuple[HandoffRow, ...] = ()


@dataclass(frozen=True)
class PacingRow:
    """One rep (``scope == "rep"``, ``key`` = email) or team (``key`` = team key)."""

    scope: str
    key: str | None
    team: str | None
    sla: str | None
    elapsed_share: Decimal | None
    mqls_delivered: int
    mqls_target: int | None
    mqls_expected: Decimal | None
    mqls_projected_exact: Decimal | None
    status: str
    lead_value_delivered: Decimal
    lead_value_target: Decimal | None
    lead_value_expected: Decimal | None
    lead_value_status: str
    mix: QualityMix
    mql_value: Decimal = Decimal(0)

    @property
    def mqls_projected(self) -> int | None:
        exact = self.mqls_projected_exact
        return None if exact is None else int(_round(exact, _ONE))

    @property
    def behind(self) -> bool:
        return BEHIND in (self.status, self.lead_value_status)

    def to_json(self) -> dict[str, Any]:
        expected = self.mqls_expected
        value_target, value_expected = self.lead_value_target, self.lead_value_expected
        share = self.elapsed_share
        return {
            "rep" if self.scope == "rep" else "team": self.key,
            **({"team": self.team} if self.scope == "rep" else {}),
            "sla": self.sla,
            "elapsed_share": None if share is None else float(_round(share, _SHARE_STEP)),
            "mqls_delivered": self.mqls_delivered,
            "mqls_target": self.mqls_target,
            "mqls_expected": None if expected is None else float(_round(expected, _TENTH)),
            "mqls_projected": self.mqls_projected,
            "status": self.status,
            "lead_value_delivered": money(self.lead_value_delivered),
            "lead_value_target": None if value_target is None else money(value_target),
            "lead_value_expected": None if value_expected is None else money(value_expected),
            "lead_value_status": self.lead_value_status,
            "mql_value": money(self.mql_value),
            "quality": self.mix.to_json(),
        }


@dataclass(frozen=True)
class Pacing:
    month: Month
    now: datetime
    tolerance: Decimal
    reps: tuple[PacingRow, ...]
    teams: tuple[PacingRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "month": self.month.label,
            "as_of": self.now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "tolerance_pct": float(self.tolerance * 100),
            "reps": [row.to_json() for row in self.reps],
            "teams": [row.to_json() for row in self.teams],
            "alerts": [row.to_json() for row in pacing_alerts(self)],
        }


def _rep_row(
    rep: RepPace,
    versions: Mapping[int, SlaVersion],
    start: datetime,
    end: datetime,
    now: datetime,
    tolerance: Decimal,
) -> PacingRow:
    sla = rep.plan.sla
    share = elapsed_share(rep.calendar, start, end, now)
    delivered = len(rep.handoffs)
    value = sum((mql_value(versions.get(h.sla_id)) for h in rep.handoffs), Decimal(0))
    target = sla.marketing.mqls_per_rep_per_month if sla is not None else None
    unit = mql_value(sla)
    expected = None if target is None else target * share
    value_target = sla.marketing.lead_value_per_rep_per_month if sla is not None else None
    value_expected = None if value_target is None else value_target * share
    return PacingRow(
        scope="rep",
        key=rep.plan.rep.email,
        team=rep.plan.team,
        sla=sla.key if sla is not None else None,
        elapsed_share=share,
        mqls_delivered=delivered,
        mqls_target=target,
        mqls_expected=expected,
        mqls_projected_exact=Decimal(delivered) / share if share > 0 else None,
        status=pace_status(Decimal(delivered), expected, _ONE, tolerance),
        lead_value_delivered=value,
        lead_value_target=value_target,
        lead_value_expected=value_expected,
        lead_value_status=pace_status(value, value_expected, unit, tolerance),
        mix=quality_mix(rep.handoffs),
        mql_value=unit,
    )


def _sum_or_none(values: Sequence[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def _team_row(team: str | None, rows: Sequence[PacingRow], tolerance: Decimal) -> PacingRow:
    targets = [r.mqls_target for r in rows if r.mqls_target is not None]
    expected = _sum_or_none([r.mqls_expected for r in rows])
    value = sum((r.lead_value_delivered for r in rows), Decimal(0))
    value_expected = _sum_or_none([r.lead_value_expected for r in rows])
    delivered = sum(r.mqls_delivered for r in rows)
    projections = [r.mqls_projected_exact for r in rows]
    projected = None if any(p is None for p in projections) else _sum_or_none(projections)
    slas = sorted({r.sla for r in rows if r.sla is not None})
    # One MQL's worth of value for a team: the smallest value of one MQL among its reps.
    unit = min((r.mql_value for r in rows if r.mql_value > 0), default=Decimal(0))
    return PacingRow(
        scope="team",
        key=team,
        team=team,
        sla=", ".join(slas) or None,
        elapsed_share=None,
        mqls_delivered=delivered,
        mqls_target=sum(targets) if targets else None,
        mqls_expected=expected,
        mqls_projected_exact=projected,
        status=pace_status(Decimal(delivered), expected, _ONE, tolerance),
        lead_value_delivered=value,
        lead_value_target=_sum_or_none([r.lead_value_target for r in rows]),
        lead_value_expected=value_expected,
        lead_value_status=pace_status(value, value_expected, unit, tolerance),
        mix=_add_mix(r.mix for r in rows),
        mql_value=unit,
    )


def build_pacing(
    month: Month,
    start: datetime,
    end: datetime,
    now: datetime,
    reps: Iterable[RepPace],
    versions: Sequence[SlaVersion],
    tolerance: Decimal = DEFAULT_TOLERANCE,
) -> Pacing:
    """Pacing of every rep (in the given order) and team (by key, no team last).

    ``start`` / ``end`` are the month's bounds as instants; ``reps`` holds each rep's
    handoffs of the month up to ``now``.
    """
    by_id = {v.id: v for v in versions}
    rows = tuple(_rep_row(rep, by_id, start, end, now, tolerance) for rep in reps)
    grouped: dict[str | None, list[PacingRow]] = defaultdict(list)
    for row in rows:
        grouped[row.team].append(row)
    teams = tuple(
        _team_row(team, grouped[team], tolerance)
        for team in sorted(grouped, key=lambda t: (t is None, t or ""))
    )
    return Pacing(month, now, tolerance, rows, teams)


def pacing_alerts(pacing: Pacing) -> list[PacingRow]:
    """Rows behind pace on MQLs or on lead value: reps first, then teams."""
    return [row for row in (*pacing.reps, *pacing.teams) if row.behind]
