"""The pages: login and logout, the funnel, one contact's story."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from smarketing.auth.service import authenticate
from smarketing.contacts.domain import DETAIL_LABELS, TERM_DETAILS
from smarketing.contacts.listing import recently_changed
from smarketing.contacts.service import contact_story
from smarketing.core.errors import NotFoundError, PermissionDeniedError
from smarketing.followup.pages import AttemptForm, contact_sla_context
from smarketing.funnel.domain import month_bounds
from smarketing.funnel.service import funnel, workspace_timezone
from smarketing.i18n import N_
from smarketing.lifecycle.domain import funnel_position
from smarketing.models import User
from smarketing.web import ratelimit
from smarketing.web.deps import (
    CurrentUser,
    DbSession,
    LoginRequired,
    Now,
    current_user,
    log_in,
    log_out,
    require_csrf,
    safe_next,
    visible_owner_id,
)
from smarketing.web.templating import page_text, templates

#: The same words for an unknown email and a wrong password: a login reveals no account.
BAD_LOGIN = N_("Wrong email or password.")
TOO_MANY_LOGINS = N_("Too many login attempts: at most %(amount)s a minute per %(per)s. "
                     "Try again in %(seconds)s seconds.")
#: What a login rate limit counts per (smarketing.web.ratelimit.Limits.login).
LIMITED_PER = {"address": N_("address"), "email address": N_("email address")}
NOT_FOUND = N_("Not found")
NO_SUCH_PAGE = N_("There is no such page, or you may not see it.")
RECENT_CONTACTS = 12

public_router = APIRouter()
#: Every page on this router needs a login.
router = APIRouter(dependencies=[Depends(current_user)])


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
    """Log in. Every attempt counts against the login rate limits (smarketing.web.ratelimit),
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
    log_in(request, user)
    return RedirectResponse(safe_next(next), status_code=303)


@public_router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request) -> Response:
    log_out(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/")
@router.get("/funnel")
def funnel_page(request: Request, session: DbSession, user: CurrentUser, now: Now) -> Response:
    owner_id = visible_owner_id(user)
    timezone = workspace_timezone(session)
    zone = ZoneInfo(timezone)
    rows = funnel(session, now, owner_id=owner_id)
    last_start, this_start, _ = month_bounds(now, timezone)
    return templates.TemplateResponse(request, "funnel.html", {
        "active": "funnel",
        "rows": rows,
        "total": sum(row.count for row in rows),
        "largest": max((row.count for row in rows), default=0),
        "own_only": owner_id is not None,
        "this_month": this_start.astimezone(zone).strftime("%B %Y"),
        "last_month": last_start.astimezone(zone).strftime("%B %Y"),
        "recent": recently_changed(session, owner_id, RECENT_CONTACTS),
        "zone": zone,
        "timezone": timezone,
    })  # fmt: skip


@router.get("/contacts/{email:path}")
def contact_page(
    request: Request, email: str, session: DbSession, user: CurrentUser, now: Now
) -> Response:
    return render_contact(request, session, user, now, email)


def render_contact(
    request: Request,
    session: Session,
    user: User,
    now: datetime,
    email: str,
    *,
    attempt_form: AttemptForm | None = None,
    status_code: int = 200,
) -> Response:
    """The contact page; the attempt form comes back filled in, with its error, on 422."""
    try:
        story = contact_story(session, email, now, viewer=user)
    except (NotFoundError, PermissionDeniedError):
        # A contact the user may not see looks exactly like one that does not exist.
        return not_found_page(request)
    timezone = workspace_timezone(session)
    owner = session.get(User, story.owner_id) if story.owner_id else None
    return templates.TemplateResponse(request, "contact.html", {
        "story": story,
        "owner": owner,
        "became": sorted(story.became_at.items(), key=lambda item: funnel_position(item[0])),
        "viewer_team": _team_of(user.role),
        "detail_labels": DETAIL_LABELS,
        "term_details": TERM_DETAILS,
        "zone": ZoneInfo(timezone),
        "timezone": timezone,
        **contact_sla_context(request, session, story, user, attempt_form),
    }, status_code=status_code)  # fmt: skip


def not_found_page(request: Request) -> Response:
    return templates.TemplateResponse(
        request, "error.html",
        {"title": page_text(request, NOT_FOUND), "message": page_text(request, NO_SUCH_PAGE)},
        status_code=404,
    )  # fmt: skip


def _team_of(role: str) -> str | None:
    if role == "marketing":
        return "marketing"
    if role in ("sales_rep", "sales_manager"):
        return "sales"
    return None


def _logged_in_user(request: Request, session: DbSession) -> User | None:
    try:
        return current_user(request, session)
    except LoginRequired:
        return None
