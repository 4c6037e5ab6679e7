"""The activity hot path's writes, as constant SQL on the driver: SQLAlchemy's per-row
work cost about as much as SQLite's own insert. On SQLite, multi-row VALUES with instants
as SQLAlchemy stores them; on PostgreSQL, a whole batch as one JSON document that the
server unpacks. No value is ever put into SQL text. See ADR 4."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from smarketing.activities.domain import Facts
from smarketing.core.driver_sql import json_text, sqlite_instant
from smarketing.core.rows import chunks
from smarketing.models import Activity

_FIELDS = ("id", "contact_id", "kind", "at", "channel", "campaign_id", "url", "content",
           "properties")
_COLUMNS = ", ".join(_FIELDS)
#: SQLite: multi-row VALUES and IN lists of 500 (4,500 parameters, well under its 32,766);
#: updates by executemany of one prepared statement.
SQLITE_CHUNK = 500
_SQLITE_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
#: PostgreSQL: a batch's rows as one JSON array that the server unpacks into the table's
#: types, so each statement is short and constant with one parameter. (Thousands of
#: placeholders made psycopg re-parse the statement on every batch; an array per column
#: spent as long in psycopg's Python array encoder.)
_PG_INSERT = (
    f"INSERT INTO activities ({_COLUMNS}) SELECT {_COLUMNS} FROM "  # noqa: S608 - constants
    "json_populate_recordset(NULL::activities, %s::json) ON CONFLICT (id) DO NOTHING RETURNING id")


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
            params.append(sqlite_instant(row[3]))
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


def stored_facts(session: Session, ids: Sequence[str]) -> dict[str, Facts]:
    """The contact, kind and time of the stored activities among `ids`."""
    stored: dict[str, Facts] = {}
    for chunk in chunks(ids):
        for row in session.execute(select(Activity.id, Activity.contact_id, Activity.kind,
                                          Activity.at).where(Activity.id.in_(chunk))):  # fmt: skip
            stored[row[0]] = Facts(row[1], row[2], row[3])
    return stored
