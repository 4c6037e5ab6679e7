"""One place that turns errors into HTTP answers, for pages and the JSON API alike.

- A domain error (smarketing.core.errors) that reaches the edge: JSON `{"detail": ...}`
  under /api/, else the error page, with the status its class stands for.
- FastAPI's own 422s (malformed JSON, a bad query parameter): one readable line.
- No login: a redirect to the login page (htmx gets HX-Redirect). A form without its
  CSRF token: the "form expired" page. A 404 of a page: the not-found page.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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
#: The HTTP status each kind of domain error stands for (most specific first).
STATUS_OF = ((ValidationError, 422), (NotFoundError, 404), (PermissionDeniedError, 403),
             (ConflictError, 409))  # fmt: skip


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SmarketingError, domain_error)
    app.add_exception_handler(RequestValidationError, api_validation_error)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CsrfError, csrf_failed)
    app.add_exception_handler(StarletteHTTPException, http_error)


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
