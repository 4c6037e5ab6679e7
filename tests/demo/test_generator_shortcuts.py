"""The demo generator's shortcuts give exactly the answers of the calls they replace.

Each oracle is the slow call the generator made before (and its records were made with):
`add_business_time` for `_BusinessTime`, `astimezone(MADRID).isoformat()` for `_fmt`,
`random.Random` for `_Random`, `random.choices` for `_Weighted`.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from smarketing.demo.generator import CALENDARS, _BusinessTime, _fmt, _Random, _Weighted
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


# -- instants as Madrid wall time ----------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(
    instant=st.one_of(
        st.datetimes(
            min_value=datetime(2020, 1, 1),  # noqa: DTZ001
            max_value=datetime(2030, 12, 31),  # noqa: DTZ001
            timezones=st.just(UTC),
        ),
        st.datetimes(
            min_value=datetime(2020, 1, 1),  # noqa: DTZ001
            max_value=datetime(2030, 12, 31),  # noqa: DTZ001
            timezones=st.sampled_from([MADRID, ZoneInfo("America/New_York")]),
        ),
        st.integers(min_value=1_577_836_800, max_value=1_924_991_999).map(
            lambda seconds: datetime.fromtimestamp(seconds, UTC)
        ),
    )
)
@example(instant=madrid(2026, 3, 29, 1, 59, 59))
@example(instant=madrid(2026, 3, 29, 3, 0))
@example(instant=madrid(2026, 10, 25, 2, 30))
@example(instant=madrid(2026, 10, 25, 2, 30, fold=1))
@example(instant=datetime(2026, 10, 25, 0, 59, 59, tzinfo=UTC))
@example(instant=datetime(2026, 10, 25, 1, 0, tzinfo=UTC))
@example(instant=datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC))
@example(instant=datetime(2028, 2, 28, 23, 30, tzinfo=UTC))
@example(instant=datetime(2028, 2, 29, 23, 0, 1, tzinfo=UTC))
def test_instants_are_written_as_isoformat_writes_them_in_madrid(instant: datetime) -> None:
    assert _fmt(instant) == instant.astimezone(MADRID).isoformat()


# -- random draws ---------------------------------------------------------------------------

draws = st.lists(
    st.one_of(
        st.tuples(st.just("randint"), st.integers(-50, 50), st.integers(0, 2**40)),
        st.tuples(st.just("randrange1"), st.integers(1, 2**40), st.just(0)),
        st.tuples(st.just("randrange2"), st.integers(-50, 50), st.integers(1, 2**40)),
        st.tuples(st.just("choice"), st.integers(1, 300), st.just(0)),
        st.tuples(st.just("random"), st.just(0), st.just(0)),
        st.tuples(st.just("weighted"), st.integers(1, 12), st.just(0)),
    ),
    max_size=60,
)


def draw(rng: random.Random, lean: bool, kind: str, a: int, b: int) -> object:
    if kind == "randint":
        return rng.randint(a, a + b)
    if kind == "randrange1":
        return rng.randrange(a)
    if kind == "randrange2":
        return rng.randrange(a, a + b)
    if kind == "choice":
        return rng.choice(range(a))
    if kind == "weighted":
        items, weights = list(range(a)), [(i * 7) % 5 + 0.5 for i in range(a)]
        if lean:
            return _Weighted(items, weights).pick(rng)
        return rng.choices(items, weights=weights)[0]
    return rng.random()


@settings(max_examples=300, deadline=None)
@given(seed=st.one_of(st.integers(), st.text(max_size=30)), calls=draws)
def test_the_lean_random_draws_what_random_random_draws(
    seed: int | str, calls: list[tuple[str, int, int]]
) -> None:
    lean, plain = _Random(seed), random.Random(seed)
    for kind, a, b in calls:
        assert draw(lean, True, kind, a, b) == draw(plain, False, kind, a, b)
    assert lean.random() == plain.random()


def test_the_lean_random_refuses_what_random_random_refuses() -> None:
    rng = _Random(1)
    with pytest.raises(ValueError, match="empty range"):
        rng.randint(3, 2)
    with pytest.raises(ValueError, match="empty range"):
        rng.randrange(0)
    with pytest.raises(ValueError, match="empty range"):
        rng.randrange(5, 5)
    with pytest.raises(IndexError):
        rng.choice([])
    assert rng.randrange(0, 10, 3) in (0, 3, 6, 9)
