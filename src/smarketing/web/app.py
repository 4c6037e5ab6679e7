"""The app factory: sessions, security headers, static files, pages, the API and the
error answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smarketing import wiring  # noqa: F401 - registers every quarantine replayer
from smarketing.accounts import pages as account_pages
from smarketing.activities import api as activities_api
from smarketing.apikeys import pages as apikeys_pages
from smarketing.campaigns import api as campaigns_api
from smarketing.contacts import api as contacts_api
from smarketing.contacts import duplicates_api, duplicates_pages
from smarketing.contacts import pages as contact_pages
from smarketing.core.timeutil import utcnow
from smarketing.core.workspace import OpenWorkspace, open_workspace
from smarketing.deals import api as deals_api
from smarketing.followup import api as followup_api
from smarketing.followup import pages as followup_pages
from smarketing.funnel import pages as funnel_pages
from smarketing.hooks import api as hooks_api
from smarketing.kit.errors import CatchAll, install_error_handlers
from smarketing.kit.lastuse import LastUse
from smarketing.kit.openapi import install_openapi
from smarketing.kit.ratelimit import RateLimiter
from smarketing.notify import pages as notify_pages
from smarketing.privacy import api as privacy_api
from smarketing.privacy import pages as privacy_pages
from smarketing.quarantine import api as quarantine_api
from smarketing.quarantine import pages as quarantine_pages
from smarketing.sla import api as sla_api
from smarketing.sla import pages as sla_pages
from smarketing.tracking import api as tracking_api

STATIC_DIR = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "smarketing_session"
OPENAPI_URL = "/api/v1/openapi.json"
API_DESCRIPTION = """The smarketing API. Authenticate with a per-workspace API key:
`Authorization: Bearer smk_...` (an admin creates keys with `smarketing api-keys create`
or on the API keys page). Read keys may GET; write keys may also create and change.
Errors are `{"detail": "<reason naming the field>"}`."""
#: Scripts, styles, images and requests from this site only; inline styles are allowed
#: (the pages' bars and htmx's indicator style), inline scripts and eval are not.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:", "connect-src 'self'", "font-src 'self'", "object-src 'none'",
    "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
))  # fmt: skip
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
}
#: Sent with SMARKETING_COOKIE_SECURE only (a site reached over HTTPS): one year.
HSTS = "max-age=31536000; includeSubDomains"
DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>smarketing API</title>
<link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css">
<link rel="icon" href="/static/swagger-ui/favicon-32x32.png">
<script src="/static/swagger-ui/swagger-ui-bundle.js" defer></script>
<script src="/static/swagger-ui/init.js" defer></script>
</head><body><div id="swagger-ui"></div></body></html>"""


def create_app(
    workspace: OpenWorkspace | None = None, *, clock: Callable[[], datetime] = utcnow
) -> FastAPI:
    """The web app on `workspace` (default: the configured one, migrated on open).

    `clock` gives "now" for every request; tests pass a fixed one.
    """
    workspace = workspace or open_workspace()
    # The API docs are served from vendored Swagger UI files (pages work offline).
    app = FastAPI(title="smarketing API", version="1", description=API_DESCRIPTION,
                  docs_url=None, redoc_url=None, openapi_url=OPENAPI_URL)  # fmt: skip
    app.state.workspace = workspace
    app.state.clock = clock
    # Tests replace it with smaller limits; memory storage is per app.
    app.state.rate_limiter = RateLimiter(storage_uri=workspace.settings.rate_limit_storage)
    app.state.last_use = LastUse()
    settings = workspace.settings
    app.add_middleware(CatchAll)  # innermost: its 500 still gets the cookie and the headers
    app.add_middleware(
        SessionMiddleware,  # cookies are signed (itsdangerous), httponly and samesite=lax
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_hours * 3600,  # the login's row ends it sooner
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    headers = {**SECURITY_HEADERS, **({"Strict-Transport-Security": HSTS}
                                      if settings.cookie_secure else {})}  # fmt: skip
    app.add_middleware(SecurityHeaders, headers=headers)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Pages are not part of the API: they stay out of its OpenAPI schema.
    app.include_router(account_pages.public_router, include_in_schema=False)
    badge = [Depends(notify_pages.unread_badge)]  # the unread count in the navigation
    # duplicates_pages before contact_pages: /contacts/duplicates is not a contact's email.
    for router in (duplicates_pages.router, funnel_pages.router, followup_pages.router,
                   contact_pages.router,
                   sla_pages.router, notify_pages.router, apikeys_pages.router,
                   quarantine_pages.router, account_pages.router, privacy_pages.router):
        app.include_router(router, dependencies=badge, include_in_schema=False)
    for router in (sla_api.router, followup_api.router, contacts_api.router,
                   campaigns_api.router, deals_api.router,
                   activities_api.router, duplicates_api.router, quarantine_api.router,
                   tracking_api.router, hooks_api.router, privacy_api.router):
        app.include_router(router)
    app.get("/docs", include_in_schema=False)(_api_docs)
    install_error_handlers(app)
    install_openapi(app)
    return app


async def _api_docs() -> HTMLResponse:
    """Swagger UI from the vendored files, started by a script file (no inline script)."""
    return HTMLResponse(DOCS_PAGE)


class SecurityHeaders:
    """Adds `headers` (SECURITY_HEADERS, and HSTS when cookies are secure) to every
    response that does not set them itself.

    A plain ASGI middleware: Starlette's BaseHTTPMiddleware (what `app.middleware("http")`
    makes) costs a task and a stream per request, which shows at hundreds of requests
    per second."""

    def __init__(self, app: ASGIApp, headers: dict[str, str] | None = None) -> None:
        self.app = app
        self.headers = headers if headers is not None else SECURITY_HEADERS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
