"""The form on a contact's page that logs a follow-up attempt (who may log one:
smarketing.auth.access). A refused attempt comes back on the contact's page, filled in,
with its error (422)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from smarketing.auth.access import attempt_makers, can_see_contact, may_log_attempt
from smarketing.contacts.pages import AttemptForm, parse_local_instant, render_contact
from smarketing.core.errors import TranslatableValidationError, ValidationError
from smarketing.followup.domain import NOTE_MAX, check_choice
from smarketing.followup.service import log_attempt
from smarketing.i18n import N_
from smarketing.kit.deps import CurrentUser, DbSession, Now, current_user, require_csrf
from smarketing.kit.pages import forbidden_page, not_found_page, set_flash
from smarketing.kit.templating import page_text
from smarketing.models import Contact, User
from smarketing.records.schema import ATTEMPT_KINDS, ATTEMPT_OUTCOMES
from smarketing.workspace.repository import workspace_settings

__all__ = ["router"]

OWNER_ONLY = N_("Only the lead's owner, their sales manager or an admin may log an attempt "
                "on it.")
NOTE_TOO_LONG = N_("note: at most %(max)s characters, got %(length)s")
CHOOSE_MAKER = N_("by: choose one of %(makers)s")
LOGGED = N_("Attempt logged: %(kind)s.")
LOGGED_OUTCOME = N_("Attempt logged: %(kind)s, %(outcome)s.")
LOGGED_FOR = N_("Attempt logged for %(name)s: %(kind)s.")
LOGGED_FOR_OUTCOME = N_("Attempt logged for %(name)s: %(kind)s, %(outcome)s.")

router = APIRouter(dependencies=[Depends(current_user)])


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
