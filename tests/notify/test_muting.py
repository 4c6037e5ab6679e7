"""Muting notification kinds: a person who turned a kind off gets no notification and no
delivery of it; the SLA alerts cannot be muted. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.accounts.service import set_preferences, user_by_email
from smarketing.activities.service import ingest_activities
from smarketing.core.errors import ValidationError
from smarketing.interchange.service import import_records
from smarketing.models import Notification, NotificationDelivery, User
from smarketing.notify import service
from smarketing.notify.domain import KINDS, MUTABLE_KINDS, check_mutable, is_muted
from tests.notify import FAILING_URL, T0, add_people, add_target, deliveries

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
RITA, RAUL = "rita@acme.example", "raul@acme.example"


def lead_alerts(session: Session) -> dict[str, list[str]]:
    """The lead activity notifications by recipient's e-mail."""
    rows = session.execute(
        select(User.email, Notification.subject).join(User, User.id == Notification.user_id)
        .where(Notification.kind == "lead_activity").order_by(Notification.id)
    ).all()  # fmt: skip
    found: dict[str, list[str]] = {}
    for email, subject in rows:
        found.setdefault(email, []).append(subject)
    return found


@pytest.fixture
def reps(session: Session) -> Session:
    import_records(session, [
        {"type": "user", "email": RITA, "name": "Rita Rep", "role": "sales_rep"},
        {"type": "user", "email": RAUL, "name": "Raul Rep", "role": "sales_rep"},
        {"type": "contact", "email": "lea@studio.example", "first_name": "Lea",
         "created_at": "2026-10-01T09:00:00Z", "lifecycle_stage": "mql", "owner": RITA},
        {"type": "contact", "email": "leo@studio.example", "first_name": "Leo",
         "created_at": "2026-10-01T09:00:00Z", "lifecycle_stage": "mql", "owner": RAUL},
    ], now=NOW)  # fmt: skip
    return session


def test_a_rep_who_muted_lead_activity_hears_nothing_while_another_still_does(
    reps: Session,
) -> None:
    rita = user_by_email(reps, RITA)
    target = add_target(reps, FAILING_URL, user_id=rita.id)
    set_preferences(reps, rita, mute=["lead_activity"])
    ingest_activities(reps, [
        {"id": "m1", "email": "lea@studio.example", "kind": "form_submit",
         "at": "2026-11-30T11:10:00Z"},
        {"id": "m2", "email": "leo@studio.example", "kind": "form_submit",
         "at": "2026-11-30T11:10:00Z"},
    ], source="api", now=NOW)  # fmt: skip
    assert lead_alerts(reps) == {RAUL: ["Leo (MQL) submitted a form"]}
    assert [d for d in deliveries(reps) if d.target_id == target] == []

    # Turned on again, the next activity alerts her.
    set_preferences(reps, rita, unmute=["lead_activity"])
    ingest_activities(reps, [{"id": "m3", "email": "lea@studio.example", "kind": "chat",
                              "at": "2026-11-30T11:50:00Z"}], source="api", now=NOW)  # fmt: skip
    assert lead_alerts(reps)[RITA] == ["Lea (MQL) started a chat"]
    assert len([d for d in deliveries(reps) if d.target_id == target]) == 1


def test_notify_skips_only_the_users_who_muted_that_kind(session: Session) -> None:
    people = add_people(session)
    add_target(session, FAILING_URL, team_id=people.team_id)
    rep = session.get(User, people.rep_id)
    assert rep is not None
    rep.muted_notification_kinds = ["sla_pacing"]
    created = service.notify(session, user_ids=[people.rep_id, people.manager_id],
                             kind="sla_pacing", subject="Behind MQL pace: emea", body="...",
                             dedupe_key="pacing:1", now=T0)  # fmt: skip
    assert [n.user_id for n in created] == [people.manager_id]
    assert {d.notification_id for d in deliveries(session)} == {created[0].id}
    other = service.notify(session, user_ids=[people.rep_id], kind="lead_activity",
                           subject="Lea acted", body="...", dedupe_key="lead:1", now=T0)
    assert [n.user_id for n in other] == [people.rep_id]


def test_a_muted_sla_alert_still_comes(session: Session) -> None:
    """Even written into the column by hand, an SLA alert is not muted: it enforces the SLA."""
    people = add_people(session)
    rep = session.get(User, people.rep_id)
    assert rep is not None
    rep.muted_notification_kinds = ["sla_breach", "sla_at_risk"]
    for kind in ("sla_breach", "sla_at_risk"):
        created = service.notify(session, user_ids=[people.rep_id], kind=kind, subject="SLA",
                                 body="...", dedupe_key=f"{kind}:1", now=T0)  # fmt: skip
        assert [n.user_id for n in created] == [people.rep_id]
    assert session.scalars(select(NotificationDelivery)).all() == []  # no target, in-app only


@pytest.mark.parametrize("kind", ["sla_breach", "sla_at_risk"])
def test_an_sla_alert_cannot_be_muted(reps: Session, kind: str) -> None:
    rita = user_by_email(reps, RITA)
    with pytest.raises(ValidationError, match="cannot be turned off"):
        set_preferences(reps, rita, locale="es", mute=[kind])
    with pytest.raises(ValidationError, match="cannot be turned off"):
        set_preferences(reps, rita, muted=["lead_activity", kind])
    reps.refresh(rita)
    assert (rita.locale, rita.muted_notification_kinds) == (None, [])


def test_preferences_are_checked_before_anything_is_written(reps: Session) -> None:
    rita = user_by_email(reps, RITA)
    with pytest.raises(ValidationError, match="unknown notification kind 'lead_actvity'"):
        set_preferences(reps, rita, locale="it", mute=["lead_actvity"])
    with pytest.raises(ValidationError, match="locale must be one of en, es, pt, it, auto"):
        set_preferences(reps, rita, locale="fr", mute=["lead_activity"])
    assert (rita.locale, rita.muted_notification_kinds) == (None, [])
    set_preferences(reps, rita, locale="PT", mute=["sla_pacing", "lead_activity", "sla_pacing"])
    assert (rita.locale, rita.muted_notification_kinds) == ("pt", ["lead_activity", "sla_pacing"])
    set_preferences(reps, rita, locale="auto", unmute=["sla_pacing"])
    assert (rita.locale, rita.muted_notification_kinds) == (None, ["lead_activity"])


def test_the_kinds_notify_is_called_with_are_known() -> None:
    """Every kind raised in the code is in KINDS, so the account page knows it."""
    import re
    from pathlib import Path

    source = Path(__file__).resolve().parents[2] / "src" / "smarketing"
    raised = set()
    for path in source.rglob("*.py"):
        text = path.read_text()
        if "notify(" in text:
            raised |= set(re.findall(r'kind="([a-z_]+)"', text))
    raised |= {"sla_breach", "sla_at_risk"}  # the sweeper's kind=f"sla_{kind}"
    assert raised - {"activity", "contact", "deal", "company", "campaign", "cost"} <= set(KINDS)


@pytest.mark.parametrize(
    ("kind", "muted", "expected"),
    [
        ("lead_activity", ["lead_activity"], True),
        ("lead_activity", None, False),
        ("lead_activity", [], False),
        ("sla_pacing", ["lead_activity"], False),
        ("sla_breach", ["sla_breach"], False),
        ("sla_at_risk", ["sla_at_risk"], False),
    ],
)
def test_is_muted(kind: str, muted: list[str] | None, expected: bool) -> None:
    assert is_muted(kind, muted) is expected


def test_check_mutable_orders_and_refuses() -> None:
    assert check_mutable(["sla_pacing", " lead_activity", "sla_pacing"]) == list(MUTABLE_KINDS)
    assert check_mutable([]) == []
    with pytest.raises(ValidationError, match="'sla_breach' notifications cannot be turned off"):
        check_mutable(["lead_activity", "sla_breach"])
    with pytest.raises(ValidationError, match="unknown notification kind 'nope'"):
        check_mutable(["nope"])
