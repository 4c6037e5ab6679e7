"""Values in the database driver's own form, for the hot paths that run constant SQL on
the driver rather than through SQLAlchemy's per-row processing (see ADR 4): instants as
SQLite stores them through SQLAlchemy, and JSON text."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson


@lru_cache(maxsize=4096)
def sqlite_instant(value: datetime) -> str:
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


def insert_rows(
    connection: Any,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    instants: Collection[str] = (),
    json_columns: Collection[str] = (),
    returning: str | None = None,
) -> list[tuple[Any, ...]]:
    """Insert `rows` (values in the order of `columns`) into `table` with constant SQL on
    the driver, a chunk per statement; returns the RETURNING rows, if asked.

    Instants must be aware; they are written as SQLAlchemy's UTCDateTime writes them on
    SQLite, and as timestamptz on PostgreSQL. `table`, `columns` and `returning` are
    trusted names from the code, never input: only values are parameters.
    """
    if not rows:
        return []
    names = ", ".join(columns)
    tail = f" RETURNING {returning}" if returning else ""
    if connection.dialect.name == "postgresql":
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        sql = (f"INSERT INTO {table} ({names}) SELECT {names} FROM "  # noqa: S608 - names
               f"json_populate_recordset(NULL::{table}, %s::json){tail}")
        result = connection.exec_driver_sql(sql, (json_text(records),))
        return list(result.fetchall()) if returning else []
    instant_at = {i for i, c in enumerate(columns) if c in instants}
    json_at = {i for i, c in enumerate(columns) if c in json_columns}
    found: list[tuple[Any, ...]] = []
    size = max(1, 30000 // len(columns))
    placeholders = "(" + ", ".join(["?"] * len(columns)) + ")"
    for start in range(0, len(rows), size):
        chunk = rows[start:start + size]
        params: list[Any] = []
        for row in chunk:
            for index, value in enumerate(row):
                if value is None:
                    params.append(None)
                elif index in instant_at:
                    params.append(sqlite_instant(value))
                elif index in json_at:
                    params.append(json_text(value))
                else:
                    params.append(value)
        sql = (f"INSERT INTO {table} ({names}) VALUES "  # noqa: S608 - names from the code
               + ", ".join([placeholders] * len(chunk)) + tail)
        result = connection.exec_driver_sql(sql, tuple(params))
        if returning:
            found.extend(result.fetchall())
    return found
