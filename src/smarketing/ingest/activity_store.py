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
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection

#: Each statement in the parameter style of each driver (qmark for sqlite3, format for
#: psycopg); built from constants only, so no value is ever put into SQL text.
_INSERT_HEAD = ("INSERT INTO activities (id, contact_id, kind, at, channel, campaign_id, url, "
                "content, properties) VALUES ")
_INSERT_ROW = {
    "sqlite": "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "postgresql": "(%s, %s, %s, %s, %s, %s, %s, %s, %s::json)",
}
_INSERT_TAIL = " ON CONFLICT (id) DO NOTHING RETURNING id"
#: Rows per INSERT: 9 parameters each, well under SQLite's 32,766 and PostgreSQL's 65,535.
INSERT_CHUNK = 500
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

    Multi-row VALUES with RETURNING rather than executemany: the database tells which
    rows it skipped, so no lookup is needed before (see `activities._store`)."""
    dialect = connection.dialect.name
    inserted: set[str] = set()
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start:start + INSERT_CHUNK]
        params: list[Any] = []
        for row in chunk:
            params.extend(row[:3])
            params.append(instant(connection, row[3]))
            params.extend(row[4:8])
            params.append(json_text(row[8]))
        result = connection.exec_driver_sql(_insert_sql(dialect, len(chunk)), tuple(params))
        inserted.update(item_id for (item_id,) in result)
    return inserted


@lru_cache(maxsize=16)
def _insert_sql(dialect: str, rows: int) -> str:
    return _INSERT_HEAD + ", ".join([_INSERT_ROW[dialect]] * rows) + _INSERT_TAIL


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
