"""The pages through FastAPI's TestClient, on a real migrated SQLite or PostgreSQL workspace."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from smarketing.accounts.pages import BAD_LOGIN
from smarketing.auth.service import set_password
from smarketing.core.database import transaction
from smarketing.core.workspace import OpenWorkspace
from smarketing.web.app import SESSION_COOKIE, create_app
from tests.support.web import PASSWORD, contact_url, csrf_from, seeded_workspace

NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
ANA, BOB, MARTA = "ana@acme.example", "bob@acme.example", "marta@acme.example"
LUIS, EVA, PIA = "luis@cocinas-lopez.es", "eva@example.org", "pia@example.org"

RECORDS = [
    {"type": "workspace", "name": "Acme Cocinas", "timezone": "Europe/Madrid"},
    {"type": "company", "domain": "cocinas-lopez.es", "name": "Cocinas López"},
    {"type": "campaign", "key": "fair", "name": "Salone del Mobile", "channel": "event"},
    {"type": "user", "email": ANA, "name": "Ana Ruiz", "role": "sales_rep"},
    {"type": "user", "email": BOB, "name": "Bob Stone", "role": "sales_rep"},
    {"type": "user", "email": MARTA, "name": "Marta Gil", "role": "marketing"},
    # Ana's: Luis (lead in April, mql and sql in May) and Pia (lead in May).
    {"type": "contact", "email": LUIS, "created_at": "2026-04-10T08:00:00Z",
     "first_name": "Luis", "last_name": "López", "company": "cocinas-lopez.es",
     "owner": ANA, "lifecycle_stage": "lead", "campaign": "fair"},
    {"type": "activity", "id": "act-1", "contact": LUIS, "kind": "content_download",
     "at": "2026-04-12T09:00:00Z", "channel": "event", "campaign": "fair",
     "content": "Kitchen planning guide"},
    {"type": "stage_change", "contact": LUIS, "to": "mql", "at": "2026-05-03T09:00:00Z",
     "by": "system"},
    {"type": "attempt", "id": "att-1", "contact": LUIS, "by": ANA, "kind": "call",
     "at": "2026-05-04T09:30:00Z", "outcome": "connected"},
    {"type": "stage_change", "contact": LUIS, "to": "sql", "at": "2026-05-05T10:00:00Z",
     "by": ANA},
    {"type": "contact", "email": PIA, "created_at": "2026-05-10T10:00:00Z",
     "first_name": "<script>alert('pia')</script>", "owner": ANA, "lifecycle_stage": "lead"},
    # Bob's: Eva (mql in May).
    {"type": "contact", "email": EVA, "created_at": "2026-05-02T12:00:00Z",
     "first_name": "Eva", "owner": BOB, "lifecycle_stage": "mql"},
    # Nobody's: two subscribers from April.
    {"type": "contact", "email": "sub1@example.org", "created_at": "2026-04-15T12:00:00Z",
     "lifecycle_stage": "subscriber"},
    {"type": "contact", "email": "sub2@example.org", "created_at": "2026-04-16T12:00:00Z",
     "lifecycle_stage": "subscriber"},
]  # fmt: skip

EMPTY = {"count": 0, "this-month": 0, "last-month": 0, "change": 0}
ALL_STAGES = ("subscriber", "lead", "mql", "sql", "opportunity", "customer", "evangelist",
              "other")  # fmt: skip


def expected(**stages: tuple[int, int, int]) -> dict[str, dict[str, int]]:
    """Funnel rows: stage=(contacts, entered this month, entered last month)."""
    rows = {stage: dict(EMPTY) for stage in ALL_STAGES}
    for stage, (count, this_month, last_month) in stages.items():
        rows[stage] = {"count": count, "this-month": this_month, "last-month": last_month,
                       "change": this_month - last_month}  # fmt: skip
    return rows


class FunnelTable(HTMLParser):
    """Reads the funnel table: {stage: {column: number}}."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, int]] = {}
        self._stage: str | None = None
        self._column: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "tr" and attributes.get("data-stage"):
            self._stage = attributes["data-stage"]
            self.rows[self._stage] = {}
        elif tag == "td" and self._stage and attributes.get("data-col"):
            self._column = attributes["data-col"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._column = None
        elif tag == "tr":
            self._stage = None

    def handle_data(self, data: str) -> None:
        if self._stage and self._column and data.strip():
            self.rows[self._stage][self._column] = int(data.strip().replace(",", ""))


def funnel_rows(html: str) -> dict[str, dict[str, int]]:
    parser = FunnelTable()
    parser.feed(html)
    return parser.rows


@contextmanager
def loaded_workspace(url: str) -> Iterator[OpenWorkspace]:
    with seeded_workspace(url, RECORDS, [ANA, BOB, MARTA], NOW) as workspace:
        yield workspace


@pytest.fixture
def workspace(sqlite_url: str) -> Iterator[OpenWorkspace]:
    """The sample workspace on SQLite, for what does not depend on the database."""
    with loaded_workspace(sqlite_url) as workspace:
        yield workspace


@pytest.fixture
def client(workspace: OpenWorkspace) -> Iterator[TestClient]:
    with TestClient(create_app(workspace, clock=lambda: NOW)) as test_client:
        yield test_client


@pytest.fixture
def db_client(workspace_url: str) -> Iterator[TestClient]:
    """A client on the sample workspace on SQLite and on PostgreSQL."""
    with loaded_workspace(workspace_url) as workspace, TestClient(
        create_app(workspace, clock=lambda: NOW)
    ) as test_client:
        yield test_client


def submit_login(
    client: TestClient, email: str, password: str = PASSWORD, next_path: str | None = None
) -> Response:
    page = client.get("/login")
    form = {"csrf_token": csrf_from(page.text), "email": email, "password": password}
    if next_path is not None:
        form["next"] = next_path
    return client.post("/login", data=form, follow_redirects=False)


def log_in(client: TestClient, email: str) -> None:
    response = submit_login(client, email)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"


def test_every_page_needs_a_login(client: TestClient) -> None:
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303
    assert home.headers["location"] == "/login"
    contact = client.get(contact_url(LUIS), follow_redirects=False)
    assert contact.status_code == 303
    assert contact.headers["location"] == "/login?next=" + quote(f"/contacts/{LUIS}", safe="")
    funnel = client.get("/funnel", follow_redirects=False)
    assert funnel.headers["location"] == "/login?next=%2Ffunnel"


def test_login_page_is_plain_html_with_local_assets(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert '<script src="/static/htmx.min.js"' in page.text
    assert 'href="/static/app.css"' in page.text
    assert "http://" not in page.text
    assert "https://" not in page.text
    assert client.get("/static/htmx.min.js").status_code == 200
    assert client.get("/static/app.css").status_code == 200


def test_bad_password_and_unknown_email_get_the_same_message(client: TestClient) -> None:
    wrong_password = submit_login(client, ANA, "not-the-password")
    unknown_email = submit_login(client, "nobody@acme.example", PASSWORD)
    for response in (wrong_password, unknown_email):
        assert response.status_code == 200
        assert BAD_LOGIN in response.text
    assert client.get("/", follow_redirects=False).status_code == 303
    assert 'value="nobody@acme.example"' in unknown_email.text


def test_login_sets_a_signed_httponly_lax_cookie(db_client: TestClient) -> None:
    client = db_client
    page = client.get("/login")
    cookie = page.headers["set-cookie"].lower()
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    log_in(client, MARTA)
    home = client.get("/")
    assert home.status_code == 200
    assert "Marta Gil" in home.text
    assert "Marketing" in home.text
    assert "Log out" in home.text
    assert ">Admin<" not in home.text


def test_marketing_sees_the_whole_funnel(db_client: TestClient) -> None:
    client = db_client
    log_in(client, MARTA)
    page = client.get("/")
    assert page.status_code == 200
    assert "All contacts: 5" in page.text
    assert funnel_rows(page.text) == expected(
        subscriber=(2, 0, 2), lead=(1, 1, 1), mql=(1, 2, 0), sql=(1, 1, 0)
    )
    assert "May 2026" in page.text
    assert "April 2026" in page.text
    assert client.get("/funnel").text == page.text


def test_funnel_lists_teams_in_funnel_order(client: TestClient) -> None:
    log_in(client, MARTA)
    html = client.get("/").text
    positions = [html.index(f'data-stage="{stage}"') for stage in ALL_STAGES]
    assert positions == sorted(positions)
    sql_row = html[html.index('data-stage="sql"'):html.index('data-stage="opportunity"')]
    assert "team-sales" in sql_row
    mql_row = html[html.index('data-stage="mql"'):html.index('data-stage="sql"')]
    assert "team-marketing" in mql_row


def test_a_rep_funnel_counts_only_own_contacts(db_client: TestClient) -> None:
    client = db_client
    log_in(client, ANA)
    page = client.get("/")
    assert "Your contacts: 2" in page.text
    assert funnel_rows(page.text) == expected(lead=(1, 1, 1), mql=(0, 1, 0), sql=(1, 1, 0))
    assert LUIS in page.text
    assert EVA not in page.text
    assert "Sales rep" in page.text


def test_recently_changed_contacts_link_to_their_pages(db_client: TestClient) -> None:
    client = db_client
    log_in(client, MARTA)
    html = client.get("/").text
    recent = html[html.index("Recently changed"):]
    links = re.findall(r'href="/contacts/([^"]+)"', recent)
    # newest change first: Pia entered lead on 05-10, Luis sql on 05-05, Eva mql on 05-02
    assert links[:3] == [quote(PIA), quote(LUIS), quote(EVA)]
    assert len(links) == 5


def test_a_rep_sees_an_own_contact(db_client: TestClient) -> None:
    client = db_client
    log_in(client, ANA)
    page = client.get(contact_url(LUIS))
    assert page.status_code == 200
    text = page.text
    assert "Luis López" in text
    assert "Cocinas López" in text
    assert "Ana Ruiz" in text
    assert "Accept into an opportunity or reject with a reason" in text  # sales' next action
    # times in the workspace timezone (Europe/Madrid, UTC+2 in May)
    assert "SQL at 2026-05-05 12:00" in text
    assert "Lead at 2026-04-10 10:00" in text
    assert "since 2026-05-05 12:00" in text
    assert "15d 2h" in text  # time in stage at NOW
    timeline = text[text.index("Timeline"):]
    order = [timeline.index(part) for part in (
        "created as Lead", "content download", "Kitchen planning guide", "Lead → MQL",
        "call attempt", "MQL → SQL")]  # fmt: skip
    assert order == sorted(order)
    assert "Salone del Mobile" in timeline


def test_the_contact_story_in_italian(db_client: TestClient) -> None:
    """Next actions, timeline summaries, event kinds and details in the page's language;
    names, campaigns and content titles as they were entered."""
    client = db_client
    log_in(client, ANA)
    text = client.get(contact_url(LUIS), headers={"Accept-Language": "it"}).text
    assert "Accettare come opportunità o rifiutare con un motivo" in text  # next action
    assert "Accept into an opportunity" not in text
    timeline = text[text.index("Cronologia"):]
    order = [timeline.index(part) for part in (
        "creato come Lead", "download di contenuto", "Kitchen planning guide",
        "Lead → MQL", "tentativo: chiamata", "MQL → SQL")]  # fmt: skip
    assert order == sorted(order)
    assert "Salone del Mobile" in timeline  # the campaign's name stays
    assert ">cambio di fase</span>" in timeline  # the event kind
    assert "<dt>esito</dt> <dd>contattato</dd>" in re.sub(r"\s+", " ", timeline)
    assert "<dt>canale</dt> <dd>evento</dd>" in re.sub(r"\s+", " ", timeline)
    for english in ("created as", "content download", "call attempt", "stage change"):
        assert english not in timeline


def test_a_rep_gets_404_for_another_reps_contact(db_client: TestClient) -> None:
    client = db_client
    log_in(client, ANA)
    others = client.get(contact_url(EVA))
    missing = client.get(contact_url("ghost@example.org"))
    assert others.status_code == missing.status_code == 404
    assert EVA not in others.text
    assert others.text.replace(EVA, "") == missing.text.replace("ghost@example.org", "")


def test_marketing_sees_every_contact(db_client: TestClient) -> None:
    client = db_client
    log_in(client, MARTA)
    for email in (LUIS, EVA, PIA, "sub1@example.org"):
        assert client.get(contact_url(email)).status_code == 200, email
    eva = client.get(contact_url(EVA)).text
    assert "MQL" in eva
    assert "Assign to a sales rep now" in eva
    assert "Bob Stone" in eva


def test_pages_escape_what_they_show(client: TestClient) -> None:
    log_in(client, MARTA)
    for html in (client.get("/").text, client.get(contact_url(PIA)).text):
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#39;pia&#39;)&lt;/script&gt;" in html


def test_logout_ends_the_session(client: TestClient) -> None:
    log_in(client, MARTA)
    page = client.get("/")
    response = client.post("/logout", data={"csrf_token": csrf_from(page.text)},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_posts_without_the_csrf_token_are_rejected(client: TestClient) -> None:
    client.get("/login")
    no_token = client.post("/login", data={"email": MARTA, "password": PASSWORD},
                           follow_redirects=False)  # fmt: skip
    assert no_token.status_code == 403
    assert "Form expired" in no_token.text
    assert client.get("/", follow_redirects=False).status_code == 303

    log_in(client, MARTA)
    wrong = client.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert wrong.status_code == 403
    assert client.get("/").status_code == 200  # still logged in


def test_htmx_posts_may_send_the_token_in_a_header(client: TestClient) -> None:
    log_in(client, MARTA)
    token = csrf_from(client.get("/").text)
    response = client.post("/logout", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert response.status_code == 303


def test_a_csrf_token_from_another_session_is_rejected(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    with TestClient(create_app(workspace, clock=lambda: NOW)) as other:
        foreign = csrf_from(other.get("/login").text)
    client.get("/login")
    form = {"csrf_token": foreign, "email": MARTA, "password": PASSWORD}
    response = client.post("/login", data=form, follow_redirects=False)
    assert response.status_code == 403


def test_login_returns_to_the_page_asked_for(client: TestClient) -> None:
    target = client.get(contact_url(LUIS), follow_redirects=False).headers["location"]
    next_path = target.split("next=", 1)[1]
    login_page = client.get(target)
    assert f'name="next" value="/contacts/{LUIS}"' in login_page.text
    response = submit_login(client, MARTA, next_path=f"/contacts/{LUIS}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/contacts/{LUIS}"
    assert quote(f"/contacts/{LUIS}", safe="") == next_path


@pytest.mark.parametrize("next_path", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
    "evil.example", "/login", "",
])  # fmt: skip
def test_login_never_redirects_off_site(client: TestClient, next_path: str) -> None:
    response = submit_login(client, MARTA, next_path=next_path)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_a_password_change_ends_existing_logins(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    log_in(client, MARTA)
    with transaction(workspace.sessions) as session:
        set_password(session, MARTA, "a brand new password")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_unknown_pages_are_a_404_page(client: TestClient) -> None:
    log_in(client, MARTA)
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Not found" in response.text
