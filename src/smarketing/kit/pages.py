"""What every page shares: the flash message, the 403 and 404 pages, and the workspace's
money and time zone in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from babel.numbers import format_currency
from fastapi import Request, Response
from sqlalchemy.orm import Session

from smarketing.i18n import DEFAULT_LOCALE, N_
from smarketing.kit.templating import (
    page_text,
    page_translations,
    request_locale,
    templates,
    term_text,
)
from smarketing.workspace.repository import workspace_settings

FLASH_KEY = "flash"
FLASH_MAX = 300
NOT_FOR_YOUR_ROLE = N_("Not for your role")
NOT_FOUND = N_("Not found")
NO_SUCH_PAGE = N_("There is no such page, or you may not see it.")


@dataclass(frozen=True)
class WorkspaceInfo:
    timezone: str
    currency: str
    #: The language money is written in: the page's (`page_workspace_info`).
    locale: str = DEFAULT_LOCALE

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def money(self, value: Decimal | str | float | int | None) -> str:
        """An amount in the workspace currency in `locale`: "€1,000.00" in English,
        "1.000,00 €" in Spanish; "—" for none."""
        if value is None:
            return "—"
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return str(value)
        return format_currency(amount, self.currency, locale=self.locale)

    def today(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()


def workspace_info(session: Session) -> WorkspaceInfo:
    settings = workspace_settings(session)
    return WorkspaceInfo(settings.timezone, settings.currency)


def page_workspace_info(request: Request, session: Session) -> WorkspaceInfo:
    """The workspace's time zone and currency, with money shown in the page's language."""
    settings = workspace_settings(session)
    return WorkspaceInfo(settings.timezone, settings.currency, request_locale(request))


def set_flash(
    request: Request, message: str, /, *, terms: Mapping[str, str] | None = None,
    **params: str | int,
) -> None:  # fmt: skip
    """A one-line message shown once on the next page (post/redirect/get).

    `message` is marked with N_ and has named placeholders filled from `params` and from
    `terms` (stored product words such as "active" or "no_answer", shown with the `term`
    vocabulary); it is translated when shown, into the language of the page showing it."""
    request.session[FLASH_KEY] = {"message": message, "params": params,
                                  "terms": dict(terms or {})}  # fmt: skip


def pop_flash(request: Request) -> str | None:
    flash = request.session.pop(FLASH_KEY, None)
    if isinstance(flash, str):  # a cookie from before flashes were translated
        return flash[:FLASH_MAX]
    if not isinstance(flash, dict) or not isinstance(flash.get("message"), str):
        return None
    params = flash.get("params")
    values = dict(params) if isinstance(params, dict) else {}
    terms = flash.get("terms")
    if isinstance(terms, dict) and terms:
        translations = page_translations(request)
        values.update({name: term_text(str(word), translations) for name, word in terms.items()})
    return page_text(request, flash["message"], **values)[:FLASH_MAX]


def forbidden_page(request: Request, message: str, /, **params: str | int) -> Response:
    """The 403 page; `message` is marked with N_ and shown in the page's language."""
    return templates.TemplateResponse(request, "error.html", {
        "title": page_text(request, NOT_FOR_YOUR_ROLE),
        "message": page_text(request, message, **params),
    }, status_code=403)  # fmt: skip


def not_found_page(request: Request) -> Response:
    return templates.TemplateResponse(
        request, "error.html",
        {"title": page_text(request, NOT_FOUND), "message": page_text(request, NO_SUCH_PAGE)},
        status_code=404,
    )  # fmt: skip
