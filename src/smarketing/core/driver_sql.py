"""The reads and writes of the activity hot path, as plain SQL executed on the driver.

SQLAlchemy's per-row work (building parameter dicts, running each column type's bind
processor) cost about as much as SQLite's own insert: a thousand-item batch spent 40% of
its time there. So these statements hand the driver values in its own form: on SQLite,
instants as naive-UTC text in SQLAlchemy's own format (so the ORM reads them back
unchanged) and JSON as text; on PostgreSQL, a whole batch as one JSON document that the
server unpacks. Each statement is constant text; no value is ever put into SQL. See
ADR 4.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection

_FIELDS = ("id", "contact_id", "kind", "at", "channel", "campaign_id", "url", "content",
           "properties")
_COLUMNS = ", ".join(_FIELDS)
#: SQLite: multi-row VALUES and IN lists of 500 (4,500 parameters, well under its 32,766);
#: updates by executemany of one prepared statement.
SQLITE_CHUNK = 500
_SQLITE_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
_SQLITE_EMAIL_IN = "SELECT email, id FROM contacts WHERE email IN ({})"
_SQLITE_LAST_TOUCH = (
    "UPDATE contacts SET last_touch_at = ?, last_touch_channel = ?, last_touch_campaign_id = ? "
    "WHERE id = ? AND (last_touch_at IS NULL OR last_touch_at <= ?)")
_SQLITE_FIRST_TOUCH = (
    "UPDATE contacts SET first_touch_channel = ?, first_touch_campaign_id = ? "
    "WHERE id = ? AND first_touch_channel IS NULL")

#: PostgreSQL: a batch's rows as one JSON array that the server unpacks into the table's
#: types, so each statement is short and constant with one parameter. (Thousands of
#: placeholders made psycopg re-parse the statement on every batch; an array per column
#: spent as long in psycopg's Python array encoder.)
_PG_INSERT = (
    f"INSERT INTO activities ({_COLUMNS}) SELECT {_COLUMNS} FROM "  # noqa: S608 - constants
    "json_populate_recordset(NULL::activities, %s::json) ON CONFLICT (id) DO NOTHING RETURNING id")
_PG_EMAIL_ANY = "SELECT email, id FROM contacts WHERE email = ANY(%s::varchar[])"
_PG_LOCK = "SELECT id FROM contacts WHERE id = ANY(%s::integer[]) ORDER BY id FOR NO KEY UPDATE"
_PG_LAST_TOUCH = (
    "UPDATE contacts AS c SET last_touch_at = t.at, last_touch_channel = t.channel, "
    "last_touch_campaign_id = t.campaign_id FROM json_to_recordset(%s::json) AS "
    "t(contact_id integer, at timestamptz, channel varchar, campaign_id integer) "
    "WHERE c.id = t.contact_id AND (c.last_touch_at IS NULL OR c.last_touch_at <= t.at)")
_PG_FIRST_TOUCH = (
    "UPDATE contacts AS c SET first_touch_channel = t.channel, "
    "first_touch_campaign_id = t.campaign_id FROM json_to_recordset(%s::json) AS "
    "t(contact_id integer, channel varchar, campaign_id integer) "
    "WHERE c.id = t.contact_id AND c.first_touch_channel IS NULL")


@lru_cache(maxsize=4096)
def _sqlite_instant(value: datetime) -> str:
    """`value` as SQLAlchemy stores it on SQLite. Cached: a batch's instants are written
    twice, to the activity and to the touch."""
    utc = value if value.tzinfo is UTC else value.astimezone(UTC)
    return utc.isoformat(" ", "microseconds")[:26]  # without the "+00:00"


def json_text(value: Any) -> str:
    """JSON text of `value`; instants in ISO 8601."""
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):  # e.g. an integer over 64 bits
        return json.dumps(value, default=datetime.isoformat)


def insert_activities(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> set[str]:
    """Insert rows of (id, contact_id, kind, at, channel, campaign_id, url, content,
    properties); a row whose id exists is skipped. Returns the ids inserted.

    With RETURNING rather than executemany: the database tells which rows it skipped, so
    no lookup is needed before (see `activities._store`)."""
    if not rows:
        return set()
    if connection.dialect.name == "postgresql":
        records = [dict(zip(_FIELDS, row, strict=True)) for row in rows]
        return set(connection.exec_driver_sql(_PG_INSERT, (json_text(records),)).scalars())
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
    rows_sql = ", ".join([_SQLITE_ROW] * rows)
    return (f"INSERT INTO activities ({_COLUMNS}) VALUES {rows_sql} "  # noqa: S608 - constants
            "ON CONFLICT (id) DO NOTHING RETURNING id")


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
    return _SQLITE_EMAIL_IN.format(", ".join(["?"] * count))


def lock_contacts(connection: Connection, contact_ids: Collection[int]) -> None:
    """On PostgreSQL, lock the contacts about to be touched, in id order, so concurrent
    batches over the same contacts queue instead of deadlocking. NO KEY UPDATE, the lock
    the UPDATE itself takes: it does not conflict with the KEY SHARE locks that inserting
    the batch's activities took on the same contacts (FOR UPDATE would, and deadlocked).
    SQLite has one writer and needs none of this."""
    if connection.dialect.name == "postgresql" and contact_ids:
        connection.exec_driver_sql(_PG_LOCK, (sorted(contact_ids),))


def move_last_touch(connection: Connection, touches: Sequence[tuple[int, datetime, Any, Any]]) -> (
    None
):
    """Set (contact_id, at, channel, campaign_id) as each contact's last touch, unless it
    already has a later one (checked in SQL, so concurrent writers cannot go backwards)."""
    if connection.dialect.name == "postgresql":
        records = [{"contact_id": contact_id, "at": at, "channel": channel,
                    "campaign_id": campaign_id} for contact_id, at, channel, campaign_id in touches]
        connection.exec_driver_sql(_PG_LAST_TOUCH, (json_text(records),))
        return
    params = []
    for contact_id, at, channel, campaign_id in touches:
        stored_at = _sqlite_instant(at)
        params.append((stored_at, channel, campaign_id, contact_id, stored_at))
    connection.exec_driver_sql(_SQLITE_LAST_TOUCH, params)


def fill_first_touch(connection: Connection, touches: Sequence[tuple[int, Any, Any]]) -> None:
    """Set (contact_id, channel, campaign_id) as the first touch of contacts with none."""
    if connection.dialect.name == "postgresql":
        records = [{"contact_id": contact_id, "channel": channel, "campaign_id": campaign_id}
                   for contact_id, channel, campaign_id in touches]
        connection.exec_driver_sql(_PG_FIRST_TOUCH, (json_text(records),))
        return
    params = [(channel, campaign, contact_id) for contact_id, channel, campaign in touches]
    connection.exec_driver_sql(_SQLITE_FIRST_TOUCH, params)
