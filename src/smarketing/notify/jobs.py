"""Delivering notifications to their apprise targets, with retries, and the jobs that do it.

A delivery pass claims one due delivery at a time with a conditional UPDATE (see
:func:`smarketing.notify.repository.claim_next_delivery`), sends it outside any database
transaction, then records the outcome. Claim and outcome are each their own short
transaction, so no lock is held while a channel is slow, and several workers running
passes at once never send the same delivery twice. A claim is a lease: a worker that
dies mid-send leaves its delivery `sending`, and the delivery is due again when the
lease ends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import apprise
from sqlalchemy.orm import Session, sessionmaker

from smarketing.core.database import transaction
from smarketing.core.jobs import enqueue, every_minute, periodic, task
from smarketing.core.settings import public_url
from smarketing.core.timeutil import utcnow
from smarketing.core.workspace import open_workspace
from smarketing.notify import repository as repo
from smarketing.notify.domain import FAILED, after_failure, format_message, redact_url
from smarketing.notify.service import capture_apprise_log, hide_url

LEASE = timedelta(minutes=10)
PASS_LIMIT = 200
# Upper bound, in seconds, of apprise's connect and read timeouts for one send.
SEND_TIMEOUT = 10.0

Sender = Callable[[str, str, str], None]

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A channel did not take the message; the text says why."""


@dataclass
class DeliveryStats:
    """What one delivery pass did."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    lost_claims: int = 0


def send_with_apprise(url: str, title: str, body: str) -> None:
    """Send one message through apprise; raise DeliveryError with apprise's reason on failure.

    The service is called directly (not through `Apprise.notify`, which hands the send to
    a thread pool) so that apprise's log lines, its only account of why a send failed,
    are emitted in this thread and captured for `last_error`.
    """
    with capture_apprise_log() as messages:
        service = apprise.Apprise.instantiate(url)
        if service is None:
            raise DeliveryError("apprise cannot use this URL (unknown scheme or invalid parts)")
        for attribute in ("socket_connect_timeout", "socket_read_timeout"):
            current = getattr(service, attribute, None)
            if isinstance(current, int | float) and current > SEND_TIMEOUT:
                setattr(service, attribute, SEND_TIMEOUT)
        delivered = service.notify(title=title, body=body)
    if not delivered:
        reasons = "; ".join(dict.fromkeys(messages)) or "apprise reported a failure"
        raise DeliveryError(reasons)



def deliver_due(
    session_factory: sessionmaker[Session] | Callable[[], Session],
    now: datetime,
    send: Sender = send_with_apprise,
    *,
    limit: int = PASS_LIMIT,
    base_url: str | None = None,
) -> DeliveryStats:
    """One delivery pass: send every delivery due at `now` (at most `limit`).

    Success -> `sent` with `delivered_at`; failure -> attempts + 1, `last_error`, and
    `next_attempt_at` after the backoff, or `failed` after the last attempt. This is an
    edge: it commits each claim and each outcome itself.
    """
    stats = DeliveryStats()
    for _ in range(limit):
        with transaction(session_factory) as session:  # type: ignore[arg-type]
            claimed = repo.claim_next_delivery(session, now, now + LEASE)
            payload = repo.payload(session, *claimed) if claimed else None
        if payload is None:
            break
        stats.claimed += 1
        title, body = format_message(payload.subject, payload.body, payload.link, base_url)
        try:
            send(payload.url, title, body)
        except Exception as exc:
            error = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
            failure = after_failure(payload.attempts, hide_url(error, payload.url), now)
            with transaction(session_factory) as session:  # type: ignore[arg-type]
                recorded = repo.record_failure(session, payload.delivery_id, payload.attempts,
                                               failure)  # fmt: skip
            if recorded and failure.status == FAILED:
                stats.failed += 1
            elif recorded:
                stats.retrying += 1
            log.warning("delivery %s to %s failed (attempt %s): %s", payload.delivery_id,
                        redact_url(payload.url), failure.attempts, failure.last_error)  # fmt: skip
        else:
            with transaction(session_factory) as session:  # type: ignore[arg-type]
                recorded = repo.record_sent(session, payload.delivery_id, payload.attempts, now)
            if recorded:
                stats.sent += 1
        if not recorded:
            stats.lost_claims += 1
    return stats


def run_delivery_pass() -> DeliveryStats:
    """A delivery pass on the configured workspace (what the jobs and `notify deliver` run)."""
    workspace = open_workspace(apply_migrations=False)
    try:
        stats = deliver_due(workspace.sessions, utcnow(), base_url=public_url())
    finally:
        workspace.engine.dispose()
    if stats.claimed:
        log.info("notification deliveries: %s", asdict(stats))
    return stats


@periodic(every_minute())
def deliver_due_job() -> None:
    """Every minute: send the notifications that are due, retries included."""
    run_delivery_pass()


@task()
def deliver_now_job() -> None:
    """Send due notifications now (enqueued by :func:`request_delivery`)."""
    run_delivery_pass()


def request_delivery() -> None:
    """Ask for a delivery pass now; call it after committing new notifications.

    Optional: the every-minute job delivers them anyway. A queue that cannot be reached
    is logged, never raised, so it cannot undo the caller's committed work.
    """
    try:
        enqueue(deliver_now_job)
    except Exception:
        log.warning("could not enqueue a delivery pass; the periodic one will deliver",
                    exc_info=True)  # fmt: skip
