"""Every resource needs an API key: a read key may GET, only a write key may POST."""

from __future__ import annotations

import pytest

from smarketing.models import QuarantineItem
from tests.support.api import LEA, Api

GETS = ["/api/v1/contacts", f"/api/v1/contacts/{LEA}", f"/api/v1/contacts/{LEA}/timeline",
        "/api/v1/companies", "/api/v1/companies/1", "/api/v1/campaigns",
        "/api/v1/campaigns/spring", "/api/v1/campaigns/spring/costs", "/api/v1/deals",
        "/api/v1/deals/crm-1"]  # fmt: skip
POSTS = {
    "/api/v1/contacts": {"email": "new@x.example"},
    "/api/v1/companies": {"domain": "x.example"},
    "/api/v1/campaigns": {"key": "fall", "name": "Fall", "channel": "email"},
    "/api/v1/campaigns/spring/costs": {"on": "2026-05-01", "amount": "10"},
    "/api/v1/deals": {"id": "d-9", "contact": LEA, "amount": "5", "status": "open",
                      "created_at": "2026-05-06T00:00:00Z"},
}  # fmt: skip


def test_without_a_key_every_endpoint_answers_401(sqlite_api: Api) -> None:
    client = sqlite_api.client
    for path in GETS:
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json()["detail"].startswith("no API key")
        assert response.headers["www-authenticate"] == "Bearer"
    for path, body in POSTS.items():
        assert client.post(path, json=body).status_code == 401, path
    wrong = {"Authorization": "Bearer smk_00000000_not-a-real-secret"}
    assert client.get("/api/v1/contacts", headers=wrong).status_code == 401


def test_a_read_key_may_read_but_not_write(sqlite_api: Api) -> None:
    for path in GETS:
        assert sqlite_api.get(path).status_code == 200, path
    for path, body in POSTS.items():
        response = sqlite_api.client.post(path, json=body, headers=sqlite_api.read)
        assert response.status_code == 403, path
        assert "needs 'write'" in response.json()["detail"]
    assert sqlite_api.count(QuarantineItem) == 0


@pytest.mark.parametrize("path", list(POSTS))
def test_a_write_key_may_write(sqlite_api: Api, path: str) -> None:
    assert sqlite_api.post(path, POSTS[path]).status_code == 201


def test_the_openapi_schema_documents_every_resource(sqlite_api: Api) -> None:
    schema = sqlite_api.client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path, methods in {
        "/api/v1/contacts": {"get", "post"}, "/api/v1/contacts/{ref}": {"get"},
        "/api/v1/contacts/{ref}/timeline": {"get"}, "/api/v1/companies": {"get", "post"},
        "/api/v1/companies/{ref}": {"get"}, "/api/v1/campaigns": {"get", "post"},
        "/api/v1/campaigns/{campaign_key}": {"get"},
        "/api/v1/campaigns/{campaign_key}/costs": {"get", "post"},
        "/api/v1/deals": {"get", "post"}, "/api/v1/deals/{deal_id}": {"get"},
    }.items():  # fmt: skip
        assert methods <= set(paths[path]), path
        for method in methods:
            operation = paths[path][method]
            assert operation["summary"]
            assert operation["description"]
            assert operation["tags"]
            ok = "201" if method == "post" else "200"
            assert "example" in operation["responses"][ok]["content"]["application/json"]
