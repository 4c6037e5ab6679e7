"""The October 2026 workspace the page and API tests share: the hand-computed month of
tests/sla/test_report.py (Madrid, teams iberia and italia, the active SLA "default" and
the pilot "fast-track"), plus an admin and a draft SLA "trial" with the sources' template
terms; now is Fri 30 Oct 2026 12:00 in Madrid. Logging in and reading tables of a page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any

from fastapi.testclient import TestClient

from smarketing.core.workspace import OpenWorkspace
from tests.sla.test_report import ANA, BRUNO, CARLA, NOW, OCTOBER
from tests.support.web import PASSWORD, csrf_from, seeded_workspace

ADMIN, BOSS, MARTA = "admin@acme.example", "boss@acme.example", "marta@acme.example"
LOGINS = [ADMIN, BOSS, MARTA, ANA, BRUNO, CARLA]
TEMPLATE_TERMS = {
    "marketing": {"mqls_per_rep_per_month": 300},
    "sales": {"first_attempt_within_hours": 8, "attempts": 5, "attempts_within_days": 14},
}
RECORDS: list[dict[str, Any]] = [
    *OCTOBER,
    {"type": "user", "email": ADMIN, "name": "Adam Admin", "role": "admin"},
    {"type": "sla", "key": "trial", "status": "draft", "effective_from": "2026-10-01",
     "calendar": "madrid", **TEMPLATE_TERMS},
]  # fmt: skip
SLA_PAGES = ("/sla", "/sla/report", "/sla/pacing", "/sla/plan", "/notifications")
L3, L4, L6, L8 = "l3@x.example", "l4@x.example", "l6@x.example", "l8@x.example"


@contextmanager
def october_workspace(url: str) -> Iterator[OpenWorkspace]:
    with seeded_workspace(url, RECORDS, LOGINS, NOW) as workspace:
        yield workspace


def log_in(client: TestClient, email: str) -> str:
    """Log in through the form; returns the session's CSRF token."""
    page = client.get("/login")
    form = {"csrf_token": csrf_from(page.text), "email": email, "password": PASSWORD}
    response = client.post("/login", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/sla").text)


class Rows(HTMLParser):
    """Reads table rows: {(table id, row key): {data-col: text}}.

    A row's key is its data-rep, -team, -group, -stage, -kind or -step attribute.
    """

    KEYS = ("data-rep", "data-team", "data-group", "data-stage", "data-kind", "data-step")

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[tuple[str, str], dict[str, str]] = {}
        self.attrs: dict[tuple[str, str], dict[str, str]] = {}
        self._table = ""
        self._row: tuple[str, str] | None = None
        self._column: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "table":
            self._table = attributes.get("id", "")
        elif tag == "tr":
            key = next((attributes[k] for k in self.KEYS if k in attributes), None)
            self._row = (self._table, key) if key is not None else None
            if self._row is not None:
                self.rows[self._row] = {}
                self.attrs[self._row] = attributes
        elif tag in ("td", "th") and self._row is not None and "data-col" in attributes:
            self._column = attributes["data-col"]
            self.rows[self._row][self._column] = ""
            if "data-value" in attributes:
                self.rows[self._row][self._column + ".value"] = attributes["data-value"]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._column = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._row is not None and self._column is not None:
            cell = self.rows[self._row]
            cell[self._column] = " ".join((cell[self._column] + " " + data).split())


def table_rows(html: str) -> Rows:
    parser = Rows()
    parser.feed(html)
    return parser


