"""Business calendars and business-time arithmetic for SLA clocks (pure logic).

A :class:`BusinessCalendar` says when a team is at work: opening windows per weekday in
an IANA time zone, public holidays from the ``holidays`` package, and company-specific
extra holidays and extra workdays. Two functions answer the questions an SLA clock asks:

- :func:`add_business_time`: when is "8 business hours after this assignment"?
- :func:`business_time_between`: how much business time passed between two instants?

Both do interval arithmetic over the calendar's open windows (see :func:`open_windows`):
they walk day by day, skip closed days with a few set look-ups and never step minute by
minute. Nothing here reads the clock, touches a database or a web framework: instants
come in as arguments, aware datetimes go out.

Semantics, exactly:

- An instant is *open* when its local wall-clock time (in the calendar's time zone) lies
  in one of the windows of its local date. A window ``[start, end)`` includes its start
  and excludes its end; an end of ``time(0)`` (``"24:00"`` in JSON) means midnight at the
  end of the day.
- Daylight-saving changes follow from that definition. On a spring-forward day the
  skipped wall times are never shown, so a window ``09:00-18:00`` keeps its 9 hours but a
  window over the gap (``01:00-04:00`` in Madrid on 2026-03-29) is one hour shorter, and a
  window bound inside the gap (``02:30``) behaves as the end of the gap (``03:00``). On a
  fall-back day the repeated wall times are shown twice, so a window over the fold is one
  hour longer. A time-zone change is assumed to happen at most once within one local day
  (true of every zone in the tz database for the last century and the foreseeable future).
- A date's windows: an *extra workday* is always open; it uses the windows of its own
  weekday, or, when that weekday has none (an extra workday on a Saturday), the windows of
  the first weekday from Monday on that has any. Otherwise an extra holiday or a public
  holiday is closed all day. Otherwise the date uses the windows of its weekday (a weekday
  without windows is closed).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "DAY_NAMES",
    "BusinessCalendar",
    "CalendarError",
    "Window",
    "add_business_time",
    "add_business_times",
    "business_time_between",
    "calendar_from_json",
    "open_windows",
]

#: JSON names of the weekdays, indexed like :meth:`datetime.date.weekday` (Monday is 0).
DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: A calendar with no open window for this many consecutive days is treated as never open.
MAX_CLOSED_DAYS = 3 * 366

Window = tuple[time, time]
"""One opening window ``(start, end)`` in local wall time; ``end == time(0)`` is 24:00."""

_MIDNIGHT = time(0)
_DAY = timedelta(days=1)
_ZERO = timedelta(0)


class CalendarError(ValueError):
    """A calendar is malformed, or it never opens. The message names the field at fault."""


def _hhmm(value: time) -> str:
    text = value.strftime("%H:%M")
    if value.second or value.microsecond:
        text = value.isoformat()
    return text


def _end_hhmm(value: time) -> str:
    return "24:00" if value == _MIDNIGHT else _hhmm(value)


def _validate_windows(path: str, windows: tuple[Window, ...]) -> None:
    previous_end: time | None = None
    for index, (start, end) in enumerate(windows):
        where = f"{path}[{index}]"
        if start.tzinfo is not None or end.tzinfo is not None:
            raise CalendarError(f"{where}: window times must be naive local wall times")
        if end != _MIDNIGHT and end <= start:
            raise CalendarError(
                f"{where}: end {_end_hhmm(end)} is not after start {_hhmm(start)}"
                " (use 24:00 for midnight at the end of the day)"
            )
        if previous_end is not None:
            if previous_end == _MIDNIGHT:
                raise CalendarError(
                    f"{where}: window {_hhmm(start)}-{_end_hhmm(end)} comes after a window"
                    " that already ends at 24:00"
                )
            if start < previous_end:
                raise CalendarError(
                    f"{where}: window {_hhmm(start)}-{_end_hhmm(end)} starts before the"
                    f" previous window ends at {_end_hhmm(previous_end)}"
                    " (windows must be in order and must not overlap)"
                )
        previous_end = end


@dataclass(frozen=True)
class BusinessCalendar:
    """When a team is at work; see the module docstring for the exact semantics.

    - ``timezone``: IANA time-zone name (``"Europe/Madrid"``), checked with ``zoneinfo``.
    - ``hours``: weekday (0 = Monday ... 6 = Sunday) -> windows ``(start, end)`` in local
      wall time, in order and not overlapping (touching is allowed). Several windows make
      a lunch break. ``end == time(0)`` means 24:00. A missing weekday is closed.
    - ``holidays_country`` / ``holidays_subdivision``: public holidays from the
      ``holidays`` package (``"ES"`` / ``"MD"``); ``None`` means no public holidays.
    - ``extra_holidays``: company days off, closed all day.
    - ``extra_workdays``: days open even when they are a public holiday or a weekday
      without windows; such a day takes the windows of its own weekday, else those of
      the first weekday from Monday on that has windows. A date may not be both an extra
      holiday and an extra workday.

    Every problem raises :class:`CalendarError` naming the field, with JSON paths such as
    ``hours.mon[1]`` so the same message serves the JSON parser.
    """

    timezone: str
    hours: Mapping[int, tuple[Window, ...]] = field(hash=False)
    holidays_country: str | None = None
    holidays_subdivision: str | None = None
    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    _holiday_cache: dict[int, frozenset[date]] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )
    #: date -> (its open intervals in UTC, the UTC instant the next local date begins).
    #: The same few days recur for every lead handed off in a week, so this is the
    #: difference between seconds and minutes when computing clocks in bulk.
    _day_cache: dict[date, tuple[tuple[tuple[datetime, datetime], ...], datetime]] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self._check_timezone()
        self._check_hours()
        self._check_holidays()
        for name in ("extra_holidays", "extra_workdays"):
            value = getattr(self, name)
            if not isinstance(value, frozenset) or not all(
                isinstance(day, date) and not isinstance(day, datetime) for day in value
            ):
                raise CalendarError(f"{name}: expected a frozenset of dates")
        both = self.extra_holidays & self.extra_workdays
        if both:
            listed = ", ".join(day.isoformat() for day in sorted(both))
            raise CalendarError(
                f"extra_workdays: {listed} also listed in extra_holidays; a day cannot be both"
            )

    def _check_timezone(self) -> None:
        if not isinstance(self.timezone, str) or not self.timezone:
            raise CalendarError("timezone: expected an IANA time-zone name such as Europe/Madrid")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CalendarError(
                f"timezone: unknown IANA time zone {self.timezone!r}"
                " (names are case-sensitive, e.g. Europe/Madrid, America/Sao_Paulo, UTC)"
            ) from exc

    def _check_hours(self) -> None:
        if not isinstance(self.hours, Mapping):
            raise CalendarError("hours: expected a mapping of weekday (0=Monday) to windows")
        normalized: dict[int, tuple[Window, ...]] = {}
        for weekday, windows in self.hours.items():
            if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
                raise CalendarError(f"hours: weekday {weekday!r} is not 0 (Monday) .. 6 (Sunday)")
            path = f"hours.{DAY_NAMES[weekday]}"
            try:
                as_tuple = tuple((start, end) for start, end in windows)
            except (TypeError, ValueError) as exc:
                raise CalendarError(f"{path}: expected a sequence of (start, end) pairs") from exc
            for index, (start, end) in enumerate(as_tuple):
                if not isinstance(start, time) or not isinstance(end, time):
                    raise CalendarError(f"{path}[{index}]: start and end must be times")
            _validate_windows(path, as_tuple)
            if as_tuple:
                normalized[weekday] = as_tuple
        if not normalized:
            raise CalendarError("hours: no day has any window; the calendar would never open")
        object.__setattr__(self, "hours", MappingProxyType(normalized))

    def _check_holidays(self) -> None:
        country, subdivision = self.holidays_country, self.holidays_subdivision
        if country is None:
            if subdivision is not None:
                raise CalendarError("holidays.subdivision: given without holidays.country")
            return
        supported = holidays.list_supported_countries()
        if not isinstance(country, str) or country not in supported:
            raise CalendarError(
                f"holidays.country: unknown country code {country!r}"
                " (use an ISO 3166-1 alpha-2 code supported by the holidays package, e.g. ES)"
            )
        if subdivision is not None:
            if not isinstance(subdivision, str):
                raise CalendarError("holidays.subdivision: expected a string such as MD")
            try:
                holidays.country_holidays(country, subdiv=subdivision)
            except (NotImplementedError, ValueError, KeyError) as exc:
                known = ", ".join(supported[country]) or "none"
                raise CalendarError(
                    f"holidays.subdivision: {subdivision!r} is not a subdivision of {country}"
                    f" (known: {known})"
                ) from exc

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone (``ZoneInfo`` instances are cached by ``zoneinfo``)."""
        return ZoneInfo(self.timezone)

    def public_holidays(self, year: int) -> frozenset[date]:
        """The public holidays of ``year`` according to the ``holidays`` package (cached)."""
        cached = self._holiday_cache.get(year)
        if cached is None:
            if self.holidays_country is None:
                cached = frozenset()
            else:
                found = holidays.country_holidays(
                    self.holidays_country, subdiv=self.holidays_subdivision, years=year
                )
                cached = frozenset(day for day in found if day.year == year)
            self._holiday_cache[year] = cached
        return cached

    def windows_on(self, day: date) -> tuple[Window, ...]:
        """The opening windows of a local date, after holidays and extra workdays."""
        own = self.hours.get(day.weekday(), ())
        if day in self.extra_workdays:
            if own:
                return own
            return next(self.hours[weekday] for weekday in range(7) if weekday in self.hours)
        if not own or day in self.extra_holidays or day in self.public_holidays(day.year):
            return ()
        return own


# --------------------------------------------------------------------------- JSON

_TIME_RE = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TOP_KEYS = frozenset(
    {"timezone", "hours", "holidays", "extra_holidays", "extra_workdays", "key", "type"}
)


def _parse_time(path: str, value: Any, *, is_end: bool) -> time:
    if is_end and value == "24:00":
        return _MIDNIGHT
    if not isinstance(value, str) or not _TIME_RE.match(value):
        hint = ' or "24:00"' if is_end else ""
        raise CalendarError(f'{path}: expected "HH:MM" (00:00 to 23:59{hint}), got {value!r}')
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _parse_hours(value: Any) -> dict[int, tuple[Window, ...]]:
    if not isinstance(value, Mapping):
        raise CalendarError(
            'hours: expected an object such as {"mon": [["09:00", "18:00"]]},'
            f" got {type(value).__name__}"
        )
    parsed: dict[int, tuple[Window, ...]] = {}
    for name, windows in value.items():
        if name not in DAY_NAMES:
            raise CalendarError(
                f"hours: unknown day {name!r} (expected one of {', '.join(DAY_NAMES)})"
            )
        path = f"hours.{name}"
        if not isinstance(windows, list):
            raise CalendarError(f'{path}: expected a list of ["HH:MM", "HH:MM"] windows')
        day: list[Window] = []
        for index, window in enumerate(windows):
            where = f"{path}[{index}]"
            if not isinstance(window, list) or len(window) != 2:
                raise CalendarError(f'{where}: expected a ["HH:MM", "HH:MM"] pair, got {window!r}')
            start = _parse_time(f"{where}[0]", window[0], is_end=False)
            end = _parse_time(f"{where}[1]", window[1], is_end=True)
            if window[1] == "00:00":
                raise CalendarError(
                    f"{where}: end 00:00 is not after start {window[0]}"
                    " (use 24:00 for midnight at the end of the day)"
                )
            day.append((start, end))
        _validate_windows(path, tuple(day))
        parsed[DAY_NAMES.index(name)] = tuple(day)
    return parsed


def _parse_dates(name: str, value: Any) -> frozenset[date]:
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        raise CalendarError(f'{name}: expected a list of dates such as ["2026-12-24"]')
    days: set[date] = set()
    for index, item in enumerate(value):
        if not isinstance(item, str) or not _DATE_RE.match(item):
            raise CalendarError(f"{name}[{index}]: expected a date YYYY-MM-DD, got {item!r}")
        try:
            days.add(date.fromisoformat(item))
        except ValueError as exc:
            raise CalendarError(f"{name}[{index}]: {item!r} is not a valid date") from exc
    return frozenset(days)


def _parse_holidays(value: Any) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if not isinstance(value, Mapping):
        raise CalendarError(
            'holidays: expected an object such as {"country": "ES", "subdivision": "MD"}'
        )
    unknown = sorted(set(value) - {"country", "subdivision"})
    if unknown:
        raise CalendarError(
            f"holidays: unknown field(s) {', '.join(map(repr, unknown))}"
            " (allowed: country, subdivision)"
        )
    country = value.get("country")
    if not isinstance(country, str):
        raise CalendarError(
            f"holidays.country: expected a country code such as ES, got {country!r}"
        )
    subdivision = value.get("subdivision")
    if subdivision is not None and not isinstance(subdivision, str):
        raise CalendarError(
            f"holidays.subdivision: expected a subdivision code such as MD, got {subdivision!r}"
        )
    return country, subdivision


def calendar_from_json(obj: Mapping[str, Any]) -> BusinessCalendar:
    """Build a calendar from the interchange JSON object (spec: "Calendar hours").

    Accepted fields: ``timezone`` and ``hours`` (required), ``holidays``
    (``{"country", "subdivision"}``), ``extra_holidays`` and ``extra_workdays`` (lists of
    ``YYYY-MM-DD``). ``key`` is allowed and ignored, and so is ``"type": "calendar"`` so
    that a whole interchange ``calendar`` record can be passed. Any other field, and any
    malformed value, raises :class:`CalendarError` naming the path
    (e.g. ``hours.mon[1]: end 13:00 is not after start 14:00``).
    """
    if not isinstance(obj, Mapping):
        raise CalendarError(f"calendar: expected a JSON object, got {type(obj).__name__}")
    unknown = sorted(str(key) for key in set(obj) - _TOP_KEYS)
    if unknown:
        raise CalendarError(
            f"calendar: unknown field(s) {', '.join(map(repr, unknown))} (allowed: timezone,"
            " hours, holidays, extra_holidays, extra_workdays, key)"
        )
    if "type" in obj and obj["type"] != "calendar":
        raise CalendarError(f"type: expected 'calendar', got {obj['type']!r}")
    for required in ("timezone", "hours"):
        if required not in obj:
            raise CalendarError(f"{required}: required field is missing")
    timezone = obj["timezone"]
    if not isinstance(timezone, str):
        raise CalendarError(f"timezone: expected an IANA time-zone name, got {timezone!r}")
    country, subdivision = _parse_holidays(obj.get("holidays"))
    return BusinessCalendar(
        timezone=timezone,
        hours=_parse_hours(obj["hours"]),
        holidays_country=country,
        holidays_subdivision=subdivision,
        extra_holidays=_parse_dates("extra_holidays", obj.get("extra_holidays")),
        extra_workdays=_parse_dates("extra_workdays", obj.get("extra_workdays")),
    )


# --------------------------------------------------------------------------- arithmetic


def _require_aware(name: str, value: datetime) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name}: expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name}: {value.isoformat()} has no UTC offset (naive datetime)")


def _utc_candidates(zone: ZoneInfo, wall: datetime) -> tuple[datetime, datetime]:
    """The UTC instants of a naive wall time read with fold=0 and fold=1."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    return first, second


def _offset_at(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    if offset is None:  # pragma: no cover - ZoneInfo always answers for aware instants
        raise CalendarError(f"timezone: {zone.key} gives no UTC offset at {instant}")
    return offset


def _transition_between(
    zone: ZoneInfo, low: datetime, high: datetime, before: timedelta
) -> datetime:
    """The first instant in (low, high] whose offset differs from ``before``.

    Offsets change on whole seconds in the tz database, so a bisection over POSIX seconds
    finds the change exactly in about 17 steps for one day.
    """
    lo = math.floor(low.timestamp())
    hi = math.ceil(high.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset_at(zone, datetime.fromtimestamp(mid, UTC)) == before:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, UTC)


def _day_intervals(
    zone: ZoneInfo, day: date, windows: tuple[Window, ...]
) -> list[tuple[datetime, datetime]]:
    """The UTC intervals when the wall clock of ``day`` shows a time inside ``windows``."""
    day_start = datetime.combine(day, _MIDNIGHT)
    day_end = day_start + _DAY
    low = min(_utc_candidates(zone, day_start))
    high = max(_utc_candidates(zone, day_end))
    before = _offset_at(zone, low)
    after = _offset_at(zone, high)
    pieces: list[tuple[datetime, datetime]] = []
    if before == after:
        for start, end in windows:
            wall_start = datetime.combine(day, start)
            wall_end = day_end if end == _MIDNIGHT else datetime.combine(day, end)
            pieces.append(
                ((wall_start - before).replace(tzinfo=UTC), (wall_end - before).replace(tzinfo=UTC))
            )
        return pieces
    # The offset changes once today, at `change`: before it the wall clock reads
    # utc + before, from it on utc + after. Each window is the union of both readings.
    change = _transition_between(zone, low, high, before)
    for start, end in windows:
        wall_start = datetime.combine(day, start)
        wall_end = day_end if end == _MIDNIGHT else datetime.combine(day, end)
        first = ((wall_start - before).replace(tzinfo=UTC), (wall_end - before).replace(tzinfo=UTC))
        second = ((wall_start - after).replace(tzinfo=UTC), (wall_end - after).replace(tzinfo=UTC))
        first = (first[0], min(first[1], change))
        second = (max(second[0], change), second[1])
        pieces.extend(piece for piece in (first, second) if piece[0] < piece[1])
    pieces.sort()
    return pieces


def _day_plan(
    cal: BusinessCalendar, zone: ZoneInfo, day: date
) -> tuple[tuple[tuple[datetime, datetime], ...], datetime]:
    """The open UTC intervals of a local date and the instant the next date begins (cached)."""
    cached = cal._day_cache.get(day)
    if cached is None:
        windows = cal.windows_on(day)
        intervals = tuple(_day_intervals(zone, day, windows)) if windows else ()
        horizon = min(_utc_candidates(zone, datetime.combine(day + _DAY, _MIDNIGHT)))
        cached = (intervals, horizon)
        cal._day_cache[day] = cached
    return cached


def open_windows(
    cal: BusinessCalendar, start: datetime, end: datetime | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """Yield the open intervals ``(utc_start, utc_end)`` within ``[start, end)``, in order.

    Intervals are clipped to the range, never empty and never overlapping (adjacent
    windows, such as ``18:00-24:00`` and next day's ``00:00-08:00``, come out as separate
    intervals). With ``end=None`` the iteration is unbounded; it raises
    :class:`CalendarError` after scanning :data:`MAX_CLOSED_DAYS` consecutive days without
    any open time, so a calendar that never opens cannot loop forever.
    """
    _require_aware("start", start)
    if end is not None:
        _require_aware("end", end)
    zone = cal.zone
    start_utc = start.astimezone(UTC)
    end_utc = None if end is None else end.astimezone(UTC)
    if end_utc is not None and end_utc <= start_utc:
        return
    # Start one local day early: a window of the previous local date can still be open.
    day = start_utc.astimezone(zone).date() - _DAY
    pending: list[tuple[datetime, datetime]] = []
    closed_days = 0
    while True:
        intervals, horizon = _day_plan(cal, zone, day)
        if intervals:
            closed_days = 0
            pending.extend(intervals)
            pending.sort()
        else:
            closed_days += 1
            if end_utc is None and closed_days > MAX_CLOSED_DAYS:
                raise CalendarError(
                    f"calendar: no business time in {MAX_CLOSED_DAYS} consecutive days after"
                    f" {day - timedelta(days=MAX_CLOSED_DAYS)}; check hours and holidays"
                )
        day += _DAY
        # Any later date's wall times begin no earlier than `horizon`, so every pending
        # interval starting before it is final and in order.
        while pending and pending[0][0] < horizon:
            piece_start, piece_end = pending.pop(0)
            if end_utc is not None and piece_start >= end_utc:
                return
            piece_start = max(piece_start, start_utc)
            if end_utc is not None:
                piece_end = min(piece_end, end_utc)
            if piece_start < piece_end:
                yield piece_start, piece_end
        if end_utc is not None and horizon >= end_utc and not pending:
            return


def add_business_time(cal: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The instant when ``duration`` of business time has elapsed after ``start``.

    ``start`` must be aware; the answer is aware, in the calendar's time zone. A start
    outside business hours starts the clock at the next opening. When the duration runs
    out exactly at a window's end, the answer is that end (not the next opening). A zero
    duration returns ``start`` itself, converted to the calendar's time zone, even outside
    business hours: nothing has to elapse. A negative duration is a ``ValueError``.

    The answer carries ``fold=1`` when it falls in the repeated hour of a fall-back day, so
    its offset is right; compare answers in UTC (``.astimezone(UTC)``), because Python
    compares two datetimes of the same zone by wall time and never finds a datetime inside
    a fold equal to one in another zone (PEP 495).
    """
    _require_aware("start", start)
    if duration < _ZERO:
        raise ValueError(f"duration: must not be negative, got {duration}")
    zone = cal.zone
    if duration == _ZERO:
        return start.astimezone(zone)
    remaining = duration
    for window_start, window_end in open_windows(cal, start):
        length = window_end - window_start
        if remaining <= length:
            return (window_start + remaining).astimezone(zone)
        remaining -= length
    raise AssertionError("unreachable: open_windows without an end never stops")  # pragma: no cover


def add_business_times(
    cal: BusinessCalendar, start: datetime, durations: Sequence[timedelta]
) -> list[datetime]:
    """:func:`add_business_time` for several durations from one start, in one walk.

    Computing an SLA clock needs both its at-risk and its due instant; walking the
    windows once for both halves the work when clocks are computed in bulk.
    """
    order = sorted(range(len(durations)), key=lambda i: durations[i])
    results: list[datetime | None] = [None] * len(durations)
    pending = [i for i in order if durations[i] > _ZERO]
    for i in order:
        if durations[i] <= _ZERO:
            results[i] = add_business_time(cal, start, durations[i])
    if pending:
        _require_aware("start", start)
        zone = cal.zone
        elapsed = _ZERO
        for window_start, window_end in open_windows(cal, start):
            length = window_end - window_start
            while pending and durations[pending[0]] - elapsed <= length:
                index = pending.pop(0)
                results[index] = (window_start + (durations[index] - elapsed)).astimezone(zone)
            if not pending:
                break
            elapsed += length
    return [r for r in results if r is not None]


def business_time_between(cal: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """The business time in ``[start, end)``; zero when ``end <= start``. Both must be aware."""
    _require_aware("start", start)
    _require_aware("end", end)
    total = _ZERO
    for window_start, window_end in open_windows(cal, start, end):
        total += window_end - window_start
    return total
