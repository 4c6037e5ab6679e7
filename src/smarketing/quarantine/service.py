"""The quarantine: every rejected input item kept as received, with the reason, until it
is replayed (after a fix to the workspace or to the item) or discarded.

Producers call `hold`. Each kind of item has a replayer, registered with
`register_replayer(kind)` in the producer's module, that applies the item as if it had
just arrived and returns a one-line result; it raises `ValidationError` (or any
`SmarketingError`) when the item is still bad. The producers depend on the quarantine,
never the reverse: the app's assembly (`smarketing.wiring`, imported by the web app and
the command line) imports every producer, so every replayer is registered before an
item is replayed. Nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from smarketing.core import jsonio
from smarketing.core.errors import NotFoundError, SmarketingError, ValidationError
from smarketing.models import QuarantineItem

Replayer = Callable[[Session, Any, datetime, str], str]
"""(session, payload as decoded JSON, now, source) -> result line."""

STATUSES = ("open", "replayed", "discarded")
_REPLAYERS: dict[str, Replayer] = {}


def register_replayer(kind: str) -> Callable[[Replayer], Replayer]:
    def register(function: Replayer) -> Replayer:
        _REPLAYERS[kind] = function
        return function

    return register


def _replayer(kind: str) -> Replayer:
    if kind not in _REPLAYERS:
        raise ValidationError(f"no replayer for items of kind {kind!r}")
    return _REPLAYERS[kind]


def payload_text(payload: Any) -> str:
    """The stored form of a payload: a str or bytes is kept as is, anything else as JSON."""
    if isinstance(payload, bytes):
        return payload.decode("utf-8", errors="replace")
    if isinstance(payload, str):
        return payload
    try:
        return orjson.dumps(payload, default=str).decode()
    except (TypeError, orjson.JSONEncodeError):  # e.g. an integer over 64 bits, kept as sent
        return json.dumps(payload, default=str, ensure_ascii=False)


def pretty_payload(payload: str) -> str:
    """Indented JSON when the payload is JSON, else the text as received."""
    try:
        return orjson.dumps(jsonio.loads(payload), option=orjson.OPT_INDENT_2).decode()
    except jsonio.JSONDecodeError:
        return payload


def preview(payload: str, width: int = 80) -> str:
    """The payload on one line, cut to `width` characters."""
    line = " ".join(payload.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def hold(session: Session, *, source: str, kind: str, payload: Any, reason: str,
         now: datetime) -> int:  # fmt: skip
    """Keep one rejected item; returns its quarantine id."""
    item = QuarantineItem(source=source, kind=kind, payload=payload_text(payload),
                          reason=reason, received_at=now, status="open", attempts=1)  # fmt: skip
    session.add(item)
    session.flush()
    return item.id


def list_items(session: Session, status: str | None = "open", kind: str | None = None,
               source: str | None = None, limit: int = 100, after_id: int = 0) -> (
    list[QuarantineItem]
):  # fmt: skip
    """Oldest first, from the item after `after_id` (a cursor for paging)."""
    query = _filtered(select(QuarantineItem), status, kind, source)
    query = query.where(QuarantineItem.id > after_id).order_by(QuarantineItem.id)
    return list(session.scalars(query.limit(limit)))


def newest_items(session: Session, status: str | None = "open", kind: str | None = None,
                 source: str | None = None, limit: int = 100) -> list[QuarantineItem]:  # fmt: skip
    """The latest `limit` items, newest first (what an admin looks at first)."""
    query = _filtered(select(QuarantineItem), status, kind, source)
    return list(session.scalars(query.order_by(QuarantineItem.id.desc()).limit(limit)))


def count_items(session: Session, status: str | None = "open", kind: str | None = None,
                source: str | None = None) -> int:  # fmt: skip
    query = _filtered(select(func.count()).select_from(QuarantineItem), status, kind, source)
    return session.scalar(query) or 0


def kinds_and_sources(session: Session) -> tuple[list[str], list[str]]:
    """Every kind and every source seen in the quarantine, sorted (for filters)."""
    kinds = session.scalars(select(QuarantineItem.kind).distinct().order_by(QuarantineItem.kind))
    sources = session.scalars(
        select(QuarantineItem.source).distinct().order_by(QuarantineItem.source))
    return list(kinds), list(sources)


def _filtered(query: Select[Any], status: str | None, kind: str | None,
              source: str | None) -> Select[Any]:  # fmt: skip
    if status is not None and status not in STATUSES:
        raise ValidationError(f"status: must be one of {', '.join(STATUSES)}, got {status!r}")
    if status is not None:
        query = query.where(QuarantineItem.status == status)
    if kind is not None:
        query = query.where(QuarantineItem.kind == kind)
    if source is not None:
        query = query.where(QuarantineItem.source == source)
    return query


def count_open(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(QuarantineItem).where(QuarantineItem.status == "open")
    ) or 0  # fmt: skip


def get_item(session: Session, item_id: int) -> QuarantineItem:
    item = session.get(QuarantineItem, item_id)
    if item is None:
        raise NotFoundError(f"no quarantined item {item_id}")
    return item


def replay(session: Session, item_id: int, now: datetime, payload: Any | None = None) -> (
    QuarantineItem
):
    """Apply a held item again, optionally with a corrected payload.

    On success the item is marked replayed with the result; on failure it stays open with
    the new reason and one more attempt counted. The item's own changes are made in a
    savepoint, so a failed replay leaves nothing half-applied.
    """
    item = get_item(session, item_id)
    if item.status != "open":
        raise ValidationError(f"quarantined item {item_id} is {item.status}, not open")
    replayer = _replayer(item.kind)  # before any change: an unknown kind changes nothing
    if payload is not None:
        item.payload = payload_text(payload)
    try:
        decoded = jsonio.loads(item.payload)
    except jsonio.JSONDecodeError as exc:
        item.reason = f"payload is not valid JSON: {exc}"
        item.attempts += 1
        return item
    try:
        with session.begin_nested():
            result = replayer(session, decoded, now, item.source)
    except SmarketingError as exc:
        item.reason = str(exc)
        item.attempts += 1
        return item
    item.status, item.resolved_at, item.resolution = "replayed", now, result
    return item


@dataclass
class ReplaySummary:
    replayed: int = 0
    still_open: list[tuple[int, str]] = field(default_factory=list)


def replay_open(session: Session, now: datetime, kind: str | None = None,
                source: str | None = None, page: int = 500) -> ReplaySummary:  # fmt: skip
    """Replay every open item (of `kind`, from `source`), oldest first, each in its own
    savepoint: an item refused with a domain error (say, taken by another replay in the
    meantime) is rolled back alone and reported as still open with that error."""
    summary = ReplaySummary()
    for item_id in _open_ids(session, kind, source, page):
        try:
            with session.begin_nested():
                item = replay(session, item_id, now)
        except SmarketingError as exc:
            summary.still_open.append((item_id, str(exc)))
            continue
        if item.status == "replayed":
            summary.replayed += 1
        else:
            summary.still_open.append((item_id, item.reason))
    return summary


def _open_ids(session: Session, kind: str | None, source: str | None, page: int) -> list[int]:
    """The ids to replay, collected first: replaying changes the set being paged through."""
    ids: list[int] = []
    while True:
        query = _filtered(select(QuarantineItem.id), "open", kind, source)
        query = query.where(QuarantineItem.id > (ids[-1] if ids else 0))
        batch = list(session.scalars(query.order_by(QuarantineItem.id).limit(page)))
        ids.extend(batch)
        if len(batch) < page:
            return ids


def discard(session: Session, item_id: int, now: datetime, why: str) -> QuarantineItem:
    item = get_item(session, item_id)
    if item.status != "open":
        raise ValidationError(f"quarantined item {item_id} is {item.status}, not open")
    item.status, item.resolved_at, item.resolution = "discarded", now, why or "discarded"
    return item


def item_as_dict(item: QuarantineItem) -> dict[str, Any]:
    return {
        "id": item.id, "source": item.source, "kind": item.kind, "status": item.status,
        "reason": item.reason, "received_at": item.received_at.isoformat(),
        "attempts": item.attempts, "payload": item.payload,
        "resolved_at": item.resolved_at.isoformat() if item.resolved_at else None,
        "resolution": item.resolution,
    }  # fmt: skip
