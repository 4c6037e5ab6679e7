"""The "My account" page (every logged-in role): the person's own language and which
notification kinds they receive. Only the kinds of MUTABLE_KINDS are offered; the SLA
clock alerts always come, and a form that tries to turn one off is refused (422).

Also: the login and logout forms, the page to change one's password (`/account/password`)
and the admins' users page (`/admin/users`) with a password reset (docs/security.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from smarketing.accounts.domain import AUTO
from smarketing.accounts.service import set_preferences
from smarketing.auth.domain import MIN_PASSWORD_CHARS, NOT_CONFIRMED
from smarketing.auth.service import authenticate, change_password, reset_password
from smarketing.core.errors import NotFoundError, TranslatableValidationError
from smarketing.core.settings import SUPPORTED_LOCALES
from smarketing.i18n import N_
from smarketing.kit import ratelimit
from smarketing.kit.deps import (
    CurrentUser,
    DbSession,
    LoginRequired,
    Now,
    current_user,
    log_in,
    log_out,
    require_csrf,
    safe_next,
)
from smarketing.kit.pages import forbidden_page, not_found_page, pop_flash, set_flash
from smarketing.kit.templating import page_text, templates
from smarketing.models import User
from smarketing.notify.domain import (
    KINDS,
    LEAD_ACTIVITY,
    MUTABLE_KINDS,
    SLA_AT_RISK,
    SLA_BREACH,
    SLA_PACING,
)

__all__ = ["public_router", "router"]

#: The same words for an unknown email and a wrong password: a login reveals no account.
BAD_LOGIN = N_("Wrong email or password.")
TOO_MANY_LOGINS = N_("Too many login attempts: at most %(amount)s a minute per %(per)s. "
                     "Try again in %(seconds)s seconds.")
#: What a login rate limit counts per (smarketing.kit.ratelimit.Limits.login).
LIMITED_PER = {"address": N_("address"), "email address": N_("email address")}

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

public_router = APIRouter()
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


@public_router.get("/login")
def login_page(request: Request, session: DbSession, next: str | None = None) -> Response:
    if _logged_in_user(request, session) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return templates.TemplateResponse(
        request, "login.html", {"next": safe_next(next), "error": None, "email": ""}
    )


@public_router.post("/login", dependencies=[Depends(require_csrf)])
def login_submit(
    request: Request,
    session: DbSession,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Log in. Every attempt counts against the login rate limits (smarketing.kit.ratelimit),
    checked before the password: over one, the form comes back with status 429."""
    context = {"next": safe_next(next), "email": email.strip()}
    limiter = ratelimit.get_limiter(request)
    refusal = limiter.hit(limiter.limits.login(ratelimit.client_address(request), email))
    if refusal is not None:
        per = refusal.rule.per
        error = page_text(request, TOO_MANY_LOGINS, amount=refusal.rule.amount,
                          per=page_text(request, LIMITED_PER.get(per, per)),
                          seconds=refusal.retry_after)  # fmt: skip
        return templates.TemplateResponse(request, "login.html", {**context, "error": error},
                                          status_code=429, headers=refusal.headers)  # fmt: skip
    user = authenticate(session, email, password) if email and password else None
    if user is None:
        error = page_text(request, BAD_LOGIN)
        return templates.TemplateResponse(request, "login.html", {**context, "error": error})
    log_in(request, session, user)
    return RedirectResponse(safe_next(next), status_code=303)


@public_router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request, session: DbSession) -> Response:
    log_out(request, session)
    return RedirectResponse("/login", status_code=303)


def _logged_in_user(request: Request, session: DbSession) -> User | None:
    try:
        return current_user(request, session, BackgroundTasks())
    except LoginRequired:
        return None


# ----------------------------------------------------------------------------- passwords

PASSWORD_PAGE = "/account/password"  # noqa: S105 - a path
PASSWORD_CHANGED = N_("Your password is changed. Every other login of yours has ended.")


def _password_page(request: Request, error: str | None = None, status_code: int = 200) -> (
    Response
):
    return templates.TemplateResponse(request, "password.html", {
        "active": "account", "error": error, "min_chars": MIN_PASSWORD_CHARS,
        "flash": pop_flash(request),
    }, status_code=status_code)  # fmt: skip


@router.get(PASSWORD_PAGE)
def password_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    return _password_page(request)


@router.post(PASSWORD_PAGE, dependencies=[Depends(require_csrf)])
def password_submit(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    now: Now,
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Change one's own password: every session of the person ends, this one is renewed."""
    try:
        if new != confirm:
            raise TranslatableValidationError(NOT_CONFIRMED)
        change_password(session, user, current, new, now)
    except TranslatableValidationError as exc:
        return _password_page(request, page_text(request, exc.message, **exc.params), 422)
    log_in(request, session, user)
    set_flash(request, PASSWORD_CHANGED)
    return RedirectResponse(PAGE, status_code=303)


# ----------------------------------------------------------------------------- users (admin)

USERS_PAGE = "/admin/users"
ADMIN_ONLY = N_("Only an admin may see the users and reset their passwords.")


def _users_page(request: Request, session: DbSession, reset: tuple[str, str] | None = None) -> (
    Response
):
    users = list(session.scalars(select(User).order_by(User.role, User.email)))
    response = templates.TemplateResponse(request, "admin/users.html", {
        "active": "users", "users": users, "reset": reset, "flash": pop_flash(request),
    })  # fmt: skip
    if reset is not None:  # the new password is shown once: never from a cache
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get(USERS_PAGE)
def users_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    if user.role != "admin":
        return forbidden_page(request, ADMIN_ONLY)
    return _users_page(request, session)


@router.post(USERS_PAGE + "/{user_id}/reset-password", dependencies=[Depends(require_csrf)])
def reset_submit(
    request: Request, user_id: int, session: DbSession, user: CurrentUser, now: Now
) -> Response:
    """Give the user a new random password, shown once on the answer; their sessions end
    (the admin's own too, when they reset their own: they log in again)."""
    if user.role != "admin":
        return forbidden_page(request, ADMIN_ONLY)
    target = session.get(User, user_id) if 0 < user_id < 2**63 else None
    if target is None:
        return not_found_page(request)
    try:
        generated = reset_password(session, target.email, now)
    except NotFoundError:
        return not_found_page(request)
    return _users_page(request, session, reset=(target.email, generated))
