"""The Content-Security-Policy in chromium (issue 10, item 7): the pages, htmx and the
vendored Swagger UI at /docs keep working, and the browser reports no violation; the
confirmation of a form (data-confirm, no inline handler) still asks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from smarketing.auth.service import set_passwords
from smarketing.core.database import transaction
from smarketing.core.settings import Settings
from smarketing.core.workspace import open_workspace
from smarketing.interchange.service import import_records
from smarketing.web.app import create_app
from tests.browser.conftest import serve_in_thread

pytestmark = pytest.mark.browser

PASSWORD = "browser-secret"
ADMIN = "ada@acme.example"
RECORDS = [
    {"type": "workspace", "name": "Acme Cocinas", "timezone": "Europe/Madrid"},
    {"type": "user", "email": ADMIN, "name": "Ada Admin", "role": "admin"},
    {"type": "contact", "email": "lea@example.org", "created_at": "2026-04-10T08:00:00Z",
     "lifecycle_stage": "lead"},
]  # fmt: skip


@pytest.fixture
def server_url(sqlite_url: str) -> Iterator[str]:
    workspace = open_workspace(Settings(database_url=sqlite_url, secret_key="browser-test"))
    with transaction(workspace.sessions) as session:
        report = import_records(session, RECORDS)
        assert not report.rejections, report.rejections
        set_passwords(session, [ADMIN], PASSWORD)
    try:
        yield from serve_in_thread(create_app(workspace))
    finally:
        workspace.engine.dispose()


def _watch(page: Any) -> list[str]:
    """Every CSP violation the page reports (console and securitypolicyviolation)."""
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text)
            if "Content Security Policy" in message.text else None)  # fmt: skip
    return seen


def test_pages_htmx_and_swagger_ui_work_under_the_policy(page: Any, server_url: str) -> None:
    violations = _watch(page)
    page.goto(f"{server_url}/login")
    page.fill("input[name=email]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server_url}/")
    assert page.evaluate("typeof window.htmx") == "object"  # htmx loaded and running
    for path in ("/", "/sla/pacing", "/admin/api-keys", "/admin/users", "/admin/privacy",
                 "/account/password", "/notifications"):
        page.goto(server_url + path)
        assert page.locator("main").count() == 1
    page.goto(f"{server_url}/admin/api-keys")
    page.fill("input[name=name]", "browser key")
    page.click("form[action='/admin/api-keys'] button[type=submit]")
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.goto(f"{server_url}/admin/api-keys")
    page.locator("form[data-confirm] button").first.click()
    assert asked
    assert "Revoke the key" in asked[0]
    assert "revoked" not in page.content().lower()  # dismissed: nothing was sent
    page.goto(f"{server_url}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
    assert "smarketing API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock-summary").first.click()  # an operation opens (the UI's scripts run)
    page.wait_for_selector(".opblock-body", timeout=10000)
    assert violations == []
