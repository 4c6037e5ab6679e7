"""Group commit for single activities.

One transaction per single-event request caps the rate at what one commit costs, and on
SQLite every writer waits for the one write lock. Instead, a request hands its item to
the `ActivityWriter` and awaits the outcome: when no write is running, the item is
written at once; items that arrive while a write runs wait for it to finish and are
then written together, in one transaction, by the next write. A quiet server thus
answers as fast as before, and a busy one commits hundreds of requests at a time.

Every request still gets its answer only after its own item is committed (or known as a
duplicate, or kept in the quarantine). If a group's transaction fails, each of its items
is retried alone, so one item the database refuses cannot fail the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from smarketing.activities.service import ItemResult, check_activities, store_activities
from smarketing.core.database import transaction, writer_turn

log = logging.getLogger("smarketing.ingest")
GROUP_MAX = 1000


@dataclass
class _Pending:
    item: Any
    source: str
    done: asyncio.Future[ItemResult]


class ActivityWriter:
    """Writes single activities in groups; one instance per app (per process)."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock
        self._queue: list[_Pending] = []
        self._writing = False

    async def submit(self, item: Any, source: str) -> ItemResult:
        """Store one item (its id already set); returns its outcome once committed."""
        done: asyncio.Future[ItemResult] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(item, source, done))
        if not self._writing:
            self._writing = True
            asyncio.get_running_loop().create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        try:
            while self._queue:
                group, self._queue = self._queue[:GROUP_MAX], self._queue[GROUP_MAX:]
                await self._write_group(group)
        finally:
            self._writing = False

    async def _write_group(self, group: list[_Pending]) -> None:
        try:
            results = await run_in_threadpool(self._write, group)
        except Exception:  # the whole group's transaction failed: try each item alone
            log.exception("group write of %d activities failed; retrying one by one", len(group))
            for pending in group:
                try:
                    results = await run_in_threadpool(self._write, [pending])
                except Exception as exc:  # noqa: BLE001 - handed to the waiting request
                    _settle(pending.done, exc)
                else:
                    _settle(pending.done, results[0])
            return
        for pending, result in zip(group, results, strict=True):
            _settle(pending.done, result)

    def _write(self, group: list[_Pending]) -> list[ItemResult]:
        """One transaction for the group; one call per source so the quarantine names it."""
        now = self._clock()
        results: list[ItemResult | None] = [None] * len(group)
        by_source = {source: [i for i, p in enumerate(group) if p.source == source]
                     for source in dict.fromkeys(p.source for p in group)}  # fmt: skip
        checked = {source: check_activities([group[i].item for i in indexes], now=now)
                   for source, indexes in by_source.items()}  # fmt: skip
        with writer_turn(self._sessions), transaction(self._sessions) as session:
            for source, indexes in by_source.items():
                outcome = store_activities(session, checked[source], source=source, now=now)
                for index, result in zip(indexes, outcome.items, strict=True):
                    results[index] = result
        return [r for r in results if r is not None]


def _settle(future: asyncio.Future[ItemResult], outcome: ItemResult | BaseException) -> None:
    if future.done():  # the request went away (client disconnected)
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
