"""The tracking snippet in chromium: docs/tracking-demo.html served from a second origin
against the live app; a visit with UTM parameters, then the form, lands on the contact."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from smarketing.core.database import transaction
from smarketing.core.settings import Settings
from smarketing.core.timeutil import utcnow
from smarketing.core.workspace import OpenWorkspace, open_workspace
from smarketing.interchange.service import import_records
from smarketing.models import Activity, Company, Contact, Visitor, VisitorEvent
from smarketing.tracking import service
from smarketing.web.app import create_app
from tests.browser.conftest import serve_in_thread

pytestmark = pytest.mark.browser

DEMO_PAGE = Path(__file__).resolve().parents[2] / "docs" / "tracking-demo.html"
DEMO_APP_URL = "http://127.0.0.1:8000"
#: A form with fields the script must never send, whatever their names.
SIGNUP_PAGE = """<!doctype html><html><head><title>Sign up</title>
<script src="{app}/t.js" async></script></head><body>
<form id="signup" onsubmit="event.preventDefault()">
  <input name="work_email" type="email" aria-label="Email">
  <input name="answer" type="password" aria-label="Answer">
  <input name="ref_code" type="hidden" value="from-partner">
  <textarea name="message" aria-label="Message"></textarea>
  <input name="first_name" aria-label="First name">
  <button type="submit">Sign up</button>
</form></body></html>"""


@pytest.fixture
def workspace(sqlite_url: str) -> Iterator[OpenWorkspace]:
    workspace = open_workspace(Settings(database_url=sqlite_url, secret_key="browser-test"))
    with transaction(workspace.sessions) as session:
        import_records(session, [
            {"type": "workspace", "name": "Acme Cocinas"},
            {"type": "campaign", "key": "spring", "name": "Spring search",
             "channel": "paid_search", "utm_campaign": "spring"},
        ])  # fmt: skip
        service.add_domains(session, ["127.0.0.1"], utcnow())
    try:
        yield workspace
    finally:
        workspace.engine.dispose()


@pytest.fixture
def app_url(workspace: OpenWorkspace) -> Iterator[str]:
    yield from serve_in_thread(create_app(workspace))


@pytest.fixture
def site_url(app_url: str, tmp_path: Path) -> Iterator[str]:
    """The demo page, pointed at the live app, and a sign-up page, served by a plain
    static server on another port: another origin."""
    demo = DEMO_PAGE.read_text(encoding="utf-8")
    assert f'src="{DEMO_APP_URL}/t.js"' in demo
    (tmp_path / "tracking-demo.html").write_text(demo.replace(DEMO_APP_URL, app_url))
    (tmp_path / "signup.html").write_text(SIGNUP_PAGE.format(app=app_url))
    handler = partial(_QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        """Keep the test output clean: no access log."""


def _is_track(kind: str) -> Any:
    def matches(response: Any) -> bool:
        return (response.url.endswith("/track") and response.request.method == "POST"
                and f'"kind":"{kind}"' in (response.request.post_data or ""))  # fmt: skip

    return matches


def test_a_visit_then_the_demo_form_lands_on_the_contact(
    page: Any, site_url: str, workspace: OpenWorkspace
) -> None:
    landing = f"{site_url}/tracking-demo.html?utm_source=google&utm_medium=cpc&utm_campaign=spring"
    with page.expect_response(_is_track("page_view")) as viewed:
        page.goto(landing)
    assert viewed.value.status == 200
    assert viewed.value.headers["access-control-allow-origin"] == site_url
    cookie = next(c for c in page.context.cookies() if c["name"] == "smk_vid")
    assert cookie["domain"] == "127.0.0.1"
    assert cookie["sameSite"] == "Lax"
    with transaction(workspace.sessions, read_only=True) as session:
        anonymous = session.scalars(select(VisitorEvent)).all()
        assert [(e.visitor_id, e.kind, e.channel) for e in anonymous] == [
            (cookie["value"], "page_view", "paid_search")]

    page.get_by_label("Name").fill("Lucía Romero")
    page.get_by_label("Work email").fill("lucia@romero-interiores.example")
    page.get_by_label("Company").fill("Romero Interiores")
    with page.expect_response(_is_track("form_submit")) as submitted:
        page.get_by_role("button", name="Book my visit").click()
    assert submitted.value.status == 200
    page.get_by_text("Thank you!").wait_for()

    with transaction(workspace.sessions, read_only=True) as session:
        lucia = session.execute(select(Contact).where(
            Contact.email == "lucia@romero-interiores.example")).scalar_one()  # fmt: skip
        activities = session.scalars(select(Activity).where(Activity.contact_id == lucia.id)
                                     .order_by(Activity.at)).all()  # fmt: skip
        visitor = session.get(Visitor, cookie["value"])
        company = session.get(Company, lucia.company_id)
        assert [(a.kind, a.channel) for a in activities] == [("page_view", "paid_search"),
                                                             ("form_submit", "paid_search")]
        assert activities[0].id == anonymous[0].id
        assert activities[0].url == landing
        assert activities[0].properties["utm"]["utm_campaign"] == "spring"
        assert (lucia.first_name, lucia.last_name, lucia.lifecycle_stage) == (
            "Lucía", "Romero", "lead")
        assert company is not None
        assert company.name == "Romero Interiores"
        assert lucia.first_touch_channel == "paid_search"
        assert lucia.first_touch_campaign_id == activities[0].campaign_id
        assert visitor is not None
        assert (visitor.contact_id, visitor.first_touch_channel) == (lucia.id, "paid_search")
        assert session.scalars(select(VisitorEvent)).all() == []


def test_the_script_never_sends_password_hidden_or_free_text_fields(
    page: Any, site_url: str, workspace: OpenWorkspace
) -> None:
    with page.expect_response(_is_track("page_view")):
        page.goto(f"{site_url}/signup.html")
    page.get_by_label("Email").fill("max@example.org")
    page.get_by_label("Answer").fill("my-secret-answer")
    page.get_by_label("Message").fill("private note")
    page.get_by_label("First name").fill("Max")
    with page.expect_response(_is_track("form_submit")) as submitted:
        page.get_by_role("button", name="Sign up").click()
    sent = submitted.value.request.post_data
    assert "my-secret-answer" not in sent
    assert "from-partner" not in sent
    assert "private note" not in sent
    with transaction(workspace.sessions, read_only=True) as session:
        form = session.scalars(select(Activity).where(Activity.kind == "form_submit")).one()
        assert form.properties["fields"] == {"work_email": "max@example.org",
                                             "first_name": "Max"}
        max_ = session.execute(select(Contact).where(Contact.email == "max@example.org")
                               ).scalar_one()  # fmt: skip
        assert (max_.first_name, max_.first_touch_channel) == ("Max", "direct")
