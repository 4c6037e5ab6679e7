"""The Funnel page: contacts per lifecycle stage and the ones that changed lately."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request, Response

from smarketing.auth.access import visible_owner_id
from smarketing.contacts.listing import recently_changed
from smarketing.funnel.domain import month_bounds
from smarketing.funnel.service import funnel
from smarketing.kit.deps import CurrentUser, DbSession, Now, current_user
from smarketing.kit.templating import templates
from smarketing.workspace.repository import workspace_settings

__all__ = ["router"]

RECENT_CONTACTS = 12

router = APIRouter(dependencies=[Depends(current_user)])


@router.get("/")
@router.get("/funnel")
def funnel_page(request: Request, session: DbSession, user: CurrentUser, now: Now) -> Response:
    owner_id = visible_owner_id(user.role, user.id)
    timezone = workspace_settings(session).timezone
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
