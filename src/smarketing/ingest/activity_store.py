"""The writes of the activity hot path, as plain SQL executed on the driver.

SQLAlchemy's per-row work (building parameter dicts, running each column type's bind
processor) cost about as much as SQLite's own insert: a thousand-item batch spent 40% of
its time there. These statements take rows already in the driver's form instead:
instants as naive-UTC text in SQLAlchemy's own SQLite format (so the ORM reads them back
unchanged) or as aware datetimes for psycopg, and JSON as text. Everything else keeps
going through SQLAlchemy. See ADR 4.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection

#: Each statement in the parameter style of each driver (qmark for sqlite3, format for
#: psycopg); built from constants only, so no value is ever put into SQL text.
_COLUMNS = "id, contact_id, kind, at, channel, campaign_id, url, content, properties"
#: SQLite: multi-row VALUES and IN lists of 500 (4,500 parameters, well under its 32,766).
_SQLITE_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
SQLITE_CHUNK = 500
#: PostgreSQL: one array per column, so the statement is short and constant; psycopg
#: would otherwise re-parse a 4,500-placeholder text on every batch (half the time).
_PG_INSERT = (f"INSERT INTO activities ({_COLUMNS}) SELECT * FROM unnest("
              "%s::varchar[], %s::integer[], %s::varchar[], %s::timestamptz[], %s::varchar[], "
              "%s::integer[], %s::text[], %s::text[], %s::json[]) "
              "ON CONFLICT (id) DO NOTHING RETURNING id")
_EMAIL_IN = "SELECT email, id FROM contacts WHERE email IN ({})"
_PG_EMAIL_ANY = "SELECT email, id FROM contacts WHERE email = ANY(%s::varchar[])"
_LAST_TOUCH = {
    "sqlite": "UPDATE contacts SET last_touch_at = ?, last_touch_channel = ?, "
              "last_touch_campaign_id = ? WHERE id = ? "
              "AND (last_touch_at IS NULL OR last_touch_at <= ?)",
    "postgresql": "UPDATE contacts SET last_touch_at = %s, last_touch_channel = %s, "
                  "last_touch_campaign_id = %s WHERE id = %s "
                  "AND (last_touch_at IS NULL OR last_touch_at <= %s)",
}  # fmt: skip
_FIRST_TOUCH = {
    "sqlite": "UPDATE contacts SET first_touch_channel = ?, first_touch_campaign_id = ? "
              "WHERE id = ? AND first_touch_channel IS NULL",
    "postgresql": "UPDATE contacts SET first_touch_channel = %s, first_touch_campaign_id = %s "
                  "WHERE id = %s AND first_touch_channel IS NULL",
}  # fmt: skip


def instant(connection: Connection, value: datetime) -> Any:
    """`value` as the driver stores it: text on SQLite (the format SQLAlchemy writes and
    reads), the aware datetime itself on PostgreSQL."""
    if connection.dialect.name == "sqlite":
        return _sqlite_instant(value)
    return value


@lru_cache(maxsize=4096)
def _sqlite_instant(value: datetime) -> str:
    """Cached: a batch's instants are written twice, to the activity and to the touch."""
    utc = value if value.tzinfo is UTC else value.astimezone(UTC)
    return utc.isoformat(" ", "microseconds")[:26]  # without the "+00:00"


def json_text(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):  # e.g. an integer over 64 bits
        return json.dumps(value)


def insert_activities(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> set[str]:
    """Insert rows of (id, contact_id, kind, at, channel, campaign_id, url, content,
    properties); a row whose id exists is skipped. Returns the ids inserted.

    With RETURNING rather than executemany: the database tells which rows it skipped, so
    no lookup is needed before (see `activities._store`)."""
    if not rows:
        return set()
    if connection.dialect.name == "postgresql":
        columns = [list(column) for column in zip(*rows, strict=True)]
        columns[8] = [json_text(value) for value in columns[8]]
        return set(connection.exec_driver_sql(_PG_INSERT, tuple(columns)).scalars())
    inserted: set[str] = set()
    for start in range(0, len(rows), SQLITE_CHUNK):
        chunk = rows[start:start + SQLITE_CHUNK]
        params: list[Any] = []
        for row in chunk:
            params.extend(row[:3])
            params.append(_sqlite_instant(row[3]))
            params.extend(row[4:8])
            params.append(json_text(row[8]))
        sql = _sqlite_insert_sql(len(chunk))
        inserted.update(connection.exec_driver_sql(sql, tuple(params)).scalars())
    return inserted


@lru_cache(maxsize=16)
def _sqlite_insert_sql(rows: int) -> str:
    return (f"INSERT INTO activities ({_COLUMNS}) VALUES " + ", ".join([_SQLITE_ROW] * rows)
            + " ON CONFLICT (id) DO NOTHING RETURNING id")


def contact_ids_by_email(connection: Connection, emails: Collection[str]) -> dict[str, int]:
    """The id of each contact among `emails` (exact, normalized addresses)."""
    if not emails:
        return {}
    if connection.dialect.name == "postgresql":
        return dict(connection.exec_driver_sql(_PG_EMAIL_ANY, (list(emails),)).all())
    found: dict[str, int] = {}
    values = list(emails)
    for start in range(0, len(values), SQLITE_CHUNK):
        chunk = tuple(values[start:start + SQLITE_CHUNK])
        found.update(connection.exec_driver_sql(_sqlite_email_sql(len(chunk)), chunk).all())
    return found


@lru_cache(maxsize=16)
def _sqlite_email_sql(count: int) -> str:
    return _EMAIL_IN.format(", ".join(["?"] * count))


def move_last_touch(connection: Connection, touches: Sequence[tuple[int, datetime, Any, Any]]) -> (
    None
):
    """Set (contact_id, at, channel, campaign_id) as each contact's last touch, unless it
    already has a later one (checked in SQL, so concurrent writers cannot go backwards)."""
    params = []
    for contact_id, at, channel, campaign_id in touches:
        stored_at = instant(connection, at)
        params.append((stored_at, channel, campaign_id, contact_id, stored_at))
    connection.exec_driver_sql(_LAST_TOUCH[connection.dialect.name], params)


def fill_first_touch(connection: Connection, touches: Sequence[tuple[int, Any, Any]]) -> None:
    """Set (contact_id, channel, campaign_id) as the first touch of contacts with none."""
    params = [(channel, campaign, contact_id) for contact_id, channel, campaign in touches]
    connection.exec_driver_sql(_FIRST_TOUCH[connection.dialect.name], params)
