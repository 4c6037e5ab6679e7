"""The "My account" page (every logged-in role): the person's own language and which
notification kinds they receive. Only the kinds of MUTABLE_KINDS are offered; the SLA
clock alerts always come, and a form that tries to turn one off is refused (422)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from smarketing.accounts.domain import AUTO
from smarketing.accounts.service import set_preferences
from smarketing.core.settings import SUPPORTED_LOCALES
from smarketing.i18n import N_
from smarketing.notify.domain import (
    KINDS,
    LEAD_ACTIVITY,
    MUTABLE_KINDS,
    SLA_AT_RISK,
    SLA_BREACH,
    SLA_PACING,
)
from smarketing.sla.pages import pop_flash, set_flash
from smarketing.web.deps import CurrentUser, DbSession, current_user, require_csrf
from smarketing.web.templating import page_text, templates

__all__ = ["router"]

PAGE = "/account"
#: Each language in its own words, so a person finds theirs whatever the page's language.
LANGUAGE_NAMES = {"en": "English", "es": "Español", "pt": "Português", "it": "Italiano"}
KIND_LABELS = {
    LEAD_ACTIVITY: N_("Lead activity"),
    SLA_PACING: N_("Behind MQL pace"),
    SLA_AT_RISK: N_("SLA at risk"),
    SLA_BREACH: N_("SLA breached"),
}
KIND_HELP = {
    LEAD_ACTIVITY: N_("One of your leads submits a form, downloads content, starts a chat, "
                      "books a meeting, clicks an email or attends an event."),
    SLA_PACING: N_("Once a day, to marketing and admins: a rep or a team is behind the "
                   "month's MQL pace."),
}  # fmt: skip
SAVED = N_("Your settings are saved.")
BAD_LOCALE = N_("Choose one of the languages offered.")
NOT_MUTABLE = N_("“%(kind)s” alerts cannot be turned off: they are how the SLA is enforced.")
UNKNOWN_KIND = N_("There is no notification kind “%(kind)s”.")

router = APIRouter(dependencies=[Depends(current_user)])


@dataclass(frozen=True)
class KindChoice:
    kind: str
    label: str
    help: str
    received: bool


def _page(
    request: Request,
    *,
    locale: str | None,
    muted: list[str],
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    kinds = [KindChoice(kind, page_text(request, KIND_LABELS[kind]),
                        page_text(request, KIND_HELP[kind]), kind not in muted)
             for kind in MUTABLE_KINDS]  # fmt: skip
    return templates.TemplateResponse(request, "account.html", {
        "active": "account",
        "auto": AUTO,
        "languages": [(code, LANGUAGE_NAMES.get(code, code)) for code in SUPPORTED_LOCALES],
        "chosen_locale": locale or AUTO,
        "kinds": kinds,
        "always": [page_text(request, KIND_LABELS[kind])
                   for kind in KINDS if kind not in MUTABLE_KINDS],
        "flash": pop_flash(request),
        "error": error,
    }, status_code=status_code)  # fmt: skip


@router.get(PAGE)
def account_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    return _page(request, locale=user.locale,
                 muted=list(user.muted_notification_kinds or []))  # fmt: skip


@router.post(PAGE, dependencies=[Depends(require_csrf)])
def account_submit(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    locale: Annotated[str, Form()] = AUTO,
    kind: Annotated[list[str] | None, Form()] = None,
    receive: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Save the language and the kinds received. The form lists each offered kind in a
    hidden `kind` field and the ticked ones in `receive`: an offered kind not received is
    muted."""
    received = set(receive or [])
    muted = [offered for offered in dict.fromkeys(kind or []) if offered not in received]
    error = _refusal(request, locale, muted)
    if error is not None:
        return _page(request, locale=locale, muted=muted, error=error,
                     status_code=422)  # fmt: skip
    set_preferences(session, user, locale=locale, muted=muted)
    set_flash(request, SAVED)
    return RedirectResponse(PAGE, status_code=303)


def _refusal(request: Request, locale: str, muted: list[str]) -> str | None:
    """Why the form cannot be saved, in the page's language; None when it can."""
    if locale != AUTO and locale not in SUPPORTED_LOCALES:
        return page_text(request, BAD_LOCALE)
    for kind in muted:
        if kind in KINDS and kind not in MUTABLE_KINDS:
            label = page_text(request, KIND_LABELS[kind])
            return page_text(request, NOT_MUTABLE, kind=label)
        if kind not in MUTABLE_KINDS:
            return page_text(request, UNKNOWN_KIND, kind=kind)
    return None
