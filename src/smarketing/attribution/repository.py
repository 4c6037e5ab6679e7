"""Attribution reads: conversions, milestones and touches, set-based and streamed as columns.

Three statements feed the models, whatever the model: the conversions, each converting
contact's first arrivals at lead and opportunity, and one pass over the activities in
contact order (the converting contacts' touches in a window a day wider than the
lookback, the exact window being cut in the domain; every other contact's touches in
the non-converting window). Rows are read in chunks into numpy arrays, never as ORM
objects: 1,000,000 touches cost about a second (docs/benchmarks.md).

Instants are read as microseconds since 1970 computed by the database (SQLite keeps
them as text, `YYYY-MM-DD HH:MM:SS.ffffff`; PostgreSQL as timestamptz), so no datetime
object is built per row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import TextClause, bindparam, select, text
from sqlalchemy.orm import Session

from smarketing.attribution.domain import (
    LEAD_OR_LATER,
    NEVER,
    NONE_KEY,
    OPPORTUNITY_OR_LATER,
    WON,
    AttributionInput,
    ConversionColumns,
    IntArray,
    KeyKind,
    TouchColumns,
    converting_paths,
    instant_us,
    nonconverting_paths,
)
from smarketing.models import Activity, Workspace
from smarketing.models.types import UTCDateTime

#: Rows fetched per round trip.
CHUNK = 50_000


@dataclass(frozen=True)
class WorkspaceFacts:
    currency: str
    timezone: str


def workspace_facts(session: Session) -> WorkspaceFacts:
    """The workspace's currency and timezone (row 1), EUR and UTC when there is no row."""
    row = session.execute(
        select(Workspace.currency, Workspace.timezone).where(Workspace.id == 1)
    ).first()
    if row is None:
        return WorkspaceFacts("EUR", "UTC")
    return WorkspaceFacts(row.currency or "EUR", row.timezone or "UTC")


def latest_activity(session: Session) -> datetime | None:
    found: datetime | None = session.execute(
        select(Activity.at).order_by(Activity.at.desc()).limit(1)
    ).scalar_one_or_none()
    return found


@dataclass(frozen=True)
class Excluded:
    """Won deals of the period left out because their currency is not the workspace's."""

    currency: str
    deals: int
    amount_cents: int


@dataclass(frozen=True)
class Loaded:
    data: AttributionInput
    excluded: tuple[Excluded, ...]


@dataclass(frozen=True)
class Query:
    """What to read: the conversions (won deals or first arrivals at `stage`) whose instant
    is in [start, end] (either open), their touches within `lookback_days`, and the other
    contacts' touches in [period_end - lookback, period_end]."""

    by: KeyKind
    stage: str
    start: datetime | None
    end: datetime | None
    period_end: datetime | None
    lookback_days: int
    currency: str


def _epoch_us(dialect: str, column: str) -> str:
    """SQL for an instant column as integer microseconds since 1970 (exact)."""
    if dialect == "sqlite":
        return (f"(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000000"
                f" + CAST(substr({column}, 21, 6) AS INTEGER))")  # fmt: skip
    return f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"


def _stages(names: Sequence[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def _period(column: str, query: Query) -> str:
    parts = []
    if query.start is not None:
        parts.append(f" AND {column} >= :start")
    if query.end is not None:
        parts.append(f" AND {column} <= :end")
    return "".join(parts)


def _conversions_sql(query: Query) -> str:
    """Rows (contact_id, instant, cents, id) of the conversions, as a subquery."""
    if query.stage == WON:
        return ("SELECT d.contact_id AS contact_id, d.closed_at AS instant, d.amount AS cents,"  # noqa: S608
                " d.id AS id FROM deals d WHERE d.status = 'won' AND d.closed_at IS NOT NULL"
                " AND d.currency = :currency" + _period("d.closed_at", query))  # fmt: skip
    return ("SELECT f.contact_id AS contact_id, f.instant AS instant, 0 AS cents,"  # noqa: S608
            " CAST(f.contact_id AS VARCHAR(20)) AS id FROM (SELECT h.contact_id AS contact_id,"
            " MIN(h.at) AS instant FROM lifecycle_history h WHERE h.to_stage = :stage"
            " GROUP BY h.contact_id) f WHERE 1 = 1" + _period("f.instant", query))  # fmt: skip


def _converters_sql(query: Query) -> str:
    """Contacts that are not non-converting paths: with a conversion, or (won deals) with a
    won deal of the period in another currency (they did convert; the deal is excluded)."""
    if query.stage == WON:
        return ("SELECT DISTINCT d.contact_id AS contact_id FROM deals d"  # noqa: S608
                " WHERE d.status = 'won' AND d.closed_at IS NOT NULL"
                + _period("d.closed_at", query))  # fmt: skip
    return f"SELECT DISTINCT c.contact_id AS contact_id FROM ({_conversions_sql(query)}) c"  # noqa: S608


def _statement(sql: str, query: Query) -> TextClause:
    statement = text(sql)
    instants = [name for name in ("start", "end", "window_start", "window_end")
                if f":{name}" in sql]  # fmt: skip
    return statement.bindparams(*(bindparam(name, type_=UTCDateTime()) for name in instants))


def _params(query: Query, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"currency": query.currency, "stage": query.stage, **extra}
    if query.start is not None:
        params["start"] = query.start
    if query.end is not None:
        params["end"] = query.end
    return params


def _chunks(session: Session, statement: TextClause, params: dict[str, Any]) -> Iterator[
    list[Any]
]:
    result = session.execute(statement, params, execution_options={"yield_per": CHUNK})
    for partition in result.partitions(CHUNK):
        yield list(partition)


def excluded_deals(session: Session, query: Query) -> tuple[Excluded, ...]:
    """Won deals of the period in another currency than the workspace's, per currency."""
    if query.stage != WON:
        return ()
    sql = ("SELECT d.currency, COUNT(*), SUM(d.amount) FROM deals d"  # noqa: S608
           " WHERE d.status = 'won' AND d.closed_at IS NOT NULL AND d.currency <> :currency"
           + _period("d.closed_at", query)
           + " GROUP BY d.currency ORDER BY d.currency")  # fmt: skip
    rows = session.execute(_statement(sql, query), _params(query)).all()
    return tuple(Excluded(row[0], int(row[1]), int(row[2])) for row in rows)


def load(session: Session, query: Query) -> Loaded:
    """Read everything the models need for `query`."""
    dialect = session.get_bind().dialect.name
    conversions = _read_conversions(session, query, dialect)
    touches, others, keys = _read_touches(session, query, dialect)
    lookback_us = query.lookback_days * 86_400 * 1_000_000
    end_us = NEVER if query.period_end is None else instant_us(query.period_end)
    data = AttributionInput(
        keys=keys,
        converting=converting_paths(touches, conversions, lookback_us),
        nonconverting=nonconverting_paths(others, end_us, lookback_us),
    )
    return Loaded(data, excluded_deals(session, query))


def _read_conversions(session: Session, query: Query, dialect: str) -> ConversionColumns:
    sql = (f"SELECT c.contact_id, {_epoch_us(dialect, 'c.instant')}, c.cents"  # noqa: S608
           f" FROM ({_conversions_sql(query)}) c"
           " ORDER BY c.contact_id, c.instant, c.id")  # fmt: skip
    contact: list[int] = []
    instant: list[int] = []
    value: list[int] = []
    for rows in _chunks(session, _statement(sql, query), _params(query)):
        columns = list(zip(*rows, strict=True))
        contact.extend(columns[0])
        instant.extend(columns[1])
        value.extend(columns[2])
    contacts = np.asarray(contact, dtype=np.int64)
    lead, opportunity = _read_milestones(session, query, dialect, contacts)
    return ConversionColumns(contacts, np.asarray(instant, dtype=np.int64),
                             np.asarray(value, dtype=np.int64), lead, opportunity)  # fmt: skip


def _read_milestones(
    session: Session, query: Query, dialect: str, contacts: IntArray
) -> tuple[IntArray, IntArray]:
    """Per conversion: its contact's first arrival at lead (or later) and at opportunity
    (or later), NEVER when not reached."""
    lead = np.full(contacts.size, NEVER, dtype=np.int64)
    opportunity = np.full(contacts.size, NEVER, dtype=np.int64)
    if contacts.size == 0:
        return lead, opportunity
    sql = (f"SELECT m.contact_id, {_epoch_us(dialect, 'm.lead_at')},"  # noqa: S608
           f" {_epoch_us(dialect, 'm.opportunity_at')} FROM ("
           " SELECT h.contact_id AS contact_id,"
           f" MIN(CASE WHEN h.to_stage IN ({_stages(LEAD_OR_LATER)}) THEN h.at END) AS lead_at,"
           f" MIN(CASE WHEN h.to_stage IN ({_stages(OPPORTUNITY_OR_LATER)}) THEN h.at END)"
           " AS opportunity_at FROM lifecycle_history h"
           f" JOIN (SELECT DISTINCT c.contact_id FROM ({_conversions_sql(query)}) c) v"
           " ON v.contact_id = h.contact_id GROUP BY h.contact_id) m")  # fmt: skip
    found: list[int] = []
    lead_at: list[int] = []
    opportunity_at: list[int] = []
    for rows in _chunks(session, _statement(sql, query), _params(query)):
        for contact, at_lead, at_opportunity in rows:
            found.append(contact)
            lead_at.append(NEVER if at_lead is None else at_lead)
            opportunity_at.append(NEVER if at_opportunity is None else at_opportunity)
    if not found:
        return lead, opportunity
    order = np.argsort(np.asarray(found, dtype=np.int64))
    known = np.asarray(found, dtype=np.int64)[order]
    place = np.minimum(np.searchsorted(known, contacts), known.size - 1)
    hit = known[place] == contacts
    lead[hit] = np.asarray(lead_at, dtype=np.int64)[order][place[hit]]
    opportunity[hit] = np.asarray(opportunity_at, dtype=np.int64)[order][place[hit]]
    return lead, opportunity


def _read_touches(
    session: Session, query: Query, dialect: str
) -> tuple[TouchColumns, TouchColumns, tuple[str, ...]]:
    """Converting contacts' touches (coarse window) and other contacts' (exact window), in
    contact, at, activity id order, with their key codes (codes follow the sorted names)."""
    key = ("COALESCE(a.channel, k.channel)" if query.by is KeyKind.CHANNEL else "k.key")
    if dialect == "sqlite":
        lower = "datetime(b.first_at, :shift)"
        order = "a.contact_id, a.at, a.id"
        shift: dict[str, Any] = {"shift": f"-{query.lookback_days + 1} days"}
    else:
        lower = "b.first_at - make_interval(days => :shift)"
        order = 'a.contact_id, a.at, a.id COLLATE "C"'
        shift = {"shift": query.lookback_days + 1}
    window: dict[str, Any] = {}
    if query.period_end is not None:
        window = {"window_start": query.period_end - timedelta(days=query.lookback_days),
                  "window_end": query.period_end}  # fmt: skip
        other_touch = "a.at >= :window_start AND a.at <= :window_end"
    else:
        other_touch = "1 = 0"
    sql = (f"WITH b AS (SELECT c.contact_id AS contact_id, MIN(c.instant) AS first_at,"  # noqa: S608
           f" MAX(c.instant) AS last_at FROM ({_conversions_sql(query)}) c"
           " GROUP BY c.contact_id),"
           f" x AS ({_converters_sql(query)})"
           f" SELECT a.contact_id, {_epoch_us(dialect, 'a.at')}, {key},"
           " CASE WHEN b.contact_id IS NULL THEN 0 ELSE 1 END"
           " FROM activities a LEFT JOIN b ON b.contact_id = a.contact_id"
           " LEFT JOIN campaigns k ON k.id = a.campaign_id"
           f" WHERE (b.contact_id IS NOT NULL AND a.at >= {lower} AND a.at <= b.last_at)"
           f" OR (b.contact_id IS NULL AND {other_touch}"
           " AND NOT EXISTS (SELECT 1 FROM x WHERE x.contact_id = a.contact_id))"
           f" ORDER BY {order}")  # fmt: skip
    codes: dict[str | None, int] = {None: 0, NONE_KEY: 0}
    names = [NONE_KEY]
    parts: dict[bool, list[tuple[IntArray, IntArray, IntArray]]] = {True: [], False: []}
    for rows in _chunks(session, _statement(sql, query), _params(query, **shift, **window)):
        contact, at, keys, converting = zip(*rows, strict=True)
        key_codes = []
        for name in keys:
            code = codes.get(name)
            if code is None:
                code = codes[name] = len(names)
                names.append(name)
            key_codes.append(code)
        flag = np.asarray(converting, dtype=bool)
        columns = (np.asarray(contact, dtype=np.int64), np.asarray(at, dtype=np.int64),
                   np.asarray(key_codes, dtype=np.int64))  # fmt: skip
        for side in (True, False):
            mask = flag if side else ~flag
            if mask.any():
                parts[side].append(tuple(column[mask] for column in columns))  # type: ignore[arg-type]
    # Codes in the order of the sorted key names.
    ordered = sorted(range(len(names)), key=lambda code: names[code])
    recode = np.empty(len(names), dtype=np.int64)
    recode[ordered] = np.arange(len(names), dtype=np.int64)

    def join(side: bool) -> TouchColumns:
        if not parts[side]:
            return TouchColumns.empty()
        contact, at, code = (np.concatenate([part[i] for part in parts[side]]) for i in range(3))
        return TouchColumns(contact, at, recode[code])

    return join(True), join(False), tuple(names[code] for code in ordered)
