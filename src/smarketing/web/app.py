"""The app factory: sessions, static files, pages and the error pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from smarketing.core.timeutil import utcnow
from smarketing.core.workspace import OpenWorkspace, open_workspace
from smarketing.followup import api as followup_api
from smarketing.followup import pages as followup_pages
from smarketing.notify import pages as notify_pages
from smarketing.sla import api as sla_api
from smarketing.sla import pages as sla_pages
from smarketing.web import pages
from smarketing.web.deps import CsrfError, LoginRequired, login_url
from smarketing.web.templating import templates

STATIC_DIR = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "smarketing_session"
SESSION_MAX_AGE = 14 * 24 * 3600
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def create_app(
    workspace: OpenWorkspace | None = None, *, clock: Callable[[], datetime] = utcnow
) -> FastAPI:
    """The web app on `workspace` (default: the configured one, migrated on open).

    `clock` gives "now" for every request; tests pass a fixed one.
    """
    workspace = workspace or open_workspace()
    # The JSON API docs would load their scripts from a CDN: pages must work offline.
    app = FastAPI(title="smarketing", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.workspace = workspace
    app.state.clock = clock
    app.add_middleware(
        SessionMiddleware,  # cookies are signed (itsdangerous), httponly and samesite=lax
        secret_key=workspace.settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
    )
    app.middleware("http")(_security_headers)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(pages.public_router)
    badge = [Depends(notify_pages.unread_badge)]  # the unread count in the navigation
    for router in (pages.router, sla_pages.router, followup_pages.router, notify_pages.router):
        app.include_router(router, dependencies=badge)
    app.include_router(sla_api.router)
    app.include_router(followup_api.router)
    app.add_exception_handler(RequestValidationError, sla_api.api_validation_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(CsrfError, _csrf_failed)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    return app


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)  # noqa: S101 - registered for this type only
    target = login_url(exc.next_path)
    response = RedirectResponse(target, status_code=303)
    if request.headers.get("hx-request"):
        response.headers["HX-Redirect"] = target
    return response


async def _csrf_failed(request: Request, exc: Exception) -> Response:
    # The request's transaction is over (rolled back): its user may no longer be read.
    request.state.user = None
    return templates.TemplateResponse(request, "error.html", {
        "title": "Form expired",
        "message": "This form has expired or did not come from this site. "
                   "Go back, reload the page and try again.",
    }, status_code=403)  # fmt: skip


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for this type
    if exc.status_code == 404 and not request.url.path.startswith("/api/"):
        return pages.not_found_page(request)
    return await http_exception_handler(request, exc)
