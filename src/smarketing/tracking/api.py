"""Website tracking over HTTP: the script (`GET /t.js`) and its collector (`POST /track`).

`/track` takes no API key: the page is public, so a key in it would be public too. It
accepts only requests whose `Origin` is on a configured tracking domain (or a subdomain
of one) and answers them with `Access-Control-Allow-Origin: <that origin>`; any other
origin gets 403 and nothing is stored. The script posts JSON as `text/plain`, a CORS
"simple request" with no preflight; `OPTIONS /track` answers a preflight anyway.
Each client address may post TRACK_PER_ADDRESS times a minute (smarketing.kit.ratelimit);
past that the answer is 429 with `Retry-After`, readable by the script through CORS.
See docs/tracking.md.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from smarketing.core import jsonio
from smarketing.core.database import transaction
from smarketing.kit.deps import DbSession, Now, get_workspace
from smarketing.kit.ratelimit import Refusal, client_address, get_limiter, too_many_requests
from smarketing.tracking import domain, service

router = APIRouter()

SCRIPT_FILE = Path(__file__).resolve().parent.parent / "web" / "static" / "t.js"
SCRIPT_CACHE_SECONDS = 3600
MAX_BODY_BYTES = 64 * 1024
PREFLIGHT_CACHE_SECONDS = 86400


@lru_cache(maxsize=1)
def _script() -> bytes:
    return SCRIPT_FILE.read_bytes()


@router.get("/t.js", include_in_schema=False)
def tracking_script() -> Response:
    """The tracking script: public, dependency-free, cacheable for an hour."""
    return Response(_script(), media_type="application/javascript; charset=utf-8",
                    headers={"Cache-Control": f"public, max-age={SCRIPT_CACHE_SECONDS}"})


async def limited_body(request: Request) -> bytes | None:
    """The request body, or None when it is larger than MAX_BODY_BYTES (reading stops
    there)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def _refusal(request: Request, session: Session) -> tuple[str | None, str | None]:
    """(allowed origin, None) or (None, the reason it is refused)."""
    origin = request.headers.get("origin")
    if not origin:
        return None, "no Origin header: /track takes events from web pages only"
    host = domain.origin_host(origin)
    if host is None:
        return None, f"origin {origin!r} is not a web page origin"
    if domain.allowed_domain(host, service.list_domains(session)) is None:
        return None, (f"origin {origin} is not on a tracking domain; an admin adds it with "
                      f"`smarketing tracking domains add {host}`")  # fmt: skip
    return origin, None


def _cors(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def _error(status: int, detail: str, origin: str | None) -> JSONResponse:
    headers = _cors(origin) if origin else {"Vary": "Origin"}
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _limited(refusal: Refusal, origin: str | None) -> JSONResponse:
    """429 with the CORS headers of an allowed origin, `Retry-After` exposed to its script
    (it is not a CORS-safelisted response header)."""
    if origin is None:
        return too_many_requests(refusal, {"Vary": "Origin"})
    exposed = {"Access-Control-Expose-Headers": "Retry-After"}
    return too_many_requests(refusal, {**_cors(origin), **exposed})


@router.post("/track", include_in_schema=False)
def track(request: Request, session: DbSession, now: Now,
          body: bytes | None = Depends(limited_body)) -> Response:  # fmt: skip
    """Record the events of one tracking body (see service.record_events).

    200 when every event was stored (or was a retry of one already stored); 422 when at
    least one was rejected: each rejected event is in the quarantine with its reason.
    """
    origin, refused = _refusal(request, session)
    limiter = get_limiter(request)
    refusal = limiter.hit(limiter.limits.track(client_address(request)))
    if refusal is not None:
        return _limited(refusal, origin)
    if origin is None:
        return _error(403, refused or "origin refused", None)
    if body is None:
        return _error(413, f"body: larger than {MAX_BODY_BYTES} bytes", origin)
    try:
        data = jsonio.loads(body)
    except jsonio.JSONDecodeError:
        return _error(400, "body: not valid JSON", origin)
    if not isinstance(data, dict):
        return _error(400, f"body: must be a JSON object, got {domain.json_type(data)}", origin)
    try:
        result = service.record_events(session, data, now=now)
    except service.BodyError as exc:
        return _error(422, str(exc), origin)
    status = 422 if result.rejected else 200
    return JSONResponse(result.as_public_dict(), status_code=status, headers=_cors(origin))


@router.options("/track", include_in_schema=False)
def track_preflight(request: Request) -> Response:
    """A CORS preflight (the script does not need one; other senders may)."""
    with transaction(get_workspace(request).sessions, read_only=True) as session:
        origin, refused = _refusal(request, session)
    if origin is None:
        return _error(403, refused or "origin refused", None)
    return Response(status_code=204, headers={
        **_cors(origin), "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": str(PREFLIGHT_CACHE_SECONDS),
    })  # fmt: skip
