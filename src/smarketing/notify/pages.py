"""The in-app inbox page: the logged-in user's unread notifications, and the unread
count the navigation shows on every page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select

from smarketing.core.errors import NotFoundError
from smarketing.i18n import N_
from smarketing.kit.deps import (
    CurrentUser,
    DbSession,
    Now,
    current_user,
    require_csrf,
    safe_next,
)
from smarketing.kit.pages import not_found_page, pop_flash, set_flash, workspace_info
from smarketing.kit.templating import templates
from smarketing.models import Notification
from smarketing.notify.service import mark_read, unread

#: The badge counts up to this many and then shows "99+".
BADGE_CAP = 99
INBOX_LIMIT = 100
MARKED_READ = N_("Marked as read.")

router = APIRouter(dependencies=[Depends(current_user)])


@dataclass(frozen=True)
class InboxItem:
    id: int
    kind: str
    subject: str
    body: str
    safe_link: str | None
    created_at: datetime


def unread_badge(request: Request, session: DbSession, user: CurrentUser) -> None:
    """Router dependency: put the user's unread count on `request.state` for the navigation.

    One indexed query that stops counting after BADGE_CAP + 1 rows.
    """
    capped = (
        select(Notification.id)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .limit(BADGE_CAP + 1)
        .subquery()
    )
    count = session.execute(select(func.count()).select_from(capped)).scalar_one()
    request.state.unread_count = count
    request.state.unread_label = f"{BADGE_CAP}+" if count > BADGE_CAP else str(count)


def _link(link: str | None) -> str | None:
    """Only links to pages of this site are shown (no javascript: or off-site URLs)."""
    if not link:
        return None
    safe = safe_next(link)
    return link if safe == link else None


@router.get("/notifications")
def inbox_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    info = workspace_info(session)
    items = [InboxItem(n.id, n.kind, n.subject, n.body, _link(n.link), n.created_at)
             for n in unread(session, user.id, INBOX_LIMIT)]  # fmt: skip
    return templates.TemplateResponse(request, "notify/notifications.html", {
        "active": "notifications",
        "notifications": items,
        "flash": pop_flash(request),
        "zone": info.zone,
        "timezone": info.timezone,
    })  # fmt: skip


@router.post("/notifications/{notification_id}/read", dependencies=[Depends(require_csrf)])
def mark_read_submit(
    request: Request, notification_id: int, session: DbSession, user: CurrentUser, now: Now
) -> Response:
    try:
        mark_read(session, notification_id, user.id, now)
    except NotFoundError:
        return not_found_page(request)
    set_flash(request, MARKED_READ)
    return RedirectResponse("/notifications", status_code=303)
