"""Delivery passes: sent, retried with backoff, failed for good, claimed once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from smarketing.core.database import transaction
from smarketing.notify import repository as repo
from smarketing.notify import service
from smarketing.notify.domain import BACKOFF
from smarketing.notify.jobs import LEASE, DeliveryError, DeliveryStats, deliver_due
from tests.notify import (
    FAILING_URL,
    T0,
    FakeSender,
    add_people,
    add_target,
    deliveries,
    sessions_for,
)

HOOK = "json://hooks.example.com/alerts"


def raise_alert(session: Session, user_ids: list[int], key: str = "sla-breach:1",
                subject: str = "SLA breached") -> None:  # fmt: skip
    service.notify(session, user_ids=user_ids, kind="sla_breach", subject=subject,
                   body="The first attempt is overdue.", link="/contacts/ada@example.com",
                   dedupe_key=key, now=T0)  # fmt: skip


@pytest.fixture
def rep_with_hook(session: Session) -> int:
    """A rep with one target and one pending delivery, due at T0."""
    people = add_people(session)
    add_target(session, HOOK, user_id=people.rep_id)
    raise_alert(session, [people.rep_id])
    return people.rep_id


def test_a_due_delivery_is_sent(session: Session, rep_with_hook: int) -> None:
    sender = FakeSender()
    stats = deliver_due(lambda: session, T0, sender)
    assert stats == DeliveryStats(claimed=1, sent=1)
    body = "The first attempt is overdue.\n\n/contacts/ada@example.com"
    assert sender.sent == [(HOOK, "SLA breached", body)]
    [delivery] = deliveries(session)
    assert (delivery.status, delivery.attempts, delivery.delivered_at) == ("sent", 1, T0)
    assert delivery.next_attempt_at is None
    assert deliver_due(lambda: session, T0 + timedelta(hours=9), sender) == DeliveryStats()
    assert len(sender.sent) == 1


def test_links_are_made_absolute_with_the_public_url(
    session: Session, rep_with_hook: int
) -> None:
    sender = FakeSender()
    deliver_due(lambda: session, T0, sender, base_url="https://sm.example.com")
    assert sender.sent[0][2].endswith("\n\nhttps://sm.example.com/contacts/ada@example.com")


def test_nothing_is_sent_before_it_is_due(session: Session, rep_with_hook: int) -> None:
    sender = FakeSender()
    assert deliver_due(lambda: session, T0 - timedelta(seconds=1), sender) == DeliveryStats()
    assert sender.sent == []


def test_failures_back_off_then_fail_for_good(session: Session, rep_with_hook: int) -> None:
    sender = FakeSender(failures=100, error="503 Service Unavailable")
    now = T0
    for attempt, wait in enumerate(BACKOFF, start=1):
        assert deliver_due(lambda: session, now, sender) == DeliveryStats(claimed=1, retrying=1)
        [delivery] = deliveries(session)
        assert (delivery.status, delivery.attempts) == ("pending", attempt)
        assert delivery.last_error == "RuntimeError: 503 Service Unavailable"
        assert delivery.next_attempt_at == now + wait
        assert deliver_due(lambda: session, now + wait - timedelta(seconds=1), sender) == (
            DeliveryStats())
        now += wait
    assert deliver_due(lambda: session, now, sender) == DeliveryStats(claimed=1, failed=1)
    [delivery] = deliveries(session)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 6, None)
    assert delivery.delivered_at is None
    assert deliver_due(lambda: session, now + timedelta(days=30), sender) == DeliveryStats()
    assert sender.tried == {HOOK: 6}


def test_a_retry_that_succeeds_is_sent(session: Session, rep_with_hook: int) -> None:
    sender = FakeSender(failures=2)
    now = T0
    for wait in (BACKOFF[0], BACKOFF[1], timedelta(0)):
        deliver_due(lambda: session, now, sender)
        now += wait
    [delivery] = deliveries(session)
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    assert delivery.delivered_at == T0 + BACKOFF[0] + BACKOFF[1]
    assert delivery.last_error == "RuntimeError: channel said no"
    assert len(sender.sent) == 1


def test_one_failing_target_does_not_hold_up_the_others(session: Session) -> None:
    people = add_people(session)
    add_target(session, "json://broken.example.com/x", user_id=people.rep_id)
    add_target(session, HOOK, team_id=people.team_id)
    raise_alert(session, [people.rep_id, people.manager_id])

    def sender(url: str, title: str, body: str) -> None:
        if "broken" in url:
            raise DeliveryError("HTTP 404 from broken.example.com")

    stats = deliver_due(lambda: session, T0, sender)
    assert stats == DeliveryStats(claimed=3, sent=2, retrying=1)
    by_status = Counter(d.status for d in deliveries(session))
    assert by_status == {"sent": 2, "pending": 1}
    [failed] = [d for d in deliveries(session) if d.status == "pending"]
    assert failed.last_error == "HTTP 404 from broken.example.com"


def test_errors_that_quote_the_url_are_stored_redacted(session: Session) -> None:
    people = add_people(session)
    secret_url = "jsons://me:pa55word@hooks.example.com/x"
    add_target(session, secret_url, user_id=people.rep_id)
    raise_alert(session, [people.rep_id])

    def sender(url: str, title: str, body: str) -> None:
        raise DeliveryError(f"could not reach {url}")

    deliver_due(lambda: session, T0, sender)
    [delivery] = deliveries(session)
    assert delivery.last_error == "could not reach jsons://me:****@hooks.example.com/x"


def test_a_real_apprise_failure_is_logged_and_retried(session: Session) -> None:
    """No fake: apprise really posts to 127.0.0.1:9, where nothing listens."""
    people = add_people(session)
    add_target(session, FAILING_URL, user_id=people.rep_id)
    raise_alert(session, [people.rep_id])
    assert deliver_due(lambda: session, T0) == DeliveryStats(claimed=1, retrying=1)
    [delivery] = deliveries(session)
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at == T0 + BACKOFF[0]
    assert delivery.last_error is not None
    assert "connection error" in delivery.last_error.lower()
    assert deliver_due(lambda: session, T0 + BACKOFF[0]) == DeliveryStats(claimed=1, retrying=1)
    assert deliveries(session)[0].attempts == 2


def test_a_claim_abandoned_by_a_dead_worker_is_retried_after_the_lease(
    session: Session, rep_with_hook: int
) -> None:
    with transaction(lambda: session) as tx:  # type: ignore[arg-type]
        assert repo.claim_next_delivery(tx, T0, T0 + LEASE) is not None
    # ...and the worker that claimed it died before sending.
    sender = FakeSender()
    assert deliver_due(lambda: session, T0 + LEASE - timedelta(seconds=1), sender) == (
        DeliveryStats())
    assert deliveries(session)[0].status == "sending"
    assert deliver_due(lambda: session, T0 + LEASE, sender) == DeliveryStats(claimed=1, sent=1)
    assert deliveries(session)[0].status == "sent"


def test_a_pass_sends_at_most_limit(session: Session) -> None:
    people = add_people(session)
    add_target(session, HOOK, user_id=people.rep_id)
    for n in range(5):
        raise_alert(session, [people.rep_id], key=f"k{n}")
    sender = FakeSender()
    assert deliver_due(lambda: session, T0, sender, limit=3).sent == 3
    assert deliver_due(lambda: session, T0, sender, limit=3).sent == 2


def test_concurrent_passes_send_each_delivery_exactly_once(workspace_url: str) -> None:
    """Two workers, each with its own engine and sessions, sweep the same due rows."""
    with sessions_for(workspace_url) as factory, transaction(factory) as session:
        people = add_people(session)
        for n in range(4):
            add_target(session, f"json://hooks{n}.example.com/x", user_id=people.rep_id)
        add_target(session, "json://team.example.com/x", team_id=people.team_id)
        for n in range(8):
            for user_id in (people.rep_id, people.manager_id):
                raise_alert(session, [user_id], key=f"k{n}", subject=f"alert {n} for {user_id}")
    expected = 8 * (5 + 1)
    sender = FakeSender()
    barrier = threading.Barrier(2)
    results: list[DeliveryStats] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with sessions_for(workspace_url) as factory:
                barrier.wait()
                results.append(deliver_due(factory, T0, sender))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    sends = Counter((url, title) for url, title, _ in sender.sent)
    assert len(sends) == expected
    assert set(sends.values()) == {1}
    assert sum(r.sent for r in results) == expected
    assert sum(r.lost_claims for r in results) == 0
    with sessions_for(workspace_url) as factory, transaction(factory) as session:
        assert Counter(d.status for d in deliveries(session)) == {"sent": expected}
