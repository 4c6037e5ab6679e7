"""Small helpers for writing rows with SQLAlchemy Core, shared by every repository."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

T = TypeVar("T")
#: Values per `IN (...)` list or multi-row statement: well under every database's limit.
CHUNK = 500


def chunks(values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """`values` in lists of at most `size`."""
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def changed_values(row: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The entries of `values` that differ from `row`'s attributes (or mapping keys)."""
    if isinstance(row, dict):
        return {k: v for k, v in values.items() if row[k] != v}
    return {k: v for k, v in values.items() if getattr(row, k) != v}


def update_if_changed(
    session: Session, model: Any, where: ColumnElement[bool], values: dict[str, Any]
) -> str:
    """Update the row `where` selects with the values that differ: "updated" or "unchanged"."""
    row = session.execute(select(model).where(where)).scalar_one()
    changed = changed_values(row, values)
    if not changed:
        return "unchanged"
    session.execute(update(model).where(where).values(**changed))
    session.expire(row)
    return "updated"


def row_matches(session: Session, model: Any, row_id: int, values: dict[str, Any]) -> bool:
    """True when the row already holds exactly `values`."""
    row = session.execute(select(model).where(model.id == row_id)).scalar_one()
    return not changed_values(row, values)


def insert_ignoring_duplicates(session: Session, model: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING for the session's database (SQLite or PostgreSQL).

    Add RETURNING to learn whether a row went in: rowcount is not reliable here.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing()
    return sqlite.insert(model).on_conflict_do_nothing()


def first_by_key(rows: Sequence[tuple[Any, ...]]) -> dict[Any, Any]:
    """{row[0]: row[1]} keeping the first row of each key."""
    found: dict[Any, Any] = {}
    for key, value in rows:
        found.setdefault(key, value)
    return found
