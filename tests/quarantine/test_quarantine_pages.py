"""The quarantine pages (admins only): the list, one item, replay (as held or edited) and
discard, on SQLite and PostgreSQL; and how an edited payload is told from the held one."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient

from smarketing.core.database import transaction
from smarketing.core.workspace import OpenWorkspace
from smarketing.models import Activity
from smarketing.quarantine.pages import PayloadError, edited_payload
from smarketing.web.app import create_app
from tests.apikeys.support import (
    ADMIN,
    BAD_EMAIL,
    MARTA,
    NEEDS_FAIR,
    NOW,
    acme_workspace,
    add_fair,
    held,
    hold_items,
    log_in,
)

PAGE = "/admin/quarantine"


@pytest.fixture
def workspace(workspace_url: str) -> Iterator[OpenWorkspace]:
    with acme_workspace(workspace_url) as workspace:
        yield workspace


@pytest.fixture
def ids(workspace: OpenWorkspace) -> list[int]:
    return hold_items(workspace)


@pytest.fixture
def client(workspace: OpenWorkspace) -> Iterator[TestClient]:
    with TestClient(create_app(workspace, clock=lambda: NOW)) as test_client:
        yield test_client


@pytest.fixture
def admin(client: TestClient) -> str:
    """Log the client in as the admin; the CSRF token."""
    return log_in(client, ADMIN)


def _row_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr data-id="(\d+)"', html)]


def _textarea(html: str) -> str:
    match = re.search(r'<textarea id="payload" name="payload"[^>]*>\n(.*?)</textarea>', html,
                      re.DOTALL)  # fmt: skip
    assert match, "no payload textarea"
    return unescape(match.group(1))


def _outcome(html: str) -> tuple[str, str] | None:
    """The replay outcome shown on an item's page: (css class, text up to the first "; ")."""
    match = re.search(r'<p class="(\w+)" role="status" id="outcome"[^>]*>([^<]*)</p>', html)
    return (match.group(1), unescape(match.group(2)).split("; ")[0]) if match else None


def _activity_exists(workspace: OpenWorkspace, activity_id: str) -> bool:
    with transaction(workspace.sessions) as session:
        return session.get(Activity, activity_id) is not None


def test_list_shows_open_items_newest_first(
    client: TestClient, workspace: OpenWorkspace, admin: str, ids: list[int]
) -> None:
    [tracked] = hold_items(workspace, [{**BAD_EMAIL, "id": "t1"}], source="track")
    page = client.get(PAGE)
    assert page.status_code == 200
    assert _row_ids(page.text) == [tracked, *reversed(ids)]
    assert '<strong id="open-count">3</strong>' in page.text
    assert "3 items match" in page.text
    assert "unknown campaign &#39;autumn-fair&#39;" in page.text
    assert "&#34;campaign&#34;:&#34;autumn-fair&#34;" in page.text  # the payload preview
    assert _row_ids(client.get(PAGE, params={"source": "track"}).text) == [tracked]
    assert _row_ids(client.get(PAGE, params={"kind": "contact"}).text) == []
    client.post(f"{PAGE}/{ids[1]}/discard", data={"csrf_token": admin, "reason": "junk"})
    assert _row_ids(client.get(PAGE).text) == [tracked, ids[0]]
    assert _row_ids(client.get(PAGE, params={"status": "discarded"}).text) == [ids[1]]
    assert _row_ids(client.get(PAGE, params={"status": "all"}).text) == [tracked, *reversed(ids)]


def test_item_page_has_the_payload_in_an_editable_form(
    client: TestClient, admin: str, ids: list[int]
) -> None:
    page = client.get(f"{PAGE}/{ids[0]}")
    assert page.status_code == 200
    assert json.loads(_textarea(page.text)) == NEEDS_FAIR
    assert f'action="{PAGE}/{ids[0]}/replay"' in page.text
    assert f'action="{PAGE}/{ids[0]}/discard"' in page.text
    assert client.get(f"{PAGE}/999999").status_code == 404


def test_replay_as_held_still_rejected_then_fixed(
    client: TestClient, workspace: OpenWorkspace, admin: str, ids: list[int]
) -> None:
    item_url = f"{PAGE}/{ids[0]}"
    shown = _textarea(client.get(item_url).text)
    form = {"csrf_token": admin, "payload": shown.replace("\n", "\r\n")}  # as browsers send

    response = client.post(f"{item_url}/replay", data=form, follow_redirects=False)
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert _outcome(page.text) == ("alert", "Still rejected (attempt 2): campaign: unknown "
                                            "campaign 'autumn-fair'")  # fmt: skip
    item = held(workspace, ids[0])
    assert (item.status, item.attempts) == ("open", 2)
    assert json.loads(item.payload) == NEEDS_FAIR
    assert _outcome(client.get(item_url).text) is None  # shown once

    add_fair(workspace)
    page = client.post(f"{item_url}/replay", data=form)
    assert _outcome(page.text) == ("notice", "Replayed: activity q1 created.")
    assert held(workspace, ids[0]).status == "replayed"
    assert _activity_exists(workspace, "q1")
    assert "<textarea" not in page.text  # nothing left to replay


def test_replay_with_an_edited_payload(
    client: TestClient, workspace: OpenWorkspace, admin: str, ids: list[int]
) -> None:
    corrected = {**BAD_EMAIL, "email": "eva@studio.example"}
    page = client.post(f"{PAGE}/{ids[1]}/replay",
                       data={"csrf_token": admin, "payload": json.dumps(corrected, indent=4)})
    assert "Replayed: activity q2 created." in page.text
    item = held(workspace, ids[1])
    assert item.status == "replayed"
    assert json.loads(item.payload) == corrected


def test_an_edit_to_a_json_string_is_kept_as_json(
    client: TestClient, workspace: OpenWorkspace, admin: str, ids: list[int]
) -> None:
    page = client.post(f"{PAGE}/{ids[1]}/replay",
                       data={"csrf_token": admin, "payload": '"eva@studio.example"'})
    assert "Still rejected (attempt 2): item: must be a JSON object, got a string" in page.text
    assert held(workspace, ids[1]).payload == '"eva@studio.example"'


def test_an_edit_that_is_not_json_changes_nothing(
    client: TestClient, workspace: OpenWorkspace, admin: str, ids: list[int]
) -> None:
    broken = '{"id": "q2", "email": "eva@studio.example",'
    page = client.post(f"{PAGE}/{ids[1]}/replay", data={"csrf_token": admin, "payload": broken})
    assert page.status_code == 422
    assert "The edited payload is not JSON" in page.text
    assert _textarea(page.text) == broken  # the edit is kept on screen
    item = held(workspace, ids[1])
    assert (item.attempts, json.loads(item.payload)) == (1, BAD_EMAIL)


def test_discard_needs_a_reason(
    client: TestClient, workspace: OpenWorkspace, admin: str, ids: list[int]
) -> None:
    url = f"{PAGE}/{ids[1]}/discard"
    blank = client.post(url, data={"csrf_token": admin, "reason": " "})
    assert blank.status_code == 422
    assert "Say why the item is discarded." in blank.text
    assert held(workspace, ids[1]).status == "open"
    assert client.post(url, data={"reason": "no token"}).status_code == 403

    page = client.post(url, data={"csrf_token": admin, "reason": "typo in a test form"})
    assert page.status_code == 200
    assert f"Item {ids[1]} discarded." in page.text
    item = held(workspace, ids[1])
    assert (item.status, item.resolution) == ("discarded", f"typo in a test form (by {ADMIN})")
    again = client.post(url, data={"csrf_token": admin, "reason": "again"})
    assert again.status_code == 422
    assert "is discarded, not open" in again.text


def test_only_admins_see_or_replay_the_quarantine(
    client: TestClient, workspace: OpenWorkspace, ids: list[int]
) -> None:
    csrf = log_in(client, MARTA)
    add_fair(workspace)
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}/{ids[0]}").status_code == 403
    replay = client.post(f"{PAGE}/{ids[0]}/replay", data={"csrf_token": csrf, "payload": ""})
    assert replay.status_code == 403
    discard = client.post(f"{PAGE}/{ids[1]}/discard", data={"csrf_token": csrf, "reason": "x"})
    assert discard.status_code == 403
    assert [held(workspace, i).status for i in ids] == ["open", "open"]
    assert 'href="/admin/quarantine"' not in client.get("/").text


@pytest.mark.parametrize(
    ("stored", "submitted", "expected"),
    [
        ('{"a":1}', '{"a":1}', None),
        ('{"a":1}', '{\r\n  "a": 1\r\n}\r\n', None),
        ('{"a":1,"b":[1,2]}', '{"b": [1, 2], "a": 1}', None),
        ('{"a":1}', '{"a": 2}', {"a": 2}),
        ('{"a":1}', '"just text"', "just text"),
        ("not json at all", "not json at all\r\n", None),
        ("not json at all", '{"fixed": true}', {"fixed": True}),
    ],
)
def test_edited_payload(stored: str, submitted: str, expected: object) -> None:
    assert edited_payload(stored, submitted) == expected


def test_edited_payload_that_is_not_json() -> None:
    with pytest.raises(PayloadError, match="not JSON"):
        edited_payload('{"a":1}', '{"a": ')
