"""Clocks from imported facts, and the sweeper acting on each breach exactly once."""

import threading
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smarketing.core.database import make_engine, make_session_factory, transaction
from smarketing.followup.service import log_attempt
from smarketing.interchange.service import import_records
from smarketing.models import Contact, Notification, OwnerChange, SlaClock, User
from smarketing.sla.sweeper import sweep
from tests.sla.scenario import MADRID, base, handed_off_lead


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MADRID)


ASSIGNED = "2026-10-09 17:59"  # due Tue 13 Oct 17:59 (Mon 12 Oct is a holiday)


def first_attempt_clock(session: Session, email: str) -> SlaClock:
    return session.execute(
        select(SlaClock).join(Contact, Contact.id == SlaClock.contact_id)
        .where(Contact.email == email, SlaClock.kind == "first_attempt")
    ).scalar_one()  # fmt: skip


def test_imported_history_gets_clocks_without_alerting_the_past(session: Session) -> None:
    report = import_records(session, [*base(), *handed_off_lead("a@x.es", ASSIGNED)],
                            now=at("2026-11-01 12:00"))  # fmt: skip
    assert report.rejected == 0
    clock = first_attempt_clock(session, "a@x.es")
    assert clock.due_at == at("2026-10-13 17:59")
    assert clock.state == "breached"
    assert clock.breach_handled_at is not None  # history: no alert
    assert sweep(session, at("2026-11-01 12:00")).breached == 0


def test_a_live_breach_is_noticed_and_notified_once(session: Session) -> None:
    import_records(session, [*base(), *handed_off_lead("a@x.es", ASSIGNED)],
                   now=at("2026-10-13 09:00"))  # fmt: skip
    assert first_attempt_clock(session, "a@x.es").state == "on_track"
    at_risk = sweep(session, at("2026-10-13 16:00"))  # 6 of 8 business hours gone
    assert (at_risk.at_risk, at_risk.breached) == (1, 0)
    assert sweep(session, at("2026-10-13 17:58")).breached == 0
    first = sweep(session, at("2026-10-13 17:59:30"))
    again = sweep(session, at("2026-10-13 18:30"))
    assert (first.breached, again.breached) == (1, 0)
    subjects = session.scalars(select(Notification.subject).order_by(Notification.id)).all()
    assert subjects.count("SLA breached: first attempt for a@x.es") == 2  # rep and manager
    assert subjects.count("SLA at risk: first attempt for a@x.es") == 1  # rep only


def test_a_spanish_manager_reads_the_breach_in_spanish(session: Session) -> None:
    """Each recipient gets the alert in their own language: the rep keeps English."""
    records = [{**r, "locale": "es"} if r.get("email") == "boss@t.example" else r
               for r in base()]  # fmt: skip
    import_records(session, [*records, *handed_off_lead("a@x.es", ASSIGNED)],
                   now=at("2026-10-13 09:00"))  # fmt: skip
    assert sweep(session, at("2026-10-13 18:00")).breached == 1
    alerts = session.execute(
        select(User.email, Notification.subject, Notification.body)
        .join(User, User.id == Notification.user_id).where(Notification.kind == "sla_breach")
    ).all()  # fmt: skip
    assert sorted(tuple(a) for a in alerts) == [
        ("boss@t.example", "SLA incumplido: primer intento de a@x.es",
         "Vencía el 2026-10-13 17:59 (Europe/Madrid): primer intento de a@x.es, "
         "a cargo de Rep One."),
        ("rep@t.example", "SLA breached: first attempt for a@x.es",
         "The first attempt for a@x.es, owned by Rep One, was due 2026-10-13 17:59 "
         "(Europe/Madrid)."),
    ]  # fmt: skip


def test_an_attempt_logged_late_makes_the_clock_late_and_alerts_once(session: Session) -> None:
    import_records(session, [*base(), *handed_off_lead("a@x.es", ASSIGNED)],
                   now=at("2026-10-13 09:00"))  # fmt: skip
    log_attempt(session, contact="a@x.es", by="rep@t.example", kind="call",
                at=at("2026-10-14 10:00"), now=at("2026-10-14 10:00"))  # fmt: skip
    clock = first_attempt_clock(session, "a@x.es")
    assert (clock.state, clock.met_at) == ("breached", at("2026-10-14 10:00"))
    assert sweep(session, at("2026-10-14 10:01")).breached == 1
    assert sweep(session, at("2026-10-14 10:02")).breached == 0


def test_a_handled_breach_is_never_alerted_again_after_a_recheck(session: Session) -> None:
    import_records(session, [*base(), *handed_off_lead("a@x.es", ASSIGNED)],
                   now=at("2026-10-13 09:00"))  # fmt: skip
    assert sweep(session, at("2026-10-13 18:00")).breached == 1
    handled_at = first_attempt_clock(session, "a@x.es").breach_handled_at
    assert handled_at == at("2026-10-13 18:00")
    # A new SLA version gives 16 business hours: the clock is recomputed, open again and
    # looked at anew, now due Wed 14 Oct 17:59.
    longer = {**base({"first_attempt_within_hours": 16})[-1], "version": 2}
    import_records(session, [longer], now=at("2026-10-13 18:30"))
    session.expire_all()
    rechecked = first_attempt_clock(session, "a@x.es")
    assert (rechecked.state, rechecked.due_at) == ("on_track", at("2026-10-14 17:59"))
    assert rechecked.next_check_at is not None

    second = sweep(session, at("2026-10-14 18:00"))
    assert (second.examined, second.breached) == (1, 0)
    session.expire_all()
    assert first_attempt_clock(session, "a@x.es").breach_handled_at == handled_at
    breach_alerts = session.scalars(
        select(Notification.id).where(Notification.kind == "sla_breach")).all()  # fmt: skip
    assert len(breach_alerts) == 2  # the rep and the manager, from the first sweep only


def test_reassign_on_breach_moves_the_lead_and_restarts_the_clock(session: Session) -> None:
    sales = {"first_attempt_within_hours": 8, "reassign_on_breach": True}
    import_records(session, [*base(sales), *handed_off_lead("a@x.es", ASSIGNED)],
                   now=at("2026-10-13 09:00"))  # fmt: skip
    stats = sweep(session, at("2026-10-13 18:00"))
    assert (stats.breached, stats.reassigned) == (1, 1)
    change = session.execute(select(OwnerChange).order_by(OwnerChange.id.desc())).scalars().first()
    assert change is not None
    assert change.reason == "SLA breach: first attempt missed by rep@t.example"
    clocks = session.execute(
        select(SlaClock.owner_id, SlaClock.started_at, SlaClock.state).order_by(SlaClock.id)
    ).all()
    assert len(clocks) == 2
    assert clocks[1].started_at == at("2026-10-13 18:00")
    assert clocks[1].state == "on_track"


def test_two_workers_sweeping_at_once_alert_once(postgres_url: str) -> None:
    """PostgreSQL: SKIP LOCKED plus conditional updates; every breach is handled once."""
    engine = make_engine(postgres_url)
    sessions = make_session_factory(engine)
    leads = [f"lead{i}@x.es" for i in range(60)]
    records = [*base()]
    for email in leads:
        records += handed_off_lead(email, ASSIGNED)
    with transaction(sessions) as session:
        import_records(session, records, now=at("2026-10-13 09:00"))
    totals: list[int] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        barrier.wait()
        breached = 0
        for _ in range(5):
            with transaction(sessions) as session:
                breached += sweep(session, at("2026-10-13 18:00"), limit=7).breached
        totals.append(breached)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with transaction(sessions) as session:
        breached_rows = session.scalar(
            select(func.count()).select_from(SlaClock).where(SlaClock.state == "breached"))
        notes = session.scalar(select(func.count()).select_from(Notification))
        leftover = sweep(session, at("2026-10-13 18:00")).breached
    engine.dispose()
    assert sum(totals) + leftover == len(leads)
    assert breached_rows == len(leads)
    assert notes == 2 * len(leads)  # the rep and the manager, once per lead


def test_behind_pace_alerts_marketing_once_a_day(session: Session) -> None:
    from smarketing.sla.report_service import alert_behind_pace

    records = [*base(), {"type": "user", "email": "mkt@t.example", "name": "Mkt",
                         "role": "marketing"}]  # fmt: skip
    # target 10 MQLs per rep this month; by 25 November only one was handed off to rep@
    records += handed_off_lead("a@x.es", "2026-11-02 10:00")
    import_records(session, records, now=at("2026-11-25 12:00"))
    now = at("2026-11-25 12:00")
    raised = alert_behind_pace(session, now)
    subjects = set(session.scalars(select(Notification.subject)))
    assert "Behind MQL pace: rep@t.example" in subjects
    assert "Behind MQL pace: rep2@t.example" in subjects
    assert raised >= 2
    assert alert_behind_pace(session, at("2026-11-25 18:00")) == 0  # same day: no repeat
