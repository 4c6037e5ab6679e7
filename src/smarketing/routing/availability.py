"""Can a rep make the first attempt on a new lead in time? (pure logic)

A rep is *available* for a lead routed at ``now`` when they can make the first attempt
before the SLA's first-attempt clock would run out:

- the deadline is ``now`` plus the SLA's first-attempt window in business time on the
  SLA's calendar (:func:`smarketing.sla.calendar.add_business_time`), or on the rep's
  own calendar when the SLA names none; the clock of a lead assigned outside business
  hours starts at the next opening, as the SLA clocks do;
- the rep is available when their own calendar (their working hours: the rep's
  calendar, else their team's, else the workspace's, resolved by the caller) is open at
  some instant in ``[now, deadline)`` that is not on one of their out-of-office days.

Out-of-office ranges are ``(first, last)`` dates, both included, read in the time zone
of the rep's calendar. So a rep who is off tonight but at work tomorrow morning is
available for a lead with an 8-hour window (the clock only starts tomorrow morning), a
rep whose calendar has a holiday the SLA's calendar has not may not be, and a rep on
holiday until Friday is unavailable until the window reaches a day they are back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from smarketing.sla.calendar import BusinessCalendar, add_business_time, open_windows

__all__ = ["Availability", "OutOfOffice", "check_availability", "first_attempt_deadline"]

OutOfOffice = tuple[date, date]
Unavailable = Literal["out_of_office", "outside_hours"]


@dataclass(frozen=True)
class Availability:
    """``available``; ``deadline``: the first-attempt deadline it was checked against;
    ``why``: why not; ``away_until``: the last day of the out-of-office range that blocks
    them, when that is the reason."""

    available: bool
    deadline: datetime
    why: Unavailable | None = None
    away_until: date | None = None


def first_attempt_deadline(cal: BusinessCalendar, now: datetime, window: timedelta) -> datetime:
    """When the first-attempt clock of a lead assigned at ``now`` would be due."""
    return add_business_time(cal, now, window)


def _away(ranges: Sequence[OutOfOffice], day: date) -> OutOfOffice | None:
    for first, last in ranges:
        if first <= day <= last:
            return first, last
    return None


def check_availability(
    cal: BusinessCalendar,
    out_of_office: Sequence[OutOfOffice],
    now: datetime,
    deadline: datetime,
    deadline_calendar: BusinessCalendar | None = None,
) -> Availability:
    """Whether a rep working on ``cal`` and away on ``out_of_office`` can act in
    ``[now, deadline)``. ``deadline_calendar``: the calendar the deadline was computed on,
    if known; when it is the rep's own and no day off is in the way, the answer is yes
    without walking the calendar (the deadline is business time after ``now`` on it)."""
    zone = cal.zone
    first_day = now.astimezone(zone).date()
    last_day = deadline.astimezone(zone).date()
    in_the_way = [(a, b) for a, b in out_of_office if a <= last_day and b >= first_day]
    if not in_the_way and deadline > now and (
        deadline_calendar is cal or deadline_calendar == cal
    ):
        return Availability(True, deadline)
    blocking: OutOfOffice | None = None
    for start, _end in open_windows(cal, now, deadline):
        away = _away(in_the_way, start.astimezone(zone).date()) if in_the_way else None
        if away is None:
            return Availability(True, deadline)
        blocking = blocking or away
    if blocking is None and in_the_way:
        blocking = in_the_way[0]
    if blocking is not None:
        return Availability(False, deadline, why="out_of_office", away_until=blocking[1])
    return Availability(False, deadline, why="outside_hours")
