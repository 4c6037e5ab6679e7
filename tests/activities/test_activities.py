"""Activity ingestion: ids, duplicates, per-item rejection into the quarantine, touches,
merged contacts. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smarketing.activities.service import ingest_activities
from smarketing.core.database import make_engine, make_session_factory, transaction
from smarketing.core.errors import ValidationError
from smarketing.interchange.service import import_records
from smarketing.models import Activity, Contact, LifecycleChange, MergedContact, QuarantineItem
from smarketing.quarantine import service as quarantine

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def workspace(session: Session) -> Session:
    import_records(session, [
        {"type": "campaign", "key": "spring-webinar", "name": "Spring webinar",
         "channel": "email"},
        {"type": "contact", "email": "ana@studio.example", "created_at": "2026-10-01T09:00:00Z"},
    ], now=NOW)  # fmt: skip
    return session


def _contact(session: Session, email: str) -> Contact:
    return session.execute(select(Contact).where(Contact.email == email)).scalar_one()


def _activity_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Activity)) or 0


def test_batch_stores_valid_items_and_quarantines_each_bad_one(workspace: Session) -> None:
    items = [
        {"id": "a1", "email": "ana@studio.example", "kind": "page_view",
         "at": "2026-11-01T10:00:00Z", "channel": "organic_search"},
        {"id": "a2", "email": "not-an-email", "kind": "page_view"},
        {"id": "a3", "email": "ana@studio.example", "kind": "form_submit",
         "campaign": "no-such-campaign"},
        "a string, not an object",
        {"id": "a5", "email": "ana@studio.example", "kind": "teleport"},
        {"id": "a6", "email": "ana@studio.example", "kind": "email_click",
         "at": "2026-11-02T10:00:00Z", "campaign": "spring-webinar"},
    ]
    result = ingest_activities(workspace, items, source="api", now=NOW)

    assert [i.status for i in result.items] == [
        "created", "rejected", "rejected", "rejected", "rejected", "created"]
    reasons = [i.reason or "" for i in result.items]
    assert reasons[1].startswith("email:")
    assert "unknown campaign 'no-such-campaign'" in reasons[2]
    assert "must be a JSON object" in reasons[3]
    assert reasons[4].startswith("kind:")
    assert _activity_count(workspace) == 2
    held = workspace.scalars(select(QuarantineItem).order_by(QuarantineItem.id)).all()
    assert [h.id for h in held] == [i.quarantine_id for i in result.items if i.quarantine_id]
    assert len(held) == 4
    assert all(h.kind == "activity" and h.source == "api" for h in held)
    ana = _contact(workspace, "ana@studio.example")
    assert ana.first_touch_channel == "organic_search"
    assert (ana.last_touch_channel, ana.last_touch_at) == ("email", datetime(2026, 11, 2, 10,
                                                                             tzinfo=UTC))


def test_replay_is_acknowledged_without_a_second_record(workspace: Session) -> None:
    item = {"id": "x1", "email": "ana@studio.example", "kind": "page_view",
            "at": "2026-11-01T10:00:00Z"}
    first = ingest_activities(workspace, [item], source="api", now=NOW)
    again = ingest_activities(workspace, [item, item], source="api", now=NOW)
    assert first.items[0].status == "created"
    assert [i.status for i in again.items] == ["duplicate", "duplicate"]
    assert _activity_count(workspace) == 1


def test_same_id_with_other_facts_is_rejected(workspace: Session) -> None:
    ingest_activities(workspace, [{"id": "x1", "email": "ana@studio.example",
                                   "kind": "page_view", "at": "2026-11-01T10:00:00Z"}],
                      source="api", now=NOW)  # fmt: skip
    clash = ingest_activities(workspace, [{"id": "x1", "email": "ana@studio.example",
                                           "kind": "form_submit", "at": "2026-11-01T10:00:00Z"}],
                              source="api", now=NOW)  # fmt: skip
    assert clash.items[0].status == "rejected"
    assert "already recorded" in (clash.items[0].reason or "")


RESENT = {"id": "x1", "email": "ana@studio.example", "kind": "page_view",
          "at": "2026-11-01T10:00:00Z"}
#: One fact changed at a time: each makes the resend another activity under a known id.
CLASHES = {
    "another time": {"at": "2026-11-01T10:00:01Z"},
    "another contact": {"email": "bo@studio.example"},
    "another kind": {"kind": "email_open"},
}


@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
@pytest.mark.parametrize("changed", CLASHES.values(), ids=CLASHES.keys())
def test_a_resend_with_one_fact_changed_is_a_clash_not_a_duplicate(
    workspace: Session, changed: dict[str, str], batch: bool
) -> None:
    first = ingest_activities(workspace, [RESENT], source="api", now=NOW, batch=batch)
    clash = ingest_activities(workspace, [{**RESENT, **changed}], source="api", now=NOW,
                              batch=batch)  # fmt: skip
    assert first.items[0].status == "created"
    assert clash.items[0].status == "rejected"
    assert "already recorded with another contact, kind or time" in (clash.items[0].reason or "")
    stored = workspace.execute(select(Activity.kind, Activity.at)).one()
    assert stored == ("page_view", datetime(2026, 11, 1, 10, tzinfo=UTC))


@pytest.mark.parametrize("changed", CLASHES.values(), ids=CLASHES.keys())
def test_a_repeat_with_one_fact_changed_inside_one_batch_is_a_clash(
    workspace: Session, changed: dict[str, str]
) -> None:
    result = ingest_activities(workspace, [RESENT, RESENT, {**RESENT, **changed}], source="api",
                               now=NOW)  # fmt: skip
    assert [i.status for i in result.items] == ["created", "duplicate", "rejected"]
    assert _activity_count(workspace) == 1


def test_an_id_repeated_inside_one_new_batch_is_stored_once(workspace: Session) -> None:
    item = {"id": "x1", "email": "ana@studio.example", "kind": "page_view",
            "at": "2026-11-01T10:00:00Z"}
    other = {**item, "kind": "email_open"}
    result = ingest_activities(workspace, [item, item, other], source="api", now=NOW)
    assert [i.status for i in result.items] == ["created", "duplicate", "rejected"]
    assert "already recorded" in (result.items[2].reason or "")
    assert _activity_count(workspace) == 1


def test_known_and_new_ids_mix_across_insert_chunks(workspace: Session) -> None:
    def item(n: int, kind: str = "page_view") -> dict[str, str]:
        return {"id": f"m{n}", "email": f"p{n % 7}@studio.example", "kind": kind,
                "at": f"2026-11-01T10:{n % 60:02d}:00Z"}

    ingest_activities(workspace, [item(n) for n in range(0, 1200, 3)], source="api", now=NOW)
    batch = [item(n, "email_open" if n == 600 else "page_view") for n in range(1000)]
    result = ingest_activities(workspace, batch, source="api", now=NOW)
    expected = ["rejected" if n == 600 else "duplicate" if n % 3 == 0 else "created"
                for n in range(1000)]
    assert [i.status for i in result.items] == expected
    assert _activity_count(workspace) == 400 + expected.count("created")


def test_a_nul_character_in_text_is_rejected_by_name(workspace: Session) -> None:
    item = {"id": "n1", "email": "ana@studio.example", "kind": "page_view",
            "at": "2026-11-01T10:00:00Z", "content": "Guide\x00 2027"}
    result = ingest_activities(workspace, [item, {**item, "id": "n2", "content": "Guide"}],
                               source="api", now=NOW)  # fmt: skip
    assert [i.status for i in result.items] == ["rejected", "created"]
    assert (result.items[0].reason or "").startswith("content: contains a NUL character")


def test_idempotency_key_gives_ids(workspace: Session) -> None:
    items = [{"email": "ana@studio.example", "kind": "page_view", "at": "2026-11-01T10:00:00Z"},
             {"email": "ana@studio.example", "kind": "page_view", "at": "2026-11-01T11:00:00Z"}]
    result = ingest_activities(workspace, items, source="api", now=NOW, idempotency_key="k-7")
    assert [i.id for i in result.items] == ["k-7:0", "k-7:1"]
    single = ingest_activities(workspace, items[:1], source="api", now=NOW,
                               idempotency_key="k-8", batch=False)  # fmt: skip
    assert single.items[0].id == "k-8"
    missing = ingest_activities(workspace, items[:1], source="api", now=NOW)
    assert "Idempotency-Key" in (missing.items[0].reason or "")


def test_unknown_email_creates_a_lead_after_a_form(workspace: Session) -> None:
    result = ingest_activities(workspace, [
        {"id": "f1", "email": "New@Person.example", "kind": "form_submit",
         "at": "2026-11-03T10:00:00Z", "campaign": "spring-webinar"},
        {"id": "o1", "email": "reader@person.example", "kind": "email_open"},
    ], source="api", now=NOW)  # fmt: skip
    assert [i.status for i in result.items] == ["created", "created"]
    person = _contact(workspace, "new@person.example")
    assert person.lifecycle_stage == "lead"
    assert person.first_touch_channel == "email"
    assert _contact(workspace, "reader@person.example").lifecycle_stage == "subscriber"
    history = workspace.scalars(select(LifecycleChange.to_stage)
                                .where(LifecycleChange.contact_id == person.id)).all()
    assert history == ["lead"]


def test_events_for_a_merged_contact_reach_the_survivor(workspace: Session) -> None:
    ana = _contact(workspace, "ana@studio.example")
    workspace.add(MergedContact(merged_contact_id=999, merged_email="old@studio.example",
                                survivor_id=ana.id, merged_at=NOW, merged_by="admin"))
    result = ingest_activities(workspace, [
        {"id": "m1", "email": "old@studio.example", "kind": "page_view"},
        {"id": "m2", "contact_id": 999, "kind": "page_view"},
        {"id": "m3", "contact_id": 123456, "kind": "page_view"},
    ], source="api", now=NOW)  # fmt: skip
    assert [i.contact_id for i in result.items[:2]] == [ana.id, ana.id]
    assert result.items[2].status == "rejected"
    assert workspace.scalar(select(func.count()).select_from(Contact)
                            .where(Contact.email == "old@studio.example")) == 0


def test_quarantined_item_replays_after_the_fix(workspace: Session) -> None:
    result = ingest_activities(workspace, [
        {"id": "q1", "email": "ana@studio.example", "kind": "form_submit",
         "campaign": "autumn-fair"}], source="api", now=NOW)  # fmt: skip
    item_id = result.items[0].quarantine_id
    assert item_id is not None
    still_bad = quarantine.replay(workspace, item_id, NOW)
    assert still_bad.status == "open"
    assert still_bad.attempts == 2
    import_records(workspace, [{"type": "campaign", "key": "autumn-fair", "name": "Autumn fair",
                                "channel": "event"}], now=NOW)  # fmt: skip
    fixed = quarantine.replay(workspace, item_id, NOW.replace(hour=15))
    assert (fixed.status, fixed.resolution) == ("replayed", "activity q1 created")
    stored = workspace.get(Activity, "q1")
    assert stored is not None
    assert stored.at == NOW, "a replay keeps the time the item arrived, not the time of the fix"
    with pytest.raises(ValidationError, match="not open"):
        quarantine.replay(workspace, item_id, NOW)


def test_replay_with_a_corrected_payload(workspace: Session) -> None:
    result = ingest_activities(workspace, [{"id": "q2", "email": "bad", "kind": "page_view"}],
                               source="api", now=NOW)  # fmt: skip
    item_id = result.items[0].quarantine_id
    assert item_id is not None
    fixed = quarantine.replay(workspace, item_id, NOW, payload={
        "id": "q2", "email": "ana@studio.example", "kind": "page_view"})
    assert fixed.status == "replayed"
    assert workspace.get(Activity, "q2") is not None


def test_stored_rows_read_back_exactly(workspace: Session) -> None:
    at = datetime(2026, 11, 1, 10, 0, 0, 123456, tzinfo=UTC)
    ingest_activities(workspace, [
        {"id": "r1", "email": "ana@studio.example", "kind": "content_download",
         "at": "2026-11-01T11:00:00.123456+01:00", "url": "https://acme.example/x",
         "content": "Catálogo 2027", "properties": {"n": 1, "tags": ["a", "ñ"], "big": 2**62}},
    ], source="api", now=NOW)  # fmt: skip
    workspace.expire_all()
    stored = workspace.get(Activity, "r1")
    assert stored is not None
    assert (stored.at, stored.content, stored.url) == (at, "Catálogo 2027",
                                                       "https://acme.example/x")
    assert stored.properties == {"n": 1, "tags": ["a", "ñ"], "big": 2**62}
    assert _contact(workspace, "ana@studio.example").last_touch_at == at


def test_timeline_shows_the_campaign_channel_of_an_activity_without_one(
    workspace: Session,
) -> None:
    from smarketing.contacts.story import contact_story

    ingest_activities(workspace, [{"id": "t1", "email": "ana@studio.example",
                                   "kind": "email_click", "campaign": "spring-webinar"}],
                      source="api", now=NOW)  # fmt: skip
    story = contact_story(workspace, "ana@studio.example", NOW)
    clicks = [e for e in story.timeline if e.kind == "activity"]
    assert [(e.summary, e.details["channel"], e.details["campaign"]) for e in clicks] == [
        ("email click", "email", "Spring webinar")]


def test_the_owner_hears_when_their_lead_acts(workspace: Session) -> None:
    from smarketing.models import Notification

    import_records(workspace, [
        {"type": "user", "email": "rep@acme.example", "name": "Rita Rep", "role": "sales_rep"},
        {"type": "contact", "email": "lead@studio.example", "first_name": "Lea",
         "created_at": "2026-10-01T09:00:00Z", "lifecycle_stage": "mql",
         "owner": "rep@acme.example"},
    ], now=NOW)  # fmt: skip
    recent, old = "2026-11-30T11:10:00Z", "2026-11-01T10:00:00Z"
    ingest_activities(workspace, [
        {"id": "n1", "email": "lead@studio.example", "kind": "content_download", "at": recent,
         "content": "Kitchen guide 2027"},
        {"id": "n2", "email": "lead@studio.example", "kind": "form_submit",
         "at": "2026-11-30T11:20:00Z"},
        {"id": "n3", "email": "lead@studio.example", "kind": "form_submit", "at": old},
        {"id": "n4", "email": "ana@studio.example", "kind": "form_submit", "at": recent},
        {"id": "n5", "email": "lead@studio.example", "kind": "page_view",
         "at": "2026-11-30T11:30:00Z"},
    ], source="api", now=NOW)  # fmt: skip
    ingest_activities(workspace, [{"id": "n6", "email": "lead@studio.example",
                                   "kind": "chat", "at": "2026-11-30T11:40:00Z"}],
                      source="api", now=NOW)  # fmt: skip
    alerts = workspace.scalars(select(Notification).where(Notification.kind == "lead_activity")
                               ).all()  # fmt: skip
    assert [a.subject for a in alerts] == ["Lea (MQL) submitted a form"]
    assert alerts[0].link == "/contacts/lead%40studio.example"


def test_an_italian_rep_hears_of_the_lead_in_italian(workspace: Session) -> None:
    """The alert is written in the owner's own locale; names and titles stay as they are."""
    from smarketing.models import Notification

    import_records(workspace, [
        {"type": "user", "email": "rita@acme.example", "name": "Rita", "role": "sales_rep",
         "locale": "it"},
        {"type": "user", "email": "ed@acme.example", "name": "Ed", "role": "sales_rep"},
        {"type": "contact", "email": "lea@studio.example", "first_name": "Lea",
         "created_at": "2026-10-01T09:00:00Z", "lifecycle_stage": "opportunity",
         "owner": "rita@acme.example"},
        {"type": "contact", "email": "tom@studio.example", "first_name": "Tom",
         "created_at": "2026-10-01T09:00:00Z", "lifecycle_stage": "lead",
         "owner": "ed@acme.example"},
    ], now=NOW)  # fmt: skip
    ingest_activities(workspace, [
        {"id": "i1", "email": "lea@studio.example", "kind": "content_download",
         "at": "2026-11-30T11:10:00Z", "content": "Kitchen guide 2027"},
        {"id": "i2", "email": "tom@studio.example", "kind": "chat", "at": "2026-11-30T11:10:00Z"},
    ], source="api", now=NOW)  # fmt: skip
    alerts = workspace.scalars(select(Notification).where(Notification.kind == "lead_activity")
                               .order_by(Notification.id)).all()  # fmt: skip
    assert [(a.subject, a.body) for a in alerts] == [
        ("Lea (Opportunità) ha scaricato un contenuto",
         "Lea <lea@studio.example> ha scaricato un contenuto: Kitchen guide 2027."),
        ("Tom (Lead) started a chat", "Tom <tom@studio.example> started a chat."),
    ]  # fmt: skip


def test_concurrent_batches_over_the_same_contacts_all_commit(postgres_url: str) -> None:
    """PostgreSQL writers overlap: four batches touch the same 60 contacts, two in each
    order, at once. Their row locks are taken in contact order, so none deadlocks."""
    engine = make_engine(postgres_url)
    sessions = make_session_factory(engine)
    emails = [f"p{n}@studio.example" for n in range(60)]
    with transaction(sessions) as session:
        ingest_activities(session, [{"id": f"seed-{e}", "email": e, "kind": "page_view",
                                     "at": "2026-11-01T09:00:00Z"} for e in emails],
                          source="api", now=NOW)  # fmt: skip
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker(run: int) -> None:
        order = emails if run % 2 else emails[::-1]
        items = [{"id": f"w{run}-{e}", "email": e, "kind": "page_view",
                  "at": f"2026-11-01T10:{run:02d}:00Z", "channel": "direct"} for e in order]
        try:
            barrier.wait()
            with transaction(sessions) as session:
                ingest_activities(session, items, source="api", now=NOW)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(run,)) for run in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Activity)) == 60 * 5
        last = session.scalars(select(Contact.last_touch_at).distinct()).all()
        assert last == [datetime(2026, 11, 1, 10, 3, tzinfo=UTC)]
    engine.dispose()


# -- resends without `at`, and a leap day (issue 10) ----------------------------------


@pytest.mark.parametrize("batch", [True, False])
def test_a_resend_without_at_is_a_duplicate(workspace: Session, batch: bool) -> None:
    item = {"id": "no-time", "email": "ana@studio.example", "kind": "page_view"}
    first = ingest_activities(workspace, [item], source="api", now=NOW, batch=batch)
    later = datetime(2026, 11, 30, 12, 5, tzinfo=UTC)
    again = ingest_activities(workspace, [item], source="api", now=later, batch=batch)

    assert [i.status for i in first.items] == ["created"]
    assert [i.status for i in again.items] == ["duplicate"]
    assert _activity_count(workspace) == 1
    assert workspace.scalar(select(func.count()).select_from(QuarantineItem)) == 0


def test_a_resend_by_idempotency_key_without_at_is_a_duplicate(workspace: Session) -> None:
    items = [{"email": "ana@studio.example", "kind": "page_view"},
             {"email": "ana@studio.example", "kind": "email_open"}]
    first = ingest_activities(workspace, items, source="api", now=NOW, idempotency_key="k1")
    later = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    again = ingest_activities(workspace, items, source="api", now=later, idempotency_key="k1")

    assert [i.status for i in first.items] == ["created", "created"]
    assert [i.status for i in again.items] == ["duplicate", "duplicate"]


def test_a_resend_without_at_of_another_kind_is_still_a_clash(workspace: Session) -> None:
    ingest_activities(workspace, [{"id": "x", "email": "ana@studio.example",
                                   "kind": "page_view"}], source="api", now=NOW)  # fmt: skip
    again = ingest_activities(workspace, [{"id": "x", "email": "ana@studio.example",
                                           "kind": "form_submit"}], source="api", now=NOW)

    assert again.items[0].status == "rejected"
    assert "already recorded with another contact, kind or time" in (again.items[0].reason or "")


def test_a_resend_with_another_at_is_a_clash(workspace: Session) -> None:
    item = {"id": "timed", "email": "ana@studio.example", "kind": "page_view",
            "at": "2026-11-01T10:00:00Z"}
    ingest_activities(workspace, [item], source="api", now=NOW)
    again = ingest_activities(workspace, [{**item, "at": "2026-11-01T10:00:01Z"}],
                              source="api", now=NOW)  # fmt: skip

    assert again.items[0].status == "rejected"


def test_activities_are_taken_on_a_leap_day(workspace: Session) -> None:
    leap_day = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)
    items = [{"id": "leap", "email": "ana@studio.example", "kind": "page_view",
              "at": "2028-02-29T11:00:00Z"},
             {"id": "far", "email": "ana@studio.example", "kind": "page_view",
              "at": "2029-03-01T00:00:00Z"}]
    result = ingest_activities(workspace, items, source="api", now=leap_day)

    assert [i.status for i in result.items] == ["created", "rejected"]
    assert "more than a year in the future" in (result.items[1].reason or "")


def test_an_integer_beyond_64_bits_is_refused_not_rounded(workspace: Session) -> None:
    result = ingest_activities(workspace, [
        {"id": "huge", "email": "ana@studio.example", "kind": "page_view",
         "properties": {"order": {"total": 2**70}}},
    ], source="api", now=NOW)  # fmt: skip

    assert result.items[0].status == "rejected"
    assert result.items[0].reason == (
        f"properties: order.total: {2**70} does not fit in 64 bits; send it as a string")
    held = quarantine.get_item(workspace, result.items[0].quarantine_id or 0)
    assert str(2**70) in held.payload
