"""The demo generator's table-driven business time gives exactly `add_business_time`'s answers.

`add_business_time` (smarketing.sla.calendar) is the oracle: slow, and obviously right for
the generator, since the records were made with it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from smarketing.demo.generator import CALENDARS, _BusinessTime
from smarketing.sla.calendar import BusinessCalendar, add_business_time, calendar_from_json

MADRID = ZoneInfo("Europe/Madrid")
ORIGIN = datetime(2025, 12, 31, 23, 0, tzinfo=UTC)  # 2026-01-01 00:00 in Madrid

CALENDAR_OBJECTS: dict[str, BusinessCalendar] = {
    **{key: calendar_from_json(data) for key, data in CALENDARS.items()},
    # Windows that touch across midnight, a window over the spring-forward gap, company
    # holidays and an extra workday on a Saturday.
    "night-shift": calendar_from_json({
        "timezone": "Europe/Madrid",
        "hours": {"mon": [["00:00", "04:00"], ["20:00", "24:00"]],
                  "tue": [["00:00", "06:00"]], "sun": [["01:00", "04:00"]]},
        "holidays": {"country": "ES", "subdivision": "MD"},
        "extra_holidays": ["2026-03-30", "2026-12-28"],
        "extra_workdays": ["2026-10-24"],
    }),
}  # fmt: skip
# One table per calendar for the whole module: the questions come in any order, as in
# the generator, and the table grows as they reach further.
TABLES = {key: _BusinessTime(cal, ORIGIN) for key, cal in CALENDAR_OBJECTS.items()}


def oracle(key: str, start: datetime, duration: timedelta) -> datetime:
    return add_business_time(CALENDAR_OBJECTS[key], start, duration).astimezone(UTC)


def madrid(
    year: int, month: int, day: int, hour: int, minute: int, second: int = 0, fold: int = 0
) -> datetime:
    """A Madrid wall time as a UTC instant."""
    wall = datetime(year, month, day, hour, minute, second, tzinfo=MADRID, fold=fold)
    return wall.astimezone(UTC)


# hypothesis takes naive bounds and attaches the time zone itself.
starts = st.datetimes(
    min_value=datetime(2025, 11, 1),  # noqa: DTZ001
    max_value=datetime(2027, 3, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
durations = st.one_of(
    st.integers(min_value=0, max_value=80 * 3600).map(lambda s: timedelta(seconds=s)),
    st.integers(min_value=0, max_value=12).map(lambda h: timedelta(hours=h)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=200)),
)


@settings(max_examples=400, deadline=None)
@given(key=st.sampled_from(sorted(CALENDAR_OBJECTS)), start=starts, duration=durations)
@example(key="madrid", start=madrid(2026, 3, 30, 9, 0), duration=timedelta(hours=5))
@example(key="madrid", start=madrid(2026, 3, 30, 14, 0), duration=timedelta(hours=1))
@example(key="madrid", start=madrid(2026, 3, 30, 18, 0), duration=timedelta(seconds=1))
@example(key="madrid", start=madrid(2026, 3, 27, 14, 59, 59), duration=timedelta(seconds=1))
@example(key="madrid", start=madrid(2026, 3, 29, 2, 30), duration=timedelta(hours=8))
@example(key="madrid", start=madrid(2026, 10, 25, 2, 30, fold=1), duration=timedelta(hours=3))
@example(key="milan", start=madrid(2026, 8, 7, 17, 0), duration=timedelta(hours=40))
@example(key="lisbon", start=madrid(2026, 12, 24, 12, 0), duration=timedelta(hours=24))
@example(key="night-shift", start=madrid(2026, 3, 29, 0, 30), duration=timedelta(hours=3))
@example(key="night-shift", start=madrid(2026, 10, 25, 0, 0), duration=timedelta(hours=4))
@example(key="night-shift", start=madrid(2026, 10, 24, 10, 0), duration=timedelta(hours=9))
@example(key="madrid", start=ORIGIN, duration=timedelta(hours=1))
@example(key="madrid", start=ORIGIN - timedelta(seconds=1), duration=timedelta(hours=1))
@example(key="madrid", start=madrid(2026, 5, 4, 11, 0), duration=timedelta(0))
def test_answers_are_add_business_time_s(key: str, start: datetime, duration: timedelta) -> None:
    answer = TABLES[key].add(start, duration)
    expected = oracle(key, start, duration)
    assert answer == expected
    assert answer.isoformat() == expected.isoformat()  # the same instant, spelled in UTC


@pytest.mark.parametrize("key", sorted(CALENDAR_OBJECTS))
def test_a_fresh_table_asked_far_ahead_first_agrees_with_the_oracle(key: str) -> None:
    table = _BusinessTime(CALENDAR_OBJECTS[key], ORIGIN)
    questions = [
        (madrid(2026, 12, 1, 10, 0), timedelta(hours=30)),
        (madrid(2026, 1, 2, 8, 15), timedelta(hours=7, minutes=45)),
        (madrid(2026, 6, 15, 13, 59), timedelta(minutes=1)),
        (madrid(2026, 6, 15, 13, 59), timedelta(minutes=2)),
    ]
    for start, duration in questions:
        assert table.add(start, duration) == oracle(key, start, duration)
