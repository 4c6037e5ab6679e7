"""Background work of logins: forget sessions that ended long ago."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from smarketing.core.database import transaction
from smarketing.core.jobs import crontab, periodic
from smarketing.core.timeutil import utcnow
from smarketing.core.workspace import open_workspace
from smarketing.models import UserSession

log = logging.getLogger("smarketing.auth")
#: Ended sessions are kept this long (who was logged in when), then deleted.
KEEP_ENDED = timedelta(days=30)


def purge_sessions(session: Session, now: datetime, *, max_age: timedelta) -> int:
    """Delete the sessions that ended (revoked, or past their longest life `max_age`) more
    than KEEP_ENDED before `now`; how many."""
    cutoff = now - KEEP_ENDED
    result = session.execute(delete(UserSession).where(or_(
        UserSession.revoked_at < cutoff, UserSession.created_at < cutoff - max_age)))  # fmt: skip
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@periodic(crontab(minute="17", hour="3"))
def purge_sessions_job() -> None:
    """Daily: delete login sessions that ended more than 30 days ago."""
    workspace = open_workspace(apply_migrations=False)
    try:
        with transaction(workspace.sessions) as session:
            gone = purge_sessions(session, utcnow(),
                                  max_age=timedelta(hours=workspace.settings.session_max_hours))
    finally:
        workspace.engine.dispose()
    if gone:
        log.info("deleted %d login sessions that ended over %s ago", gone, KEEP_ENDED)
