"""Texts the pages' Python code makes (errors, flash messages, form errors, money) in the
page's language (docs/i18n.md), on the October 2026 workspace of tests/web/conftest.py."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from smarketing.core.workspace import OpenWorkspace
from tests.kit.test_ratelimit import limited_app
from tests.sla.test_report import ANA
from tests.support.october import ADMIN, L3, MARTA, log_in
from tests.support.web import PASSWORD, contact_url, csrf_from
from tests.web.test_i18n import lang_of, set_user_locale


def login_form(client: TestClient, email: str, password: str, language: str) -> str:
    headers = {"Accept-Language": language}
    token = csrf_from(client.get("/login", headers=headers).text)
    return client.post("/login", headers=headers, follow_redirects=False, data={
        "csrf_token": token, "email": email, "password": password}).text  # fmt: skip


def test_the_login_error_follows_the_browser(client: TestClient) -> None:
    assert "Email o contraseña incorrectos." in login_form(client, ANA, "nope", "es")
    assert "E-mail ou senha incorretos." in login_form(client, ANA, "nope", "pt-BR")
    assert "Wrong email or password." in login_form(client, ANA, "nope", "en")


def test_the_login_rate_limit_message_is_translated(workspace: OpenWorkspace) -> None:
    with TestClient(limited_app(workspace, login_per_email=1)) as client:
        login_form(client, ANA, "nope", "it")
        refused = login_form(client, ANA, PASSWORD, "it")
    assert re.search(r"Troppi tentativi di accesso: al massimo 1 al minuto per indirizzo "
                     r"email\. Riprova tra \d+ secondi\.", refused), refused  # fmt: skip


def test_error_pages_speak_the_page_language(client: TestClient, workspace: OpenWorkspace
                                             ) -> None:  # fmt: skip
    set_user_locale(workspace, ANA, "pt")
    log_in(client, ANA)
    # An unknown address runs no page code, so no user is read: the browser's language.
    missing = client.get("/no-such-page", headers={"Accept-Language": "pt-BR"})
    assert missing.status_code == 404
    assert lang_of(missing.text) == "pt"
    assert "Não encontrado" in missing.text
    assert "Essa página não existe, ou você não pode vê-la." in missing.text
    forbidden = client.get("/sla/plan")
    assert forbidden.status_code == 403
    assert "Não é para o seu papel" in forbidden.text
    assert "O planejador é para administradores, marketing e gerentes de vendas." in forbidden.text
    expired = client.post("/account", data={"locale": "es"}, headers={"Accept-Language": "it"})
    assert expired.status_code == 403
    assert "Modulo scaduto" in expired.text  # the user is not read on a refused form


def test_flash_messages_are_translated_when_shown(client: TestClient, workspace: OpenWorkspace
                                                  ) -> None:  # fmt: skip
    set_user_locale(workspace, ANA, "es")
    csrf = log_in(client, ANA)
    url = contact_url(L3) + "/attempts"
    form = {"csrf_token": csrf, "kind": "call", "outcome": "no_answer"}
    assert client.post(url, data=form, follow_redirects=False).status_code == 303
    page = client.get(contact_url(L3)).text
    assert "Intento registrado: llamada, sin respuesta." in page
    bad = client.post(url, data={**form, "at": "yesterday"}, follow_redirects=False)
    assert bad.status_code == 422
    assert "at: &#39;yesterday&#39; no es una fecha y hora" in bad.text


def test_money_follows_the_page_language(client: TestClient, workspace: OpenWorkspace) -> None:
    log_in(client, MARTA)
    english = client.get("/sla/pacing").text
    assert "€1,000.00" in english
    set_user_locale(workspace, MARTA, "it")
    italian = client.get("/sla/pacing").text
    assert "€1,000.00" not in italian
    assert "1.000,00\xa0€" in italian


def test_an_admin_sees_the_sla_status_flash_in_italian(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    set_user_locale(workspace, ADMIN, "it")
    csrf = log_in(client, ADMIN)
    response = client.post("/sla/trial/status", data={"csrf_token": csrf, "status": "retired"})
    assert response.status_code == 200, response.text
    assert re.search(r"trial ora è dismesso; \d+ scadenza/e aggiornata/e\.", response.text)
