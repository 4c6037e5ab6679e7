"""/api/v1/companies: upsert by domain (else name), lookups, pages, rejections, replay."""

from __future__ import annotations

from smarketing.core.database import transaction
from smarketing.interchange.importer import Importer
from smarketing.models import Company
from smarketing.quarantine.service import replay
from tests.support.api import ANA, NOW, Api, every_page, rejected


def test_a_company_is_upserted_by_domain(api: Api) -> None:
    created = api.post("/api/v1/companies", {"domain": "Cocinas.example", "name": "Cocinas",
                                             "country": "es", "employees": 40})  # fmt: skip
    assert created.status_code == 201, created.text
    body = created.json()
    assert body == {"id": body["id"], "domain": "cocinas.example", "name": "Cocinas",
                    "country": "ES", "industry": None, "employees": 40, "owner": None}  # fmt: skip
    same = api.post("/api/v1/companies", {"domain": "cocinas.example", "name": "Cocinas",
                                          "country": "ES", "employees": 40})  # fmt: skip
    assert (same.status_code, same.json()) == (200, body)
    changed = api.post("/api/v1/companies", {"domain": "cocinas.example", "name": "Cocinas",
                                             "owner": ANA})  # fmt: skip
    assert changed.status_code == 200
    assert changed.json()["owner"] == ANA
    assert changed.json()["employees"] is None  # the body is the whole company
    assert api.get(f"/api/v1/companies/{body['id']}").json() == changed.json()
    assert api.get("/api/v1/companies/cocinas.example").json() == changed.json()
    assert api.get("/api/v1/companies/424242").status_code == 404


def test_a_company_without_a_domain_is_upserted_by_name(api: Api) -> None:
    first = api.post("/api/v1/companies", {"name": "Taller Pérez"})
    assert first.status_code == 201
    again = api.post("/api/v1/companies", {"name": "Taller Pérez", "industry": "carpentry"})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["industry"] == "carpentry"


def test_every_company_is_listed_once_across_pages(api: Api) -> None:
    for n in range(4):
        assert api.post("/api/v1/companies", {"domain": f"c{n}.example"}).status_code == 201
    items = every_page(api, "/api/v1/companies", limit=2)
    assert [c["id"] for c in items] == sorted({c["id"] for c in items})
    assert {c["domain"] for c in items} == {"studio.example", "build.example", "c0.example",
                                            "c1.example", "c2.example", "c3.example"}  # fmt: skip


def test_rejected_companies_name_the_field_and_can_be_replayed(api: Api) -> None:
    before = api.count(Company)
    for body, field in [
        ({}, "domain"), ([], "body"), ({"domain": "x.example", "size": 3}, "size"),
        ({"domain": "x.example", "employees": -1}, "employees"),
        ({"domain": "x.example", "country": "Spain"}, "country"),
    ]:  # fmt: skip
        rejected(api.post("/api/v1/companies", body), field, api, "company")
    late = {"domain": "late.example", "owner": "cleo@acme.example"}
    response = api.post("/api/v1/companies", late)
    item = rejected(response, "owner", api, "company")
    assert "unknown user 'cleo@acme.example': create it first" in item.reason
    assert api.count(Company) == before

    with transaction(api.workspace.sessions) as session:
        Importer(session).apply_data({"type": "user", "email": "cleo@acme.example",
                                      "name": "Cleo", "role": "sales_rep"})  # fmt: skip
        replayed = replay(session, item.id, NOW)
        assert (replayed.status, replayed.resolution) == (
            "replayed", "company late.example created")
    assert api.get("/api/v1/companies/late.example").json()["owner"] == "cleo@acme.example"


def test_a_body_with_a_huge_number_is_kept_too(api: Api) -> None:
    body = {"domain": "big.example", "employees": 10**30}
    item = rejected(api.post("/api/v1/companies", body), "employees", api, "company")
    assert item.payload == '{"domain": "big.example", "employees": ' + str(10**30) + "}"
