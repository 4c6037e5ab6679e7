"""The duplicates API and page, on a real migrated SQLite and PostgreSQL workspace."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from smarketing.auth.keys import prefix_of
from smarketing.core.database import transaction
from smarketing.core.workspace import OpenWorkspace
from smarketing.models import Activity, Contact, MergedContact
from smarketing.web.app import create_app
from tests.contacts.test_merge import DUPLICATE, EXTRA, SURVIVOR
from tests.interchange.sample import GOOD
from tests.support.api_keys import auth, make_api_key
from tests.support.web import PASSWORD, csrf_from, seeded_workspace

NOW = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
MARTA, ANA = "marta@acme.example", "ana@acme.example"
BOSS = "boss@acme.example"
#: A pair below the default score (same email name and same name: 25).
ROSSI = [
    {"type": "contact", "email": "mrossi@gmail.com", "created_at": "2026-05-01T10:00:00Z",
     "first_name": "Marco", "last_name": "Rossi", "lifecycle_stage": "lead"},
    {"type": "contact", "email": "mrossi@libero.it", "created_at": "2026-05-02T10:00:00Z",
     "first_name": "Marco", "last_name": "Rossi", "lifecycle_stage": "subscriber"},
]  # fmt: skip
RECORDS = [
    *GOOD, *EXTRA, *ROSSI,
    {"type": "user", "email": BOSS, "name": "Bea Boss", "role": "sales_manager"},
]  # fmt: skip


@pytest.fixture
def workspace(workspace_url: str) -> Iterator[OpenWorkspace]:
    with seeded_workspace(workspace_url, RECORDS, [MARTA, ANA, BOSS], NOW) as workspace:
        yield workspace


@pytest.fixture
def client(workspace: OpenWorkspace) -> Iterator[TestClient]:
    # The sample workspace works in Spanish; these tests read the English page.
    with TestClient(create_app(workspace, clock=lambda: NOW),
                    headers={"Accept-Language": "en"}) as test_client:  # fmt: skip
        yield test_client


def ids_by_email(workspace: OpenWorkspace) -> dict[str, int]:
    with transaction(workspace.sessions, read_only=True) as session:
        return {row.email: row.id for row in session.execute(select(Contact.email, Contact.id))}


def merged_rows(workspace: OpenWorkspace) -> list[tuple[Any, ...]]:
    with transaction(workspace.sessions, read_only=True) as session:
        return [tuple(row) for row in session.execute(
            select(MergedContact.merged_contact_id, MergedContact.merged_email,
                   MergedContact.survivor_id, MergedContact.merged_at, MergedContact.merged_by)
        )]  # fmt: skip


# --------------------------------------------------------------------------- the API


def test_api_lists_pairs_best_first(client: TestClient, workspace: OpenWorkspace) -> None:
    ids = ids_by_email(workspace)
    key = auth(make_api_key(workspace, "read"))

    listed = client.get("/api/v1/duplicates", headers=key)

    assert listed.status_code == 200, listed.text
    assert listed.json() == {"items": [{
        "score": 60,
        "evidence": ["same phone +34612345678"],
        "a": {"id": ids[DUPLICATE], "email": DUPLICATE, "name": "Luis López",
              "company": "Cocinas López", "phone": "+34612345678",
              "lifecycle_stage": "customer", "owner": ANA},
        "b": {"id": ids[SURVIVOR], "email": SURVIVOR, "name": "Luis Lopez", "company": None,
              "phone": "+34612345678", "lifecycle_stage": "lead", "owner": None},
    }]}  # fmt: skip
    everything = client.get("/api/v1/duplicates?min_score=1", headers=key).json()["items"]
    assert [(p["score"], p["a"]["email"], p["b"]["email"]) for p in everything] == [
        (60, DUPLICATE, SURVIVOR), (25, "mrossi@gmail.com", "mrossi@libero.it"),
    ]
    assert len(client.get("/api/v1/duplicates?min_score=1&limit=1", headers=key)
               .json()["items"]) == 1  # fmt: skip


def test_api_list_refuses_bad_input_and_missing_keys(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    assert client.get("/api/v1/duplicates").status_code == 401
    key = auth(make_api_key(workspace, "read"))
    bad = client.get("/api/v1/duplicates?min_score=0", headers=key)
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("query.min_score:")
    assert client.get("/api/v1/duplicates?limit=5000", headers=key).status_code == 422


def test_api_merges_by_email_or_id(client: TestClient, workspace: OpenWorkspace) -> None:
    ids = ids_by_email(workspace)
    key = make_api_key(workspace, "write")

    merged = client.post("/api/v1/duplicates/merge", headers=auth(key),
                         json={"survivor": ids[SURVIVOR], "duplicate": DUPLICATE.upper()})

    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["merged"] == {"id": ids[DUPLICATE], "email": DUPLICATE}
    assert body["survivor"]["email"] == SURVIVOR
    assert body["survivor"]["id"] == ids[SURVIVOR]
    assert body["survivor"]["lifecycle_stage"] == "customer"
    assert body["survivor"]["company"] == "Cocinas López"
    assert merged_rows(workspace) == [
        (ids[DUPLICATE], DUPLICATE, ids[SURVIVOR], NOW, f"api-key:{prefix_of(key)}")
    ]
    assert DUPLICATE not in ids_by_email(workspace)
    read = auth(make_api_key(workspace, "read"))
    assert client.get("/api/v1/duplicates?min_score=50", headers=read).json() == {"items": []}


def test_api_merge_errors_name_the_field(client: TestClient, workspace: OpenWorkspace) -> None:
    ids = ids_by_email(workspace)
    write = auth(make_api_key(workspace, "write"))

    def post(body: Any, headers: dict[str, str] = write) -> tuple[int, str]:
        response = client.post("/api/v1/duplicates/merge", headers=headers, json=body)
        return response.status_code, response.json().get("detail", "")

    assert post({"survivor": SURVIVOR, "duplicate": "nobody@example.org"}) == (
        404, "duplicate: no contact nobody@example.org")
    assert post({"survivor": 999_999, "duplicate": DUPLICATE}) == (
        404, "survivor: no contact 999999")
    status, detail = post({"survivor": SURVIVOR, "duplicate": ids[SURVIVOR]})
    assert (status, detail.split(";")[0]) == (422, "duplicate: is the survivor itself")
    status, detail = post({"survivor": "luis", "duplicate": DUPLICATE})
    assert (status, detail) == (422, "survivor: 'luis' is neither an email nor a contact id")
    status, detail = post({"survivor": SURVIVOR})
    assert status == 422
    assert "duplicate" in detail
    status, _ = post({"survivor": SURVIVOR, "duplicate": DUPLICATE},
                     auth(make_api_key(workspace, "read")))
    assert status == 403
    assert merged_rows(workspace) == []

    assert post({"survivor": SURVIVOR, "duplicate": DUPLICATE})[0] == 200
    assert post({"survivor": SURVIVOR, "duplicate": DUPLICATE}) == (
        404, f"duplicate: {DUPLICATE} was merged into {SURVIVOR}")


def test_later_api_events_for_the_merged_contact_reach_the_survivor(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    ids = ids_by_email(workspace)
    write = auth(make_api_key(workspace, "write"))
    assert client.post("/api/v1/duplicates/merge", headers=write,
                       json={"survivor": SURVIVOR, "duplicate": DUPLICATE}).status_code == 200
    for item in ({"id": "web-1", "email": DUPLICATE, "kind": "page_view",
                  "at": "2026-06-30T10:00:00Z"},
                 {"id": "web-2", "contact_id": ids[DUPLICATE], "kind": "page_view",
                  "at": "2026-06-30T11:00:00Z"}):  # fmt: skip
        stored = client.post("/api/v1/activities", headers=write, json=item)
        assert stored.status_code in (200, 201, 202), stored.text
    with transaction(workspace.sessions, read_only=True) as session:
        owners = dict(session.execute(
            select(Activity.id, Activity.contact_id).where(Activity.id.in_(["web-1", "web-2"]))
        ).all())  # fmt: skip
    assert owners == {"web-1": ids[SURVIVOR], "web-2": ids[SURVIVOR]}
    assert DUPLICATE not in ids_by_email(workspace)


def test_the_api_is_documented(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    listing = schema["paths"]["/api/v1/duplicates"]["get"]
    merging = schema["paths"]["/api/v1/duplicates/merge"]["post"]
    assert listing["tags"] == merging["tags"] == ["duplicates"]
    assert "highest score first" in listing["description"]
    assert "survivor" in merging["description"]


# --------------------------------------------------------------------------- the page


def log_in(client: TestClient, email: str) -> None:
    page = client.get("/login")
    form = {"csrf_token": csrf_from(page.text), "email": email, "password": PASSWORD}
    response = client.post("/login", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text


def pair_ids(html: str) -> list[str]:
    return re.findall(r'<section class="card sla-card duplicate-pair" id="pair-([0-9-]+)"', html)


def test_page_lists_pairs_side_by_side(client: TestClient, workspace: OpenWorkspace) -> None:
    ids = ids_by_email(workspace)
    log_in(client, MARTA)

    page = client.get("/contacts/duplicates")

    assert page.status_code == 200, page.text
    assert pair_ids(page.text) == [f"{ids[DUPLICATE]}-{ids[SURVIVOR]}"]
    assert "same phone +34612345678" in page.text
    assert 'href="/contacts/luis%40cocinas-lopez.es"' in page.text
    assert 'href="/contacts/luis.l%40gmail.com"' in page.text
    assert 'aria-current="page">Duplicates' in page.text
    low = client.get("/contacts/duplicates?min_score=20")
    assert len(pair_ids(low.text)) == 2
    assert 'value="20"' in low.text
    empty = client.get("/contacts/duplicates?min_score=90")
    assert pair_ids(empty.text) == []
    assert "No likely duplicates scoring 90 or more." in empty.text


def test_page_merges_the_chosen_survivor(client: TestClient, workspace: OpenWorkspace) -> None:
    ids = ids_by_email(workspace)
    log_in(client, BOSS)
    page = client.get("/contacts/duplicates").text
    pair = f"{ids[DUPLICATE]}-{ids[SURVIVOR]}"
    section = page[page.index(f'id="pair-{pair}"'):]
    form = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', section))
    assert form == {"csrf_token": csrf_from(page), "a": DUPLICATE, "b": SURVIVOR,
                    "min_score": "40"}  # fmt: skip
    assert re.search(rf'name="survivor" value="{re.escape(SURVIVOR)}"\s+form="merge-{pair}"',
                     section)  # fmt: skip
    form["survivor"] = SURVIVOR

    response = client.post("/contacts/duplicates/merge", data=form, follow_redirects=False)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/contacts/duplicates?min_score=40"
    after = client.get(response.headers["location"])
    assert f"Merged {DUPLICATE} into {SURVIVOR}" in after.text
    assert pair_ids(after.text) == []
    assert "No likely duplicates" in after.text
    assert merged_rows(workspace) == [(ids[DUPLICATE], DUPLICATE, ids[SURVIVOR], NOW, BOSS)]
    assert f"Merged {DUPLICATE}" not in client.get("/contacts/duplicates").text  # shown once


def test_page_merge_needs_a_choice_and_a_token(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    log_in(client, MARTA)
    token = csrf_from(client.get("/contacts/duplicates").text)
    pair = {"a": DUPLICATE, "b": SURVIVOR}

    no_choice = client.post("/contacts/duplicates/merge", data={"csrf_token": token, **pair})
    assert no_choice.status_code == 422
    assert "Choose which of the two contacts stays." in no_choice.text
    stranger = client.post("/contacts/duplicates/merge",
                           data={"csrf_token": token, **pair, "survivor": "eva@example.org"})
    assert stranger.status_code == 422
    gone = client.post("/contacts/duplicates/merge", data={
        "csrf_token": token, "a": "nobody@example.org", "b": SURVIVOR, "survivor": SURVIVOR})
    assert gone.status_code == 404
    assert "Nothing was merged: duplicate: no contact nobody@example.org." in gone.text
    no_token = client.post("/contacts/duplicates/merge", data={**pair, "survivor": SURVIVOR})
    assert no_token.status_code == 403
    assert merged_rows(workspace) == []


def test_a_sales_rep_is_refused(client: TestClient, workspace: OpenWorkspace) -> None:
    log_in(client, ANA)
    page = client.get("/contacts/duplicates")
    assert page.status_code == 403
    assert DUPLICATE not in page.text
    assert 'href="/contacts/duplicates"' not in page.text  # not in the navigation either
    token = csrf_from(client.get("/").text)
    refused = client.post("/contacts/duplicates/merge", data={
        "csrf_token": token, "a": DUPLICATE, "b": SURVIVOR, "survivor": SURVIVOR})
    assert refused.status_code == 403
    assert merged_rows(workspace) == []
    assert DUPLICATE in ids_by_email(workspace)


def test_the_page_needs_a_login(client: TestClient) -> None:
    response = client.get("/contacts/duplicates", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
