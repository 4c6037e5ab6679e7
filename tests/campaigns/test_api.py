"""/api/v1/campaigns and their costs: upserts, pages, the cost line as its own identity."""

from __future__ import annotations

import orjson

from smarketing.core.database import transaction
from smarketing.models import Campaign, CostEntry
from smarketing.quarantine.service import replay
from tests.support.api import NOW, Api, every_page, rejected

FALL = {"key": "fall", "name": "Fall fair", "channel": "event", "product_line": "kitchens",
        "cost": 1500.5, "starts_on": "2026-09-01", "ends_on": "2026-09-30"}  # fmt: skip


def test_a_campaign_is_upserted_by_key(api: Api) -> None:
    created = api.post("/api/v1/campaigns", FALL)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body == {
        "id": body["id"], "key": "fall", "name": "Fall fair", "channel": "event",
        "product_line": "kitchens", "cost": "1500.50", "currency": "EUR",
        "starts_on": "2026-09-01", "ends_on": "2026-09-30", "utm_source": None,
        "utm_medium": None, "utm_campaign": None,
    }  # fmt: skip
    assert (api.post("/api/v1/campaigns", FALL).status_code, api.count(Campaign)) == (200, 3)
    renamed = api.post("/api/v1/campaigns", {**FALL, "name": "Fall fair 2026",
                                             "currency": "usd"})  # fmt: skip
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["currency"]) == ("Fall fair 2026", "USD")
    assert api.get("/api/v1/campaigns/fall").json() == renamed.json()
    assert api.get("/api/v1/campaigns/winter").status_code == 404


def test_every_campaign_is_listed_once_across_pages(api: Api) -> None:
    for n in range(3):
        api.post("/api/v1/campaigns", {"key": f"k{n}", "name": f"K{n}", "channel": "email"})
    items = every_page(api, "/api/v1/campaigns", limit=1)
    assert [c["key"] for c in items] == ["spring", "search", "k0", "k1", "k2"]


def test_rejected_campaigns_name_the_field(api: Api) -> None:
    for body, field in [
        ({"key": "x", "name": "X", "channel": "telepathy"}, "channel"),
        ({"key": "x", "channel": "email"}, "name"),
        ({"key": "x", "name": "X", "channel": "email", "cost": "1.234"}, "cost"),
        ({"key": "x", "name": "X", "channel": "email", "starts_on": "2026-09-02",
          "ends_on": "2026-09-01"}, "ends_on"),
        ({"key": "x", "name": "X", "channel": "email", "product_line": "boats"},
         "product_line"),
        ({"key": "x", "name": "X", "channel": "email", "budget": 3}, "budget"),
    ]:  # fmt: skip
        item = rejected(api.post("/api/v1/campaigns", body), field, api, "campaign")
        assert orjson.loads(item.payload) == body
    assert api.count(Campaign) == 2


def test_sending_a_cost_line_again_changes_nothing(api: Api) -> None:
    line = {"on": "2026-05-04", "amount": "420", "note": "LinkedIn ads"}
    first = api.post("/api/v1/campaigns/spring/costs", line)
    assert first.status_code == 201, first.text
    assert first.json() == {
        "id": first.json()["id"], "campaign": "spring", "on": "2026-05-04", "amount": "420.00",
        "currency": "EUR", "note": "LinkedIn ads",
    }  # fmt: skip
    again = api.post("/api/v1/campaigns/spring/costs", {**line, "amount": 420.0,
                                                        "currency": "EUR"})  # fmt: skip
    assert (again.status_code, again.json()) == (200, first.json())
    other = api.post("/api/v1/campaigns/spring/costs", {"on": "2026-05-04", "amount": "420"})
    assert other.status_code == 201
    assert other.json()["note"] is None
    assert api.count(CostEntry) == 2
    costs = every_page(api, "/api/v1/campaigns/spring/costs", limit=1)
    assert [c["id"] for c in costs] == [first.json()["id"], other.json()["id"]]
    assert api.get("/api/v1/campaigns/search/costs").json() == {"items": [],
                                                                "next_cursor": None}  # fmt: skip
    assert api.get("/api/v1/campaigns/winter/costs").status_code == 404


def test_rejected_costs_name_the_field(api: Api) -> None:
    for body, field in [
        ({"amount": "10"}, "on"), ({"on": "2026-05-04"}, "amount"),
        ({"on": "May 4th", "amount": "10"}, "on"),
        ({"on": "2026-05-04", "amount": "ten"}, "amount"),
        ({"on": "2026-05-04", "amount": "10", "campaign": "search"}, "campaign"),
        ("2026-05-04 10 EUR", "body"),
    ]:  # fmt: skip
        rejected(api.post("/api/v1/campaigns/spring/costs", body), field, api, "cost")
    assert api.count(CostEntry) == 0


def test_a_cost_for_an_unknown_campaign_waits_until_the_campaign_exists(api: Api) -> None:
    response = api.post("/api/v1/campaigns/winter/costs", {"on": "2026-12-01", "amount": "99"})
    item = rejected(response, "campaign", api, "cost")
    assert "unknown campaign 'winter': create it first" in item.reason
    assert orjson.loads(item.payload) == {"on": "2026-12-01", "amount": "99",
                                          "campaign": "winter"}  # fmt: skip
    assert api.post("/api/v1/campaigns", {"key": "winter", "name": "Winter",
                                          "channel": "display"}).status_code == 201  # fmt: skip
    with transaction(api.workspace.sessions) as session:
        assert replay(session, item.id, NOW).status == "replayed"
    costs = api.get("/api/v1/campaigns/winter/costs").json()["items"]
    assert [(c["on"], c["amount"]) for c in costs] == [("2026-12-01", "99.00")]
