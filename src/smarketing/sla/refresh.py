"""Keeping SLA clocks in step with the facts they derive from.

A use case that changes a lead's handoff facts (an owner change, an attempt, a decision,
a stage change) calls `refresh_clocks` for the leads it touched, in the same call: no
caller has to remember. By default the clocks are recomputed at once. Inside
`refreshed_once(session, now)` (an import, a batch) the leads are collected instead and
recomputed together when the block ends, so a lead touched by many lines of one batch is
recomputed once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.orm import Session

from smarketing.sla.service import recompute_all_clocks, recompute_clocks

_PENDING = "smarketing.sla.refresh.pending"
_ALL = "smarketing.sla.refresh.all"


def refresh_clocks(session: Session, contact_ids: Iterable[int], now: datetime) -> None:
    """Recompute these leads' clocks now, or when the enclosing `refreshed_once` ends."""
    pending: set[int] | None = session.info.get(_PENDING)
    if pending is not None:
        pending.update(contact_ids)
        return
    wanted = sorted(set(contact_ids))
    if wanted:
        recompute_clocks(session, wanted, now)


def refresh_all_clocks(session: Session, now: datetime) -> None:
    """Every lead's clocks (the agreements changed), now or when the block ends."""
    if session.info.get(_PENDING) is not None:
        session.info[_ALL] = True
        return
    recompute_all_clocks(session, now)


@contextmanager
def refreshed_once(session: Session, now: datetime) -> Iterator[None]:
    """Collect the refreshes of the use cases run inside; recompute them once at the end.
    Nested blocks join the outermost one."""
    if session.info.get(_PENDING) is not None:
        yield
        return
    session.info[_PENDING] = set()
    try:
        yield
    except BaseException:
        session.info.pop(_PENDING, None)
        session.info.pop(_ALL, None)
        raise
    pending: set[int] = session.info.pop(_PENDING)
    if session.info.pop(_ALL, False):
        recompute_all_clocks(session, now)
    elif pending:
        recompute_clocks(session, sorted(pending), now)
