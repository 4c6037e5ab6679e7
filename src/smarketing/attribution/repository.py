"""Attribution reads: conversions, milestones and touches, set-based, streamed into columns.

Whatever the models asked, the same few statements run once:

1. the conversions (won deals of the workspace currency, or each contact's first arrival
   at a stage) with their instants and values;
2. the lifecycle arrivals at lead-or-later and opportunity-or-later (for the W-shaped and
   full-path milestones), kept for the converting contacts;
3. the contacts that converted in the period in any currency (they are never a
   non-converting path) and the campaigns (key and channel);
4. one pass over the activities between the earliest window start and the latest
   window end: contact, instant, own channel, campaign and id.

Rows come through the driver's cursor in chunks straight into numpy arrays: no ORM
object, no SQLAlchemy row per activity (reading 1,000,000 activities and 100,000
conversions costs about 3 s of CPU, docs/benchmarks.md). The activities are put in
contact, instant, activity-id order in numpy (ids compared by code point, as Python
compares strings: the same on both databases whatever their collation), and the domain
cuts each conversion's exact window.

Instants arrive as microseconds since 1970: SQLite keeps them as text
(`YYYY-MM-DD HH:MM:SS.ffffff`, parsed by numpy), PostgreSQL computes them exactly
(EXTRACT(EPOCH ...) is a numeric).
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
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
    distinct,
    instant_us,
    nonconverting_paths,
)
from smarketing.core.driver_sql import sqlite_instant
from smarketing.models import Activity

#: Rows fetched per round trip.
CHUNK = 100_000


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
    contacts' touches in [period_end - lookback, period_end] (none when period_end is
    None: only Markov reads them)."""

    by: KeyKind
    stage: str
    start: datetime | None
    end: datetime | None
    period_end: datetime | None
    lookback_days: int
    currency: str


# -- the driver's cursor ---------------------------------------------------------------------


class _Reader:
    """Runs SQL written with :name parameters on the session's own connection (same
    transaction), through the driver's cursor, and yields rows in chunks."""

    def __init__(self, session: Session) -> None:
        session.flush()
        self.connection = session.connection()
        self.dialect = self.connection.dialect.name

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> Iterator[Sequence[Any]]:
        params = dict(params or {})
        if self.dialect == "sqlite":
            for name, value in params.items():
                if isinstance(value, datetime):  # stored as naive UTC text
                    params[name] = sqlite_instant(value)
        else:
            sql = re.sub(r":(\w+)", r"%(\1)s", sql.replace("%", "%%"))
        driver = self.connection.connection.dbapi_connection
        # PostgreSQL: a server-side cursor, so a million rows stream in chunks rather than
        # arriving whole in the client's memory.
        cursor = (driver.cursor() if self.dialect == "sqlite"  # type: ignore[union-attr]
                  else driver.cursor(name="smarketing_attribution"))  # type: ignore[union-attr]
        try:
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(CHUNK):
                yield chunk
        finally:
            cursor.close()

    def instant(self, column: str) -> str:
        """SQL reading an instant column: text on SQLite, microseconds on PostgreSQL."""
        if self.dialect == "sqlite":
            return column
        return f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"

    def micros(self, values: Sequence[Any]) -> IntArray:
        """Microseconds since 1970 of what `instant` selected."""
        if self.dialect == "sqlite":
            parsed = np.array(values, dtype="datetime64[us]")
            return parsed.astype(np.int64)
        return np.asarray(values, dtype=np.int64)


def _period(column: str, query: Query) -> str:
    parts = []
    if query.start is not None:
        parts.append(f" AND {column} >= :start")
    if query.end is not None:
        parts.append(f" AND {column} <= :end")
    return "".join(parts)


def _period_params(query: Query) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if query.start is not None:
        params["start"] = query.start
    if query.end is not None:
        params["end"] = query.end
    return params


def _stages(names: Sequence[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


# -- the reads -------------------------------------------------------------------------------


def excluded_deals(session: Session, query: Query) -> tuple[Excluded, ...]:
    """Won deals of the period in another currency than the workspace's, per currency."""
    if query.stage != WON:
        return ()
    sql = ("SELECT d.currency, COUNT(*), SUM(d.amount) FROM deals d"  # noqa: S608
           " WHERE d.status = 'won' AND d.closed_at IS NOT NULL AND d.currency <> :currency"
           + _period("d.closed_at", query)
           + " GROUP BY d.currency ORDER BY d.currency")  # fmt: skip
    reader = _Reader(session)
    params = {"currency": query.currency, **_period_params(query)}
    rows = [row for chunk in reader.rows(sql, params) for row in chunk]
    return tuple(Excluded(row[0], int(row[1]), int(row[2])) for row in rows)


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: reading 10**6 rows makes millions of tuples, each
    batch of which would start a collection that finds nothing to free (a third of the
    read's CPU time on 1,000,000 activities). Reference counting still frees everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load(session: Session, query: Query) -> Loaded:
    """Read everything the models need for `query`."""
    with _without_cyclic_gc():
        return _load(session, query)


def _load(session: Session, query: Query) -> Loaded:
    reader = _Reader(session)
    lookback_us = query.lookback_days * 86_400_000_000
    contact, instant, value = _read_conversions(reader, query)
    lead, opportunity = _read_milestones(reader, contact)
    conversions = ConversionColumns(contact, instant, value, lead, opportunity)
    end_us = NEVER if query.period_end is None else instant_us(query.period_end)
    touches, keys = _read_activities(reader, query, instant, end_us, lookback_us)
    converting = np.isin(touches.contact, contact)
    if query.period_end is None:
        others = np.zeros(touches.contact.size, dtype=bool)
    else:
        others = ~np.isin(touches.contact, _converters(reader, query, contact))
    data = AttributionInput(
        keys=keys,
        converting=converting_paths(_subset(touches, converting), conversions, lookback_us),
        nonconverting=nonconverting_paths(_subset(touches, others), end_us, lookback_us),
    )
    return Loaded(data, excluded_deals(session, query))


def _subset(touches: TouchColumns, mask: np.ndarray[Any, np.dtype[np.bool_]]) -> TouchColumns:
    return TouchColumns(touches.contact[mask], touches.at_us[mask], touches.key[mask])


def _read_conversions(reader: _Reader, query: Query) -> tuple[IntArray, IntArray, IntArray]:
    """(contact, instant, cents) of every conversion."""
    if query.stage == WON:
        sql = (f"SELECT d.contact_id, {reader.instant('d.closed_at')}, d.amount"  # noqa: S608
               " FROM deals d WHERE d.status = 'won' AND d.closed_at IS NOT NULL"
               " AND d.currency = :currency" + _period("d.closed_at", query))  # fmt: skip
        params = {"currency": query.currency, **_period_params(query)}
    else:
        sql = (f"SELECT f.contact_id, {reader.instant('f.instant')}, 0"  # noqa: S608
               " FROM (SELECT h.contact_id AS contact_id, MIN(h.at) AS instant"
               " FROM lifecycle_history h WHERE h.to_stage = :stage GROUP BY h.contact_id) f"
               " WHERE 1 = 1" + _period("f.instant", query))  # fmt: skip
        params = {"stage": query.stage, **_period_params(query)}
    contact: list[int] = []
    instant: list[IntArray] = []
    value: list[int] = []
    for rows in reader.rows(sql, params):
        columns = list(zip(*rows, strict=True))
        contact.extend(columns[0])
        instant.append(reader.micros(columns[1]))
        value.extend(columns[2])
    return (np.asarray(contact, dtype=np.int64),
            np.concatenate(instant) if instant else np.zeros(0, dtype=np.int64),
            np.asarray(value, dtype=np.int64))  # fmt: skip


def _read_milestones(reader: _Reader, contacts: IntArray) -> tuple[IntArray, IntArray]:
    """Per conversion: its contact's first arrival at lead (or a later stage) and at
    opportunity (or later); NEVER when not reached."""
    lead = np.full(contacts.size, NEVER, dtype=np.int64)
    opportunity = np.full(contacts.size, NEVER, dtype=np.int64)
    if contacts.size == 0:
        return lead, opportunity
    known = distinct(contacts)
    first_lead = np.full(known.size, NEVER, dtype=np.int64)
    first_opportunity = np.full(known.size, NEVER, dtype=np.int64)
    sql = (f"SELECT h.contact_id, CASE WHEN h.to_stage IN ({_stages(OPPORTUNITY_OR_LATER)})"  # noqa: S608
           f" THEN 1 ELSE 0 END, {reader.instant('h.at')} FROM lifecycle_history h"
           f" WHERE h.to_stage IN ({_stages(LEAD_OR_LATER)})")  # fmt: skip
    for rows in reader.rows(sql):
        contact_column, later_column, at_column = zip(*rows, strict=True)
        contact = np.asarray(contact_column, dtype=np.int64)
        at = reader.micros(at_column)
        place = np.minimum(np.searchsorted(known, contact), known.size - 1)
        mine = known[place] == contact
        np.minimum.at(first_lead, place[mine], at[mine])
        later = mine & np.asarray(later_column, dtype=bool)
        np.minimum.at(first_opportunity, place[later], at[later])
    index = np.searchsorted(known, contacts)
    return first_lead[index], first_opportunity[index]


def _converters(reader: _Reader, query: Query, contacts: IntArray) -> IntArray:
    """Contacts that are no non-converting path: those with a conversion, and (won deals)
    those with a won deal of the period in another currency (they did convert; the deal
    is left out for its currency)."""
    if query.stage != WON:
        return distinct(contacts)
    sql = ("SELECT DISTINCT d.contact_id FROM deals d WHERE d.status = 'won'"  # noqa: S608
           " AND d.closed_at IS NOT NULL AND d.currency <> :currency"
           + _period("d.closed_at", query))  # fmt: skip
    params = {"currency": query.currency, **_period_params(query)}
    other = [row[0] for rows in reader.rows(sql, params) for row in rows]
    return distinct(np.concatenate([contacts, np.asarray(other, dtype=np.int64)]))


def _read_activities(
    reader: _Reader, query: Query, instants: IntArray, end_us: int, lookback_us: int
) -> tuple[TouchColumns, tuple[str, ...]]:
    """Activities from the earliest window start to the latest window end, sorted by
    contact, instant and activity id, with key codes that follow the sorted key names."""
    bounds = [end_us - lookback_us, end_us] if end_us != NEVER else []
    if instants.size:
        bounds += [int(instants.min()) - lookback_us, int(instants.max())]
    if not bounds:
        return TouchColumns.empty(), ()
    low, high = min(bounds), max(bounds)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    params = {"low": epoch + timedelta(microseconds=low),
              "high": epoch + timedelta(microseconds=high)}  # fmt: skip
    # Campaigns by id: their key and their channel.
    campaign_ids: list[int] = []
    campaign_keys: list[str] = []
    campaign_channels: list[str] = []
    for rows in reader.rows("SELECT id, key, channel FROM campaigns ORDER BY id"):
        for row in rows:
            campaign_ids.append(row[0])
            campaign_keys.append(row[1])
            campaign_channels.append(row[2])
    names: list[str] = [NONE_KEY]
    codes: dict[str | None, int] = {None: 0, NONE_KEY: 0}

    def code_of(name: str | None) -> int:
        found = codes.get(name)
        if found is None:
            found = codes[name] = len(names)
            names.append(name)  # type: ignore[arg-type]
        return found

    by_channel = query.by is KeyKind.CHANNEL
    own_codes: dict[str | None, int] = {None: -1}  # an activity's own channel, -1: none
    campaign_code = np.asarray([0] + [code_of(c) for c in (campaign_channels if by_channel
                                                           else campaign_keys)],
                               dtype=np.int64)  # fmt: skip
    known_campaigns = np.asarray([0, *campaign_ids], dtype=np.int64)
    channel = "a.channel" if by_channel else "NULL"
    sql = (f"SELECT a.contact_id, {reader.instant('a.at')}, {channel},"  # noqa: S608
           " COALESCE(a.campaign_id, 0), a.id FROM activities a"
           " WHERE a.at >= :low AND a.at <= :high")  # fmt: skip
    contact_parts: list[IntArray] = []
    at_parts: list[IntArray] = []
    key_parts: list[IntArray] = []
    ids: list[str] = []
    for rows in reader.rows(sql, params):
        contact_column, at_column, channel_column, campaign_column, id_column = zip(
            *rows, strict=True)  # fmt: skip
        contact_parts.append(np.asarray(contact_column, dtype=np.int64))
        at_parts.append(reader.micros(at_column))
        campaign = np.asarray(campaign_column, dtype=np.int64)
        place = np.minimum(np.searchsorted(known_campaigns, campaign), known_campaigns.size - 1)
        from_campaign = np.where(known_campaigns[place] == campaign, campaign_code[place], 0)
        if by_channel:
            for name in set(channel_column) - own_codes.keys():
                own_codes[name] = code_of(name)
            own = np.fromiter(map(own_codes.__getitem__, channel_column), dtype=np.int64,
                              count=len(rows))  # fmt: skip
            key_parts.append(np.where(own >= 0, own, from_campaign))
        else:
            key_parts.append(from_campaign)
        ids.extend(id_column)
    if not ids:
        return TouchColumns.empty(), tuple(sorted(names))
    contact = np.concatenate(contact_parts)
    at = np.concatenate(at_parts)
    key = np.concatenate(key_parts)
    order = _contact_order(contact, at, ids)
    ordered = sorted(range(len(names)), key=lambda code: names[code])
    recode = np.empty(len(names), dtype=np.int64)
    recode[ordered] = np.arange(len(names), dtype=np.int64)
    touches = TouchColumns(contact[order], at[order], recode[key[order]])
    return touches, tuple(names[code] for code in ordered)


def _contact_order(contact: IntArray, at: IntArray, ids: list[str]) -> IntArray:
    """Positions in contact, instant, activity-id order (ids only break exact ties)."""
    order = np.lexsort((at, contact))
    sorted_contact, sorted_at = contact[order], at[order]
    tied = (sorted_contact[1:] == sorted_contact[:-1]) & (sorted_at[1:] == sorted_at[:-1])
    if not tied.any():
        return order
    # Runs of equal (contact, instant): [start, end] positions in `order`.
    edges = np.diff(np.concatenate([[0], tied.astype(np.int8), [0]]))
    for start, end in zip(np.flatnonzero(edges == 1).tolist(),
                          np.flatnonzero(edges == -1).tolist(), strict=True):  # fmt: skip
        run = order[start:end + 1].tolist()
        order[start:end + 1] = sorted(run, key=ids.__getitem__)
    return order
