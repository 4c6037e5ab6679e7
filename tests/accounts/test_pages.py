"""The "My account" page: a person's own language and the notification kinds they receive,
on the October 2026 workspace (tests/web/conftest.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from smarketing.core.database import transaction
from smarketing.core.workspace import OpenWorkspace
from smarketing.models import User
from tests.sla.test_report import ANA
from tests.support.october import ADMIN, BOSS, MARTA, log_in
from tests.web.test_i18n import lang_of

EVERY_KIND = {"kind": ["lead_activity", "sla_pacing"]}


def settings_of(workspace: OpenWorkspace, email: str) -> tuple[str | None, list[str] | None]:
    with transaction(workspace.sessions) as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        return user.locale, user.muted_notification_kinds


def save(client: TestClient, csrf: str, **form: object) -> object:
    return client.post("/account", data={"csrf_token": csrf, **form}, follow_redirects=False)


def test_the_account_page_needs_a_login(client: TestClient) -> None:
    response = client.get("/account", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=" + quote("/account", safe="")


@pytest.mark.parametrize("email", [ADMIN, BOSS, MARTA, ANA])
def test_every_role_has_an_account_page_linked_from_the_header(
    client: TestClient, email: str
) -> None:
    log_in(client, email)
    assert 'href="/account"' in client.get("/").text
    page = client.get("/account")
    assert page.status_code == 200
    assert 'aria-current="page">' in page.text
    assert 'name="receive" value="lead_activity" checked' in page.text
    assert 'name="receive" value="sla_pacing" checked' in page.text
    # The SLA alerts are not offered: they always come.
    assert 'value="sla_breach"' not in page.text
    assert 'value="sla_at_risk"' not in page.text
    assert "Always on: SLA at risk, SLA breached." in page.text


def test_choose_a_language_then_clear_it(db_client: TestClient, db_workspace: OpenWorkspace
                                         ) -> None:  # fmt: skip
    csrf = log_in(db_client, ANA)
    response = save(db_client, csrf, locale="es", receive=["lead_activity", "sla_pacing"],
                    **EVERY_KIND)  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    assert settings_of(db_workspace, ANA) == ("es", [])
    page = db_client.get("/account")
    assert lang_of(page.text) == "es"
    assert "Mi cuenta" in page.text
    assert "Tus ajustes se han guardado." in page.text  # the flash, in the new language
    assert 'name="locale" value="es" lang="es" checked' in page.text
    assert lang_of(db_client.get("/").text) == "es"

    save(db_client, csrf, locale="auto", receive=["lead_activity", "sla_pacing"], **EVERY_KIND)
    assert settings_of(db_workspace, ANA) == (None, [])
    page = db_client.get("/account")
    assert lang_of(page.text) == "en"
    assert "Your settings are saved." in page.text
    assert 'name="locale" value="auto" checked' in page.text
    # Cleared, the browser's language counts again.
    assert lang_of(db_client.get("/", headers={"Accept-Language": "it"}).text) == "it"


def test_turn_lead_activity_off_and_on(db_client: TestClient, db_workspace: OpenWorkspace
                                       ) -> None:  # fmt: skip
    csrf = log_in(db_client, ANA)
    save(db_client, csrf, locale="auto", receive=["sla_pacing"], **EVERY_KIND)
    assert settings_of(db_workspace, ANA) == (None, ["lead_activity"])
    page = db_client.get("/account").text
    assert 'name="receive" value="lead_activity">' in page
    assert 'name="receive" value="sla_pacing" checked' in page
    save(db_client, csrf, locale="auto", receive=["lead_activity", "sla_pacing"], **EVERY_KIND)
    assert settings_of(db_workspace, ANA) == (None, [])


@pytest.mark.parametrize("kind", ["sla_breach", "sla_at_risk"])
def test_an_sla_alert_cannot_be_turned_off(
    db_client: TestClient, db_workspace: OpenWorkspace, kind: str
) -> None:
    csrf = log_in(db_client, ANA)
    response = save(db_client, csrf, locale="it", kind=["lead_activity", kind],
                    receive=["lead_activity"])  # fmt: skip
    assert response.status_code == 422
    assert "alerts cannot be turned off: they are how the SLA is enforced." in response.text
    assert settings_of(db_workspace, ANA) == (None, [])  # nothing written


def test_the_refusal_speaks_the_page_language(client: TestClient) -> None:
    csrf = log_in(client, ANA)
    response = client.post("/account", headers={"Accept-Language": "pt-BR"}, data={
        "csrf_token": csrf, "locale": "auto", "kind": "sla_breach"})  # fmt: skip
    assert response.status_code == 422
    assert lang_of(response.text) == "pt"
    assert "não podem ser desativados" in response.text


def test_an_unknown_language_or_kind_is_refused(client: TestClient, workspace: OpenWorkspace
                                                ) -> None:  # fmt: skip
    csrf = log_in(client, ANA)
    response = save(client, csrf, locale="fr", **EVERY_KIND, receive=["lead_activity"])
    assert response.status_code == 422
    assert "Choose one of the languages offered." in response.text
    response = save(client, csrf, locale="auto", kind="sla_everything")
    assert response.status_code == 422
    assert "There is no notification kind “sla_everything”." in response.text
    assert settings_of(workspace, ANA) == (None, [])


def test_saving_needs_the_csrf_token(client: TestClient, workspace: OpenWorkspace) -> None:
    log_in(client, ANA)
    for token in ({}, {"csrf_token": "forged"}):
        response = client.post("/account", data={**token, "locale": "es", "kind": "sla_pacing"},
                               follow_redirects=False)  # fmt: skip
        assert response.status_code == 403
        assert "Form expired" in response.text
    assert settings_of(workspace, ANA) == (None, [])
