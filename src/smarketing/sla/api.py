"""The JSON API of the SLA under ``/api/v1``: the compliance report, pacing, a lead's clocks.

Authenticated by the logged-in session cookie (API keys come later): without a login an
endpoint answers 401 JSON, never a redirect. A POST must send the session's CSRF token
in the ``X-CSRF-Token`` header; ``GET /api/v1/me`` returns it. Errors are
``{"detail": "<reason naming the field>"}``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from smarketing.contacts.domain import can_see_contact
from smarketing.followup.pages import lead_clocks
from smarketing.models import Contact, User
from smarketing.sla.pages import team_key_of, visible_pacing, visible_report, workspace_info
from smarketing.sla.report import Month, ReportError
from smarketing.sla.report_service import compliance_report, pacing_json
from smarketing.web.deps import (
    CsrfError,
    DbSession,
    LoginRequired,
    Now,
    csrf_token,
    current_user,
    require_csrf,
)

__all__ = ["ApiUser", "api_csrf", "api_user", "api_validation_error", "router"]

PREFIX = "/api/v1"
NOT_LOGGED_IN = "not logged in: log in at /login; the API uses the session cookie"


def api_user(request: Request, session: DbSession) -> User:
    """The logged-in user, or 401 JSON (the pages redirect to the login page instead)."""
    try:
        return current_user(request, session)
    except LoginRequired:
        raise HTTPException(status_code=401, detail=NOT_LOGGED_IN) from None


ApiUser = Annotated[User, Depends(api_user)]


async def api_csrf(request: Request) -> None:
    """A POST needs the session's CSRF token in X-CSRF-Token; else 403 JSON."""
    try:
        await require_csrf(request)
    except CsrfError:
        raise HTTPException(
            status_code=403,
            detail="X-CSRF-Token: missing or wrong; read csrf_token from GET /api/v1/me",
        ) from None


async def api_validation_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own 422s (malformed JSON, a bad query parameter) as one readable line."""
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type
    if not request.url.path.startswith(PREFIX + "/"):
        return await request_validation_exception_handler(request, exc)
    reasons = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            reasons.append(f"body: not valid JSON ({error.get('ctx', {}).get('error', 'invalid')})")
            continue
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
        reasons.append(f"{where}: {error.get('msg', 'invalid')}")
    return JSONResponse({"detail": "; ".join(reasons) or "invalid request"}, status_code=422)


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
