"""The API keys page (admins only): the keys, a form to create one and revoke buttons.

A new key is shown once, on the page that answers the create form; it is never put in
the session cookie (signed, not encrypted) nor in a redirect, and that page is not cached.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from smarketing.apikeys.service import create_key, list_keys, revoke_key
from smarketing.auth.keys import SCOPES
from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.i18n import N_
from smarketing.kit.auth import forget
from smarketing.kit.deps import CurrentUser, DbSession, Now, current_user, require_csrf
from smarketing.kit.pages import (
    forbidden_page,
    not_found_page,
    pop_flash,
    set_flash,
    workspace_info,
)
from smarketing.kit.templating import templates
from smarketing.models import User

__all__ = ["router"]

ADMIN_ONLY = N_("Only an admin may see and manage API keys.")
REVOKED = N_("API key %(prefix)s (%(name)s) is revoked; requests with it are refused from "
             "now on.")
PAGE = "/admin/api-keys"

router = APIRouter(dependencies=[Depends(current_user)])


def _is_admin(user: User) -> bool:
    return user.role == "admin"


def _page(request: Request, session: DbSession, *, created: tuple[str, str, str] | None = None,
          error: str | None = None, form: dict[str, str] | None = None,
          status_code: int = 200) -> Response:  # fmt: skip
    info = workspace_info(session)
    response = templates.TemplateResponse(request, "admin/api_keys.html", {
        "active": "api-keys",
        "keys": list_keys(session, include_revoked=True),
        "scopes": SCOPES,
        "created": created,
        "error": error,
        "form": form or {"name": "", "scope": "read"},
        "flash": pop_flash(request),
        "zone": info.zone,
        "timezone": info.timezone,
    }, status_code=status_code)  # fmt: skip
    if created is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get(PAGE)
def api_keys_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    if not _is_admin(user):
        return forbidden_page(request, ADMIN_ONLY)
    return _page(request, session)


@router.post(PAGE, dependencies=[Depends(require_csrf)])
def create_submit(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    now: Now,
    name: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "",
) -> Response:
    if not _is_admin(user):
        return forbidden_page(request, ADMIN_ONLY)
    try:
        new = create_key(session, name, scope, user.email, now)
    except ValidationError as exc:
        message = str(exc)
        return _page(request, session, error=message[:1].upper() + message[1:] + ".",
                     form={"name": name, "scope": scope}, status_code=422)  # fmt: skip
    return _page(request, session, created=(new.plaintext, new.key.prefix, new.key.scope))


@router.post(PAGE + "/{prefix}/revoke", dependencies=[Depends(require_csrf)])
def revoke_submit(
    request: Request, prefix: str, session: DbSession, user: CurrentUser, now: Now
) -> Response:
    if not _is_admin(user):
        return forbidden_page(request, ADMIN_ONLY)
    try:
        key = revoke_key(session, prefix, now)
    except (NotFoundError, ValueError):
        return not_found_page(request)
    forget(request, key.prefix)
    set_flash(request, REVOKED, prefix=key.prefix, name=key.name)
    return RedirectResponse(PAGE, status_code=303)
