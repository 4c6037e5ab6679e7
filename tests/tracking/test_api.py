"""`GET /t.js`, `POST /track` and `OPTIONS /track` through the app, on SQLite and
PostgreSQL: CORS by configured domain, limits, stitching, retries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smarketing.core.database import transaction
from smarketing.core.workspace import OpenWorkspace
from smarketing.models import Activity, Contact, QuarantineItem, Visitor, VisitorEvent
from smarketing.tracking import service
from smarketing.tracking.api import MAX_BODY_BYTES
from smarketing.web.app import create_app
from tests.support.web import seeded_workspace
from tests.tracking.support import CAMPAIGN_RECORDS, SITE, VISITOR, body, form_submit, page_view

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
ORIGIN = "https://www.acme.example"


class Clock:
    """A clock the test moves forward."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self, minutes: int = 1) -> None:
        self.now += timedelta(minutes=minutes)


@pytest.fixture
def workspace(workspace_url: str) -> Iterator[OpenWorkspace]:
    records = [{"type": "workspace", "name": "Acme"}, *CAMPAIGN_RECORDS]
    with seeded_workspace(workspace_url, records, logins=[], now=NOW) as workspace:
        with transaction(workspace.sessions) as session:
            service.add_domains(session, ["acme.example", "127.0.0.1"], NOW)
        yield workspace


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def client(workspace: OpenWorkspace, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(workspace, clock=clock)) as test_client:
        yield test_client


def post(client: TestClient, data: Any, origin: str | None = ORIGIN) -> Any:
    content = data if isinstance(data, bytes) else orjson.dumps(data)
    headers = {"Content-Type": "text/plain"}
    if origin is not None:
        headers["Origin"] = origin
    return client.post("/track", content=content, headers=headers)


def count(workspace: OpenWorkspace, model: Any) -> int:
    with transaction(workspace.sessions, read_only=True) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_script_is_served_as_cacheable_javascript(client: TestClient) -> None:
    response = client.get("/t.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert "smk_vid" in response.text
    assert 'new URL("/track", script.src)' in response.text
    assert len(response.content) < 8 * 1024


@pytest.mark.parametrize("origin", [ORIGIN, "https://acme.example", "http://127.0.0.1:8001"])
def test_an_allowed_origin_is_answered_with_cors_headers(
    client: TestClient, workspace: OpenWorkspace, origin: str
) -> None:
    response = post(client, body(page_view("ev-00000001", f"{SITE}/")), origin=origin)
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["vary"] == "Origin"
    assert response.json() == {"created": 1, "duplicates": 0, "rejected": 0,
                               "items": [{"index": 0, "id": "ev-00000001",
                                          "status": "created"}]}  # fmt: skip
    assert count(workspace, VisitorEvent) == 1


@pytest.mark.parametrize(
    ("origin", "reason"),
    [("https://evil.example", "origin https://evil.example is not on a tracking domain"),
     ("https://acme.example.evil.example", "is not on a tracking domain"),
     ("null", "is not a web page origin"),
     (None, "no Origin header")],
)  # fmt: skip
def test_other_origins_are_refused_and_nothing_is_stored(
    client: TestClient, workspace: OpenWorkspace, origin: str | None, reason: str
) -> None:
    response = post(client, body(page_view("ev-00000001", f"{SITE}/")), origin=origin)
    assert response.status_code == 403
    assert reason in response.json()["detail"]
    assert "access-control-allow-origin" not in response.headers
    assert count(workspace, VisitorEvent) == count(workspace, Visitor) == 0
    assert count(workspace, QuarantineItem) == 0


def test_a_preflight_is_answered_for_allowed_origins_only(client: TestClient) -> None:
    allowed = client.options("/track", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST"})  # fmt: skip
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert allowed.headers["access-control-allow-methods"] == "POST, OPTIONS"
    assert allowed.headers["access-control-allow-headers"] == "Content-Type"
    refused = client.options("/track", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers


def test_anonymous_views_then_a_form_submit_land_on_the_contact(
    client: TestClient, workspace: OpenWorkspace, clock: Clock
) -> None:
    steps = [
        page_view("ev-00000001", f"{SITE}/?utm_source=google&utm_medium=cpc&gclid=Cj0",
                  "https://www.google.com/"),
        page_view("ev-00000002", f"{SITE}/pricing", f"{SITE}/"),
        page_view("ev-00000003", f"{SITE}/blog", "https://www.linkedin.com/"),
        form_submit("ev-00000004", "ana@studio.example",
                    {"first_name": "Ana", "email": "ana@studio.example", "company": "Studio"}),
    ]  # fmt: skip
    for event in steps:
        assert post(client, body(event)).status_code == 200
        clock.tick()
    with transaction(workspace.sessions, read_only=True) as session:
        ana = session.execute(
            select(Contact).where(Contact.email == "ana@studio.example")).scalar_one()
        activities = session.scalars(select(Activity).where(Activity.contact_id == ana.id)
                                     .order_by(Activity.at)).all()  # fmt: skip
        visitor = session.get(Visitor, VISITOR)
        assert [(a.id, a.kind, a.channel) for a in activities] == [
            ("ev-00000001", "page_view", "paid_search"),
            ("ev-00000002", "page_view", "paid_search"),
            ("ev-00000003", "page_view", "social"),
            ("ev-00000004", "form_submit", "social"),
        ]
        assert (ana.lifecycle_stage, ana.first_name) == ("lead", "Ana")
        assert (ana.first_touch_channel, ana.last_touch_channel) == ("paid_search", "social")
        assert visitor is not None
        assert visitor.contact_id == ana.id
        assert (visitor.first_touch_channel, visitor.last_touch_channel) == ("paid_search",
                                                                             "social")
    assert count(workspace, VisitorEvent) == 0


def test_the_same_event_sent_twice_is_stored_once(
    client: TestClient, workspace: OpenWorkspace, clock: Clock
) -> None:
    event = page_view("ev-00000001", f"{SITE}/")
    assert post(client, body(event)).json()["created"] == 1
    clock.tick()
    again = post(client, body(event))
    assert again.status_code == 200
    assert again.json()["items"] == [{"index": 0, "id": "ev-00000001", "status": "duplicate"}]
    assert count(workspace, VisitorEvent) == 1


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_oversize_body_is_refused(
    client: TestClient, workspace: OpenWorkspace, chunked: bool
) -> None:
    big = orjson.dumps(body(page_view("ev-00000001", f"{SITE}/", title="x" * MAX_BODY_BYTES)))
    if chunked:  # no Content-Length: the limit is enforced while reading
        response = client.post("/track", content=iter([big[:1000], big[1000:]]),
                               headers={"Origin": ORIGIN, "Content-Type": "text/plain"})
        assert "content-length" not in response.request.headers
    else:
        response = post(client, big)
    assert response.status_code == 413
    assert response.json() == {"detail": f"body: larger than {MAX_BODY_BYTES} bytes"}
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert count(workspace, VisitorEvent) == count(workspace, QuarantineItem) == 0


@pytest.mark.parametrize(
    ("content", "status", "detail"),
    [(b"[1, 2]", 400, "body: must be a JSON object, got an array"),
     (b"page_view", 400, "body: not valid JSON"),
     (b'{"visitor": "abcdefgh"}', 422, "events: must be a non-empty list of events"),
     (b'{"visitor": "abcdefgh", "events": [], "x": 1}', 422, "body: unknown field 'x'")],
)  # fmt: skip
def test_a_body_that_is_not_a_tracking_body_is_refused(
    client: TestClient, workspace: OpenWorkspace, content: bytes, status: int, detail: str
) -> None:
    response = post(client, content)
    assert response.status_code == status
    assert response.json()["detail"].startswith(detail)
    assert count(workspace, QuarantineItem) == 0


def test_a_bad_event_is_quarantined_with_its_reason(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    response = post(client, body(page_view("ev-00000001", f"{SITE}/"),
                                 {"id": "ev-00000002", "kind": "page_view"}))  # fmt: skip
    assert response.status_code == 422
    items = response.json()["items"]
    assert [i["status"] for i in items] == ["created", "rejected"]
    assert items[1]["reason"] == "url: Field required"
    assert "quarantine_id" not in items[1]
    with transaction(workspace.sessions, read_only=True) as session:
        held = session.scalars(select(QuarantineItem)).one()
        assert (held.kind, held.source, held.reason) == ("track_event", "track",
                                                         "url: Field required")
        assert orjson.loads(held.payload)["event"] == {"id": "ev-00000002", "kind": "page_view"}


def test_an_unknown_utm_campaign_is_kept(client: TestClient, workspace: OpenWorkspace) -> None:
    url = f"{SITE}/?utm_medium=email&utm_campaign=not-a-campaign"
    assert post(client, body(page_view("ev-00000001", url))).status_code == 200
    with transaction(workspace.sessions, read_only=True) as session:
        event = session.get(VisitorEvent, "ev-00000001")
        assert event is not None
        assert (event.channel, event.campaign_id) == ("email", None)
        assert event.properties["utm"]["utm_campaign"] == "not-a-campaign"
