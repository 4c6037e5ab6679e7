"""/api/v1/contacts: upsert, lookups (merged ones too), lists, filters and the timeline."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select

from smarketing.core.database import transaction
from smarketing.models import Contact
from tests.support.api import ANA, BRUNO, LEA, MAX, OLGA, Api, every_page, rejected


def contact_row(api: Api, email: str) -> Contact | None:
    with transaction(api.workspace.sessions) as session:
        row = session.execute(select(Contact).where(Contact.email == email)).scalar()
        if row is not None:
            session.expunge(row)
        return row


def test_a_new_email_is_created_then_updated_then_unchanged(api: Api) -> None:
    created = api.post("/api/v1/contacts", {
        "email": "  New.Person@Studio.example ", "first_name": "Nuria", "company": "studio.example",
        "campaign": "spring", "owner": BRUNO, "properties": {"budget": "20-50k"},
    })  # fmt: skip
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["email"] == "new.person@studio.example"
    assert (body["first_name"], body["company"], body["owner"]) == ("Nuria", "studio.example",
                                                                    BRUNO)  # fmt: skip
    assert body["lifecycle_stage"] == "lead"
    assert body["created_at"] == "2026-06-01T12:00:00Z"
    assert body["first_touch"] == {"channel": "event", "campaign": "spring"}

    updated = api.post("/api/v1/contacts", {"email": "new.person@studio.example",
                                            "job_title": "Architect", "lifecycle_stage": "mql",
                                            "properties": {"size": "L"}})  # fmt: skip
    assert updated.status_code == 200, updated.text
    assert updated.json()["id"] == body["id"]
    assert updated.json()["job_title"] == "Architect"
    assert updated.json()["first_name"] == "Nuria"  # fields left out are kept
    assert updated.json()["lifecycle_stage"] == "mql"
    assert updated.json()["properties"] == {"budget": "20-50k", "size": "L"}

    again = api.post("/api/v1/contacts", {"email": "new.person@studio.example",
                                          "job_title": "Architect"})  # fmt: skip
    assert again.status_code == 200
    assert again.json() == updated.json()
    assert api.get(f"/api/v1/contacts/{body['id']}").json() == updated.json()
    assert api.get("/api/v1/contacts/New.Person@studio.example").json() == updated.json()


def test_rejected_contacts_name_the_field_and_wait_in_the_quarantine(api: Api) -> None:
    before = api.count(Contact)
    cases: list[tuple[Any, str]] = [
        ([{"email": "a@b.example"}], "body"),
        ("a@b.example", "body"),
        ({"first_name": "No email"}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "a@b.example", "colour": "red"}, "colour"),
        ({"email": "a@b.example", "lifecycle_stage": "king"}, "lifecycle_stage"),
        ({"email": "a@b.example", "created_at": "2026-05-01T10:00:00"}, "created_at"),
        ({"email": "a@b.example", "persona": "astronaut"}, "persona"),
        ({"email": "a@b.example", "owner": "ghost@acme.example"}, "owner"),
    ]
    for body, field in cases:
        item = rejected(api.post("/api/v1/contacts", body), field, api, "contact")
        assert orjson.loads(item.payload) == body
    assert api.count(Contact) == before


def test_a_refused_backward_stage_leaves_the_contact_untouched(api: Api) -> None:
    response = api.post("/api/v1/contacts", {"email": LEA, "job_title": "Partner",
                                             "lifecycle_stage": "lead"})  # fmt: skip
    rejected(response, "lifecycle_stage", api, "contact")
    row = contact_row(api, LEA)
    assert row is not None
    assert (row.lifecycle_stage, row.job_title) == ("mql", None)


def test_a_malformed_owner_on_a_known_contact_is_a_422_not_a_crash(api: Api) -> None:
    response = api.post("/api/v1/contacts", {"email": LEA, "owner": "not an address"})
    assert response.status_code == 422
    assert "quarantine_id" in response.json()


def test_a_contact_is_found_by_id_and_email_and_an_unknown_one_is_404(api: Api) -> None:
    by_email = api.get(f"/api/v1/contacts/{LEA}")
    assert by_email.status_code == 200
    lea = by_email.json()
    assert lea["company"] == "studio.example"
    assert lea["persona"] == "architect"
    assert lea["owner"] == ANA
    assert lea["lifecycle_stage"] == "mql"
    assert lea["last_touch"] == {"channel": "event", "campaign": "spring",
                                 "at": "2026-05-03T09:00:00Z"}  # fmt: skip
    assert api.get(f"/api/v1/contacts/{lea['id']}").json() == lea
    for ref in ("nobody@studio.example", "999999", "99999999999999999999"):
        missing = api.get(f"/api/v1/contacts/{ref}")
        assert missing.status_code == 404
        assert missing.json()["detail"].startswith("contact: no contact")


def test_a_merged_id_or_email_answers_with_the_survivor(api: Api) -> None:
    lea = api.get(f"/api/v1/contacts/{LEA}").json()
    api.merged(4242, "old.lea@gmail.example", into=lea["id"])
    assert api.get("/api/v1/contacts/4242").json() == lea
    assert api.get("/api/v1/contacts/Old.Lea@gmail.example").json() == lea
    timeline = api.get("/api/v1/contacts/old.lea@gmail.example/timeline")
    assert timeline.json()["contact"]["email"] == LEA
    updated = api.post("/api/v1/contacts", {"email": "old.lea@gmail.example",
                                            "job_title": "Partner"})  # fmt: skip
    assert updated.status_code == 200
    assert (updated.json()["id"], updated.json()["job_title"]) == (lea["id"], "Partner")


def test_the_timeline_is_in_time_order(api: Api) -> None:
    response = api.get(f"/api/v1/contacts/{LEA}/timeline")
    assert response.status_code == 200
    body = response.json()
    assert body["contact"]["email"] == LEA
    events = [(e["at"], e["kind"], e["summary"]) for e in body["events"]]
    assert events == [
        ("2026-05-01T10:00:00Z", "stage_change", "created as lead"),
        ("2026-05-01T10:00:00Z", "owner_change", f"owner → {ANA}"),
        ("2026-05-02T09:00:00Z", "activity", "form submit"),
        ("2026-05-03T09:00:00Z", "activity", "email click"),
        ("2026-05-04T09:00:00Z", "stage_change", "lead → mql"),
        ("2026-05-05T09:00:00Z", "deal", "deal crm-1 opened"),
    ]
    assert body["events"][5]["details"] == {"amount": "1000.50 EUR", "status": "open"}
    assert api.get("/api/v1/contacts/nobody@x.example/timeline").status_code == 404


def test_every_contact_is_listed_once_across_pages(api: Api) -> None:
    for n in range(7):
        assert api.post("/api/v1/contacts", {"email": f"p{n}@page.example"}).status_code == 201
    items = every_page(api, "/api/v1/contacts", limit=3)
    ids = [item["id"] for item in items]
    assert ids == sorted(set(ids))
    assert len(ids) == 10
    first = api.get("/api/v1/contacts", limit=3).json()
    assert len(first["items"]) == 3
    assert first["next_cursor"]
    assert len(api.get("/api/v1/contacts").json()["items"]) == 10  # default limit 100


def emails(api: Api, **filters: Any) -> set[str]:
    return {item["email"] for item in every_page(api, "/api/v1/contacts", **filters)}


def test_contacts_are_filtered(api: Api) -> None:
    assert emails(api) == {LEA, MAX, OLGA}
    assert emails(api, lifecycle_stage="mql") == {LEA}
    assert emails(api, lifecycle_stage="customer") == set()
    assert emails(api, owner=BRUNO.upper()) == {MAX}
    assert emails(api, owner="ghost@acme.example") == set()
    assert emails(api, company="studio.example") == {LEA, OLGA}
    assert emails(api, campaign="search") == {MAX}
    assert emails(api, created_after="2026-05-10T10:00:00Z") == {MAX, OLGA}
    assert emails(api, created_before="2026-05-10T12:00:00+02:00") == {LEA}
    assert emails(api, company="studio.example", created_after="2026-05-02T00:00:00Z") == {OLGA}


def test_bad_list_parameters_are_422s_naming_them(api: Api) -> None:
    bad: list[tuple[dict[str, Any], str]] = [
        ({"limit": 0}, "limit"), ({"limit": 501}, "limit"), ({"limit": "many"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"), ({"lifecycle_stage": "king"}, "lifecycle_stage"),
        ({"created_after": "2026-05-01"}, "created_after"),
        ({"created_before": "yesterday"}, "created_before"),
    ]  # fmt: skip
    for params, field in bad:
        response = api.get("/api/v1/contacts", **params)
        assert response.status_code == 422, params
        assert field in response.json()["detail"].split(":")[0], response.json()
