"""The JSON API under /api/v1 on the October 2026 workspace of test_sla_pages.py.

Logged in with the session cookie; POSTs send the CSRF token in X-CSRF-Token.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smarketing.core.database import transaction
from smarketing.core.workspace import OpenWorkspace
from smarketing.models import Attempt, Contact, SlaClock, User
from smarketing.sla.report_service import compliance_report, pacing_json
from tests.support.october import (
    ANA,
    BOSS,
    BRUNO,
    CARLA,
    L4,
    L6,
    L8,
    MARTA,
    NOW,
    log_in,
)

SALES_KEYS = [
    "rep", "assigned", "first_attempt_on_time", "first_attempt_late", "first_attempt_missing",
    "first_attempt_on_time_pct", "median_business_hours_to_first_attempt",
    "p95_business_hours_to_first_attempt", "cadence_met", "cadence_missed", "cadence_open",
]  # fmt: skip
MARKETING_KEYS = ["rep", "mqls_delivered", "mqls_target", "lead_value_delivered"]


def api_login(client: TestClient, email: str) -> dict[str, str]:
    """Log in; the headers a POST needs (the CSRF token from GET /api/v1/me)."""
    log_in(client, email)
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["email"] == email
    return {"X-CSRF-Token": me.json()["csrf_token"]}


def attempts_of(workspace: OpenWorkspace, contact: str) -> int:
    with transaction(workspace.sessions) as session:
        return session.execute(
            select(func.count()).select_from(Attempt).join(Contact)
            .where(Contact.email == contact)).scalar_one()  # fmt: skip


# --------------------------------------------------------------------------- login


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/me"), ("GET", "/api/v1/sla/report?month=2026-10"),
    ("GET", "/api/v1/sla/pacing"), ("GET", f"/api/v1/contacts/{L4}/clocks"),
    ("POST", "/api/v1/attempts"),
])  # fmt: skip
def test_without_a_login_the_api_answers_401_json(
    client: TestClient, method: str, path: str
) -> None:
    response = client.request(method, path, json={"contact": L4, "kind": "call"},
                              follow_redirects=False)  # fmt: skip
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert "not logged in" in response.json()["detail"]


def test_unknown_api_paths_are_json_404s(client: TestClient) -> None:
    api_login(client, MARTA)
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


# --------------------------------------------------------------------------- report, pacing


def test_report_json_is_the_compliance_report(
    db_client: TestClient, db_workspace: OpenWorkspace
) -> None:
    api_login(db_client, MARTA)
    response = db_client.get("/api/v1/sla/report?month=2026-10")
    assert response.status_code == 200
    with transaction(db_workspace.sessions) as session:
        expected = compliance_report(session, "2026-10", NOW)
    assert response.json() == expected
    data = response.json()
    assert list(data) == ["month", "sales", "marketing", "pilot", "sales_teams",
                          "marketing_teams", "as_of"]  # fmt: skip
    assert all(list(row) == SALES_KEYS for row in data["sales"])
    assert all(list(row) == MARKETING_KEYS for row in data["marketing"])
    assert list(data["pilot"]) == ["pilot", "non_pilot", "pilot_slas", "non_pilot_slas"]
    assert data["sales"][0]["first_attempt_on_time_pct"] == 33.3
    assert data["marketing"][0]["lead_value_delivered"] == "4000.00"


def test_report_defaults_to_this_month(client: TestClient) -> None:
    api_login(client, BOSS)
    assert client.get("/api/v1/sla/report").json()["month"] == "2026-10"


@pytest.mark.parametrize("month", ["2026-13", "october", "2026-1", ""])
def test_a_bad_month_is_422_with_the_reason(client: TestClient, month: str) -> None:
    api_login(client, MARTA)
    response = client.get(f"/api/v1/sla/report?month={month}")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("month: ")
    assert "YYYY-MM" in detail


def test_a_rep_gets_only_own_report_rows(client: TestClient) -> None:
    api_login(client, ANA)
    data = client.get("/api/v1/sla/report?month=2026-10").json()
    assert [row["rep"] for row in data["sales"]] == [ANA]
    assert [row["rep"] for row in data["marketing"]] == [ANA]
    assert [row["team"] for row in data["sales_teams"]] == ["iberia"]
    assert data["pilot"] is None


def test_pacing_json(client: TestClient, workspace: OpenWorkspace) -> None:
    api_login(client, MARTA)
    response = client.get("/api/v1/sla/pacing")
    assert response.status_code == 200
    with transaction(workspace.sessions) as session:
        assert response.json() == pacing_json(session, NOW)
    log_in(client, CARLA)
    mine = client.get("/api/v1/sla/pacing").json()
    assert [row["rep"] for row in mine["reps"]] == [CARLA]
    assert [row["team"] for row in mine["teams"]] == ["italia"]


# --------------------------------------------------------------------------- attempts


def test_logging_an_attempt_returns_201_and_meets_the_clock(
    db_client: TestClient, db_workspace: OpenWorkspace
) -> None:
    headers = api_login(db_client, ANA)
    before = db_client.get(f"/api/v1/contacts/{L4}/clocks").json()
    assert {c["kind"]: c["state"] for c in before["clocks"]} == {
        "first_attempt": "on_track", "cadence": "on_track"}  # fmt: skip
    response = db_client.post("/api/v1/attempts", headers=headers, json={
        "contact": L4, "kind": "call", "outcome": "connected", "note": "booked a demo",
        "at": "2026-10-30T11:30:00+01:00",
    })  # fmt: skip
    assert response.status_code == 201, response.text
    attempt_id = response.json()["id"]
    assert attempt_id.startswith("att-")
    clocks = {c["kind"]: c for c in db_client.get(f"/api/v1/contacts/{L4}/clocks").json()["clocks"]}
    assert clocks["first_attempt"]["state"] == "met"
    assert clocks["first_attempt"]["met_at"] == "2026-10-30T10:30:00Z"
    assert clocks["cadence"]["state"] == "met"  # connected
    with transaction(db_workspace.sessions) as session:
        attempt = session.get(Attempt, attempt_id)
        assert attempt is not None
        owner = session.get(User, attempt.user_id)
        assert owner is not None
        assert owner.email == ANA
        assert (attempt.kind, attempt.outcome, attempt.note) == ("call", "connected",
                                                                 "booked a demo")  # fmt: skip


@pytest.mark.parametrize(("body", "detail"), [
    ({"contact": L4, "kind": "fax"}, "kind: must be one of call, email, meeting, social, other"),
    ({"contact": L4}, "kind: required"),
    ({"kind": "call"}, "contact: required"),
    ({"contact": L4, "kind": "call", "outcome": "maybe"}, "outcome: must be one of"),
    ({"contact": L4, "kind": "call", "at": "2026-10-30T10:00:00"}, "at: "),
    ({"contact": L4, "kind": "call", "at": "2026-10-31T10:00:00Z"}, "at: "),
    ({"contact": L4, "kind": "call", "when": "now"}, "when: unknown field"),
    ({"contact": L4, "kind": 3}, "kind: must be a string"),
    ([1, 2], "body: must be a JSON object"),
])  # fmt: skip
def test_bad_attempts_are_422_naming_the_field(
    client: TestClient, workspace: OpenWorkspace, body: Any, detail: str
) -> None:
    headers = api_login(client, ANA)
    response = client.post("/api/v1/attempts", headers=headers, json=body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail)
    assert attempts_of(workspace, L4) == 0


def test_malformed_json_is_422_with_a_readable_detail(client: TestClient) -> None:
    headers = api_login(client, ANA)
    response = client.post("/api/v1/attempts", content=b"{not json",
                           headers={**headers, "content-type": "application/json"})  # fmt: skip
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)


def test_an_attempt_needs_the_csrf_header(client: TestClient, workspace: OpenWorkspace) -> None:
    api_login(client, ANA)
    response = client.post("/api/v1/attempts", json={"contact": L4, "kind": "call"})
    assert response.status_code == 403
    assert "X-CSRF-Token" in response.json()["detail"]
    forged = client.post("/api/v1/attempts", json={"contact": L4, "kind": "call"},
                         headers={"X-CSRF-Token": "forged"})  # fmt: skip
    assert forged.status_code == 403
    assert attempts_of(workspace, L4) == 0


def test_a_rep_gets_404_for_another_reps_lead(client: TestClient, workspace: OpenWorkspace) -> None:
    headers = api_login(client, ANA)
    other = client.post("/api/v1/attempts", headers=headers, json={"contact": L6, "kind": "call"})
    ghost = client.post("/api/v1/attempts", headers=headers,
                        json={"contact": "ghost@x.example", "kind": "call"})  # fmt: skip
    assert other.status_code == ghost.status_code == 404
    assert attempts_of(workspace, L6) == 0
    assert client.get(f"/api/v1/contacts/{L6}/clocks").status_code == 404


def test_who_may_log_for_whom(client: TestClient, workspace: OpenWorkspace) -> None:
    headers = api_login(client, ANA)
    for_bruno = client.post("/api/v1/attempts", headers=headers,
                            json={"contact": L4, "kind": "call", "by": BRUNO})  # fmt: skip
    assert for_bruno.status_code == 403
    assert for_bruno.json()["detail"].startswith("by: ")

    headers = api_login(client, MARTA)
    marketing = client.post("/api/v1/attempts", headers=headers,
                            json={"contact": L4, "kind": "call"})  # fmt: skip
    assert marketing.status_code == 403
    assert client.get(f"/api/v1/contacts/{L4}/clocks").status_code == 200  # may look

    headers = api_login(client, BOSS)  # manages iberia
    italia = client.post("/api/v1/attempts", headers=headers,
                         json={"contact": L8, "kind": "call", "by": CARLA})  # fmt: skip
    assert italia.status_code == 403
    for_ana = client.post("/api/v1/attempts", headers=headers,
                          json={"contact": L4, "kind": "email", "by": ANA})  # fmt: skip
    assert for_ana.status_code == 201
    nobody = client.post(
        "/api/v1/attempts",
        headers=headers,
        json={"contact": L4, "kind": "email", "by": "ghost@acme.example"},
    )
    assert nobody.status_code == 422
    assert nobody.json()["detail"].startswith("by: no user")
    assert attempts_of(workspace, L4) == 1
    assert attempts_of(workspace, L8) == 3  # Carla's own three from October
    with transaction(workspace.sessions) as session:
        state = session.execute(
            select(SlaClock.state).join(Contact, Contact.id == SlaClock.contact_id)
            .where(Contact.email == L4, SlaClock.kind == "first_attempt")).scalar_one()  # fmt: skip
    assert state == "met"  # logged for the owner, so it counts


def test_clocks_of_a_lead(client: TestClient) -> None:
    api_login(client, BOSS)
    data = client.get("/api/v1/contacts/l5@x.example/clocks").json()
    assert data["contact"] == "l5@x.example"
    by_owner = sorted((c["owner"], c["kind"], c["state"]) for c in data["clocks"])
    # Bruno's clocks closed on the reassignment; Dario's first attempt met, cadence missed.
    assert by_owner == [
        ("bruno@acme.example", "cadence", "closed"),
        ("bruno@acme.example", "first_attempt", "closed"),
        ("dario@acme.example", "cadence", "breached"),
        ("dario@acme.example", "first_attempt", "met"),
    ]
    assert set(data["clocks"][0]) == {
        "id", "kind", "owner", "sla", "sla_version", "in_pilot", "started_at", "due_at",
        "at_risk_at", "state", "met_at", "closed_at", "closed_reason", "attempts_done",
        "attempts_required",
    }  # fmt: skip
