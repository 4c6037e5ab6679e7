"""/api/v1/deals: upsert by id with the interchange rules, lookups, filters, pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from smarketing.core.database import transaction
from smarketing.models import Deal
from smarketing.quarantine.service import replay
from tests.support.api import BRUNO, LEA, MAX, NOW, Api, every_page, rejected

OPEN = {"id": "crm/77", "contact": MAX, "amount": "18400", "status": "open",
        "created_at": "2026-05-12T11:00:00+02:00", "name": "Kitchen refit"}  # fmt: skip


def test_a_deal_is_upserted_by_id(api: Api) -> None:
    created = api.post("/api/v1/deals", OPEN)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body == {
        "id": "crm/77", "name": "Kitchen refit", "contact": MAX, "contact_id": body["contact_id"],
        "amount": "18400.00", "currency": "EUR", "status": "open",
        "created_at": "2026-05-12T09:00:00Z", "closed_at": None, "owner": None,
        "product_line": None, "lost_reason": None,
    }  # fmt: skip
    assert (api.post("/api/v1/deals", OPEN).status_code, api.count(Deal)) == (200, 2)
    won = api.post("/api/v1/deals", {**OPEN, "status": "won", "owner": BRUNO,
                                     "closed_at": "2026-05-30T10:00:00Z"})  # fmt: skip
    assert won.status_code == 200
    assert (won.json()["status"], won.json()["closed_at"]) == ("won", "2026-05-30T10:00:00Z")
    assert api.get("/api/v1/deals/" + quote("crm/77", safe="")).json() == won.json()
    assert api.get("/api/v1/deals/crm/77").json() == won.json()
    assert api.get("/api/v1/deals/crm-404").status_code == 404


def test_deals_are_filtered_and_paged(api: Api) -> None:
    api.post("/api/v1/deals", OPEN)
    lost = {**OPEN, "id": "crm-2", "contact": LEA, "status": "lost",
            "closed_at": "2026-05-20T10:00:00Z", "lost_reason": "price"}  # fmt: skip
    api.post("/api/v1/deals", lost)
    items = every_page(api, "/api/v1/deals", limit=1)
    assert [d["id"] for d in items] == ["crm-1", "crm-2", "crm/77"]
    assert [d["id"] for d in every_page(api, "/api/v1/deals", status="open")] == [
        "crm-1", "crm/77"]
    assert [d["id"] for d in every_page(api, "/api/v1/deals", contact=LEA.upper())] == [
        "crm-1", "crm-2"]
    assert [d["id"] for d in every_page(api, "/api/v1/deals", status="lost",
                                        contact=LEA)] == ["crm-2"]  # fmt: skip
    bad: list[tuple[dict[str, Any], str]] = [
        ({"status": "pending"}, "status"), ({"limit": 501}, "limit"),
        ({"cursor": "eyJhZnRlciI6MX0"}, "cursor"),  # a cursor of a list keyed by ids
    ]  # fmt: skip
    for params, field in bad:
        response = api.get("/api/v1/deals", **params)
        assert response.status_code == 422
        assert response.json()["detail"].startswith(f"{field}: ")


def test_a_won_deal_without_closed_at_is_rejected_naming_closed_at(api: Api) -> None:
    response = api.post("/api/v1/deals", {**OPEN, "status": "won"})
    item = rejected(response, "closed_at", api, "deal")
    assert item.reason == "closed_at: a won deal needs closed_at"
    assert api.count(Deal) == 1


def test_rejected_deals_name_the_field(api: Api) -> None:
    for body, field in [
        ({**OPEN, "amount": "-5"}, "amount"), ({**OPEN, "status": "maybe"}, "status"),
        ({**OPEN, "created_at": "2026-05-12 11:00"}, "created_at"),
        ({k: v for k, v in OPEN.items() if k != "id"}, "id"),
        ({**OPEN, "closed_at": "2026-05-30T10:00:00Z"}, "closed_at"),
        ({**OPEN, "owner": "ghost@acme.example"}, "owner"),
        ({**OPEN, "stage": "won"}, "stage"),
        ({**OPEN, "id": "crm-1"}, "id"),  # crm-1 belongs to another contact
    ]:  # fmt: skip
        rejected(api.post("/api/v1/deals", body), field, api, "deal")
    assert api.count(Deal) == 1


def test_a_deal_of_an_unknown_contact_waits_until_the_contact_exists(api: Api) -> None:
    body = {**OPEN, "contact": "zoe@new.example"}
    item = rejected(api.post("/api/v1/deals", body), "contact", api, "deal")
    assert item.reason == "contact: unknown contact 'zoe@new.example': create it first"
    assert api.post("/api/v1/contacts", {"email": "zoe@new.example"}).status_code == 201
    with transaction(api.workspace.sessions) as session:
        assert replay(session, item.id, NOW).resolution == "deal crm/77 created"
    assert api.get("/api/v1/deals/crm/77").json()["contact"] == "zoe@new.example"


def test_a_deal_for_a_merged_address_goes_to_the_survivor(api: Api) -> None:
    lea = api.get(f"/api/v1/contacts/{LEA}").json()
    api.merged(4242, "old.lea@gmail.example", into=lea["id"])
    response = api.post("/api/v1/deals", {**OPEN, "contact": "Old.Lea@gmail.example"})
    assert response.status_code == 201
    assert (response.json()["contact"], response.json()["contact_id"]) == (LEA, lea["id"])
    listed = every_page(api, "/api/v1/deals", contact="old.lea@gmail.example")
    assert [d["id"] for d in listed] == ["crm-1", "crm/77"]
