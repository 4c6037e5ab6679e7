"""Values in the database driver's own form, for the hot paths that run constant SQL on
the driver rather than through SQLAlchemy's per-row processing (see ADR 4): instants as
SQLite stores them through SQLAlchemy, and JSON text."""

from __future__ import annotations

import json
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
