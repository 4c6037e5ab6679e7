"""The pages in English, Spanish, Portuguese and Italian: the locale chosen per request,
complete catalogs, and pages rendered in the chosen language (docs/i18n.md).

The pages run on the October 2026 SLA workspace of tests/web/conftest.py.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import update

from smarketing.core.database import transaction
from smarketing.core.workspace import OpenWorkspace
from smarketing.i18n import (
    LOCALES_DIR,
    SUPPORTED_LOCALES,
    Np_,
    accepted_languages,
    choose_locale,
    get_translations,
)
from smarketing.i18n.terms import Phrase
from smarketing.kit.templating import describe_duration, local_time, month_label, templates
from smarketing.models import User, Workspace
from tests.sla.test_report import ANA
from tests.support.october import ADMIN, L3, MARTA, log_in
from tests.support.web import contact_url

REPO = Path(__file__).resolve().parents[2]
TRANSLATED = tuple(locale for locale in SUPPORTED_LOCALES if locale != "en")
#: Every page, as an admin sees it (the admin sees every page).
PAGES = ("/", "/sla", "/sla/report", "/sla/pacing", "/sla/plan", "/notifications",
         contact_url(L3), "/contacts/duplicates", "/admin/quarantine",
         "/admin/api-keys", "/account")  # fmt: skip


def lang_of(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)">', html)
    assert match, "no <html lang>"
    return match.group(1)


def set_user_locale(workspace: OpenWorkspace, email: str, locale: str | None) -> None:
    with transaction(workspace.sessions) as session:
        session.execute(update(User).where(User.email == email).values(locale=locale))


# --------------------------------------------------------------------------- choosing


@pytest.mark.parametrize(
    ("user", "accept_language", "workspace", "expected"),
    [
        ("it", "es-ES,es;q=0.9", "pt", "it"),  # the user's own locale first
        ("pt_BR", None, "en", "pt"),
        ("fr", "es", "en", "es"),  # an unsupported user locale counts as none
        (None, "es", "pt", "es"),  # then the browser
        (None, "pt-BR,pt;q=0.9,en;q=0.8", "en", "pt"),
        (None, "es-MX", None, "es"),
        (None, "IT-it", None, "it"),
        (None, "en;q=0.5, it;q=0.9", None, "it"),  # the weights, not the order
        (None, "es;q=0.8, pt;q=0.8", None, "es"),  # equal weights: the header's order
        (None, "fr-FR, de;q=0.9, pt;q=0.5", None, "pt"),  # the best supported one
        (None, "es;q=0, it;q=0.1", None, "it"),  # q=0 means "not this one"
        (None, "*", "it", "it"),  # then the workspace
        (None, "fr, de", "es", "es"),
        (None, "", "pt", "pt"),
        (None, None, "xx", "en"),  # and English at the end
        (None, "fr;q=abc, zh", None, "en"),
        (None, None, None, "en"),
    ],
)
def test_the_locale_of_a_request(
    user: str | None, accept_language: str | None, workspace: str | None, expected: str
) -> None:
    chosen = choose_locale(
        user_locale=user, accept_language=accept_language, workspace_locale=workspace
    )
    assert chosen == expected


def test_accept_language_is_read_by_weight() -> None:
    assert accepted_languages("es-MX,es;q=0.9,en;q=0.8") == ["es-MX", "es", "en"]
    assert accepted_languages("en;q=0.2, pt-BR ; q=0.7, *;q=0.1, it") == ["it", "pt-BR", "en"]
    assert accepted_languages("de;q=0, fr;q=2") == []
    assert accepted_languages(None) == []


# --------------------------------------------------------------------------- catalogs


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as po_file:
        return read_po(po_file, locale=locale)


def keys(catalog: Catalog) -> set[tuple[str | None, str]]:
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id}


def extracted_messages() -> set[tuple[str | None, str]]:
    """What `pybabel extract -F babel.cfg` finds in the code today."""
    with (REPO / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    return {
        (context, message if isinstance(message, str) else message[0])
        for _, _, message, _, context in extract_from_dir(REPO, method_map, options_map)
    }


def test_the_template_holds_every_message_of_the_code() -> None:
    template = read_catalog(LOCALES_DIR / "messages.pot")
    assert keys(template) == extracted_messages(), "run pybabel extract (docs/i18n.md)"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_is_translated(locale: str) -> None:
    template = read_catalog(LOCALES_DIR / "messages.pot")
    catalog = read_catalog(LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po", locale)
    assert keys(catalog) == keys(template), "run pybabel update (docs/i18n.md)"
    untranslated = [m.id for m in catalog if m.id and not all(
        m.string if isinstance(m.string, tuple) else (m.string,)
    )]  # fmt: skip
    assert untranslated == []
    assert [m.id for m in catalog if m.id and m.fuzzy] == []
    assert not catalog.fuzzy
    # the same %(name)s placeholders as the English text, and the right number of plurals
    assert [(m.id, errors) for m, errors in catalog.check()] == []


@pytest.mark.parametrize("locale", TRANSLATED)
def test_the_translations_load_from_the_po_files(locale: str) -> None:
    translations = get_translations(locale)
    assert translations is get_translations(locale)  # cached
    assert translations.gettext("Log in") != "Log in"
    assert "MQL" in translations.gettext("MQLs delivered")  # MQL stays MQL
    assert get_translations("en").gettext("Log in") == "Log in"


# --------------------------------------------------------------------------- formatting


def test_numbers_dates_and_durations_follow_the_locale() -> None:
    madrid = ZoneInfo("Europe/Madrid")
    instant = datetime(2026, 5, 5, 10, 0, tzinfo=UTC)
    assert local_time(instant, madrid) == "2026-05-05 12:00"
    assert local_time(instant, madrid, "es") == "5/5/2026 12:00"
    assert local_time(instant, madrid, "pt") == "05/05/2026 12:00"
    assert month_label("May 2026", "en") == "May 2026"
    assert month_label("May 2026", "es") == "mayo de 2026"
    assert month_label("October 2026", "it") == "ottobre 2026"
    assert month_label("not a month", "pt") == "not a month"
    in_stage = timedelta(days=15, hours=2, minutes=3)
    assert describe_duration(in_stage, get_translations("en")) == "15d 2h"
    assert describe_duration(in_stage, get_translations("it")) == "15 g 2 h"
    number = templates.env.from_string("{{ 12345 | number }} {{ 1234 | number(signed=True) }}")
    assert number.render(locale="en") == "12,345 +1,234"
    assert number.render(locale="es") == "12.345 +1.234"


def test_concurrent_renders_keep_their_own_language() -> None:
    """One environment, many threads: each render speaks its own context's language."""
    page = templates.env.from_string('{{ _("Log in") }} · {{ "mql" | stage_label }} · '
                                     '{{ "on_track" | term }}')  # fmt: skip
    expected = {"en": "Log in · MQL · on track", "es": "Iniciar sesión · MQL · en plazo",
                "pt": "Entrar · MQL · no prazo", "it": "Accedi · MQL · nei tempi"}  # fmt: skip

    def render(locale: str) -> tuple[str, str]:
        return locale, page.render(locale=locale, translations=get_translations(locale))

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(render, list(SUPPORTED_LOCALES) * 50))
    assert all(text == expected[locale] for locale, text in results)


# --------------------------------------------------------------------------- pages


def test_english_is_the_default(client: TestClient) -> None:
    page = client.get("/login")
    assert lang_of(page.text) == "en"
    assert "<h1>Log in</h1>" in page.text
    assert lang_of(client.get("/login", headers={"Accept-Language": "fr-FR,de"}).text) == "en"


def test_the_login_page_follows_the_browser(client: TestClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.8"})
    assert lang_of(page.text) == "es"
    assert "<h1>Iniciar sesión</h1>" in page.text
    assert ">Contraseña</label>" in page.text
    assert "Log in" not in page.text
    portuguese = client.get("/login", headers={"Accept-Language": "pt-BR"}).text
    assert lang_of(portuguese) == "pt"
    assert ">Senha</label>" in portuguese


def test_a_user_with_locale_it_sees_the_funnel_in_italian(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    set_user_locale(workspace, MARTA, "it")
    log_in(client, MARTA)
    page = client.get("/", headers={"Accept-Language": "es"})  # the user's own locale wins
    assert page.status_code == 200
    assert lang_of(page.text) == "it"
    assert "Tutti i contatti:" in page.text
    assert "Modificati di recente" in page.text
    assert "ottobre 2026" in page.text
    assert ">Opportunità</th>" in page.text
    assert '<th scope="row">MQL</th>' in page.text  # MQL stays MQL
    assert ">Esci</button>" in page.text
    assert ">Marketing</span>" in page.text  # the role badge
    for english in ("All contacts", "Recently changed", "October 2026", "Log out"):
        assert english not in page.text


def test_the_workspace_locale_applies_when_neither_user_nor_browser_choose(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    with transaction(workspace.sessions) as session:
        session.execute(update(Workspace).values(locale="pt"))
    log_in(client, ANA)
    page = client.get("/sla/report").text
    assert lang_of(page) == "pt"
    assert "Cumprimento do SLA, outubro de 2026" in page
    english = client.get("/sla/report", headers={"Accept-Language": "en-US,en"}).text
    assert lang_of(english) == "en"
    assert "SLA compliance, October 2026" in english


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_page_renders_in_every_language(
    client: TestClient, workspace: OpenWorkspace, locale: str
) -> None:
    set_user_locale(workspace, ADMIN, locale)
    log_in(client, ADMIN)
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200, path
        assert lang_of(page.text) == locale, path
        assert "Log out" not in page.text, path
        assert "Funnel</a>" not in page.text or locale == "it", path


def test_a_rep_contact_page_in_spanish(client: TestClient) -> None:
    log_in(client, ANA)
    html = client.get(contact_url(L3), headers={"Accept-Language": "es"}).text
    assert "Plazos del SLA" in html
    assert "0 de 5 intentos" in html
    assert "15/10/2026 18:00" in html  # due, in Madrid time and the Spanish date order
    assert ">incumplido</span>" in html  # the clock state
    assert 'data-state="breached"' in html  # while the data keeps its keys


def test_a_phrase_translates_its_words_and_keeps_its_data() -> None:
    moved = Phrase("%(from_stage)s → %(to_stage)s", {"from_stage": "lead", "to_stage": "mql"},
                   stages=frozenset({"from_stage", "to_stage"}))  # fmt: skip
    attempt = Phrase("%(kind)s attempt", {"kind": "call"}, terms=frozenset({"kind"}))
    deal = Phrase("deal %(deal)s opened", {"deal": "Showroom <kitchen>"})
    assert [p.plain() for p in (moved, attempt, deal)] == [
        "lead → mql", "call attempt", "deal Showroom <kitchen> opened"]  # fmt: skip
    english = get_translations("en")
    assert moved.render(english) == "Lead → MQL"
    spanish = get_translations("es")
    assert [p.render(spanish) for p in (moved, attempt, deal)] == [
        "Lead → MQL", "intento: llamada", "negocio Showroom <kitchen> abierto"]  # fmt: skip
    nested = Phrase("SLA breached: %(what)s for %(email)s",
                    {"what": Phrase("first attempt"), "email": "x@example.org"})  # fmt: skip
    assert nested.plain() == "SLA breached: first attempt for x@example.org"


def test_a_phrase_with_a_plural_form_follows_the_count() -> None:
    def days(count: int | Decimal) -> Phrase:
        return Phrase.counted(Np_("%(count)s day", "%(count)s days"), {"count": count})

    english, spanish = get_translations("en"), get_translations("es")
    assert [days(n).render(english) for n in (1, 2)] == ["1 day", "2 days"]
    assert [days(n).render(spanish) for n in (1, 2)] == ["1 día", "2 días"]
    assert [days(n).plain() for n in (1, 2)] == ["1 day", "2 days"]
    # the count is written the language's way; a fraction takes the plural form
    assert days(Decimal("1.5")).render(spanish) == "1,5 días"
    assert days(12000).render(spanish) == "12.000 días"
    assert days(12000).plain() == "12,000 days"
    within = Phrase("%(attempts)s within %(days)s", {
        "attempts": Phrase.counted(Np_("%(count)s attempt", "%(count)s attempts"), {"count": 1}),
        "days": days(14)})  # fmt: skip
    assert within.plain() == "1 attempt within 14 days"
    assert within.render(get_translations("it")) == "1 tentativo entro 14 giorni"


def test_the_sla_terms_in_words_follow_the_language(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    log_in(client, MARTA)
    html = client.get("/sla", headers={"Accept-Language": "es"}).text
    default = html[html.index('data-key="default"') : html.index('data-key="fast-track"')]
    assert "Primer intento en un plazo de 8 horas hábiles" in default
    assert "5 intentos en 14 días" in default
    assert "3 MQL por vendedor y mes" in default
    assert "Un MQL vale 1.000,00\xa0€" in default
    assert "En riesgo cuando queda el 25% del tiempo" in default
    assert "business hours" not in html
    set_user_locale(workspace, MARTA, "it")
    html = client.get("/sla").text
    pilot = html[html.index('data-key="fast-track"') : html.index('data-key="trial"')]
    assert "Primo tentativo entro 4 ore lavorative" in pilot
    assert "3 tentativi entro 7 giorni" in pilot
    assert "2 MQL per commerciale al mese" in pilot
    trial = html[html.index('data-key="trial"') :]
    assert "300 MQL per commerciale al mese" in trial
