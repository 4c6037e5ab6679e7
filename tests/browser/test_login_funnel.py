"""Log in through the real form in chromium and read the funnel the server rendered."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from smarketing.accounts.pages import BAD_LOGIN
from smarketing.auth.service import set_passwords
from smarketing.core.database import transaction
from smarketing.core.settings import Settings
from smarketing.core.workspace import open_workspace
from smarketing.interchange.service import import_records
from smarketing.web.app import create_app
from tests.browser.conftest import serve_in_thread

pytestmark = pytest.mark.browser

PASSWORD = "browser-secret"
MARTA, ANA = "marta@acme.example", "ana@acme.example"


def contact(email: str, stage: str, owner: str | None = None) -> dict[str, Any]:
    record = {"type": "contact", "email": email, "created_at": "2026-04-10T08:00:00Z",
              "first_name": email.split("@")[0].title(), "lifecycle_stage": stage}  # fmt: skip
    if owner:
        record["owner"] = owner
    return record


RECORDS = [
    {"type": "workspace", "name": "Acme Cocinas", "timezone": "Europe/Madrid"},
    {"type": "user", "email": MARTA, "name": "Marta Gil", "role": "marketing"},
    {"type": "user", "email": ANA, "name": "Ana Ruiz", "role": "sales_rep"},
    contact("sub@example.org", "subscriber"),
    contact("lea@example.org", "lead"),
    contact("leo@example.org", "lead"),
    contact("lia@example.org", "lead"),
    contact("mia@example.org", "mql", owner=ANA),
    contact("max@example.org", "mql"),
    contact("cleo@example.org", "customer", owner=ANA),
]


@pytest.fixture
def server_url(sqlite_url: str) -> Iterator[str]:
    workspace = open_workspace(Settings(database_url=sqlite_url, secret_key="browser-test"))
    with transaction(workspace.sessions) as session:
        report = import_records(session, RECORDS)
        assert not report.rejections, report.rejections
        set_passwords(session, [MARTA, ANA], PASSWORD)
    try:
        yield from serve_in_thread(create_app(workspace))
    finally:
        workspace.engine.dispose()


def log_in(page: Any, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(base + "/")
    assert page.url.startswith(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def funnel_counts(page: Any) -> dict[str, int]:
    counts = {}
    for row in page.locator("#funnel tbody tr").all():
        stage = row.get_attribute("data-stage")
        counts[stage] = int(row.locator('td[data-col="count"]').inner_text().replace(",", ""))
    return counts


def test_marketing_logs_in_and_sees_the_funnel(page: Any, server_url: str) -> None:
    log_in(page, server_url, MARTA)
    page.wait_for_url(server_url + "/")
    assert page.locator("h1").inner_text() == "Funnel"
    assert page.get_by_text("Marta Gil").is_visible()
    assert funnel_counts(page) == {
        "subscriber": 1, "lead": 3, "mql": 2, "sql": 0, "opportunity": 0, "customer": 1,
        "evangelist": 0, "other": 0,
    }  # fmt: skip
    page.get_by_role("link", name="Mia").click()
    page.wait_for_url(re.compile(r".*/contacts/mia(@|%40)example\.org$"))
    assert page.locator("h1").inner_text() == "Mia"
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(server_url + "/login")
    page.goto(server_url + "/")
    assert page.url.startswith(server_url + "/login")


def test_a_rep_sees_only_own_contacts(page: Any, server_url: str) -> None:
    log_in(page, server_url, ANA, "wrong password")
    assert page.get_by_role("alert").inner_text() == BAD_LOGIN
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(server_url + "/")
    counts = funnel_counts(page)
    assert (counts["mql"], counts["customer"], sum(counts.values())) == (1, 1, 2)
