"""Builders for routing tests: calendars, reps, documents and a lead stream."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from smarketing.routing.domain import LeadProfile, Rep, SlaContext, route
from smarketing.routing.roundrobin import RoutingState
from smarketing.routing.rules import RoutingRules, parse_rules
from smarketing.sla.calendar import BusinessCalendar, calendar_from_json

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
LUNCH = [["09:00", "14:00"], ["15:00", "18:00"]]

MADRID = calendar_from_json({
    "timezone": "Europe/Madrid", "hours": dict.fromkeys(WEEKDAYS, LUNCH),
    "holidays": {"country": "ES", "subdivision": "MD"},
})  # fmt: skip
LISBON = calendar_from_json({
    "timezone": "Europe/Lisbon", "hours": dict.fromkeys(WEEKDAYS, [["09:00", "13:00"],
                                                                   ["14:00", "18:00"]]),
    "holidays": {"country": "PT", "subdivision": "11"},
})  # fmt: skip
MILAN = calendar_from_json({
    "timezone": "Europe/Rome", "hours": dict.fromkeys(WEEKDAYS, [["08:30", "12:30"],
                                                                 ["13:30", "17:30"]]),
    "holidays": {"country": "IT", "subdivision": "MI"},
    "extra_holidays": ["2026-08-10", "2026-08-11", "2026-08-12", "2026-08-13", "2026-08-14"],
})  # fmt: skip
#: A rep who works afternoons only (Madrid time).
AFTERNOONS = calendar_from_json({
    "timezone": "Europe/Madrid", "hours": dict.fromkeys(WEEKDAYS, [["14:00", "18:00"]]),
    "holidays": {"country": "ES", "subdivision": "MD"},
})  # fmt: skip
#: Open every minute of every day: availability never depends on the hour.
ALWAYS = BusinessCalendar(timezone="UTC", hours=dict.fromkeys(range(7), ((time(0), time(0)),)))

#: Wednesday 2026-06-03, 10:00 in Madrid: a plain working morning.
WEDNESDAY_10 = datetime(2026, 6, 3, 8, 0, tzinfo=UTC)
SLA = SlaContext(first_attempt_within_hours=None, calendar=None)


def rep(email: str, *, weight: int | None = None, cal: BusinessCalendar = MADRID,
        away: Sequence[tuple[str, str]] = (), active: bool = True,
        name: str | None = None) -> Rep:  # fmt: skip
    return Rep(
        email, cal, name=name, weight=weight,
        out_of_office=tuple((date.fromisoformat(a), date.fromisoformat(b)) for a, b in away),
        active=active,
    )  # fmt: skip


def directory(*reps: Rep) -> dict[str, Rep]:
    return {r.email: r for r in reps}


def pool_document(members: Iterable[Any], **extra: Any) -> RoutingRules:
    """A document with one pool 'team' that every lead goes to (no rules, fallback)."""
    document: dict[str, Any] = {
        "pools": {"team": {"members": list(members)}},
        "rules": [],
        "fallback_pool": "team",
        **extra,
    }
    return parse_rules(document)


def run_stream(
    rules: RoutingRules,
    reps: dict[str, Rep],
    count: int,
    *,
    seed: int = 7,
    start: datetime = WEDNESDAY_10,
    every: timedelta = timedelta(0),
    sla: SlaContext = SLA,
    state: RoutingState | None = None,
    assigned: dict[str, int] | None = None,
) -> tuple[list[str | None], RoutingState]:
    """Route `count` identical leads, `every` apart; the owners in order and the state."""
    rng = random.Random(seed)
    state = state or RoutingState()
    owners: list[str | None] = []
    lead = LeadProfile("lead@x.example", country="ES")
    now = start
    for _ in range(count):
        routed = route(rules, lead, reps, state, now=now, rng=rng, sla=sla,
                       assigned_this_month=assigned)  # fmt: skip
        state = routed.state
        owners.append(routed.decision.owner)
        if assigned is not None and routed.decision.owner is not None:
            assigned[routed.decision.owner] = assigned.get(routed.decision.owner, 0) + 1
        now += every
    return owners, state
