"""Pure parts of personal data requests: the JSON form of stored values, the order rows
are erased in, and what the privacy log keeps of an erasure."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

#: Every exported value is one of these JSON types.
JsonValue = str | int | float | bool | None | list[Any] | dict[str, Any]


def json_value(value: object) -> JsonValue:
    """A stored value as JSON: instants and dates in ISO 8601, money as a decimal string,
    bytes as base64; JSON columns as they are."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Mapping):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    return str(value)


def children_first(parents: Mapping[str, Iterable[str]]) -> list[str]:
    """The tables of `parents` (table -> the tables it refers to) ordered so that a table
    comes before every table it refers to: the order rows can be deleted in. Ties by name.
    A cycle raises ValueError."""
    remaining = {name: {parent for parent in refs if parent in parents and parent != name}
                 for name, refs in parents.items()}  # fmt: skip
    order: list[str] = []
    while remaining:
        # a table no remaining table refers to can go now
        referred = {parent for refs in remaining.values() for parent in refs}
        ready = sorted(name for name in remaining if name not in referred)
        if not ready:
            raise ValueError(f"tables refer to each other in a cycle: {sorted(remaining)}")
        for name in ready:
            order.append(name)
            del remaining[name]
    return order


def erasure_counts(rows: Mapping[str, int]) -> dict[str, int]:
    """What the privacy log keeps of an erasure: rows per table, tables with none left out.
    No value of any row: the counts say how much went, never whose."""
    return {str(table): count for table, count in sorted(rows.items()) if count}
