"""Every query of personal data requests: find a person's rows in every table, read them,
delete them.

A person is the contact whose email is the address, or the contact an address was
merged into (merged_contacts), with every address merged into that contact. Their rows:

- every row of a table with a foreign key to `contacts` that names them, and every row
  of a table with a foreign key to one of those rows, and so on (found from the models'
  metadata, so a table added later is covered without a change here);
- the rows that name an address in their text: quarantine items (payload or reason),
  the webhook request log (reason), notifications (subject, body or link; a contact's
  notifications link to its page), and their deliveries.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from sqlalchemy import ColumnElement, Table, delete, func, or_, select
from sqlalchemy.orm import Session

from smarketing.models import (
    Base,
    Contact,
    MergedContact,
)
from smarketing.privacy.domain import children_first

#: Ids per IN list.
_CHUNK = 500
#: The root of the walk.
CONTACTS = "contacts"
#: Tables whose text may name an address, with the columns searched.
TEXT_COLUMNS = {
    "quarantine": ("payload", "reason"),
    "webhook_requests": ("reason",),
    "notifications": ("subject", "body", "link"),
}


def _tables() -> dict[str, Table]:
    return {table.name: table for table in Base.metadata.sorted_tables}


def person(session: Session, address: str) -> tuple[list[int], list[str]]:
    """(contact ids, addresses) of the person with `address` (normalized); empty lists when
    no contact has or had it."""
    ids = set(session.scalars(select(Contact.id).where(Contact.email == address)))
    ids.update(session.scalars(select(MergedContact.survivor_id)
                               .where(MergedContact.merged_email == address)))  # fmt: skip
    if not ids:
        return [], []
    addresses = set(session.scalars(select(Contact.email).where(Contact.id.in_(ids))))
    addresses.update(session.scalars(select(MergedContact.merged_email)
                                     .where(MergedContact.survivor_id.in_(ids))))  # fmt: skip
    return sorted(ids), sorted(addresses | {address})


def _pk(table: Table) -> Any:
    columns = list(table.primary_key.columns)
    return columns[0]


def _in(column: Any, values: Iterable[Any]) -> list[ColumnElement[bool]]:
    listed = sorted(values, key=str)
    return [column.in_(listed[start:start + _CHUNK]) for start in range(0, len(listed), _CHUNK)]


def _ids_where(session: Session, table: Table, condition: ColumnElement[bool]) -> set[Any]:
    return set(session.scalars(select(_pk(table)).where(condition)))


def rows_of(session: Session, contact_ids: list[int], addresses: list[str]) -> dict[str, set[Any]]:
    """The primary keys of every row of the person, per table (see the module docstring)."""
    tables = _tables()
    found: dict[str, set[Any]] = {CONTACTS: set(contact_ids)} if contact_ids else {}
    for name, columns in TEXT_COLUMNS.items():
        matches = _text_matches(session, tables[name], columns, addresses)
        if matches:
            found[name] = matches
    # Walk the foreign keys: rows referring to found rows are the person's too.
    frontier = dict(found)
    while frontier:
        nxt: dict[str, set[Any]] = {}
        for table in tables.values():
            for fk in table.foreign_keys:
                parent = fk.column.table.name
                if parent not in frontier or fk.column is not _pk(fk.column.table):
                    continue
                new: set[Any] = set()
                for condition in _in(fk.parent, frontier[parent]):
                    new |= _ids_where(session, table, condition)
                new -= found.get(table.name, set())
                if new:
                    found.setdefault(table.name, set()).update(new)
                    nxt.setdefault(table.name, set()).update(new)
        frontier = nxt
    return found


def _text_matches(session: Session, table: Table, columns: tuple[str, ...],
                  addresses: list[str]) -> set[Any]:  # fmt: skip
    """Rows whose `columns` contain an address (any case), or, for a link, its page path
    with the address URL-quoted as the pages write it."""
    needles = {value for address in addresses for value in (address, quote(address))}
    conditions = [func.lower(table.c[column]).contains(needle.lower(), autoescape=True)
                  for column in columns for needle in sorted(needles)]  # fmt: skip
    if not conditions:
        return set()
    return _ids_where(session, table, or_(*conditions))


def read_rows(session: Session, found: dict[str, set[Any]]) -> dict[str, list[dict[str, Any]]]:
    """The rows themselves, per table, by primary key order."""
    tables = _tables()
    result: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(found):
        table = tables[name]
        rows: list[dict[str, Any]] = []
        for condition in _in(_pk(table), found[name]):
            query = select(table).where(condition).order_by(_pk(table))
            rows.extend(dict(row) for row in session.execute(query).mappings())
        result[name] = sorted(rows, key=lambda row: str(row[_pk(table).name]))
    return result


def delete_rows(session: Session, found: dict[str, set[Any]]) -> dict[str, int]:
    """Delete the rows, referring tables first; rows deleted per table."""
    tables = _tables()
    parents = {name: {fk.column.table.name for fk in tables[name].foreign_keys}
               for name in found}  # fmt: skip
    deleted: dict[str, int] = {}
    for name in children_first(parents):
        table = tables[name]
        count = 0
        for condition in _in(_pk(table), found[name]):
            result = session.execute(delete(table).where(condition))
            count += int(result.rowcount or 0)  # type: ignore[attr-defined]
        deleted[name] = count
    return deleted
