"""``POST /api/v1/attempts``: log a follow-up attempt as JSON (see smarketing.sla.api for
how the API authenticates)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException
from fastapi.responses import JSONResponse
from sqlalchemy import select

from smarketing.auth.access import can_see_contact, may_log_attempt
from smarketing.core.errors import ValidationError
from smarketing.core.timeutil import parse_instant
from smarketing.followup.domain import NOTE_MAX, check_choice
from smarketing.followup.service import log_attempt
from smarketing.kit.api import PREFIX
from smarketing.kit.auth import ApiUser, api_csrf, api_user
from smarketing.kit.deps import DbSession, Now
from smarketing.models import Contact, User
from smarketing.records.schema import ATTEMPT_KINDS, ATTEMPT_OUTCOMES

__all__ = ["router"]

FIELDS = ("contact", "kind", "outcome", "note", "at", "by")
#: Roles that may log an attempt made by someone else (``by``).
FOR_OTHERS_ROLES = frozenset({"admin", "sales_manager"})
NOT_YOURS = "contact: only the lead's owner, their sales manager or an admin may log on it"
NOT_FOR_OTHERS = "by: only admins and sales managers may log an attempt for someone else"

router = APIRouter(prefix=PREFIX, dependencies=[Depends(api_user)])


def _text(body: dict[str, Any], field: str, *, required: bool = False) -> str | None:
    value = body.get(field)
    if value is None:
        if required:
            raise ValidationError(f"{field}: required")
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{field}: must be a string, got {type(value).__name__}")
    if required and not value.strip():
        raise ValidationError(f"{field}: required")
    return value


def _user(session: DbSession, email: str) -> User | None:
    return session.execute(
        select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()  # fmt: skip


@router.post("/attempts", status_code=201, dependencies=[Depends(api_csrf)])
def create_attempt(
    session: DbSession, user: ApiUser, now: Now, body: Annotated[Any, Body()] = None
) -> Any:
    """Body: {contact, kind, outcome?, note?, at? (ISO 8601 with offset, default now),
    by? (default: the logged-in user; only admins and sales managers may name someone
    else)}. 201 {"id"}; 422 {"detail"} naming the field; 404 for a lead the user may not
    see; 403 for a lead the user may see but not log on."""
    try:
        if not isinstance(body, dict):
            raise ValidationError("body: must be a JSON object")
        unknown = sorted(set(body) - set(FIELDS))
        if unknown:
            raise ValidationError(f"{unknown[0]}: unknown field; known: {', '.join(FIELDS)}")
        email = _text(body, "contact", required=True) or ""
        kind = _text(body, "kind", required=True) or ""
        check_choice("kind", kind, ATTEMPT_KINDS)
        outcome = _text(body, "outcome")
        if outcome is not None:
            check_choice("outcome", outcome, ATTEMPT_OUTCOMES)
        note = _text(body, "note")
        if note is not None and len(note) > NOTE_MAX:
            raise ValidationError(f"note: at most {NOTE_MAX} characters, got {len(note)}")
        at_text = _text(body, "at")
        try:
            when = parse_instant(at_text) if at_text is not None else now
        except ValueError as exc:
            raise ValidationError(f"at: {exc}") from None
        by_text = _text(body, "by")
    except ValidationError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    contact = session.execute(
        select(Contact).where(Contact.email == email.strip().lower())
    ).scalar_one_or_none()  # fmt: skip
    if contact is None or not can_see_contact(user.role, user.id, contact.owner_id):
        raise HTTPException(status_code=404, detail=f"contact: no lead {email!r}")
    owner = session.get(User, contact.owner_id) if contact.owner_id else None
    if not may_log_attempt(user, owner):
        raise HTTPException(status_code=403, detail=NOT_YOURS)
    maker = user
    if by_text is not None and by_text.strip().lower() != user.email:
        if user.role not in FOR_OTHERS_ROLES:
            raise HTTPException(status_code=403, detail=NOT_FOR_OTHERS)
        found = _user(session, by_text)
        if found is None:
            return JSONResponse({"detail": f"by: no user with email {by_text!r}"},
                                status_code=422)  # fmt: skip
        maker = found
    try:
        with session.begin_nested():  # a rejected attempt leaves nothing behind
            attempt_id = log_attempt(
                session, contact=contact.email, by=maker.email, kind=kind, at=when, now=now,
                outcome=outcome, note=note.strip() if note and note.strip() else None,
            )  # fmt: skip
    except ValidationError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)
    return {"id": attempt_id}
