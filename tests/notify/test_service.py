"""Raising notifications, targets, the inbox: on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smarketing.core.database import transaction
from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.models import Notification, NotificationDelivery, NotificationTarget
from smarketing.notify import service
from tests.notify import FAILING_URL, T0, add_people, add_target, deliveries, sessions_for


def raise_alert(session: Session, user_ids: list[int], key: str = "sla-breach:1"):
    return service.notify(session, user_ids=user_ids, kind="sla_breach",
                          subject="SLA breached: first attempt for ada@example.com",
                          body="The first attempt was due 2026-03-02 10:00 (Europe/Madrid).",
                          link="/contacts/ada@example.com", dedupe_key=key, now=T0)  # fmt: skip


def count(session: Session, model: type) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_notify_creates_one_notification_per_user(session: Session) -> None:
    people = add_people(session)
    created = raise_alert(session, [people.rep_id, people.manager_id, people.rep_id])
    assert [n.user_id for n in created] == [people.rep_id, people.manager_id]
    assert created[0].dedupe_key == f"sla-breach:1:{people.rep_id}"
    assert created[0].kind == "sla_breach"
    assert created[0].created_at == T0
    assert created[0].read_at is None


def test_same_key_twice_gives_one_notification_per_user(session: Session) -> None:
    people = add_people(session)
    add_target(session, FAILING_URL, user_id=people.rep_id)
    assert len(raise_alert(session, [people.rep_id])) == 1
    assert raise_alert(session, [people.rep_id]) == []
    again = raise_alert(session, [people.rep_id, people.manager_id])
    assert [n.user_id for n in again] == [people.manager_id]
    assert count(session, Notification) == 2
    assert len(deliveries(session)) == 1
    assert len(raise_alert(session, [people.rep_id], key="sla-breach:2")) == 1


def test_user_and_team_targets_each_get_a_delivery(session: Session) -> None:
    people = add_people(session)
    mine = add_target(session, "json://rep.example.com/hook", user_id=people.rep_id)
    team = add_target(session, "json://team.example.com/hook", team_id=people.team_id)
    add_target(session, "json://solo.example.com/hook", user_id=people.loner_id)
    created = raise_alert(session, [people.rep_id, people.manager_id])
    by_notification = {
        n.id: sorted(d.target_id for d in deliveries(session) if d.notification_id == n.id)
        for n in created
    }
    assert by_notification == {created[0].id: sorted([mine, team]), created[1].id: [team]}
    for delivery in deliveries(session):
        assert (delivery.status, delivery.attempts) == ("pending", 0)
        assert delivery.next_attempt_at == T0
        assert delivery.delivered_at is None
        assert delivery.last_error is None


def test_a_user_without_targets_only_gets_the_in_app_notification(session: Session) -> None:
    people = add_people(session)
    add_target(session, "json://team.example.com/hook", team_id=people.team_id)
    assert len(raise_alert(session, [people.loner_id])) == 1
    assert deliveries(session) == []


def test_notify_an_unknown_user_creates_nothing(session: Session) -> None:
    people = add_people(session)
    with pytest.raises(NotFoundError, match="no user with id 999999"):
        raise_alert(session, [people.rep_id, 999999])
    assert count(session, Notification) == 0


def test_add_target_for_a_user_and_for_a_team(session: Session) -> None:
    people = add_people(session)
    mine = service.add_target(session, "  json://hooks.example.com/x  ",
                              user_email="REP@example.com", now=T0)  # fmt: skip
    theirs = service.add_target(session, "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
                                team_key="emea", now=T0)  # fmt: skip
    assert (mine.user_id, mine.team_id, mine.url) == (
        people.rep_id, None, "json://hooks.example.com/x")
    assert (theirs.user_id, theirs.team_id) == (None, people.team_id)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("bogus://foo", "bogus://"),
        ("slack://", "slack://"),
        ("not a url", "not a notification URL"),
        ("json://a.example.com json://b.example.com", "one json:// URL at a time"),
    ],
)
def test_add_target_rejects_urls_apprise_cannot_use(
    session: Session, url: str, message: str
) -> None:
    add_people(session)
    with pytest.raises(ValidationError, match=message):
        service.add_target(session, url, user_email="rep@example.com", now=T0)
    assert count(session, NotificationTarget) == 0


def test_add_target_error_does_not_echo_a_secret(session: Session) -> None:
    add_people(session)
    with pytest.raises(ValidationError) as caught:
        service.add_target(session, "slack://T1JJ3T3L2sEcReT99", user_email="rep@example.com",
                           now=T0)  # fmt: skip
    assert "T1JJ3T3L2sEcReT99" not in str(caught.value)


def test_add_target_needs_exactly_one_owner(session: Session) -> None:
    add_people(session)
    with pytest.raises(ValidationError, match="exactly one"):
        service.add_target(session, FAILING_URL, now=T0)
    with pytest.raises(ValidationError, match="exactly one"):
        service.add_target(session, FAILING_URL, user_email="rep@example.com", team_key="emea",
                           now=T0)  # fmt: skip
    with pytest.raises(NotFoundError, match="nobody@example.com"):
        service.add_target(session, FAILING_URL, user_email="nobody@example.com", now=T0)
    with pytest.raises(NotFoundError, match="'apac'"):
        service.add_target(session, FAILING_URL, team_key="apac", now=T0)


def test_list_targets_redacts_secrets(session: Session) -> None:
    add_people(session)
    service.add_target(session, "mailtos://alerts:s3cretPass@smtp.example.com?to=rep@example.com",
                       user_email="rep@example.com", now=T0)  # fmt: skip
    service.add_target(session, FAILING_URL, team_key="emea", now=T0)
    views = service.list_targets(session)
    assert [(v.owner, v.url) for v in views] == [
        ("user rep@example.com", "mailtos://alerts:****@smtp.example.com?to=rep@example.com"),
        ("team emea", FAILING_URL),
    ]


def test_remove_target_takes_its_deliveries_with_it(session: Session) -> None:
    people = add_people(session)
    gone = add_target(session, "json://a.example.com/x", user_id=people.rep_id)
    kept = add_target(session, "json://b.example.com/x", user_id=people.rep_id)
    raise_alert(session, [people.rep_id])
    assert service.remove_target(session, gone) == 1
    assert [d.target_id for d in deliveries(session)] == [kept]
    assert session.get(NotificationTarget, gone) is None
    with pytest.raises(NotFoundError, match=f"id {gone}"):
        service.remove_target(session, gone)


def test_unread_and_mark_read(session: Session) -> None:
    people = add_people(session)
    first = raise_alert(session, [people.rep_id], key="a")[0]
    second = raise_alert(session, [people.rep_id], key="b")[0]
    raise_alert(session, [people.manager_id], key="a")
    assert {n.id for n in service.unread(session, people.rep_id)} == {first.id, second.id}
    assert service.mark_read(session, first.id, people.rep_id, T0 + timedelta(minutes=5))
    assert not service.mark_read(session, first.id, people.rep_id, T0 + timedelta(minutes=6))
    assert [n.id for n in service.unread(session, people.rep_id)] == [second.id]
    session.expire_all()
    assert session.get(Notification, first.id).read_at == T0 + timedelta(minutes=5)
    with pytest.raises(NotFoundError):
        service.mark_read(session, first.id, people.manager_id, T0)


def test_delivery_log_lists_newest_first_with_redacted_targets(session: Session) -> None:
    people = add_people(session)
    add_target(session, "jsons://me:pa55word@hooks.example.com/x", user_id=people.rep_id)
    raise_alert(session, [people.rep_id], key="a")
    raise_alert(session, [people.rep_id], key="b")
    log = service.delivery_log(session, limit=10)
    assert [e.delivery_id for e in log] == sorted((e.delivery_id for e in log), reverse=True)
    assert log[0].target == "jsons://me:****@hooks.example.com/x"
    assert (log[0].recipient, log[0].status, log[0].attempts) == ("rep@example.com", "pending", 0)
    assert len(service.delivery_log(session, limit=1)) == 1
    with pytest.raises(ValidationError):
        service.delivery_log(session, limit=0)


def test_two_workers_raising_the_same_alert_at_once_give_one(postgres_url: str) -> None:
    """Each worker has its own connection and transaction; the UNIQUE key decides.

    PostgreSQL only: there writers really overlap (the second INSERT waits for the first
    transaction, then does nothing). SQLite has a single writer, so the same sequence is
    the one `test_same_key_twice_gives_one_notification_per_user` runs.
    """
    workspace_url = postgres_url
    with sessions_for(workspace_url) as factory, transaction(factory) as session:
        people = add_people(session)
        add_target(session, FAILING_URL, team_id=people.team_id)
    recipients = [people.rep_id, people.manager_id]
    barrier = threading.Barrier(4)
    created: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with sessions_for(workspace_url) as factory:
                barrier.wait()
                with transaction(factory) as session:
                    created.extend(n.id for n in raise_alert(session, recipients))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(created) == 2
    with sessions_for(workspace_url) as factory, transaction(factory) as session:
        assert count(session, Notification) == 2
        assert count(session, NotificationDelivery) == 2



def set_workspace_locale(session: Session, locale: str) -> None:
    from sqlalchemy import update

    from smarketing.models import Workspace

    if session.execute(select(Workspace.id)).first() is None:
        session.add(Workspace(name="Test", timezone="Europe/Madrid", currency="EUR"))
        session.flush()
    session.execute(update(Workspace).values(locale=locale))


def test_a_phrase_is_written_in_each_recipients_language(session: Session) -> None:
    """The user's own locale, else the workspace's, else English; the data as it is."""
    from sqlalchemy import update

    from smarketing.i18n.terms import Phrase
    from smarketing.models import User

    people = add_people(session)
    set_workspace_locale(session, "en")
    session.execute(update(User).where(User.id == people.rep_id).values(locale="it"))
    session.execute(update(User).where(User.id == people.manager_id).values(locale="es"))
    params = {"what": Phrase("first attempt"), "email": "ada@example.com",
              "owner": "Rita Rep", "due": "2026-03-02 10:00", "timezone": "Europe/Madrid"}
    created = service.notify(
        session, user_ids=[people.rep_id, people.manager_id, people.loner_id],
        kind="sla_breach", subject=Phrase("SLA breached: %(what)s for %(email)s", params),
        body=Phrase("The %(what)s for %(email)s, owned by %(owner)s, was due %(due)s "
                    "(%(timezone)s).", params),
        dedupe_key="sla-breach:7", now=T0)  # fmt: skip
    written = {n.user_id: (n.subject, n.body) for n in created}
    assert written[people.rep_id] == (
        "SLA violato: primo tentativo per ada@example.com",
        "Scadeva il 2026-03-02 10:00 (Europe/Madrid): primo tentativo per ada@example.com, "
        "assegnato a Rita Rep.")  # fmt: skip
    assert written[people.manager_id][0] == "SLA incumplido: primer intento de ada@example.com"
    assert written[people.loner_id] == (
        "SLA breached: first attempt for ada@example.com",
        "The first attempt for ada@example.com, owned by Rita Rep, was due 2026-03-02 10:00 "
        "(Europe/Madrid).")  # fmt: skip
    # A user without a locale of their own reads the workspace's; a plain string is kept.
    set_workspace_locale(session, "pt")
    again = service.notify(session, user_ids=[people.loner_id], kind="sla_breach",
                           subject=Phrase("SLA at risk: %(what)s for %(email)s", params),
                           body="plain text stays as it is", dedupe_key="sla-at-risk:7",
                           now=T0)  # fmt: skip
    assert (again[0].subject, again[0].body) == (
        "SLA em risco: primeira tentativa de ada@example.com", "plain text stays as it is")
    assert again[0].dedupe_key == f"sla-at-risk:7:{people.loner_id}"


@pytest.mark.parametrize(("user", "workspace", "expected"), [
    ("it", "es", "it"), (None, "es", "es"), (None, None, "en"), ("fr", "xx", "en"),
    ("pt_BR", "en", "pt")])  # fmt: skip
def test_the_language_of_a_recipient(user: str | None, workspace: str | None, expected: str
                                     ) -> None:  # fmt: skip
    assert service.recipient_locale(user, workspace) == expected
