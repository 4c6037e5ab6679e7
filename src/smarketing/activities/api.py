"""Activity ingestion over HTTP: ``POST /api/v1/activities`` (one) and
``POST /api/v1/activities/batch`` (up to 1,000 items or 512 KB).

A 2xx answer means the request's transaction is committed: every item in it is either
stored, acknowledged as a duplicate of a stored one, or kept in the quarantine with its
reason. A request that is not well-formed (over the limits, not JSON, not an object) is
refused whole with 413/400/422 and nothing of it is stored: the client still holds it.

The body is read and parsed by hand (orjson) rather than by FastAPI's model binding, so
the size limits hold before anything is parsed and each item is validated on its own;
the schema shown at /docs is declared with `openapi_extra`.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from smarketing.activities.service import (
    ActivityIn,
    check_activities,
    store_activities,
)
from smarketing.activities.writer import ActivityWriter
from smarketing.core import jsonio
from smarketing.core.database import transaction, writer_turn
from smarketing.core.errors import json_type
from smarketing.kit.auth import WriteKey
from smarketing.kit.deps import get_now, get_workspace

PREFIX = "/api/v1"
BATCH_MAX_ITEMS = 1000
BATCH_MAX_BYTES = 512 * 1024
SINGLE_MAX_BYTES = 128 * 1024
IDEMPOTENCY_HEADER = "idempotency-key"
IDEMPOTENCY_KEY_MAX = 150

router = APIRouter(prefix=PREFIX, tags=["activities"])


class RequestRefused(Exception):
    """The request as a whole cannot be taken; nothing of it is stored."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def json_response(content: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, or 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestRefused(413, f"body: {declared} bytes is over the limit of {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestRefused(413, f"body: over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise RequestRefused(400, "body: empty; send a JSON object")
    try:
        data = jsonio.loads(body)
    except jsonio.JSONDecodeError as exc:
        raise RequestRefused(400, f"body: not valid JSON (UTF-8): {exc}") from None
    if not isinstance(data, dict):
        raise RequestRefused(422, f"body: must be a JSON object, got {json_type(data)}")
    return data



def idempotency_key(request: Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise RequestRefused(422, f"Idempotency-Key: 1 to {IDEMPOTENCY_KEY_MAX} printable "
                                  "characters")  # fmt: skip
    return key


def _batch_items(body: bytes) -> list[Any]:
    """The items of a batch body, or RequestRefused saying what is wrong with it."""
    data = parse_json_object(body)
    items = data.get("items")
    if not isinstance(items, list):
        raise RequestRefused(422, "items: required, a JSON array of activity objects")
    if len(items) > BATCH_MAX_ITEMS:
        raise RequestRefused(413, f"items: {len(items)} is over the limit of "
                                  f"{BATCH_MAX_ITEMS} per request")  # fmt: skip
    unknown = sorted(set(data) - {"items"})
    if unknown:
        raise RequestRefused(422, f"{unknown[0]}: unknown field; the body is "
                                  '{"items": [...]}')
    return items


def _ingest_batch(request: Request, body: bytes, source: str, key: str | None) -> bytes:
    """Runs in a worker thread, in the writer's turn: parse, validate, store and commit in
    one transaction, and encode the answer.

    All of the request's Python work happens here rather than partly on the event loop:
    on SQLite the writer gives up the GIL for every row it writes, and a busy event loop
    then keeps it waiting (two clients sending at once cost 10% of throughput)."""
    now = get_now(request)
    sessions = get_workspace(request).sessions
    with writer_turn(sessions):
        items = _batch_items(body)
        checked = check_activities(items, now=now, idempotency_key=key)
        with transaction(sessions) as session:
            result = store_activities(session, checked, source=source, now=now)
        return orjson.dumps(result.as_dict())


def activity_writer(request: Request) -> ActivityWriter:
    """The app's group-commit writer for single activities, made on first use."""
    state = request.app.state
    if getattr(state, "activity_writer", None) is None:
        state.activity_writer = ActivityWriter(get_workspace(request).sessions, state.clock)
    writer: ActivityWriter = state.activity_writer
    return writer


def _refused(exc: RequestRefused) -> Response:
    return json_response({"detail": exc.detail}, exc.status)


_ITEM_SCHEMA = ActivityIn.model_json_schema(ref_template="#/components/schemas/{model}")
_SINGLE_DOC = {
    "requestBody": {"required": True, "content": {"application/json": {
        "schema": _ITEM_SCHEMA,
        "example": {"id": "web-7f3a", "email": "ana@studio.example", "kind": "form_submit",
                    "at": "2026-11-02T10:00:00Z", "campaign": "spring-webinar",
                    "url": "https://acme.example/catalogue", "content": "Catalogue 2027"},
    }}},
    "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                    "schema": {"type": "string"},
                    "description": "The activity's id when the body has none."}],
}  # fmt: skip
_BATCH_DOC = {
    "requestBody": {"required": True, "content": {"application/json": {
        "schema": {"type": "object", "required": ["items"], "properties": {
            "items": {"type": "array", "maxItems": BATCH_MAX_ITEMS, "items": _ITEM_SCHEMA}}},
    }}},
    "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                    "schema": {"type": "string"},
                    "description": "Items without an id get `<key>:<index>`."}],
}  # fmt: skip


@router.post("/activities", openapi_extra=_SINGLE_DOC, responses={
    201: {"description": "Stored"},
    200: {"description": "A known id: acknowledged, not stored again"},
    413: {"description": "Body over 128 KB"},
    422: {"description": "Rejected and kept in the quarantine (`quarantine_id`)"},
})  # fmt: skip
async def post_activity(request: Request, key: WriteKey) -> Response:
    """Record one activity (a marketing touchpoint). `email` or `contact_id` names the
    person; an unknown email creates the contact. The activity's `id` (or the
    Idempotency-Key header) makes a resend safe: a known id answers 200 `duplicate`."""
    try:
        body = parse_json_object(await read_body(request, SINGLE_MAX_BYTES))
        idem = idempotency_key(request)
    except RequestRefused as exc:
        return _refused(exc)
    if idem is not None and "id" not in body:
        body = {**body, "id": idem}
    result = await activity_writer(request).submit(body, key.actor)
    if result.status == "rejected":
        return json_response({"detail": result.reason, "id": result.id,
                              "quarantine_id": result.quarantine_id}, 422)  # fmt: skip
    answer = result.as_dict()
    answer.pop("index", None)
    return json_response(answer, 201 if result.status == "created" else 200)


@router.post("/activities/batch", openapi_extra=_BATCH_DOC, responses={
    200: {"description": "Committed: per item `created`, `duplicate` or `rejected` (quarantined)"},
    413: {"description": f"Over {BATCH_MAX_ITEMS} items or {BATCH_MAX_BYTES // 1024} KB"},
})  # fmt: skip
async def post_activity_batch(request: Request, key: WriteKey) -> Response:
    """Record up to 1,000 activities (512 KB) in one request and one transaction.

    Each item is validated on its own: invalid ones are rejected with their reason and kept
    in the quarantine while the valid ones are stored. The answer lists every item's
    outcome in order."""
    try:
        body = await read_body(request, BATCH_MAX_BYTES)
        idem = idempotency_key(request)
        answer = await run_in_threadpool(_ingest_batch, request, body, key.actor, idem)
    except RequestRefused as exc:
        return _refused(exc)
    return Response(answer, media_type="application/json")
