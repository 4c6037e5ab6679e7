"""Business-calendar arithmetic: golden tables, validation, and properties against an oracle.

The golden tables follow the style of help-desk SLA suites (Zendesk, Freshdesk, OTRS):
fixed instants, a calendar, a target, and the due instant worked out by hand in the
comment next to it. The property tests compare both functions with a slow brute-force
oracle that steps minute by minute and asks "is the wall clock inside a window of its
own date?", on random calendars in time zones with daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smarketing.sla.calendar import (
    BusinessCalendar,
    CalendarError,
    add_business_time,
    business_time_between,
    calendar_from_json,
    open_windows,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
LUNCH_BREAK = [["09:00", "14:00"], ["15:00", "18:00"]]  # 5h + 3h = 8h a day

MADRID = calendar_from_json(
    {
        "key": "madrid",
        "timezone": "Europe/Madrid",
        "hours": dict.fromkeys(WEEKDAYS, LUNCH_BREAK),
        "holidays": {"country": "ES", "subdivision": "MD"},
    }
)
SPAIN = calendar_from_json(  # the same office without the Community of Madrid's holidays
    {
        "timezone": "Europe/Madrid",
        "hours": dict.fromkeys(WEEKDAYS, LUNCH_BREAK),
        "holidays": {"country": "ES"},
    }
)
MADRID_SATURDAYS = calendar_from_json(
    {
        "timezone": "Europe/Madrid",
        "hours": {**dict.fromkeys(WEEKDAYS, LUNCH_BREAK), "sat": [["10:00", "14:00"]]},
        "holidays": {"country": "ES", "subdivision": "MD"},
    }
)
SPAIN_SATURDAYS = calendar_from_json(
    {
        "timezone": "Europe/Madrid",
        "hours": {**dict.fromkeys(WEEKDAYS, LUNCH_BREAK), "sat": [["10:00", "14:00"]]},
        "holidays": {"country": "ES"},
    }
)
MADRID_EXTRAS = calendar_from_json(
    {
        "timezone": "Europe/Madrid",
        "hours": dict.fromkeys(WEEKDAYS, LUNCH_BREAK),
        "holidays": {"country": "ES", "subdivision": "MD"},
        "extra_holidays": ["2026-12-24", "2026-12-31"],
        # 2026-12-08 is a national holiday worked anyway; 2026-12-12 is a Saturday.
        "extra_workdays": ["2026-12-08", "2026-12-12"],
    }
)
SAO_PAULO = calendar_from_json(
    {
        "timezone": "America/Sao_Paulo",
        "hours": {day: [["08:00", "12:00"], ["13:00", "17:00"]] for day in WEEKDAYS},
        "holidays": {"country": "BR", "subdivision": "SP"},
    }
)
BRAZIL = calendar_from_json(
    {
        "timezone": "America/Sao_Paulo",
        "hours": {day: [["08:00", "12:00"], ["13:00", "17:00"]] for day in WEEKDAYS},
        "holidays": {"country": "BR"},
    }
)
NIGHT_DESK = calendar_from_json(  # every night 22:00 to 06:00, split at midnight
    {
        "timezone": "Europe/Madrid",
        "hours": {
            day: [["00:00", "06:00"], ["22:00", "24:00"]]
            for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
    }
)
GAP_DESK = calendar_from_json(  # a window that opens inside Madrid's spring-forward gap
    {"timezone": "Europe/Madrid", "hours": {"sun": [["02:30", "04:00"]]}}
)

CALENDARS = {
    "madrid": MADRID,
    "spain": SPAIN,
    "madrid_saturdays": MADRID_SATURDAYS,
    "spain_saturdays": SPAIN_SATURDAYS,
    "madrid_extras": MADRID_EXTRAS,
    "sao_paulo": SAO_PAULO,
    "brazil": BRAZIL,
    "night_desk": NIGHT_DESK,
    "gap_desk": GAP_DESK,
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --------------------------------------------------------------------------- library facts


def test_holidays_library_facts_the_tables_rely_on() -> None:
    """What `holidays` says; the tables below are worked out from exactly this."""
    spain = holidays.country_holidays("ES", years=2026)
    madrid = holidays.country_holidays("ES", subdiv="MD", years=2026)
    for day in ("2026-01-01", "2026-01-06", "2026-04-03", "2026-12-08", "2026-12-25"):
        assert date.fromisoformat(day) in spain
    for day in ("2026-04-02", "2026-05-02", "2026-11-02", "2026-12-07"):  # regional (MD)
        assert date.fromisoformat(day) in madrid
        assert date.fromisoformat(day) not in spain
    assert date(2026, 5, 15) not in madrid  # San Isidro is a city holiday, not regional
    assert date(2026, 4, 6) not in madrid  # no Easter Monday in Madrid

    brazil = holidays.country_holidays("BR", years=2026)
    sao_paulo = holidays.country_holidays("BR", subdiv="SP", years=2026)
    assert date(2026, 4, 21) in brazil  # Tiradentes
    assert date(2026, 11, 20) in brazil  # Zumbi and Black Awareness, national since 2024
    assert date(2026, 7, 9) in sao_paulo  # Constitutionalist Revolution (SP only)
    assert date(2026, 7, 9) not in brazil
    assert date(2018, 11, 2) in holidays.country_holidays("BR", years=2018)  # All Souls


def test_sao_paulo_has_no_dst_since_2019_but_had_it_in_2018() -> None:
    zone = ZoneInfo("America/Sao_Paulo")
    for month in range(1, 13):
        assert datetime(2026, month, 15, 12, tzinfo=zone).utcoffset() == timedelta(hours=-3)
    assert datetime(2018, 12, 15, 12, tzinfo=zone).utcoffset() == timedelta(hours=-2)


# --------------------------------------------------------------------------- golden: due

DUE_CASES: list[tuple[str, str, str, timedelta, str]] = [
    # (id, calendar, start, within, expected due)
    # -- windows entered at the edges (Madrid: 09-14 and 15-18, Mon-Fri)
    ("at-open", "madrid", "2026-03-02T09:00:00+01:00", timedelta(hours=8),
     "2026-03-02T18:00:00+01:00"),  # 5h + 3h fill Monday exactly: due at the close
    ("at-close", "madrid", "2026-03-02T18:00:00+01:00", timedelta(hours=1),
     "2026-03-03T10:00:00+01:00"),  # closed from 18:00; Tuesday 09:00 + 1h
    ("at-lunch", "madrid", "2026-03-02T14:00:00+01:00", timedelta(hours=1),
     "2026-03-02T16:00:00+01:00"),  # lunch 14-15 does not count; 15:00 + 1h
    ("in-lunch", "madrid", "2026-03-02T14:30:00+01:00", timedelta(minutes=30),
     "2026-03-02T15:30:00+01:00"),  # clock starts at 15:00
    ("over-lunch", "madrid", "2026-03-02T13:30:00+01:00", timedelta(hours=1),
     "2026-03-02T15:30:00+01:00"),  # 30m before lunch, 30m after
    ("night", "madrid", "2026-03-03T23:30:00+01:00", timedelta(hours=8),
     "2026-03-04T18:00:00+01:00"),  # assigned at night: all of Wednesday
    ("saturday", "madrid", "2026-03-07T11:00:00+01:00", timedelta(hours=2),
     "2026-03-09T11:00:00+01:00"),  # weekend closed: Monday 09:00 + 2h
    ("friday-1759", "madrid", "2026-03-06T17:59:00+01:00", timedelta(hours=8),
     "2026-03-09T17:59:00+01:00"),  # 1m on Friday; Monday 5h + 2h59m after lunch
    ("utc-input", "madrid", "2026-03-02T08:00:00Z", timedelta(hours=8),
     "2026-03-02T18:00:00+01:00"),  # 08:00Z is 09:00 in Madrid; answer in Madrid time
    ("multi-day", "madrid", "2026-03-02T09:00:00+01:00", timedelta(hours=40),
     "2026-03-06T18:00:00+01:00"),  # 5 days x 8h: Friday's close
    # -- DST weekends in Madrid
    ("dst-spring", "madrid", "2026-03-27T16:00:00+01:00", timedelta(hours=8),
     "2026-03-30T16:00:00+02:00"),  # 2h Friday (CET); Monday (CEST) 5h + 1h
    ("dst-autumn", "madrid", "2026-10-23T16:00:00+02:00", timedelta(hours=8),
     "2026-10-26T16:00:00+01:00"),  # 2h Friday (CEST); Monday (CET) 5h + 1h
    # -- national holidays (Spain)
    ("on-new-year", "madrid", "2026-01-01T10:00:00+01:00", timedelta(hours=8),
     "2026-01-02T18:00:00+01:00"),  # assigned on a holiday: Friday 2nd, all day
    ("epiphany", "madrid", "2026-01-05T17:00:00+01:00", timedelta(hours=2),
     "2026-01-07T10:00:00+01:00"),  # 1h Monday; Tue 6 closed; Wed 09:00 + 1h
    ("christmas", "madrid", "2026-12-24T17:00:00+01:00", timedelta(hours=2),
     "2026-12-28T10:00:00+01:00"),  # 1h Thu 24; Fri 25 closed, weekend; Mon + 1h
    # -- regional holidays (Community of Madrid) against the national-only calendar
    ("md-dec-7-8", "madrid", "2026-12-04T17:00:00+01:00", timedelta(hours=2),
     "2026-12-09T10:00:00+01:00"),  # Mon 7 (MD) and Tue 8 (ES) closed: Wed + 1h
    ("es-dec-8", "spain", "2026-12-04T17:00:00+01:00", timedelta(hours=2),
     "2026-12-07T10:00:00+01:00"),  # without MD, Monday 7 is open
    ("md-easter", "madrid", "2026-04-01T17:00:00+02:00", timedelta(hours=2),
     "2026-04-06T10:00:00+02:00"),  # Thu 2 (MD), Fri 3 (ES) closed; Easter Monday open
    ("es-easter", "spain", "2026-04-01T17:00:00+02:00", timedelta(hours=2),
     "2026-04-02T10:00:00+02:00"),  # Maundy Thursday is open outside MD
    ("san-isidro", "madrid", "2026-05-14T17:00:00+02:00", timedelta(hours=2),
     "2026-05-15T10:00:00+02:00"),  # San Isidro (city of Madrid) is not in `holidays`
    ("md-may-2", "madrid_saturdays", "2026-04-30T17:00:00+02:00", timedelta(hours=2),
     "2026-05-04T10:00:00+02:00"),  # Fri 1 (ES) and Sat 2 (MD) closed; Monday + 1h
    ("es-may-2", "spain_saturdays", "2026-04-30T17:00:00+02:00", timedelta(hours=2),
     "2026-05-02T11:00:00+02:00"),  # outside MD, Saturday 2 opens 10:00: + 1h
    # -- extra holidays and extra workdays
    ("extra-holiday", "madrid_extras", "2026-12-23T17:00:00+01:00", timedelta(hours=2),
     "2026-12-28T10:00:00+01:00"),  # Thu 24 extra, Fri 25 Christmas: Monday + 1h
    ("workday-on-holiday", "madrid_extras", "2026-12-04T17:00:00+01:00", timedelta(hours=2),
     "2026-12-08T10:00:00+01:00"),  # Mon 7 (MD) closed; Tue 8 worked anyway: 09:00 + 1h
    ("workday-saturday", "madrid_extras", "2026-12-11T17:00:00+01:00", timedelta(hours=2),
     "2026-12-12T10:00:00+01:00"),  # Sat 12 takes Monday's windows: 09:00 + 1h
    ("workday-sat-lunch", "madrid_extras", "2026-12-12T13:30:00+01:00", timedelta(hours=1),
     "2026-12-12T15:30:00+01:00"),  # Monday's lunch break applies on Saturday 12 too
    # -- Sao Paulo (08-12 and 13-17, Mon-Fri, BR/SP holidays, UTC-3)
    ("tiradentes", "sao_paulo", "2026-04-20T16:00:00-03:00", timedelta(hours=2),
     "2026-04-22T09:00:00-03:00"),  # 1h Monday; Tue 21 closed; Wed 08:00 + 1h
    ("zumbi", "sao_paulo", "2026-11-19T16:30:00-03:00", timedelta(hours=1),
     "2026-11-23T08:30:00-03:00"),  # 30m Thursday; Fri 20 closed; Monday 08:00 + 30m
    ("sp-july-9", "sao_paulo", "2026-07-08T16:00:00-03:00", timedelta(hours=2),
     "2026-07-10T09:00:00-03:00"),  # Thu 9 is a Sao Paulo holiday: Friday + 1h
    ("br-july-9", "brazil", "2026-07-08T16:00:00-03:00", timedelta(hours=2),
     "2026-07-09T09:00:00-03:00"),  # not a national holiday
    ("sp-no-dst", "sao_paulo", "2026-11-06T16:00:00-03:00", timedelta(hours=2),
     "2026-11-09T09:00:00-03:00"),  # no DST any more: still UTC-3 in November
    ("sp-dst-2018", "sao_paulo", "2018-11-01T16:00:00-03:00", timedelta(hours=2),
     "2018-11-05T09:00:00-02:00"),  # Fri 2 All Souls; DST from Sun 4: Monday UTC-2
    ("sp-dst-end-2019", "sao_paulo", "2019-02-15T16:00:00-02:00", timedelta(hours=2),
     "2019-02-18T09:00:00-03:00"),  # DST ended Sat 16 at 24:00: Monday back to UTC-3
    # -- windows over the DST changes themselves
    ("night-spring", "night_desk", "2026-03-29T00:00:00+01:00", timedelta(hours=3),
     "2026-03-29T04:00:00+02:00"),  # 00-02 CET (2h), 02:00 jumps to 03:00 CEST, + 1h
    ("night-autumn-3h", "night_desk", "2026-10-25T00:00:00+02:00", timedelta(hours=3),
     "2026-10-25T02:00:00+01:00"),  # 00-03 CEST is 3h; the clock then reads 02:00 CET
    ("night-autumn-4h", "night_desk", "2026-10-25T00:00:00+02:00", timedelta(hours=4),
     "2026-10-25T03:00:00+01:00"),  # 02:00-03:00 shows twice and counts twice
    ("midnight-split", "night_desk", "2026-03-04T23:00:00+01:00", timedelta(hours=2),
     "2026-03-05T01:00:00+01:00"),  # 22-24 then 00-06 of the next date: seamless
    ("opens-in-gap", "gap_desk", "2026-03-29T00:00:00+01:00", timedelta(minutes=30),
     "2026-03-29T03:30:00+02:00"),  # 02:30 does not exist that day: opens at 03:00
]


@pytest.mark.parametrize(
    ("calendar", "start", "within", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in DUE_CASES],
)
def test_due_golden(calendar: str, start: str, within: timedelta, expected: str) -> None:
    cal = CALENDARS[calendar]
    due = add_business_time(cal, at(start), within)

    assert due.isoformat() == expected
    assert due.tzinfo == ZoneInfo(cal.timezone)
    assert business_time_between(cal, at(start), due) == within


# --------------------------------------------------------------------------- golden: between

BETWEEN_CASES: list[tuple[str, str, str, str, timedelta]] = [
    ("same-window", "madrid", "2026-03-02T10:30:00+01:00", "2026-03-02T15:30:00+01:00",
     timedelta(hours=4)),  # 10:30-14:00 (3h30) + 15:00-15:30
    ("week", "madrid", "2026-03-02T00:00:00+01:00", "2026-03-09T00:00:00+01:00",
     timedelta(hours=40)),  # 5 x 8h
    ("christmas-week", "madrid", "2026-12-21T00:00:00+01:00", "2026-12-28T00:00:00+01:00",
     timedelta(hours=32)),  # Mon-Thu 4 x 8h; Fri 25 closed
    ("dst-spring-weekend", "madrid", "2026-03-27T16:00:00+01:00", "2026-03-30T16:00:00+02:00",
     timedelta(hours=8)),  # 2h Friday + 6h Monday, the lost hour is on Sunday
    ("utc-range", "madrid", "2026-03-02T08:00:00Z", "2026-03-02T17:00:00Z",
     timedelta(hours=8)),  # 09:00-18:00 Madrid
    ("reversed", "madrid", "2026-03-02T17:00:00+01:00", "2026-03-02T10:00:00+01:00",
     timedelta(0)),  # end before start
    ("empty", "madrid", "2026-03-02T10:00:00+01:00", "2026-03-02T10:00:00+01:00",
     timedelta(0)),
    ("night-spring", "night_desk", "2026-03-28T12:00:00+01:00", "2026-03-29T12:00:00+02:00",
     timedelta(hours=7)),  # Sat 22-24 (2h) + Sun 00-06 minus the skipped hour (5h)
    ("night-autumn", "night_desk", "2026-10-24T12:00:00+02:00", "2026-10-25T12:00:00+01:00",
     timedelta(hours=9)),  # Sat 22-24 (2h) + Sun 00-06 plus the repeated hour (7h)
    ("gap-window", "gap_desk", "2026-03-28T00:00:00+01:00", "2026-03-30T00:00:00+02:00",
     timedelta(hours=1)),  # 02:30-04:00 exists only from 03:00 on that Sunday
    ("gap-window-normal", "gap_desk", "2026-03-21T00:00:00+01:00", "2026-03-23T00:00:00+01:00",
     timedelta(hours=1, minutes=30)),  # an ordinary Sunday: 1h30
    ("sp-2018-dst", "sao_paulo", "2018-11-05T00:00:00-02:00", "2018-11-06T00:00:00-02:00",
     timedelta(hours=8)),  # DST Monday: still 8 hours
]


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in BETWEEN_CASES],
)
def test_between_golden(calendar: str, start: str, end: str, expected: timedelta) -> None:
    assert business_time_between(CALENDARS[calendar], at(start), at(end)) == expected


# --------------------------------------------------------------------------- edges


def test_zero_duration_returns_start_in_calendar_time_even_when_closed() -> None:
    due = add_business_time(MADRID, at("2026-03-07T11:00:00Z"), timedelta(0))  # a Saturday

    assert due.isoformat() == "2026-03-07T12:00:00+01:00"


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 3, 2, 9)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="no UTC offset"):
        add_business_time(MADRID, naive, timedelta(hours=1))
    with pytest.raises(ValueError, match="no UTC offset"):
        business_time_between(MADRID, at("2026-03-02T09:00:00+01:00"), naive)


def test_negative_duration_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_time(MADRID, at("2026-03-02T09:00:00+01:00"), timedelta(minutes=-1))


def test_calendar_that_never_opens_raises_instead_of_looping() -> None:
    mondays = frozenset(date(2026, 1, 5) + timedelta(weeks=n) for n in range(52 * 5))
    cal = BusinessCalendar(
        timezone="Europe/Madrid", hours={0: ((time(9), time(10)),)}, extra_holidays=mondays
    )
    start = at("2026-01-01T00:00:00+01:00")

    with pytest.raises(CalendarError, match="no business time"):
        add_business_time(cal, start, timedelta(minutes=1))
    assert business_time_between(cal, start, start + timedelta(days=4 * 365)) == timedelta(0)


def test_long_durations_cross_years_without_stepping() -> None:
    # 250 working days of 8h in a year minus holidays is far less than 2000h: spans years.
    due = add_business_time(MADRID, at("2026-01-01T00:00:00+01:00"), timedelta(hours=5000))

    assert due.year >= 2028
    assert business_time_between(MADRID, at("2026-01-01T00:00:00+01:00"), due) == timedelta(
        hours=5000
    )


def test_open_windows_are_ordered_clipped_and_adjacent_windows_stay_separate() -> None:
    windows = list(
        open_windows(NIGHT_DESK, at("2026-03-04T23:30:00+01:00"), at("2026-03-05T03:00:00+01:00"))
    )

    assert windows == [
        (at("2026-03-04T22:30:00Z"), at("2026-03-04T23:00:00Z")),
        (at("2026-03-04T23:00:00Z"), at("2026-03-05T02:00:00Z")),
    ]


def test_24_00_end_and_equal_calendars() -> None:
    cal = calendar_from_json({"timezone": "UTC", "hours": {"sun": [["20:00", "24:00"]]}})

    assert cal.hours[6] == ((time(20), time(0)),)
    assert cal == calendar_from_json({"timezone": "UTC", "hours": {"sun": [["20:00", "24:00"]]}})
    assert hash(cal) == hash(
        calendar_from_json({"timezone": "UTC", "hours": {"sun": [["20:00", "24:00"]]}})
    )


def test_calendar_from_json_accepts_the_spec_example_and_a_whole_record() -> None:
    cal = calendar_from_json(
        {
            "type": "calendar",
            "key": "madrid",
            "timezone": "Europe/Madrid",
            "hours": {"mon": [["09:00", "14:00"], ["15:00", "18:00"]], "tue": [["09:00", "18:00"]]},
            "holidays": {"country": "ES", "subdivision": "MD"},
            "extra_holidays": ["2026-12-24"],
            "extra_workdays": [],
        }
    )

    assert cal.hours == {0: ((time(9), time(14)), (time(15), time(18))), 1: ((time(9), time(18)),)}
    assert cal.holidays_country == "ES"
    assert cal.holidays_subdivision == "MD"
    assert cal.extra_holidays == frozenset({date(2026, 12, 24)})


# --------------------------------------------------------------------------- validation


def _json(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"timezone": "Europe/Madrid", "hours": {"mon": [["09:00", "18:00"]]}}
    base.update(changes)
    return {key: value for key, value in base.items() if value is not ...}


BAD_CALENDARS: list[tuple[str, dict[str, Any], str]] = [
    ("end-before-start", _json(hours={"mon": [["09:00", "14:00"], ["14:00", "13:00"]]}),
     "hours.mon[1]: end 13:00 is not after start 14:00"),
    ("overlap", _json(hours={"mon": [["09:00", "14:00"], ["13:00", "18:00"]]}),
     "hours.mon[1]: window 13:00-18:00 starts before the previous window ends at 14:00"),
    ("unordered", _json(hours={"tue": [["15:00", "18:00"], ["09:00", "14:00"]]}),
     "hours.tue[1]: window 09:00-14:00 starts before the previous window ends at 18:00"),
    ("empty-window", _json(hours={"mon": [["09:00", "09:00"]]}),
     "hours.mon[0]: end 09:00 is not after start 09:00"),
    ("midnight-end", _json(hours={"mon": [["18:00", "00:00"]]}),
     "use 24:00 for midnight"),
    ("after-24", _json(hours={"mon": [["18:00", "24:00"], ["00:00", "01:00"]]}),
     "hours.mon[1]"),
    ("start-24", _json(hours={"mon": [["24:00", "24:00"]]}),
     'hours.mon[0][0]: expected "HH:MM"'),
    ("short-time", _json(hours={"mon": [["9:00", "18:00"]]}),
     "hours.mon[0][0]: expected \"HH:MM\" (00:00 to 23:59), got '9:00'"),
    ("hour-25", _json(hours={"mon": [["09:00", "25:00"]]}),
     "hours.mon[0][1]"),
    ("not-a-pair", _json(hours={"mon": [["09:00"]]}),
     'hours.mon[0]: expected a ["HH:MM", "HH:MM"] pair'),
    ("day-not-list", _json(hours={"mon": "09:00-18:00"}),
     "hours.mon: expected a list"),
    ("unknown-day", _json(hours={"monday": [["09:00", "18:00"]]}),
     "hours: unknown day 'monday'"),
    ("hours-not-object", _json(hours=[["09:00", "18:00"]]),
     "hours: expected an object"),
    ("never-open", _json(hours={"mon": []}),
     "hours: no day has any window"),
    ("missing-hours", _json(hours=...),
     "hours: required field is missing"),
    ("missing-timezone", _json(timezone=...),
     "timezone: required field is missing"),
    ("bad-timezone", _json(timezone="Europe/Madird"),
     "timezone: unknown IANA time zone 'Europe/Madird'"),
    ("timezone-not-string", _json(timezone=1),
     "timezone: expected an IANA time-zone name"),
    ("unknown-field", _json(hourz={}),
     "calendar: unknown field(s) 'hourz'"),
    ("wrong-type", _json(type="team"),
     "type: expected 'calendar'"),
    ("bad-country", _json(holidays={"country": "XX"}),
     "holidays.country: unknown country code 'XX'"),
    ("bad-subdivision", _json(holidays={"country": "ES", "subdivision": "ZZ"}),
     "holidays.subdivision: 'ZZ' is not a subdivision of ES"),
    ("holidays-unknown-field", _json(holidays={"country": "ES", "region": "MD"}),
     "holidays: unknown field(s) 'region'"),
    ("holidays-no-country", _json(holidays={"subdivision": "MD"}),
     "holidays.country: expected a country code"),
    ("bad-date", _json(extra_holidays=["2026-12-24", "2026-02-30"]),
     "extra_holidays[1]: '2026-02-30' is not a valid date"),
    ("date-format", _json(extra_workdays=["2026/12/24"]),
     "extra_workdays[0]: expected a date YYYY-MM-DD"),
    ("dates-not-list", _json(extra_holidays="2026-12-24"),
     "extra_holidays: expected a list"),
    ("both", _json(extra_holidays=["2026-12-24"], extra_workdays=["2026-12-24"]),
     "extra_workdays: 2026-12-24 also listed in extra_holidays"),
]


@pytest.mark.parametrize(
    ("obj", "message"), [pytest.param(*case[1:], id=case[0]) for case in BAD_CALENDARS]
)
def test_bad_calendar_json_names_the_field(obj: dict[str, Any], message: str) -> None:
    with pytest.raises(CalendarError) as excinfo:
        calendar_from_json(obj)

    assert message in str(excinfo.value)
    assert isinstance(excinfo.value, ValueError)


def test_not_an_object() -> None:
    not_an_object: Any = []
    with pytest.raises(CalendarError, match="calendar: expected a JSON object"):
        calendar_from_json(not_an_object)


def test_dataclass_validates_too() -> None:
    with pytest.raises(CalendarError, match="hours: weekday 7"):
        BusinessCalendar(timezone="UTC", hours={7: ((time(9), time(10)),)})
    with pytest.raises(CalendarError, match="holidays.subdivision: given without"):
        BusinessCalendar(
            timezone="UTC", hours={0: ((time(9), time(10)),)}, holidays_subdivision="MD"
        )


# --------------------------------------------------------------------------- properties

ZONES: dict[str, tuple[str | None, list[date]]] = {
    # zone: (holidays country, dates around which the offset changes)
    "Europe/Madrid": ("ES", [date(2026, 3, 29), date(2026, 10, 25)]),
    "America/New_York": ("US", [date(2026, 3, 8), date(2026, 11, 1)]),
    "America/Sao_Paulo": ("BR", [date(2018, 11, 4), date(2019, 2, 17)]),
    "Australia/Lord_Howe": ("AU", [date(2026, 4, 5), date(2026, 10, 4)]),  # 30-minute DST
    "America/Santiago": ("CL", [date(2026, 4, 5), date(2026, 9, 6)]),  # changes at 24:00
}
MINUTE = timedelta(minutes=1)
DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class Spec:
    """A random calendar and where to look at it."""

    cal: BusinessCalendar
    anchor: datetime  # UTC midnight of a date with a DST change in the zone


def _minute_time(minute: int) -> time:
    return time(0) if minute == DAY_MINUTES else time(minute // 60, minute % 60)


@st.composite
def day_windows(draw: st.DrawFn) -> tuple[tuple[time, time], ...]:
    # Bias the bounds towards the small hours, where DST changes happen, and midnight.
    bound = st.one_of(
        st.integers(0, DAY_MINUTES),
        st.sampled_from([0, 30, 60, 90, 120, 150, 180, 210, 1380, DAY_MINUTES]),
    )
    points = sorted(draw(st.lists(bound, max_size=6)))
    windows = []
    for first, second in zip(points[::2], points[1::2], strict=False):
        if first < second:
            windows.append((_minute_time(first), _minute_time(second)))
    return tuple(windows)


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    zone = draw(st.sampled_from(sorted(ZONES)))
    country, changes = ZONES[zone]
    anchor_day = draw(st.sampled_from(changes))
    hours = {
        weekday: windows
        for weekday in range(7)
        if (windows := draw(day_windows()))
    }
    if not hours:
        hours = {0: ((time(9), time(17)),)}
    near = st.integers(-6, 20).map(lambda n: anchor_day + timedelta(days=n))
    extra_holidays = draw(st.frozensets(near, max_size=4))
    extra_workdays = draw(st.frozensets(near, max_size=3)) - extra_holidays
    cal = BusinessCalendar(
        timezone=zone,
        hours=hours,
        holidays_country=draw(st.sampled_from([None, country])),
        extra_holidays=extra_holidays,
        extra_workdays=extra_workdays,
    )
    return Spec(cal=cal, anchor=datetime.combine(anchor_day, time(0), tzinfo=UTC))


def _starts(spec: Spec, data: st.DataObject) -> datetime:
    minutes: int = data.draw(st.integers(-4 * DAY_MINUTES, 3 * DAY_MINUTES))
    return spec.anchor + MINUTE * minutes


def make_oracle(cal: BusinessCalendar) -> Callable[[datetime], bool]:
    """Is the minute starting at this UTC instant open? Asked of the wall clock, directly."""
    zone = ZoneInfo(cal.timezone)
    public = (
        holidays.country_holidays(cal.holidays_country) if cal.holidays_country else None
    )
    fallback: tuple[tuple[time, time], ...] = next(
        cal.hours[weekday] for weekday in range(7) if weekday in cal.hours
    )

    @cache
    def windows_of(day: date) -> tuple[tuple[time, time], ...]:
        own: tuple[tuple[time, time], ...] = cal.hours.get(day.weekday(), ())
        if day in cal.extra_workdays:
            return own or fallback
        if day in cal.extra_holidays or (public is not None and day in public):
            return ()
        return own

    def is_open(instant: datetime) -> bool:
        local = instant.astimezone(zone)
        clock = local.time()
        return any(
            start <= clock and (end == time(0) or clock < end)
            for start, end in windows_of(local.date())
        )

    return is_open


PROPERTY_SETTINGS = settings(max_examples=60, deadline=None)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_between_matches_the_minute_oracle(data: st.DataObject) -> None:
    spec = data.draw(specs())
    start = _starts(spec, data)
    minutes = data.draw(st.integers(0, 5 * DAY_MINUTES))
    is_open = make_oracle(spec.cal)

    expected = sum(1 for n in range(minutes) if is_open(start + n * MINUTE))

    assert business_time_between(spec.cal, start, start + minutes * MINUTE) == expected * MINUTE


@PROPERTY_SETTINGS
@given(data=st.data())
def test_add_matches_the_minute_oracle(data: st.DataObject) -> None:
    spec = data.draw(specs())
    start = _starts(spec, data)
    is_open = make_oracle(spec.cal)
    horizon = 10 * DAY_MINUTES
    open_minutes = [start + n * MINUTE for n in range(horizon) if is_open(start + n * MINUTE)]

    if not open_minutes:  # nothing open within the horizon: the due instant is beyond it
        assert add_business_time(spec.cal, start, MINUTE).astimezone(UTC) > start + horizon * MINUTE
        return
    wanted = data.draw(st.integers(1, len(open_minutes)))
    due = add_business_time(spec.cal, start, wanted * MINUTE)

    # Compare in UTC: an aware datetime inside a DST fold never equals one in another zone
    # (PEP 495), and two in the same zone compare by wall time.
    assert due.astimezone(UTC) == open_minutes[wanted - 1] + MINUTE  # end of wanted-th minute
    assert due.tzinfo == ZoneInfo(spec.cal.timezone)


durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=60))


@PROPERTY_SETTINGS
@given(data=st.data(), duration=durations, seconds=st.integers(0, 86_399))
def test_between_inverts_add(data: st.DataObject, duration: timedelta, seconds: int) -> None:
    spec = data.draw(specs())
    start = _starts(spec, data) + timedelta(seconds=seconds, microseconds=7)

    due = add_business_time(spec.cal, start, duration).astimezone(UTC)

    assert due >= start
    assert business_time_between(spec.cal, start, due) == duration


@PROPERTY_SETTINGS
@given(data=st.data(), first=durations, second=durations, shift=durations)
def test_monotonic_and_additive(
    data: st.DataObject, first: timedelta, second: timedelta, shift: timedelta
) -> None:
    spec = data.draw(specs())
    start = _starts(spec, data)
    short, long = sorted((first, second))
    cal = spec.cal

    def due(begin: datetime, duration: timedelta) -> datetime:
        answer: datetime = add_business_time(cal, begin, duration)
        return answer.astimezone(UTC)  # compare in UTC

    assert due(start, short) <= due(start, long)
    assert due(start, long) <= due(start + shift, long)
    middle, end = start + short, start + long
    assert business_time_between(cal, start, middle) <= business_time_between(cal, start, end)
    assert business_time_between(cal, start, end) == business_time_between(
        cal, start, middle
    ) + business_time_between(cal, middle, end)


@PROPERTY_SETTINGS
@given(data=st.data(), length=durations)
def test_open_windows_are_sorted_disjoint_and_inside_the_range(
    data: st.DataObject, length: timedelta
) -> None:
    spec = data.draw(specs())
    start = _starts(spec, data)
    end = start + length

    windows = list(open_windows(spec.cal, start, end))

    for window_start, window_end in windows:
        assert start <= window_start < window_end <= end
    for (_, previous_end), (next_start, _) in zip(windows, windows[1:], strict=False):
        assert previous_end <= next_start
    # ...and they are exactly the open time: a minute is inside a window if and only if
    # the oracle says it is open (an empty answer fails whenever anything is open).
    is_open = make_oracle(spec.cal)
    minute = start
    open_time = timedelta(0)
    while minute < end:
        inside = any(window_start <= minute < window_end for window_start, window_end in windows)
        assert inside == is_open(minute), minute
        open_time += min(minute + MINUTE, end) - minute if inside else timedelta(0)
        minute += MINUTE
    assert sum((window_end - window_start for window_start, window_end in windows),
               timedelta(0)) == open_time  # fmt: skip
