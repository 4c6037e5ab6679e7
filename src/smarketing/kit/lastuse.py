"""Last-use times (an API key's `last_used_at`, a login session's `last_seen_at`) written
outside the request's own transaction, so a read stays a read.

A request that finds a last-use time older than its resolution notes the new time here
(`note`) and adds `flush` as a background task: it runs after the response is sent and
writes every time noted in this process, in one short transaction of its own that waits
at most BRIEF_WAIT_MS for the database (smarketing.core.database.brief_transaction).
When the database is busy or out of reach the times stay noted and the next request's
task tries again; the read it served was answered already and never waited for it.

The cost: a last-use time may lag behind by the resolution (minutes), plus as long as the
database stays busy. A server stopped with times still noted loses them (at most one
resolution's worth per key or session).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from fastapi import Request
from sqlalchemy import Engine, update
from sqlalchemy.exc import SQLAlchemyError

from smarketing.core.database import brief_transaction
from smarketing.models import ApiKey, UserSession

log = logging.getLogger("smarketing.web")

#: What may be noted: the model and its last-use column, by name.
COLUMNS = {"api_key": (ApiKey, "last_used_at"), "session": (UserSession, "last_seen_at")}


class LastUse:
    """The last-use times noted and not yet written, per (kind, row id): one per app."""

    def __init__(self) -> None:
        self._noted: dict[tuple[str, int | str], datetime] = {}
        self._lock = threading.Lock()

    def note(self, kind: str, row_id: int | str, at: datetime) -> None:
        with self._lock:
            earlier = self._noted.get((kind, row_id))
            if earlier is None or at > earlier:
                self._noted[(kind, row_id)] = at

    def noted(self, kind: str, row_id: int | str) -> datetime | None:
        """The time noted for a row and not yet written (None when none is waiting)."""
        with self._lock:
            return self._noted.get((kind, row_id))

    def flush(self, engine: Engine) -> bool:
        """Write the noted times; False (and they stay noted) when the database refused."""
        with self._lock:
            batch, self._noted = self._noted, {}
        if not batch:
            return True
        try:
            with brief_transaction(engine) as session:
                for (kind, row_id), at in sorted(batch.items(), key=lambda item: str(item[0])):
                    model, column = COLUMNS[kind]
                    primary = model.__mapper__.primary_key[0]
                    session.execute(update(model).where(primary == row_id)
                                    .values({column: at}))  # fmt: skip
        except SQLAlchemyError as exc:
            log.info("last-use times not written yet (%d waiting): %s", len(batch),
                     str(exc).splitlines()[0][:200])  # fmt: skip
            for (kind, row_id), at in batch.items():
                self.note(kind, row_id, at)
            return False
        return True


def last_use(request: Request) -> LastUse:
    state = request.app.state
    if getattr(state, "last_use", None) is None:
        state.last_use = LastUse()
    recorder: LastUse = state.last_use
    return recorder
