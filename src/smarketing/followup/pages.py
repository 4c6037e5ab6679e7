"""The contact page's follow-up part: the lead's SLA clocks and the form to log an attempt.

Who may log an attempt on a lead: its owner, a sales manager of the owner's team, and
admins. Marketing never logs attempts. Checked here, on the server.
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

from smarketing.contacts.domain import ContactStory, can_see_contact
from smarketing.core.errors import TranslatableValidationError, ValidationError
from smarketing.followup.service import log_attempt
from smarketing.i18n import N_
from smarketing.interchange.records import ATTEMPT_KINDS, ATTEMPT_OUTCOMES
from smarketing.models import Contact, SlaAgreement, SlaClock, User
from smarketing.sla.pages import forbidden_page, pop_flash, set_flash, workspace_info
from smarketing.web.deps import CurrentUser, DbSession, Now, current_user, require_csrf
from smarketing.web.templating import page_text

__all__ = [
    "AttemptForm",
    "ClockView",
    "attempt_makers",
    "contact_sla_context",
    "lead_clocks",
    "may_log_attempt",
    "router",
]

OWNER_ONLY = N_("Only the lead's owner, their sales manager or an admin may log an attempt "
                "on it.")
NOT_AN_INSTANT = N_("at: %(text)s is not a date and time (write e.g. 2026-05-20T14:30)")
NOT_A_CHOICE = N_("%(field)s: must be one of %(choices)s; got %(value)s")
NOTE_TOO_LONG = N_("note: at most %(max)s characters, got %(length)s")
CHOOSE_MAKER = N_("by: choose one of %(makers)s")
LOGGED = N_("Attempt logged: %(kind)s.")
LOGGED_OUTCOME = N_("Attempt logged: %(kind)s, %(outcome)s.")
LOGGED_FOR = N_("Attempt logged for %(name)s: %(kind)s.")
LOGGED_FOR_OUTCOME = N_("Attempt logged for %(name)s: %(kind)s, %(outcome)s.")
#: The order clocks are listed in; their labels are product terms (i18n.terms.TERMS).
KIND_ORDER = {kind: n for n, kind in enumerate(("first_attempt", "cadence", "decision"))}
NOTE_MAX = 5000

router = APIRouter(dependencies=[Depends(current_user)])


@dataclass(frozen=True)
class ClockView:
    """One SLA clock of a lead, as the contact page and the API show it."""

    id: int
    kind: str
    owner_email: str
    owner_name: str
    sla: str
    sla_version: int
    in_pilot: bool
    started_at: datetime
    due_at: datetime
    at_risk_at: datetime | None
    state: str
    met_at: datetime | None
    closed_at: datetime | None
    closed_reason: str | None
    attempts_done: int
    attempts_required: int | None

    def to_json(self) -> dict[str, Any]:
        def instant(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat().replace("+00:00", "Z")

        return {
            "id": self.id, "kind": self.kind, "owner": self.owner_email, "sla": self.sla,
            "sla_version": self.sla_version, "in_pilot": self.in_pilot,
            "started_at": instant(self.started_at), "due_at": instant(self.due_at),
            "at_risk_at": instant(self.at_risk_at), "state": self.state,
            "met_at": instant(self.met_at), "closed_at": instant(self.closed_at),
            "closed_reason": self.closed_reason, "attempts_done": self.attempts_done,
            "attempts_required": self.attempts_required,
        }  # fmt: skip


def lead_clocks(session: Session, contact_id: int) -> list[ClockView]:
    """The lead's clocks, newest handoff first, then first attempt, cadence, decision."""
    rows = session.execute(
        select(SlaClock, User.email, User.name, SlaAgreement.key, SlaAgreement.version)
        .join(User, User.id == SlaClock.owner_id)
        .join(SlaAgreement, SlaAgreement.id == SlaClock.sla_id)
        .where(SlaClock.contact_id == contact_id)
    ).all()  # fmt: skip
    views = [ClockView(c.id, c.kind, email, name, key, version, c.in_pilot, c.started_at,
                       c.due_at, c.at_risk_at, c.state, c.met_at, c.closed_at, c.closed_reason,
                       c.attempts_done, c.attempts_required)
             for c, email, name, key, version in rows]  # fmt: skip
    views.sort(key=lambda v: (-v.started_at.timestamp(), KIND_ORDER.get(v.kind, 9), v.id))
    return views


def may_log_attempt(user: User, owner: User | None) -> bool:
    """The lead's owner, a sales manager of the owner's team, or an admin."""
    if user.role == "admin":
        return True
    if owner is None:
        return False
    if user.role == "sales_rep":
        return owner.id == user.id
    if user.role == "sales_manager":
        return user.team_id is not None and user.team_id == owner.team_id
    return False


def attempt_makers(user: User, owner: User | None) -> list[User]:
    """Who the attempt may be recorded for: a rep logs their own; a manager or admin the
    owner's (only the owner's attempts count for the SLA) or their own."""
    if user.role == "sales_rep" or owner is None or owner.id == user.id:
        return [user]
    return [owner, user]


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


def check_choice(field: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise TranslatableValidationError(NOT_A_CHOICE, field=field, choices=", ".join(choices),
                                          value=repr(value))  # fmt: skip


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
    from smarketing.web.pages import not_found_page, render_contact  # web.pages imports us

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
        when = parse_local_instant(at, workspace_info(session).zone) if at.strip() else now
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
