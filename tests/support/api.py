"""The API tests' workspace (a few users, campaigns, companies, contacts and a deal) and
helpers to call the app with a write key or a read key. Requests go through the whole
app (TestClient) on a real database; nothing is mocked."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smarketing.core.database import transaction
from smarketing.core.workspace import OpenWorkspace
from smarketing.models import MergedContact, QuarantineItem
from smarketing.web.app import create_app
from tests.support.api_keys import auth, make_api_key
from tests.support.web import seeded_workspace

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ANA = "ana@acme.example"
BRUNO = "bruno@acme.example"
LEA = "lea@studio.example"  # mql, Ana's, studio.example, first touch: spring
MAX = "max@build.example"  # lead, Bruno's, build.example, first touch: search
OLGA = "olga@studio.example"  # subscriber, no owner, studio.example, no first touch

RECORDS: list[dict[str, Any]] = [
    {"type": "workspace", "name": "Acme", "currency": "EUR", "timezone": "Europe/Madrid"},
    {"type": "user", "email": ANA, "name": "Ana", "role": "sales_rep"},
    {"type": "user", "email": BRUNO, "name": "Bruno", "role": "sales_rep"},
    {"type": "product_line", "key": "kitchens", "name": "Kitchens"},
    {"type": "persona", "key": "architect", "name": "Architect"},
    {"type": "campaign", "key": "spring", "name": "Spring webinar", "channel": "event"},
    {"type": "campaign", "key": "search", "name": "Search ads", "channel": "paid_search"},
    {"type": "company", "domain": "studio.example", "name": "Studio Ruiz"},
    {"type": "company", "domain": "build.example", "name": "Build SA"},
    {"type": "contact", "email": LEA, "created_at": "2026-05-01T10:00:00Z",
     "company": "studio.example", "campaign": "spring", "owner": ANA,
     "first_name": "Lea", "persona": "architect"},
    {"type": "activity", "id": "a-2", "contact": LEA, "kind": "email_click",
     "at": "2026-05-03T09:00:00Z", "campaign": "spring"},
    {"type": "activity", "id": "a-1", "contact": LEA, "kind": "form_submit",
     "at": "2026-05-02T09:00:00Z", "campaign": "spring"},
    {"type": "stage_change", "contact": LEA, "to": "mql", "at": "2026-05-04T09:00:00Z"},
    {"type": "contact", "email": MAX, "created_at": "2026-05-10T10:00:00Z",
     "company": "build.example", "campaign": "search", "owner": BRUNO},
    {"type": "contact", "email": OLGA, "created_at": "2026-05-20T10:00:00Z",
     "company": "studio.example", "lifecycle_stage": "subscriber"},
    {"type": "deal", "id": "crm-1", "contact": LEA, "amount": "1000.50", "status": "open",
     "created_at": "2026-05-05T09:00:00Z"},
]  # fmt: skip


@dataclass
class Api:
    """The app on a workspace, and the headers of a write key and of a read key."""

    client: TestClient
    workspace: OpenWorkspace
    write: dict[str, str]
    read: dict[str, str]

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(path, json=body, headers=self.write)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.read)

    def quarantined(self, item_id: int) -> QuarantineItem:
        with transaction(self.workspace.sessions) as session:
            item = session.get(QuarantineItem, item_id)
            assert item is not None
            session.expunge(item)
            return item

    def merged(self, old_id: int, old_email: str, *, into: int) -> None:
        """Record that contact `old_id` (`old_email`) was merged into contact `into`."""
        with transaction(self.workspace.sessions) as session:
            session.add(MergedContact(
                merged_contact_id=old_id, merged_email=old_email, survivor_id=into,
                merged_at=NOW, merged_by="tests",
            ))  # fmt: skip

    def count(self, model: Any) -> int:
        with transaction(self.workspace.sessions) as session:
            return session.execute(select(func.count()).select_from(model)).scalar_one()


def api_on(url: str) -> Iterator[Api]:
    """The app on a workspace at `url` seeded with RECORDS, with a write and a read key."""
    with seeded_workspace(url, RECORDS, logins=[], now=NOW) as workspace:
        write = auth(make_api_key(workspace, "write", "writer"))
        read = auth(make_api_key(workspace, "read", "reader"))
        with TestClient(create_app(workspace, clock=lambda: NOW)) as client:
            yield Api(client, workspace, write, read)


def every_page(api: Api, path: str, **params: Any) -> list[dict[str, Any]]:
    """Walk a list to its end; every item of every page, in order."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        response = api.get(path, **params, **({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the list did not end")


def rejected(response: Any, field: str, api: Api, kind: str) -> QuarantineItem:
    """Check a 422 that names `field` and kept the body; the quarantine row."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"].startswith(f"{field}: "), body["detail"]
    item = api.quarantined(body["quarantine_id"])
    assert (item.kind, item.status, item.reason) == (kind, "open", body["detail"])
    assert item.source.startswith("api-key:")
    return item
