"""``smarketing sla ...``: SLA commands on the command line.

``smarketing sla due --start ISO --within 8h --calendar FILE.json [--json]`` answers
"when is this SLA obligation due?" with the business-calendar arithmetic of
:mod:`smarketing.sla.calendar`. The root CLI adds :data:`sla_app` as ``sla``.

Bad input (an instant without an offset, a malformed ``--within``, an unreadable or
invalid calendar file) prints an error naming the option and exits with code 2, never a
traceback.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from smarketing.sla.calendar import BusinessCalendar, CalendarError, add_business_time
from smarketing.sla.calendar import calendar_from_json as _calendar_from_json

__all__ = ["load_calendar_file", "parse_instant_with_offset", "parse_within", "sla_app"]

sla_app = typer.Typer(
    help=(
        "The service level agreement between marketing and sales: its versions and status "
        "(list, status), the planner (plan), business-time due instants (due), clocks and "
        "the sweeper (recompute, sweep), and how both sides comply (report, pacing)."
    ),
    no_args_is_help=True,
)

_WITHIN_RE = re.compile(r"^(?:(?P<hours>\d+)h)?(?:(?P<minutes>\d+)m)?$")


def parse_within(text: str) -> timedelta:
    """Parse a business-time length such as ``8h``, ``90m`` or ``1h30m``.

    Raises ``ValueError`` naming the bad value for anything else.
    """
    cleaned = text.strip().lower()
    match = _WITHIN_RE.match(cleaned)
    if not cleaned or match is None:
        raise ValueError(
            f"{text!r} is not a duration; use hours and/or minutes like 8h, 90m or 1h30m"
        )
    return timedelta(hours=int(match["hours"] or 0), minutes=int(match["minutes"] or 0))


def parse_instant_with_offset(text: str) -> datetime:
    """Parse an ISO 8601 instant that carries an offset (``...+02:00`` or ``...Z``)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(
            f"{text!r} is not an ISO 8601 instant (write e.g. 2026-10-09T17:30:00+02:00)"
        ) from exc
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{text!r} has no UTC offset; write the offset, e.g. 2026-10-09T17:30:00+02:00"
            " or 2026-10-09T15:30:00Z"
        )
    return value


def load_calendar_file(path: Path) -> BusinessCalendar:
    """Read a calendar JSON file (spec: "Calendar hours"); every problem is a CalendarError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CalendarError(f"cannot read {path}: {reason}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CalendarError(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    return _calendar_from_json(data)


def _describe(within: timedelta) -> str:
    minutes = int(within.total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours}h{minutes:02d}m"
    if hours:
        return f"{hours}h"
    return f"{minutes}m"


_DUE_HELP = (
    "Print when an SLA obligation is due: --within of business time after --start.\n\n"
    "Business time follows the calendar's opening windows, weekends and public, regional "
    "and extra holidays. A start outside business hours starts counting at the next "
    "opening; a --within of 0 is due at --start itself."
)


@sla_app.command("due", help=_DUE_HELP)
def due(
    ctx: typer.Context,
    start: Annotated[
        str,
        typer.Option(
            "--start",
            metavar="ISO",
            help=(
                "When the SLA clock starts (for example the assignment), as an ISO 8601 "
                "instant with an offset: 2026-10-09T17:30:00+02:00 or 2026-10-09T15:30:00Z."
            ),
        ),
    ],
    within: Annotated[
        str,
        typer.Option(
            "--within",
            metavar="DURATION",
            help="Business time allowed, in hours and/or minutes: 8h, 90m, 1h30m.",
        ),
    ],
    calendar: Annotated[
        Path,
        typer.Option(
            "--calendar",
            metavar="FILE.json",
            help=(
                "Business calendar as JSON: timezone, hours {mon..sun: [[HH:MM, HH:MM], ...]},"
                " optional holidays {country, subdivision}, extra_holidays and"
                " extra_workdays (lists of YYYY-MM-DD dates)."
            ),
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help='Print only {"due": "<instant>"}, the instant in the calendar\'s time zone.',
        ),
    ] = False,
) -> None:
    """Print when an SLA obligation is due (help text in ``_DUE_HELP``)."""
    try:
        started = parse_instant_with_offset(start)
    except ValueError as error:
        raise typer.BadParameter(str(error), ctx=ctx, param_hint="--start") from None
    try:
        allowed = parse_within(within)
    except ValueError as error:
        raise typer.BadParameter(str(error), ctx=ctx, param_hint="--within") from None
    try:
        cal = load_calendar_file(calendar)
        due_at = add_business_time(cal, started, allowed)
    except CalendarError as error:
        raise typer.BadParameter(str(error), ctx=ctx, param_hint="--calendar") from None

    instant = due_at.isoformat(timespec="seconds")
    if as_json:
        typer.echo(json.dumps({"due": instant}))
        return
    typer.echo(
        f"Due {instant} ({due_at:%A %d %B %Y, %H:%M} {due_at.tzname()}, {cal.timezone}):"
        f" {_describe(allowed)} of business time after"
        f" {started.isoformat(timespec='seconds')}."
    )
