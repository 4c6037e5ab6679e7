"""Time helpers: everything inside is timezone-aware UTC; convert only at the edges."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_instant(value: str) -> datetime:
    """Parse an ISO 8601 instant that carries an offset; return it in UTC.

    Raises ValueError naming the problem when the text is not an instant or has no offset.
    """
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 instant string, got {type(value).__name__}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an ISO 8601 instant") from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"{value!r} has no UTC offset (write e.g. 2026-10-09T17:30:00+02:00)")
    return parsed.astimezone(UTC)


def as_utc(value: datetime) -> datetime:
    """Return an aware UTC datetime; naive values (as SQLite returns them) are taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_instant(value: datetime) -> str:
    """ISO 8601 in UTC with a Z, seconds precision unless there are microseconds."""
    return as_utc(value).isoformat().replace("+00:00", "Z")


def years_after(value: datetime, years: int) -> datetime:
    """The same wall time `years` later; 29 February becomes 28 February in a common year."""
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February, and the target year is not a leap year
        return value.replace(year=value.year + years, day=28)
