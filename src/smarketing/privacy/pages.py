"""The personal data page (admins only, `/admin/privacy`): export a person's data as a
JSON download, or erase it (docs/privacy.md)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request, Response

from smarketing.core.errors import ValidationError
from smarketing.i18n import N_
from smarketing.kit.deps import (
    CurrentUser,
    DbSession,
    Now,
    current_user,
    get_workspace,
    require_csrf,
)
from smarketing.kit.pages import forbidden_page
from smarketing.kit.templating import page_text, templates
from smarketing.privacy.service import after_erasure, erase_person, export_person

__all__ = ["router"]

PAGE = "/admin/privacy"
ADMIN_ONLY = N_("Only an admin may export or erase a person's data.")
NEED_EMAIL = N_("Enter the person's email address.")

router = APIRouter(dependencies=[Depends(current_user)])


def _page(request: Request, *, email: str = "", erased: dict[str, int] | None = None,
          error: str | None = None, status_code: int = 200) -> Response:  # fmt: skip
    return templates.TemplateResponse(request, "admin/privacy.html", {
        "active": "privacy", "email": email, "erased": erased, "error": error,
    }, status_code=status_code)  # fmt: skip


@router.get(PAGE)
def privacy_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    if user.role != "admin":
        return forbidden_page(request, ADMIN_ONLY)
    return _page(request)


@router.post(PAGE + "/export", dependencies=[Depends(require_csrf)])
def export_submit(request: Request, session: DbSession, user: CurrentUser, now: Now,
                  email: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    if user.role != "admin":
        return forbidden_page(request, ADMIN_ONLY)
    try:
        document = export_person(session, email, now=now, actor=user.email)
    except ValidationError:
        return _page(request, email=email, error=page_text(request, NEED_EMAIL), status_code=422)
    name = "personal-data-" + "".join(c if c.isalnum() else "-" for c in document["address"])
    return Response(orjson.dumps(document, option=orjson.OPT_INDENT_2),
                    media_type="application/json", headers={
                        "Content-Disposition": f'attachment; filename="{name}.json"',
                        "Cache-Control": "no-store"})  # fmt: skip


@router.post(PAGE + "/erase", dependencies=[Depends(require_csrf)])
def erase_submit(
    request: Request, session: DbSession, user: CurrentUser, now: Now, tasks: BackgroundTasks,
    email: Annotated[str, Form()] = "",
) -> Response:
    if user.role != "admin":
        return forbidden_page(request, ADMIN_ONLY)
    try:
        erasure = erase_person(session, email, now=now, actor=user.email)
    except ValidationError:
        return _page(request, email=email, error=page_text(request, NEED_EMAIL), status_code=422)
    tasks.add_task(after_erasure, get_workspace(request).engine)
    return _page(request, erased=erasure.counts)
