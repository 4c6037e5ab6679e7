"""`POST /hooks/{source}`: inbound webhooks, signed with the source's shared secret.

Refusals are answered (not raised) so that their entry in the request log is committed
with the request's transaction. The body is read before the transaction begins, and at
most MAX_BODY_BYTES of it. The signature is checked before the request is counted: a
signed request counts against its source's limit, an unsigned or badly signed one
against a separate one, so strangers cannot block the real sender. Requests over a rate
limit (smarketing.kit.ratelimit) are answered 429 and not logged; refusals are logged
with a cap per source and minute (smarketing.hooks.service). See docs/webhooks.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from smarketing.core.settings import public_url
from smarketing.hooks import repository
from smarketing.hooks.domain import MAX_BODY_BYTES
from smarketing.hooks.service import Incoming, is_signed, receive
from smarketing.kit.deps import DbSession, Now
from smarketing.kit.ratelimit import client_address, get_limiter, too_many_requests

router = APIRouter()


@dataclass(frozen=True)
class RawBody:
    data: bytes
    size: int
    too_large: bool


async def read_body(request: Request) -> RawBody:
    """The body, or `too_large` as soon as the declared or the read length passes the limit
    (the rest is never read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return RawBody(b"", int(declared), True)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY_BYTES:
            return RawBody(b"", len(data), True)
    return RawBody(bytes(data), len(data), False)


def request_uris(request: Request) -> tuple[str, ...]:
    """The URLs the sender may have signed: the one this server saw and, behind a proxy,
    SMARKETING_PUBLIC_URL + the path."""
    seen = str(request.url)
    base = public_url()
    if not base:
        return (seen,)
    query = f"?{request.url.query}" if request.url.query else ""
    return (base + request.url.path + query, seen)


@router.post(
    "/hooks/{source}",
    tags=["webhooks"],
    summary="Receive a signed webhook",
    responses={
        202: {"description": "Accepted; events that could not be applied are quarantined"},
        400: {"description": "Body is not JSON of the adapter's shape"},
        401: {"description": "Unsigned, badly signed or stale request"},
        404: {"description": "No active webhook source with this key"},
        413: {"description": "Body larger than 512 KB"},
        429: {"description": "Over a rate limit; `Retry-After` gives the seconds to wait"},
    },
)
def receive_hook(
    source: str,
    request: Request,
    body: Annotated[RawBody, Depends(read_body)],
    session: DbSession,
    now: Now,
) -> JSONResponse:
    """Apply a webhook from a configured source (generic form post, HubSpot or RD Station
    Marketing). Sign it with `X-Smarketing-Timestamp` and `X-Smarketing-Signature:
    sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>`; HubSpot's own v3 signature
    is accepted for `hubspot` sources."""
    incoming = Incoming(
        key=source, body=body.data, headers=request.headers, size=body.size,
        too_large=body.too_large, method=request.method, uris=request_uris(request),
        remote_addr=request.client.host if request.client else None,
    )  # fmt: skip
    limiter = get_limiter(request)
    active = _active(session, source)
    counted = limiter.limits.hook(source, client_address(request), active=active,
                                  signed=active and is_signed(session, incoming, now))  # fmt: skip
    refusal = limiter.hit(counted)
    if refusal is not None:
        return too_many_requests(refusal)
    reply = receive(session, incoming, now)
    return JSONResponse(reply.content, status_code=reply.status)


def _active(session: Session, key: str) -> bool:
    """Whether `key` names an active source (which decides the rate limit it counts on)."""
    source = repository.get_source(session, key)
    return source is not None and source.disabled_at is None
