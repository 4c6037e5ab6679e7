"""Availability: out of office, outside working hours beyond the SLA's first-attempt window
(skipped) or within it (not skipped); checked against a minute-by-minute oracle."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smarketing.routing.availability import check_availability, first_attempt_deadline
from smarketing.routing.domain import LeadProfile, Rep, SlaContext, route
from smarketing.routing.roundrobin import RoutingState
from smarketing.sla.calendar import BusinessCalendar

from .support import AFTERNOONS, LISBON, MADRID, MILAN, directory, pool_document, rep

MADRID_TZ = ZoneInfo("Europe/Madrid")


def madrid(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MADRID_TZ)


def decide(reps: list[Rep], now: datetime, hours: str | None, sla_cal: BusinessCalendar | None,
           **policy: Any) -> Any:  # fmt: skip
    rules = pool_document([r.email for r in reps], policy=policy) if policy else pool_document(
        [r.email for r in reps])  # fmt: skip
    sla = SlaContext(Decimal(hours) if hours else None, sla_cal)
    return route(rules, LeadProfile("l@x.example"), directory(*reps), RoutingState(), now=now,
                 rng=random.Random(3), sla=sla).decision  # fmt: skip


def test_outside_working_hours_beyond_the_window_is_skipped() -> None:
    # Wednesday 10:00 in Madrid; a 2-hour window on the Madrid calendar ends at 12:00, and
    # the afternoon rep starts at 14:00: they could not make the first attempt in time.
    decision = decide([rep("afternoon@x", cal=AFTERNOONS)], madrid("2026-06-03T10:00"), "2",
                      MADRID)  # fmt: skip

    assert decision.owner is None
    assert [(s.user, s.why) for s in decision.skipped] == [("afternoon@x", "outside_hours")]
    assert decision.deadline == madrid("2026-06-03T12:00")
    assert "first-attempt deadline 2026-06-03T12:00+02:00 (2 business hours)" in decision.reason


def test_outside_working_hours_within_the_window_is_not_skipped() -> None:
    # 5 business hours from 10:00: 10-14 and 15-16, due 16:00; the afternoon rep starts 14:00.
    decision = decide([rep("afternoon@x", cal=AFTERNOONS)], madrid("2026-06-03T10:00"), "5",
                      MADRID)  # fmt: skip

    assert decision.owner == "afternoon@x"
    assert decision.skipped == ()


def test_exactly_at_the_deadline_is_too_late() -> None:
    # 4 business hours from 10:00 end at 14:00 sharp, when the afternoon rep starts.
    decision = decide([rep("afternoon@x", cal=AFTERNOONS)], madrid("2026-06-03T10:00"), "4",
                      MADRID)  # fmt: skip

    assert decision.owner is None


def test_an_evening_lead_goes_to_a_rep_who_starts_tomorrow_morning() -> None:
    # 20:00: everyone has gone home, but the 8-hour clock only starts tomorrow at 09:00.
    decision = decide([rep("ana@x")], madrid("2026-06-03T20:00"), "8", MADRID)

    assert decision.owner == "ana@x"
    assert decision.deadline == madrid("2026-06-04T18:00")


def test_a_rep_an_hour_behind_cannot_meet_a_one_hour_window_at_nine() -> None:
    # 09:00 Madrid is 08:00 Lisbon; the 1-hour window ends 10:00 Madrid = 09:00 Lisbon,
    # exactly when the Lisbon rep starts. The Madrid rep is there.
    decision = decide([rep("ines@x", cal=LISBON), rep("ana@x")], madrid("2026-06-03T09:00"), "1",
                      MADRID)  # fmt: skip

    assert decision.owner == "ana@x"
    assert [(s.user, s.why) for s in decision.skipped] == [("ines@x", "outside_hours")]


def test_without_an_sla_calendar_each_rep_is_measured_on_their_own() -> None:
    # Same instant, no SLA calendar: the Lisbon rep's own clock starts at 09:00 Lisbon.
    decision = decide([rep("ines@x", cal=LISBON)], madrid("2026-06-03T09:00"), "1", None)

    assert decision.owner == "ines@x"


def test_summer_closure_in_milan_is_outside_hours_not_out_of_office() -> None:
    # Monday 2026-08-10: Milan's office is closed all week, Madrid's is open.
    decision = decide([rep("marco@x", cal=MILAN)], madrid("2026-08-10T10:00"), "8", MADRID)

    assert decision.owner is None
    assert decision.skipped[0].why == "outside_hours"


@pytest.mark.parametrize(("now", "owner", "detail"), [
    # away Monday 1 to Friday 5 June
    ("2026-06-03T10:00", None, "out of office until 2026-06-05"),
    # Friday 16:00: 8 business hours reach Monday 15:00, and the rep is back on Monday.
    ("2026-06-05T16:00", "ana@x", None),
    # Friday 09:00: 8 business hours end Friday 18:00, still away.
    ("2026-06-05T09:00", None, "out of office until 2026-06-05"),
    # the Friday before: there today
    ("2026-05-29T10:00", "ana@x", None),
    # Friday evening before: 8 hours reach Monday 1 June, away; no working day in between.
    ("2026-05-29T19:00", None, "out of office until 2026-06-05"),
])  # fmt: skip
def test_out_of_office(now: str, owner: str | None, detail: str | None) -> None:
    away = rep("ana@x", away=[("2026-06-01", "2026-06-05")])

    decision = decide([away], madrid(now), "8", MADRID)

    assert decision.owner == owner
    assert [s.detail for s in decision.skipped] == ([detail] if detail else [])


def test_policy_default_window_applies_when_the_sla_has_none() -> None:
    # No SLA window: the document's default (here 2 hours) decides.
    decision = decide([rep("afternoon@x", cal=AFTERNOONS)], madrid("2026-06-03T10:00"), None,
                      MADRID, default_window_hours=2)  # fmt: skip

    assert decision.owner is None
    decision = decide([rep("afternoon@x", cal=AFTERNOONS)], madrid("2026-06-03T10:00"), None,
                      MADRID, default_window_hours=5)  # fmt: skip
    assert decision.owner == "afternoon@x"


# --------------------------------------------------------------------------- oracle

MINUTE = timedelta(minutes=1)
CALENDARS = {"madrid": MADRID, "lisbon": LISBON, "milan": MILAN, "afternoons": AFTERNOONS}


def _open(cal: BusinessCalendar, instant: datetime) -> bool:
    local = instant.astimezone(cal.zone)
    clock = local.time()
    return any(start <= clock and (end == time(0) or clock < end)
               for start, end in cal.windows_on(local.date()))  # fmt: skip


def oracle(
    rep_cal: BusinessCalendar, away: list[tuple[date, date]], sla_cal: BusinessCalendar,
    now: datetime, window_minutes: int,
) -> tuple[bool, datetime]:  # fmt: skip
    """Minute by minute: count the SLA calendar's open minutes to the deadline, then look
    for a minute before it when the rep works and is not away."""
    counted, t = 0, now
    while counted < window_minutes:
        if _open(sla_cal, t):
            counted += 1
        t += MINUTE
    deadline = t
    t = now
    while t < deadline:
        day = t.astimezone(rep_cal.zone).date()
        if _open(rep_cal, t) and not any(a <= day <= b for a, b in away):
            return True, deadline
        t += MINUTE
    return False, deadline


@settings(max_examples=60, deadline=None)
@given(
    rep_name=st.sampled_from(sorted(CALENDARS)),
    sla_name=st.sampled_from(sorted(CALENDARS)),
    minute=st.integers(0, 14 * 24 * 60),
    window=st.integers(1, 12 * 60),
    away=st.lists(st.tuples(st.integers(0, 16), st.integers(0, 4)), max_size=2),
)
def test_availability_matches_the_minute_oracle(
    rep_name: str, sla_name: str, minute: int, window: int, away: list[tuple[int, int]]
) -> None:
    base = datetime(2026, 8, 3, tzinfo=UTC)  # two weeks around Milan's summer closure
    now = base + minute * MINUTE
    ranges = [(base.date() + timedelta(days=d), base.date() + timedelta(days=d + n))
              for d, n in away]  # fmt: skip
    rep_cal, sla_cal = CALENDARS[rep_name], CALENDARS[sla_name]

    deadline = first_attempt_deadline(sla_cal, now, window * MINUTE)
    walked = check_availability(rep_cal, ranges, now, deadline)
    shortcut = check_availability(rep_cal, ranges, now, deadline, deadline_calendar=sla_cal)

    expected, expected_deadline = oracle(rep_cal, ranges, sla_cal, now, window)
    assert deadline.astimezone(UTC) == expected_deadline
    assert walked.available == expected
    assert shortcut == walked
    if not expected:
        assert walked.why in ("out_of_office", "outside_hours")
