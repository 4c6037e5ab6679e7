"""One contact's page: its story, its SLA clocks and the form to log a follow-up attempt.

Who may log an attempt: smarketing.followup.domain. Access is checked here, on the server:
a contact the user may not see answers exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.contacts.domain import (
    DETAIL_LABELS,
    TERM_DETAILS,
    ContactStory,
    can_see_contact,
)
from smarketing.contacts.story import contact_story
from smarketing.core.errors import (
    NotFoundError,
    PermissionDeniedError,
    TranslatableValidationError,
    ValidationError,
)
from smarketing.followup.domain import NOTE_MAX, attempt_makers, check_choice, may_log_attempt
from smarketing.followup.service import log_attempt
from smarketing.i18n import N_
from smarketing.kit.deps import CurrentUser, DbSession, Now, current_user, require_csrf
from smarketing.kit.pages import forbidden_page, not_found_page, pop_flash, set_flash
from smarketing.kit.templating import page_text, templates
from smarketing.lifecycle.domain import funnel_position
from smarketing.models import Contact, User
from smarketing.records.schema import ATTEMPT_KINDS, ATTEMPT_OUTCOMES
from smarketing.sla.repository import lead_clocks
from smarketing.workspace.repository import workspace_settings

__all__ = ["router"]

OWNER_ONLY = N_("Only the lead's owner, their sales manager or an admin may log an attempt "
                "on it.")
NOT_AN_INSTANT = N_("at: %(text)s is not a date and time (write e.g. 2026-05-20T14:30)")
NOTE_TOO_LONG = N_("note: at most %(max)s characters, got %(length)s")
CHOOSE_MAKER = N_("by: choose one of %(makers)s")
LOGGED = N_("Attempt logged: %(kind)s.")
LOGGED_OUTCOME = N_("Attempt logged: %(kind)s, %(outcome)s.")
LOGGED_FOR = N_("Attempt logged for %(name)s: %(kind)s.")
LOGGED_FOR_OUTCOME = N_("Attempt logged for %(name)s: %(kind)s, %(outcome)s.")

router = APIRouter(dependencies=[Depends(current_user)])


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
    timezone = workspace_settings(session).timezone
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


@dataclass(frozen=True)
class AttemptForm:
    kind: str = "call"
    outcome: str = ""
    note: str = ""
    at: str = ""
    by: str = ""
    error: str | None = None


def contact_sla_context(
    request: Request, session: Session, story: ContactStory, user: User,
    form: AttemptForm | None = None,
) -> dict[str, Any]:  # fmt: skip
    """What contact.html needs for the SLA clocks and the attempt form."""
    owner = session.get(User, story.owner_id) if story.owner_id else None
    makers = attempt_makers(user, owner)
    return {
        "clocks": lead_clocks(session, story.id),
        "can_log_attempt": may_log_attempt(user, owner),
        "attempt_form": form or AttemptForm(by=makers[0].email),
        "attempt_makers": makers,
        "attempt_kinds": ATTEMPT_KINDS,
        "attempt_outcomes": ATTEMPT_OUTCOMES,
        "flash": pop_flash(request),
    }


def parse_local_instant(text: str, zone: ZoneInfo) -> datetime:
    """An instant from a form: ISO 8601 with an offset, or a wall time in `zone`
    (what <input type="datetime-local"> sends, e.g. 2026-05-20T14:30)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise TranslatableValidationError(NOT_AN_INSTANT, text=repr(text)) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value


@router.post("/contacts/{email:path}/attempts", dependencies=[Depends(require_csrf)])
def log_attempt_submit(
    request: Request,
    email: str,
    session: DbSession,
    user: CurrentUser,
    now: Now,
    kind: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    at: Annotated[str, Form()] = "",
    by: Annotated[str, Form()] = "",
) -> Response:
    contact = session.execute(
        select(Contact).where(Contact.email == email.strip().lower())
    ).scalar_one_or_none()  # fmt: skip
    if contact is None or not can_see_contact(user.role, user.id, contact.owner_id):
        return not_found_page(request)
    owner = session.get(User, contact.owner_id) if contact.owner_id else None
    if not may_log_attempt(user, owner):
        return forbidden_page(request, OWNER_ONLY)
    makers = {maker.email: maker for maker in attempt_makers(user, owner)}
    form = AttemptForm(kind, outcome, note, at, by or next(iter(makers)))
    try:
        check_choice("kind", kind, ATTEMPT_KINDS)
        if outcome:
            check_choice("outcome", outcome, ATTEMPT_OUTCOMES)
        if len(note) > NOTE_MAX:
            raise TranslatableValidationError(NOTE_TOO_LONG, max=NOTE_MAX, length=len(note))
        if form.by not in makers:
            raise TranslatableValidationError(CHOOSE_MAKER, makers=", ".join(makers))
        when = parse_local_instant(at, workspace_settings(session).zone) if at.strip() else now
        with session.begin_nested():  # a rejected attempt leaves nothing behind
            log_attempt(session, contact=contact.email, by=form.by, kind=kind, at=when,
                        now=now, outcome=outcome or None,
                        note=note.strip() or None)  # fmt: skip
    except ValidationError as exc:
        return render_contact(request, session, user, now, contact.email,
                              attempt_form=replace(form, error=_error_text(request, exc)),
                              status_code=422)  # fmt: skip
    terms = {"kind": kind, "outcome": outcome} if outcome else {"kind": kind}
    if form.by == user.email:
        set_flash(request, LOGGED_OUTCOME if outcome else LOGGED, terms=terms)
    else:
        set_flash(request, LOGGED_FOR_OUTCOME if outcome else LOGGED_FOR,
                  name=makers[form.by].name, terms=terms)  # fmt: skip
    return RedirectResponse(f"/contacts/{quote(contact.email)}#sla", status_code=303)


def _error_text(request: Request, error: ValidationError) -> str:
    """A form error in the page's language; a service's own message stays as it is."""
    if isinstance(error, TranslatableValidationError):
        return page_text(request, error.message, **error.params)
    return str(error)


def _team_of(role: str) -> str | None:
    if role == "marketing":
        return "marketing"
    if role in ("sales_rep", "sales_manager"):
        return "sales"
    return None
