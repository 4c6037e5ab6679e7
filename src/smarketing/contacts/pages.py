"""One contact's page: its story, its SLA clocks and the form to log a follow-up attempt.

Who may log an attempt: smarketing.followup.domain. Access is checked here, on the server:
a contact the user may not see answers exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from smarketing.auth.access import attempt_makers, may_log_attempt
from smarketing.contacts.domain import DETAIL_LABELS, TERM_DETAILS, ContactStory
from smarketing.contacts.story import contact_story
from smarketing.core.errors import (
    NotFoundError,
    PermissionDeniedError,
    TranslatableValidationError,
)
from smarketing.i18n import N_
from smarketing.kit.deps import CurrentUser, DbSession, Now, current_user
from smarketing.kit.pages import not_found_page, pop_flash
from smarketing.kit.templating import templates
from smarketing.lifecycle.domain import funnel_position
from smarketing.models import User
from smarketing.records.schema import ATTEMPT_KINDS, ATTEMPT_OUTCOMES
from smarketing.sla.views import lead_clocks
from smarketing.workspace.repository import workspace_settings

__all__ = ["router"]

NOT_AN_INSTANT = N_("at: %(text)s is not a date and time (write e.g. 2026-05-20T14:30)")

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


def _team_of(role: str) -> str | None:
    if role == "marketing":
        return "marketing"
    if role in ("sales_rep", "sales_manager"):
        return "sales"
    return None
