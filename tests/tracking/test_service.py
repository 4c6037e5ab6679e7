"""Recording tracked events, stitching a visitor onto a contact, the tracking settings.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.interchange.service import import_records
from smarketing.models import (
    Activity,
    Campaign,
    Company,
    Contact,
    QuarantineItem,
    Visitor,
    VisitorEvent,
)
from smarketing.quarantine import service as quarantine
from smarketing.tracking import service
from tests.tracking.support import (
    CAMPAIGN_RECORDS,
    SITE,
    VISITOR,
    body,
    form_submit,
    page_view,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def db(session: Session) -> Session:
    """A workspace with two campaigns, an existing contact and acme.example allowed."""
    import_records(session, [
        {"type": "workspace", "name": "Acme"}, *CAMPAIGN_RECORDS,
        {"type": "contact", "email": "old@client.example", "created_at": "2026-01-05T09:00:00Z",
         "channel": "event"},
    ], now=NOW)  # fmt: skip
    service.add_domains(session, ["acme.example"], NOW)
    return session


def _visitor(db: Session, visitor_id: str = VISITOR) -> Visitor:
    visitor = db.get(Visitor, visitor_id)
    assert visitor is not None
    db.refresh(visitor)
    return visitor


def _contact(db: Session, email: str) -> Contact:
    contact = db.execute(select(Contact).where(Contact.email == email)).scalar_one()
    db.refresh(contact)
    return contact


def _activities(db: Session, contact: Contact) -> list[Activity]:
    return list(db.scalars(select(Activity).where(Activity.contact_id == contact.id)
                           .order_by(Activity.at, Activity.id)))  # fmt: skip


def _anonymous_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(VisitorEvent)) or 0


def _campaign_id(db: Session, key: str) -> int:
    return db.execute(select(Campaign.id).where(Campaign.key == key)).scalar_one()


def test_anonymous_page_views_wait_on_the_visitor_with_their_channel(db: Session) -> None:
    result = service.record_events(db, body(
        page_view("ev-00000001", f"{SITE}/?utm_medium=cpc&utm_campaign=brand-search&gclid=x"),
    ), now=NOW)  # fmt: skip
    service.record_events(db, body(page_view("ev-00000002", f"{SITE}/pricing", f"{SITE}/")),
                          now=NOW + MINUTE)  # fmt: skip

    assert [i.status for i in result.items] == ["created"]
    events = service.visitor_events(db, VISITOR)
    assert [(e.id, e.channel) for e in events] == [("ev-00000001", "paid_search"),
                                                   ("ev-00000002", "paid_search")]
    assert events[0].campaign_id == _campaign_id(db, "brand-search")
    assert events[1].properties["internal"] is True
    visitor = _visitor(db)
    assert (visitor.first_touch_channel, visitor.last_touch_channel) == ("paid_search",
                                                                         "paid_search")
    assert visitor.last_touch_url == f"{SITE}/?utm_medium=cpc&utm_campaign=brand-search&gclid=x"
    assert (visitor.first_seen_at, visitor.last_seen_at) == (NOW, NOW + MINUTE)
    assert visitor.contact_id is None


def test_first_and_last_touch_are_kept_apart(db: Session) -> None:
    service.record_events(db, body(page_view("ev-00000001", f"{SITE}/", "https://www.google.com/")),
                          now=NOW)  # fmt: skip
    service.record_events(db, body(page_view("ev-00000002", f"{SITE}/?utm_medium=email")),
                          now=NOW + MINUTE)  # fmt: skip
    service.record_events(db, body(page_view("ev-00000003", f"{SITE}/b", f"{SITE}/a")),
                          now=NOW + 2 * MINUTE)  # fmt: skip
    visitor = _visitor(db)
    assert visitor.first_touch_channel == "organic_search"
    assert visitor.first_touch_referrer == "https://www.google.com/"
    assert visitor.last_touch_channel == "email"
    assert visitor.last_touch_url == f"{SITE}/?utm_medium=email"


def test_a_form_submit_stitches_the_history_onto_a_new_lead(db: Session) -> None:
    service.record_events(db, body(page_view("ev-00000001", f"{SITE}/", "https://www.bing.com/")),
                          now=NOW)  # fmt: skip
    service.record_events(db, body(page_view(
        "ev-00000002", f"{SITE}/webinar?utm_medium=newsletter&utm_campaign=spring_webinar_2026")),
        now=NOW + MINUTE)  # fmt: skip
    service.record_events(db, body(page_view("ev-00000003", f"{SITE}/pricing",
                                             f"{SITE}/webinar")), now=NOW + 2 * MINUTE)
    result = service.record_events(db, body(form_submit(
        "ev-00000004", "Ana@Studio.example",
        {"name": "Ana Ruiz", "email": "Ana@Studio.example", "company": "Studio Ruiz",
         "password": "hunter2"})), now=NOW + 3 * MINUTE)  # fmt: skip

    assert [i.status for i in result.items] == ["created"]
    ana = _contact(db, "ana@studio.example")
    assert (ana.first_name, ana.last_name, ana.lifecycle_stage) == ("Ana", "Ruiz", "lead")
    company = db.get(Company, ana.company_id)
    assert company is not None
    assert company.name == "Studio Ruiz"
    activities = _activities(db, ana)
    assert [(a.id, a.kind, a.channel) for a in activities] == [
        ("ev-00000001", "page_view", "organic_search"),
        ("ev-00000002", "page_view", "email"),
        ("ev-00000003", "page_view", "email"),
        ("ev-00000004", "form_submit", "email"),
    ]
    assert [a.at for a in activities] == [NOW + i * MINUTE for i in range(4)]
    webinar = _campaign_id(db, "spring-webinar")
    assert [a.campaign_id for a in activities][1:] == [webinar] * 3
    assert activities[0].properties["referrer"] == "https://www.bing.com/"
    assert activities[3].properties["fields"] == {"name": "Ana Ruiz",
                                                  "email": "Ana@Studio.example",
                                                  "company": "Studio Ruiz"}  # fmt: skip
    assert (ana.first_touch_channel, ana.first_touch_campaign_id) == ("organic_search", None)
    assert (ana.last_touch_channel, ana.last_touch_campaign_id) == ("email", webinar)
    assert ana.last_touch_at == NOW + 3 * MINUTE
    assert _anonymous_count(db) == 0
    visitor = _visitor(db)
    assert (visitor.contact_id, visitor.identified_at) == (ana.id, NOW + 3 * MINUTE)


def test_an_existing_contact_keeps_its_first_touch(db: Session) -> None:
    service.record_events(db, body(page_view("ev-00000001", f"{SITE}/", "https://t.co/x")),
                          now=NOW)  # fmt: skip
    service.record_events(db, body(form_submit("ev-00000002", "old@client.example")),
                          now=NOW + MINUTE)  # fmt: skip
    old = _contact(db, "old@client.example")
    assert old.first_touch_channel == "event"
    assert old.last_touch_channel == "social"
    assert [a.id for a in _activities(db, old)] == ["ev-00000001", "ev-00000002"]


def test_events_after_identification_go_straight_to_activities(db: Session) -> None:
    service.record_events(db, body(form_submit("ev-00000001", "ana@studio.example",
                                               referrer=None)), now=NOW)  # fmt: skip
    service.record_events(db, body(page_view("ev-00000002", f"{SITE}/?utm_medium=social",
                                             "https://www.linkedin.com/")), now=NOW + MINUTE)
    ana = _contact(db, "ana@studio.example")
    assert [(a.id, a.channel) for a in _activities(db, ana)] == [
        ("ev-00000001", "direct"), ("ev-00000002", "social")]
    assert (ana.first_touch_channel, ana.last_touch_channel) == ("direct", "social")
    assert _anonymous_count(db) == 0


def test_two_devices_of_one_person_end_on_one_contact(db: Session) -> None:
    laptop, phone = "laptop-0000000001", "phone-00000000001"
    service.record_events(db, body(page_view("ev-00000001", f"{SITE}/"), visitor=laptop),
                          now=NOW)  # fmt: skip
    service.record_events(db, body(form_submit("ev-00000002", "ana@studio.example"),
                                   visitor=laptop), now=NOW + MINUTE)  # fmt: skip
    service.record_events(db, body(page_view("ev-00000003", f"{SITE}/", "https://x.com/"),
                                   visitor=phone), now=NOW + 2 * MINUTE)  # fmt: skip
    service.record_events(db, body(form_submit("ev-00000004", "ana@studio.example"),
                                   visitor=phone), now=NOW + 3 * MINUTE)  # fmt: skip
    ana = _contact(db, "ana@studio.example")
    assert [a.id for a in _activities(db, ana)] == [f"ev-0000000{i}" for i in range(1, 5)]
    assert ana.first_touch_channel == "direct"
    assert _visitor(db, phone).contact_id == _visitor(db, laptop).contact_id == ana.id


def test_a_retried_event_is_stored_once(db: Session) -> None:
    view = page_view("ev-00000001", f"{SITE}/")
    first = service.record_events(db, body(view), now=NOW)
    again = service.record_events(db, body(view, view), now=NOW + MINUTE)
    assert [i.status for i in first.items + again.items] == ["created", "duplicate",
                                                             "duplicate"]
    assert _anonymous_count(db) == 1
    submit = form_submit("ev-00000002", "ana@studio.example")
    service.record_events(db, body(submit), now=NOW + 2 * MINUTE)
    retried = service.record_events(db, body(submit, view), now=NOW + 3 * MINUTE)
    assert [i.status for i in retried.items] == ["duplicate", "duplicate"]
    assert len(_activities(db, _contact(db, "ana@studio.example"))) == 2


def test_an_id_reused_for_another_kind_is_rejected(db: Session) -> None:
    service.record_events(db, body(page_view("ev-00000001", f"{SITE}/")), now=NOW)
    result = service.record_events(db, body(form_submit("ev-00000001", "ana@studio.example")),
                                   now=NOW)  # fmt: skip
    assert result.items[0].status == "rejected"
    assert "already recorded as a page_view" in (result.items[0].reason or "")


def test_bad_events_are_quarantined_and_the_others_kept(db: Session) -> None:
    result = service.record_events(db, body(
        page_view("ev-00000001", f"{SITE}/"),
        page_view("ev-00000002", "javascript:alert(1)"),
        form_submit("ev-00000003", "not-an-email"),
        {"id": "ev-00000004", "kind": "teleport", "url": f"{SITE}/"},
        "not an object",
    ), now=NOW)  # fmt: skip
    assert [i.status for i in result.items] == ["created"] + ["rejected"] * 4
    reasons = [i.reason or "" for i in result.items]
    assert reasons[1].startswith("url:")
    assert reasons[2].startswith("email:")
    assert reasons[3].startswith("kind:")
    assert "must be a JSON object" in reasons[4]
    held = db.scalars(select(QuarantineItem).order_by(QuarantineItem.id)).all()
    assert [h.id for h in held] == [i.quarantine_id for i in result.items[1:]]
    assert {(h.kind, h.source) for h in held} == {("track_event", "track")}
    assert _anonymous_count(db) == 1


def test_a_bad_visitor_id_quarantines_its_events(db: Session) -> None:
    result = service.record_events(db, body(page_view("ev-00000001", f"{SITE}/"),
                                            visitor="x;drop"), now=NOW)  # fmt: skip
    assert result.items[0].status == "rejected"
    assert (result.items[0].reason or "").startswith("visitor:")
    assert db.scalar(select(func.count()).select_from(Visitor)) == 0


def test_a_quarantined_event_replays_after_a_fix_at_its_received_time(db: Session) -> None:
    result = service.record_events(db, body(form_submit("ev-00000001", "ana@studio")),
                                   now=NOW)  # fmt: skip
    item_id = result.items[0].quarantine_id
    assert item_id is not None
    item = quarantine.replay(db, item_id, NOW + timedelta(days=1))
    assert item.status == "open"
    assert item.reason.startswith("email:")
    fixed = {"visitor": VISITOR, "received_at": "2026-11-30T12:00:00Z",
             "event": form_submit("ev-00000001", "ana@studio.example")}  # fmt: skip
    item = quarantine.replay(db, item_id, NOW + timedelta(days=1), payload=fixed)
    assert (item.status, item.resolution) == ("replayed", "track event ev-00000001 created")
    activity = db.get(Activity, "ev-00000001")
    assert activity is not None
    assert activity.at == NOW


def test_a_utm_campaign_names_a_campaign_by_utm_value_or_key(db: Session) -> None:
    visits = [
        ("first-visitor-1", f"{SITE}/?utm_campaign=SPRING_WEBINAR_2026&utm_source=x", None),
        ("other-visitor-1", f"{SITE}/?utm_campaign=brand-search&utm_medium=cpc", None),
        ("third-visitor-1", f"{SITE}/?utm_campaign=brand-search", "https://www.google.com/"),
    ]
    for number, (visitor, url, referrer) in enumerate(visits, start=1):
        result = service.record_events(db, body(page_view(f"ev-0000000{number}", url, referrer),
                                                visitor=visitor), now=NOW)  # fmt: skip
        assert result.rejected == 0
    by_id = {e.id: e for e in db.scalars(select(VisitorEvent))}
    # `other` (tags without a known medium) takes the campaign's channel
    assert (by_id["ev-00000001"].channel, by_id["ev-00000001"].campaign_id) == (
        "email", _campaign_id(db, "spring-webinar"))
    assert (by_id["ev-00000002"].channel, by_id["ev-00000002"].campaign_id) == (
        "paid_search", _campaign_id(db, "brand-search"))
    assert by_id["ev-00000003"].channel == "organic_search"
    assert by_id["ev-00000003"].campaign_id == _campaign_id(db, "brand-search")


def test_an_unknown_utm_campaign_is_kept_in_properties(db: Session) -> None:
    result = service.record_events(db, body(
        page_view("ev-00000001", f"{SITE}/?utm_medium=email&utm_campaign=black-friday")),
        now=NOW)  # fmt: skip
    assert result.items[0].status == "created"
    event = db.get(VisitorEvent, "ev-00000001")
    assert event is not None
    assert (event.channel, event.campaign_id) == ("email", None)
    assert event.properties["utm"] == {"utm_medium": "email", "utm_campaign": "black-friday"}


def test_custom_rules_change_the_channel(db: Session) -> None:
    service.set_rules(db, [{"channel": "event", "utm_source": ["expo"]},
                           {"channel": "direct"}], NOW)  # fmt: skip
    assert service.classify_url(db, f"{SITE}/?utm_source=expo", None).channel == "event"
    assert service.current_rules(db)[1] is True
    with pytest.raises(ValidationError, match="rule 1: channel"):
        service.set_rules(db, [{"channel": "fax"}], NOW)
    assert service.reset_rules(db) is True
    assert service.current_rules(db)[1] is False
    assert service.classify_url(db, f"{SITE}/?utm_source=expo", None).channel == "other"


def test_domains_are_added_once_and_removed(db: Session) -> None:
    assert service.add_domains(db, ["https://www.shop.example/", "acme.example"],
                               NOW) == ["www.shop.example"]  # fmt: skip
    assert service.list_domains(db) == ["acme.example", "www.shop.example"]
    assert service.remove_domain(db, "ACME.example", NOW) == "acme.example"
    assert service.list_domains(db) == ["www.shop.example"]
    with pytest.raises(NotFoundError, match="not a tracking domain"):
        service.remove_domain(db, "acme.example", NOW)
    with pytest.raises(ValidationError, match="not a domain name"):
        service.add_domains(db, ["acme example"], NOW)
