"""GDPR export and erasure (issue 10, item 8): everything about a person out as JSON, or
gone with their address suppressed; on SQLite and PostgreSQL, through the service, the
command line, the API (admin key) and the page. The SQLite file keeps no trace of an
erased address."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from smarketing.cli import app as cli_app
from smarketing.contacts.suppression import suppress, suppressed, unsuppress
from smarketing.core.database import make_engine, transaction
from smarketing.core.settings import get_settings
from smarketing.core.workspace import OpenWorkspace
from smarketing.hooks import service as hooks
from smarketing.hooks.domain import signed_headers
from smarketing.models import (
    Activity,
    Contact,
    Deal,
    MergedContact,
    Notification,
    PrivacyRequest,
    QuarantineItem,
    SuppressedAddress,
    User,
    WebhookRequest,
)
from smarketing.privacy.service import erase_person, export_person
from smarketing.web.app import create_app
from tests.support.api_keys import auth, make_api_key
from tests.support.web import PASSWORD, csrf_from, seeded_workspace

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LEA = "lea.ruiz@studio.example"
OTHER = "max@build.example"
ADMIN = "admin@acme.example"
REP = "ana@acme.example"
SECRET = "forms-secret-0123456789"
RECORDS: list[dict[str, Any]] = [
    {"type": "workspace", "name": "Acme", "currency": "EUR", "timezone": "Europe/Madrid"},
    {"type": "user", "email": ADMIN, "name": "Ada", "role": "admin"},
    {"type": "user", "email": REP, "name": "Ana", "role": "sales_rep"},
    {"type": "campaign", "key": "spring", "name": "Spring webinar", "channel": "event"},
    {"type": "contact", "email": LEA, "created_at": "2026-05-01T10:00:00Z", "owner": REP,
     "campaign": "spring", "first_name": "Lea", "last_name": "Ruiz"},
    {"type": "contact", "email": "lea.old@studio.example", "created_at": "2026-04-01T10:00:00Z"},
    {"type": "activity", "id": "a-1", "contact": LEA, "kind": "form_submit",
     "at": "2026-05-02T09:00:00Z", "campaign": "spring"},
    {"type": "stage_change", "contact": LEA, "to": "mql", "at": "2026-05-04T09:00:00Z"},
    {"type": "deal", "id": "crm-1", "contact": LEA, "amount": "1000.50", "status": "open",
     "created_at": "2026-05-05T09:00:00Z"},
    {"type": "contact", "email": OTHER, "created_at": "2026-05-10T10:00:00Z"},
    {"type": "activity", "id": "a-9", "contact": OTHER, "kind": "page_view",
     "at": "2026-05-11T09:00:00Z"},
]  # fmt: skip


def _traces(session: Session) -> None:
    """What the text of other tables may hold about Lea: a quarantined item, a webhook
    log line, a notification linking to her page; and a merged address of hers."""
    from smarketing.contacts.merge import merge_contacts

    merge_contacts(session, LEA, "lea.old@studio.example", NOW, "tests")
    session.add(QuarantineItem(source="api", kind="contact", reason="country: bad",
                               payload=json.dumps({"email": "Lea.Ruiz@Studio.example"}),
                               received_at=NOW))  # fmt: skip
    session.add(QuarantineItem(source="api", kind="contact", reason="country: bad",
                               payload=json.dumps({"email": OTHER}), received_at=NOW))
    session.add(WebhookRequest(source="forms", received_at=NOW, outcome="quarantined",
                               reason=f"quarantine item 1: {LEA}: owner unknown"))  # fmt: skip
    rep = session.scalars(select(User).where(User.email == REP)).one()
    session.add(Notification(user_id=rep.id, kind="lead_activity", subject="Lea Ruiz: form",
                             body="Lea Ruiz submitted a form",
                             link="/contacts/lea.ruiz%40studio.example",
                             dedupe_key="lead-activity:x:1", created_at=NOW))  # fmt: skip
    session.flush()


@pytest.fixture
def workspace(workspace_url: str) -> Iterator[OpenWorkspace]:
    with seeded_workspace(workspace_url, RECORDS, logins=[ADMIN, REP], now=NOW) as workspace:
        with transaction(workspace.sessions) as session:
            _traces(session)
            hooks.add_source(session, "forms", "generic", now=NOW, secret=SECRET)
        yield workspace


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_export_holds_every_row_about_the_person_and_nothing_else(
    workspace: OpenWorkspace,
) -> None:
    with transaction(workspace.sessions) as session:
        document = export_person(session, "  LEA.Ruiz@studio.example ", now=NOW, actor="tests")
    assert document["address"] == LEA
    assert document["addresses"] == ["lea.old@studio.example", LEA]
    tables = document["tables"]
    assert [row["email"] for row in tables["contacts"]] == [LEA]
    assert [row["id"] for row in tables["activities"]] == ["a-1"]
    assert [(row["id"], row["amount"]) for row in tables["deals"]] == [("crm-1", "1000.50")]
    assert [row["merged_email"] for row in tables["merged_contacts"]] == [
        "lea.old@studio.example"]
    assert len(tables["quarantine"]) == 1
    assert "Lea.Ruiz" in tables["quarantine"][0]["payload"]
    assert len(tables["webhook_requests"]) == 1
    assert [row["link"] for row in tables["notifications"]] == [
        "/contacts/lea.ruiz%40studio.example"]
    assert {row["to_stage"] for row in tables["lifecycle_history"]} >= {"lead", "mql"}
    assert document["counts"] == {table: len(rows) for table, rows in tables.items()}
    assert OTHER not in json.dumps(document)
    json.dumps(document)  # every value is JSON
    with transaction(workspace.sessions) as session:
        logged = session.scalars(select(PrivacyRequest)).one()
        assert (logged.action, logged.actor, logged.counts) == ("export", "tests",
                                                                document["counts"])
        assert LEA not in json.dumps([logged.address_hash, logged.counts])


def test_erase_removes_the_person_keeps_others_and_logs_counts(workspace: OpenWorkspace) -> None:
    with transaction(workspace.sessions) as session:
        erasure = erase_person(session, LEA, now=NOW, actor="tests")
    assert erasure.counts["contacts"] == 1
    assert erasure.counts["activities"] == 1
    assert erasure.counts["deals"] == 1
    assert erasure.counts["quarantine"] == 1
    assert erasure.counts["notifications"] == 1
    assert erasure.addresses == 2
    assert erasure.suppressed == 2
    with transaction(workspace.sessions) as session:
        assert _count(session, Contact, Contact.email == LEA) == 0
        assert _count(session, MergedContact) == 0
        assert _count(session, Deal) == 0
        assert _count(session, Activity) == 1  # Max's
        assert _count(session, QuarantineItem) == 1  # Max's
        assert _count(session, Contact, Contact.email == OTHER) == 1
        assert suppressed(session, ["Lea.Ruiz@Studio.example", "lea.old@studio.example",
                                    OTHER]) == {"Lea.Ruiz@Studio.example",
                                                "lea.old@studio.example"}  # fmt: skip
        logged = session.scalars(select(PrivacyRequest)).one()
        assert logged.action == "erase"
        assert logged.counts == erasure.counts
        hashes = set(session.scalars(select(SuppressedAddress.address_hash)))
        assert logged.address_hash in hashes
        assert LEA not in "".join(hashes)


def test_the_suppression_list_survives_a_secret_rotation_and_can_be_lifted(
    workspace_url: str,
) -> None:
    with seeded_workspace(workspace_url, RECORDS[:2], logins=[], now=NOW) as workspace:
        with transaction(workspace.sessions) as session:
            assert suppressed(session, [LEA]) == set()  # no salt yet: nothing to look up
            assert suppress(session, [LEA, LEA.upper()], NOW) == 1
            assert suppress(session, [LEA], NOW) == 0
        # the salt is in the database, not derived from SMARKETING_SECRET_KEY
        with transaction(workspace.sessions) as session:
            assert suppressed(session, [f" {LEA.upper()} "]) == {f" {LEA.upper()} "}
            assert unsuppress(session, [LEA]) == 1
            assert suppressed(session, [LEA]) == set()


def test_a_webhook_for_an_erased_address_is_dropped_and_keeps_nothing(
    workspace: OpenWorkspace,
) -> None:
    with transaction(workspace.sessions) as session:
        erase_person(session, LEA, now=NOW, actor="tests")
    body = json.dumps({"id": "f-7", "email": "Lea.Ruiz@Studio.example",
                       "first_name": "Lea"}).encode()  # fmt: skip
    with TestClient(create_app(workspace, clock=lambda: NOW)) as client:
        response = client.post("/hooks/forms", content=body, headers={
            "Content-Type": "application/json",
            **signed_headers(SECRET, body, int(NOW.timestamp()))})  # fmt: skip
        merged = json.dumps({"id": "f-8", "email": "lea.old@studio.example"}).encode()
        again = client.post("/hooks/forms", content=merged, headers={
            "Content-Type": "application/json",
            **signed_headers(SECRET, merged, int(NOW.timestamp()))})  # fmt: skip
    assert response.status_code == 200, response.text
    assert (response.json()["accepted"], response.json()["suppressed"]) == (0, 1)
    assert again.json()["suppressed"] == 1
    with transaction(workspace.sessions) as session:
        assert _count(session, Contact, Contact.email.like("lea%")) == 0
        assert _count(session, QuarantineItem, QuarantineItem.payload.like("%lea%")) == 0
        reasons = list(session.scalars(select(WebhookRequest.reason)))
        assert not any("lea" in (reason or "").lower() for reason in reasons)


def test_api_needs_an_admin_key(workspace: OpenWorkspace) -> None:
    write = auth(make_api_key(workspace, "write"))
    admin = auth(make_api_key(workspace, "admin"))
    with TestClient(create_app(workspace, clock=lambda: NOW)) as client:
        refused = client.post("/api/v1/privacy/export", json={"email": LEA}, headers=write)
        exported = client.post("/api/v1/privacy/export", json={"email": LEA}, headers=admin)
        no_email = client.post("/api/v1/privacy/erase", json={"email": 7}, headers=admin)
        erased = client.post("/api/v1/privacy/erase", json={"email": LEA}, headers=admin)
    assert refused.status_code == 403
    assert "admin" in refused.json()["detail"]
    assert exported.status_code == 200
    assert exported.json()["address"] == LEA
    assert no_email.status_code == 422
    assert no_email.json()["detail"].startswith("email:")
    assert erased.status_code == 200, erased.text
    assert erased.json()["erased"]["contacts"] == 1


def test_the_page_is_for_admins_and_exports_and_erases(workspace: OpenWorkspace) -> None:
    with TestClient(create_app(workspace, clock=lambda: NOW)) as client:
        for email, allowed in ((REP, False), (ADMIN, True)):
            client.cookies.clear()
            login = client.get("/login")
            client.post("/login", data={"csrf_token": csrf_from(login.text), "email": email,
                                        "password": PASSWORD})  # fmt: skip
            page = client.get("/admin/privacy")
            assert page.status_code == (200 if allowed else 403)
        token = csrf_from(page.text)
        download = client.post("/admin/privacy/export", data={"csrf_token": token, "email": LEA})
        assert download.headers["content-disposition"].startswith("attachment")
        assert download.json()["address"] == LEA
        done = client.post("/admin/privacy/erase", data={"csrf_token": token, "email": LEA})
        assert done.status_code == 200
        assert 'id="erased"' in done.text
    with transaction(workspace.sessions) as session:
        assert _count(session, Contact, Contact.email == LEA) == 0


# ----------------------------------------------------------------------------- the file


def _file_bytes(path: Path) -> bytes:
    data = b""
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-journal")):
        if name.exists():
            data += name.read_bytes()
    return data


def _mentions(data: bytes, email: str) -> list[str]:
    lowered = data.lower()
    forms = {email, email.replace("@", "%40")}
    return sorted(form for form in forms if form.encode() in lowered)


@pytest.mark.parametrize("vacuum", [False, True])
def test_an_erased_demo_contact_leaves_no_trace_in_the_sqlite_file(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, vacuum: bool
) -> None:
    monkeypatch.setenv("SMARKETING_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    runner = CliRunner()
    built = runner.invoke(cli_app, ["demo", "--contacts", "150"], catch_exceptions=False)
    assert built.exit_code == 0, built.output
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    engine = make_engine(sqlite_url)
    with engine.begin() as connection:  # the demo contact with the longest story
        email = connection.exec_driver_sql(
            "SELECT c.email FROM contacts c JOIN activities a ON a.contact_id = c.id "
            "JOIN deals d ON d.contact_id = c.id GROUP BY c.email "
            "ORDER BY count(*) DESC, c.email LIMIT 1").scalar_one()  # fmt: skip
    with Session(engine) as session, session.begin():  # its address in other tables' text
        session.add(QuarantineItem(source="api", kind="contact", reason=f"{email}: bad",
                                   payload=json.dumps({"email": email.upper()}),
                                   received_at=NOW))  # fmt: skip
        session.add(WebhookRequest(source="forms", received_at=NOW, outcome="refused",
                                   reason=f"no owner for {email}"))  # fmt: skip
    engine.dispose()
    assert _mentions(_file_bytes(path), email)
    args = ["gdpr", "erase", email, "--yes", *(["--vacuum"] if vacuum else [])]
    erased = runner.invoke(cli_app, args, catch_exceptions=False)
    assert erased.exit_code == 0, erased.output
    assert "contacts 1" in erased.output
    assert "quarantine 1" in erased.output
    assert _mentions(_file_bytes(path), email) == []
    get_settings.cache_clear()
    with Session(make_engine(sqlite_url)) as session:
        assert suppressed(session, [email]) == {email}
        assert _count(session, Contact) == 149


def test_cli_export_writes_the_json_and_erase_asks_first(
    workspace: OpenWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMARKETING_DATABASE_URL",
                       workspace.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    runner = CliRunner()
    out = tmp_path / "lea.json"
    exported = runner.invoke(cli_app, ["gdpr", "export", LEA, "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    assert json.loads(out.read_text())["tables"]["contacts"][0]["email"] == LEA
    declined = runner.invoke(cli_app, ["gdpr", "erase", LEA], input="n\n")
    assert declined.exit_code == 1
    bad = runner.invoke(cli_app, ["gdpr", "export", "not-an-address"])
    assert bad.exit_code == 2
    assert "email" in bad.output
    with transaction(workspace.sessions) as session:
        assert _count(session, Contact, Contact.email == LEA) == 1
    allowed = runner.invoke(cli_app, ["gdpr", "allow", OTHER, "--suppress"])
    assert allowed.exit_code == 0
    assert "suppressed" in allowed.output
    get_settings.cache_clear()
