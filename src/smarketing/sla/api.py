"""The JSON API of the SLA under ``/api/v1``: the compliance report, pacing, a lead's clocks.

Authenticated by the logged-in session cookie (API keys come later): without a login an
endpoint answers 401 JSON, never a redirect. A POST must send the session's CSRF token
in the ``X-CSRF-Token`` header; ``GET /api/v1/me`` returns it. Errors are
``{"detail": "<reason naming the field>"}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select

from smarketing.auth.access import can_see_contact
from smarketing.kit.api import PREFIX
from smarketing.kit.auth import ApiUser, api_user
from smarketing.kit.deps import DbSession, Now, csrf_token
from smarketing.kit.pages import workspace_info
from smarketing.models import Contact
from smarketing.sla.pages import team_key_of, visible_pacing, visible_report
from smarketing.sla.report import Month, ReportError
from smarketing.sla.report_service import compliance_report, pacing_json
from smarketing.sla.views import lead_clocks

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, dependencies=[Depends(api_user)])


@router.get("/me")
def me(request: Request, session: DbSession, user: ApiUser) -> dict[str, Any]:
    """Who is logged in, and the CSRF token to send with POSTs."""
    return {"email": user.email, "name": user.name, "role": user.role,
            "team": team_key_of(session, user), "csrf_token": csrf_token(request)}  # fmt: skip


@router.get("/sla/report")
def report(session: DbSession, user: ApiUser, now: Now, month: str | None = None) -> Any:
    """The compliance report JSON of `month` (default: the current one in the workspace
    time zone), as ``smarketing sla report --json``; a sales rep gets only their rows."""
    timezone = workspace_info(session).timezone
    wanted = month if month is not None else Month.of(now, timezone).label
    try:
        data = compliance_report(session, wanted, now)
    except ReportError as exc:
        return JSONResponse({"detail": f"month: {exc}"}, status_code=422)
    return visible_report(data, user, team_key_of(session, user))


@router.get("/sla/pacing")
def pacing(session: DbSession, user: ApiUser, now: Now) -> Any:
    """Marketing pacing of the current month, as ``smarketing sla pacing --json``."""
    return visible_pacing(pacing_json(session, now), user, team_key_of(session, user))


@router.get("/contacts/{email:path}/clocks")
def clocks(email: str, session: DbSession, user: ApiUser) -> Any:
    """The SLA clocks of one lead; 404 for a lead the user may not see."""
    contact = session.execute(
        select(Contact).where(Contact.email == email.strip().lower())
    ).scalar_one_or_none()  # fmt: skip
    if contact is None or not can_see_contact(user.role, user.id, contact.owner_id):
        raise HTTPException(status_code=404, detail=f"contact: no lead {email!r}")
    return jsonable_encoder({
        "contact": contact.email,
        "clocks": [view.to_json() for view in lead_clocks(session, contact.id)],
    })  # fmt: skip
