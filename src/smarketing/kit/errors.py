"""One place that turns errors into HTTP answers, for pages and the JSON API alike.

- A domain error (smarketing.core.errors) that reaches the edge: JSON `{"detail": ...}`
  under /api/, else the error page, with the status its class stands for.
- FastAPI's own 422s (malformed JSON, a bad query parameter): one readable line.
- No login: a redirect to the login page (htmx gets HX-Redirect). A form without its
  CSRF token: the "form expired" page. A 404 of a page: the not-found page.
- A fault of the database, not of the input (SQLite's write lock held past the busy
  timeout, a lost or refused PostgreSQL connection, a full pool, another writer of this
  process holding the database too long): 503 with `Retry-After`, JSON under /api/, the
  error page otherwise. Nothing is quarantined for it: the producers quarantine
  ValidationError only, and these are not.
- Anything else: `CatchAll`, the innermost middleware, answers 500 (JSON under /api/, the
  error page otherwise) and logs the traceback.

Why a middleware for the 500 and not an exception handler for `Exception`: Starlette
gives such a handler to its outermost ServerErrorMiddleware, which sends the handler's
answer and then re-raises the exception to the server. Uvicorn, seeing an exception
from an app whose response has already started, closes the connection: a client on a
keep-alive connection then loses it (and one that pipelined its next request gets no
answer). `CatchAll` answers and does not re-raise, so the connection stays open. An
exception raised after the response started (a streamed body that fails half-way) is
re-raised: the response cannot be completed, and closing the connection is then the
only honest answer (uvicorn does that, as it does for an app that raises before
answering: it then sends its own plain 500 first).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smarketing.core.database import WriterTurnTimeout, is_transient_fault
from smarketing.core.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    SmarketingError,
    ValidationError,
)
from smarketing.i18n import N_
from smarketing.kit.api import PREFIX
from smarketing.kit.deps import CsrfError, LoginRequired, login_url
from smarketing.kit.pages import not_found_page
from smarketing.kit.templating import page_text, templates

FORM_EXPIRED = N_("Form expired")
FORM_EXPIRED_MESSAGE = N_("This form has expired or did not come from this site. Go back, "
                          "reload the page and try again.")
ERROR_TITLE = N_("Something is wrong")
UNAVAILABLE_TITLE = N_("Busy, try again")
UNAVAILABLE_MESSAGE = N_("The database is busy or out of reach, so nothing was saved. Try "
                         "again in a few seconds.")
FAILED_TITLE = N_("Something went wrong")
FAILED_MESSAGE = N_("This request failed on our side and nothing was saved. The error is in "
                    "the server log under reference %(reference)s.")
#: Seconds a client is asked to wait after a 503 (`Retry-After`).
RETRY_AFTER_SECONDS = 5
log = logging.getLogger("smarketing.web")
#: The HTTP status each kind of domain error stands for (most specific first).
STATUS_OF = ((ValidationError, 422), (NotFoundError, 404), (PermissionDeniedError, 403),
             (ConflictError, 409))  # fmt: skip


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SmarketingError, domain_error)
    app.add_exception_handler(RequestValidationError, api_validation_error)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CsrfError, csrf_failed)
    app.add_exception_handler(StarletteHTTPException, http_error)
    for fault in (OperationalError, PoolTimeoutError, WriterTurnTimeout):
        app.add_exception_handler(fault, database_fault)


def status_of(error: SmarketingError) -> int:
    return next((status for kind, status in STATUS_OF if isinstance(error, kind)), 400)


def is_api(request: Request) -> bool:
    return request.url.path.startswith(PREFIX + "/")


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SmarketingError)  # noqa: S101 - registered for this type
    status = status_of(exc)
    if is_api(request):
        return JSONResponse({"detail": str(exc)}, status_code=status)
    if status == 404:
        return not_found_page(request)
    return templates.TemplateResponse(request, "error.html", {
        "title": page_text(request, ERROR_TITLE), "message": str(exc),
    }, status_code=status)  # fmt: skip


async def api_validation_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own 422s (malformed JSON, a bad query parameter) as one readable line."""
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type
    if not is_api(request):
        return await request_validation_exception_handler(request, exc)
    reasons = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            reasons.append(f"body: not valid JSON ({error.get('ctx', {}).get('error', 'invalid')})")
            continue
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
        reasons.append(f"{where}: {error.get('msg', 'invalid')}")
    return JSONResponse({"detail": "; ".join(reasons) or "invalid request"}, status_code=422)


async def login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)  # noqa: S101 - registered for this type only
    target = login_url(exc.next_path)
    response = RedirectResponse(target, status_code=303)
    if request.headers.get("hx-request"):
        response.headers["HX-Redirect"] = target
    return response


async def csrf_failed(request: Request, exc: Exception) -> Response:
    # The request's transaction is over (rolled back): its user may no longer be read.
    request.state.user = None
    return templates.TemplateResponse(request, "error.html", {
        "title": page_text(request, FORM_EXPIRED),
        "message": page_text(request, FORM_EXPIRED_MESSAGE),
    }, status_code=403)  # fmt: skip


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for this type
    if exc.status_code == 404 and not request.url.path.startswith("/api/"):
        return not_found_page(request)
    return await http_exception_handler(request, exc)


# ----------------------------------------------------------------------------- faults


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` is a fault of the database that passes (503), not a bug (500): see
    smarketing.core.database.is_transient_fault."""
    return is_transient_fault(exc)


async def database_fault(request: Request, exc: Exception) -> Response:
    if not is_unavailable(exc):
        return failed(request, exc)
    log.warning("%s %s: database unavailable, answered 503: %s", request.method,
                request.url.path, exc.__class__.__name__ + ": " + _first_line(exc))  # fmt: skip
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return _answer(request, 503, headers, UNAVAILABLE_TITLE, UNAVAILABLE_MESSAGE,
                   api_detail=f"database unavailable (busy or out of reach); nothing was "
                              f"saved: retry in {RETRY_AFTER_SECONDS} s")  # fmt: skip


def failed(request: Request, exc: BaseException) -> Response:
    """The 500 answer of an unexpected error, logged with a reference the answer gives."""
    reference = uuid.uuid4().hex[:12]
    log.error("%s %s failed (reference %s)", request.method, request.url.path, reference,
              exc_info=(type(exc), exc, exc.__traceback__))  # fmt: skip
    return _answer(request, 500, {}, FAILED_TITLE, FAILED_MESSAGE,
                   api_detail=f"internal error; nothing was saved; reference {reference} "
                              "in the server log", reference=reference)  # fmt: skip


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [""])[0][:200]


def _answer(request: Request, status: int, headers: dict[str, str], title: str,
            message: str, *, api_detail: str, **params: Any) -> Response:  # fmt: skip
    if is_api(request):
        return JSONResponse({"detail": api_detail}, status_code=status, headers=headers)
    # The request's transaction is over: its user (and their language) may not be read.
    request.state.user = None
    try:
        return templates.TemplateResponse(request, "error.html", {
            "title": page_text(request, title), "message": page_text(request, message, **params),
        }, status_code=status, headers=headers)  # fmt: skip
    except Exception:  # noqa: BLE001 - the error page itself failed: a plain answer
        log.exception("the error page failed")
        return PlainTextResponse(api_detail, status_code=status, headers=headers)


class CatchAll:
    """Answers 500 for any exception the app did not turn into an answer, and keeps the
    connection open (see the module docstring). The innermost middleware: the session
    and the security headers still apply to its answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started:
                raise
            request = Request(scope, receive)
            response = (await database_fault(request, exc) if is_unavailable(exc)
                        else failed(request, exc))  # fmt: skip
            await response(scope, receive, send)
