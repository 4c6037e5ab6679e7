"""The quarantine pages (admins only): rejected input items, newest first, and one item's
page where its payload can be corrected and replayed, or the item discarded."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from smarketing.core import jsonio
from smarketing.core.errors import NotFoundError, SmarketingError
from smarketing.i18n import N_
from smarketing.kit.deps import CurrentUser, DbSession, Now, current_user, require_csrf
from smarketing.kit.pages import (
    forbidden_page,
    not_found_page,
    pop_flash,
    set_flash,
    workspace_info,
)
from smarketing.kit.templating import page_text, templates
from smarketing.models import QuarantineItem, User
from smarketing.quarantine import service as quarantine

__all__ = ["router"]

ADMIN_ONLY = N_("Only an admin may see and replay the quarantine.")
SAY_WHY = N_("Say why the item is discarded.")
DISCARDED = N_("Item %(id)s discarded.")
REPLAYED = N_("Replayed: %(resolution)s.")
STILL_REJECTED = N_("Still rejected (attempt %(attempts)s): %(reason)s")
PAGE = "/admin/quarantine"
LIST_LIMIT = 200
PREVIEW_CHARS = 120
#: Session key of the last replay's outcome, shown once on the item's page.
OUTCOME_KEY = "quarantine_outcome"
STATUS_CHOICES = (*quarantine.STATUSES, "all")

router = APIRouter(dependencies=[Depends(current_user)])


class PayloadError(ValueError):
    """The edited payload is not JSON."""


def _is_admin(user: User) -> bool:
    return user.role == "admin"


@router.get(PAGE)
def quarantine_page(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    status: str = "open",
    kind: str = "",
    source: str = "",
) -> Response:
    if not _is_admin(user):
        return forbidden_page(request, ADMIN_ONLY)
    status = status if status in STATUS_CHOICES else "open"
    wanted = None if status == "all" else status
    kinds, sources = quarantine.kinds_and_sources(session)
    info = workspace_info(session)
    items = quarantine.newest_items(session, wanted, kind or None, source or None, LIST_LIMIT)
    return templates.TemplateResponse(request, "admin/quarantine.html", {
        "active": "quarantine",
        "items": items,
        "total": quarantine.count_items(session, wanted, kind or None, source or None),
        "open_count": quarantine.count_open(session),
        "filters": {"status": status, "kind": kind, "source": source},
        "statuses": STATUS_CHOICES,
        "kinds": kinds,
        "sources": sources,
        "preview": lambda payload: quarantine.preview(payload, PREVIEW_CHARS),
        "flash": pop_flash(request),
        "zone": info.zone,
        "timezone": info.timezone,
    })  # fmt: skip


def _item_page(request: Request, session: DbSession, item: QuarantineItem, *,
               payload_text: str | None = None, error: str | None = None,
               status_code: int = 200) -> Response:  # fmt: skip
    info = workspace_info(session)
    outcome = request.session.pop(OUTCOME_KEY, None)
    return templates.TemplateResponse(request, "admin/quarantine_item.html", {
        "active": "quarantine",
        "item": item,
        "payload_text": quarantine.pretty_payload(item.payload) if payload_text is None
                        else payload_text,
        "error": error,
        "outcome": outcome if isinstance(outcome, dict) else None,
        "flash": pop_flash(request),
        "zone": info.zone,
        "timezone": info.timezone,
    }, status_code=status_code)  # fmt: skip


@router.get(PAGE + "/{item_id}")
def item_page(request: Request, item_id: int, session: DbSession, user: CurrentUser) -> Response:
    if not _is_admin(user):
        return forbidden_page(request, ADMIN_ONLY)
    try:
        item = quarantine.get_item(session, item_id)
    except NotFoundError:
        return not_found_page(request)
    return _item_page(request, session, item)


def edited_payload(stored: str, submitted: str) -> Any | None:
    """The corrected payload when the form's text differs from the stored item, else None.

    Unchanged means the same text (browsers send CRLF line ends) or the same JSON value
    (the page shows the payload indented). PayloadError when changed and not JSON.
    """
    text = submitted.replace("\r\n", "\n").strip()
    if text in (stored.strip(), quarantine.pretty_payload(stored).strip()):
        return None
    try:
        decoded = jsonio.loads(text)
    except jsonio.JSONDecodeError as exc:
        raise PayloadError(f"The edited payload is not JSON: {exc}.") from None
    try:
        if jsonio.loads(stored) == decoded:
            return None
    except jsonio.JSONDecodeError:
        pass
    return decoded


@router.post(PAGE + "/{item_id}/replay", dependencies=[Depends(require_csrf)])
def replay_submit(
    request: Request,
    item_id: int,
    session: DbSession,
    user: CurrentUser,
    now: Now,
    payload: Annotated[str, Form()] = "",
) -> Response:
    """Replay with the edited payload when it was changed; the outcome is shown once on
    the item's page (a still-rejected attempt is committed like a successful one)."""
    if not _is_admin(user):
        return forbidden_page(request, ADMIN_ONLY)
    try:
        item = quarantine.get_item(session, item_id)
    except NotFoundError:
        return not_found_page(request)
    try:
        corrected = edited_payload(item.payload, payload) if payload.strip() else None
        # As JSON text: a bare string would be taken as the raw text of the item.
        text = None if corrected is None else orjson.dumps(corrected).decode()
        item = quarantine.replay(session, item_id, now, payload=text)
    except (PayloadError, SmarketingError) as exc:
        return _item_page(request, session, item, payload_text=payload, error=str(exc),
                          status_code=422)  # fmt: skip
    replayed = item.status == "replayed"
    request.session[OUTCOME_KEY] = {
        "ok": replayed,
        "message": (page_text(request, REPLAYED, resolution=item.resolution or "")
                    if replayed else page_text(request, STILL_REJECTED, attempts=item.attempts,
                                               reason=item.reason or ""))[:500],
    }  # fmt: skip
    return RedirectResponse(f"{PAGE}/{item_id}", status_code=303)


@router.post(PAGE + "/{item_id}/discard", dependencies=[Depends(require_csrf)])
def discard_submit(
    request: Request,
    item_id: int,
    session: DbSession,
    user: CurrentUser,
    now: Now,
    reason: Annotated[str, Form()] = "",
) -> Response:
    if not _is_admin(user):
        return forbidden_page(request, ADMIN_ONLY)
    try:
        item = quarantine.get_item(session, item_id)
    except NotFoundError:
        return not_found_page(request)
    if not reason.strip():
        return _item_page(request, session, item, error=page_text(request, SAY_WHY),
                          status_code=422)  # fmt: skip
    try:
        quarantine.discard(session, item_id, now, f"{reason.strip()} (by {user.email})")
    except SmarketingError as exc:
        return _item_page(request, session, item, error=str(exc), status_code=422)
    set_flash(request, DISCARDED, id=item_id)
    return RedirectResponse(f"{PAGE}/{item_id}", status_code=303)
