"""What the API routers of contacts, companies, campaigns and deals share.

Writes of companies, campaigns, costs and deals are interchange records sent one at a
time: the same validation and the same upsert as a line of `smarketing import`
(`apply_record`), with error messages that start with the field they are about. A
rejected write is kept in the quarantine and answered with a 422 *returned* (not
raised), so the request's transaction commits the quarantine row (`rejected`).

Also here: JSON forms of money, dates and instants, and the OpenAPI fragments every
endpoint documents.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import HTTPException, Query
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.core.errors import ValidationError
from smarketing.core.timeutil import format_instant, parse_instant
from smarketing.ingest.quarantine import hold
from smarketing.interchange import records as r
from smarketing.interchange.importer import Importer, RejectedLine
from smarketing.interchange.messages import name_the_field
from smarketing.models import Workspace
from smarketing.web.pagination import MAX_LIMIT, Page

PREFIX = "/api/v1"
Row = TypeVar("Row")

# -- request bodies ------------------------------------------------------------------------


def check_body(body: Any, fields: Sequence[str]) -> dict[str, Any]:
    """`body` as a JSON object holding only `fields`; ValidationError names the culprit."""
    if not isinstance(body, dict):
        raise ValidationError("body: must be a JSON object")
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise ValidationError(f"{unknown[0]}: unknown field; known: {', '.join(fields)}")
    return body


def apply_record(session: Session, kind: str, data: dict[str, Any],
                 fields: Sequence[str]) -> tuple[r.Record, str]:  # fmt: skip
    """Validate and apply `data` as an interchange record of type `kind`.

    Returns the typed record (its normalized keys find the stored row) and the outcome:
    created, updated or unchanged. The importer writes in a SAVEPOINT, so a rejected
    record leaves nothing behind. Raises ValidationError starting with the field's name.
    """
    try:
        record = r.parse_record({"type": kind, **data})
    except r.InvalidRecord as exc:
        raise ValidationError(name_the_field(str(exc), kind, fields)) from None
    try:
        outcome = Importer(session).apply(record)
    except RejectedLine as exc:
        raise ValidationError(name_the_field(str(exc), kind, fields)) from None
    return record, outcome.rsplit(" ", 1)[-1]


def rejected(session: Session, *, kind: str, payload: Any, reason: str, source: str,
             now: datetime) -> JSONResponse:  # fmt: skip
    """Keep a rejected write in the quarantine and answer 422 with its id.

    Returned, not raised: the request's transaction must commit for the row to stay.
    The payload is kept as JSON text, also when the body is a bare JSON string (the
    standard library's encoder: it takes integers of any size, as JSON parsing gave them).
    """
    text = json.dumps(payload, ensure_ascii=False)
    quarantine_id = hold(session, source=source, kind=kind, payload=text, reason=reason,
                         now=now)  # fmt: skip
    return JSONResponse({"detail": reason, "quarantine_id": quarantine_id}, status_code=422)


def upserted(content: dict[str, Any], outcome: str) -> JSONResponse:
    """201 for a row just created, 200 for one updated or unchanged."""
    return JSONResponse(content, status_code=201 if outcome == "created" else 200)


# -- query parameters ----------------------------------------------------------------------

#: The page size and the cursor every list takes (see smarketing.web.pagination).
Limit = Annotated[int, Query(description=f"Rows per page, 1 to {MAX_LIMIT}.")]
Cursor = Annotated[str | None, Query(
    description="The `next_cursor` of the previous page; leave it out for the first page.")]


def invalid(exc: ValidationError) -> HTTPException:
    """A bad query parameter of a read: 422 with the message (nothing to quarantine)."""
    return HTTPException(status_code=422, detail=str(exc))


def not_found(detail: str) -> HTTPException:
    return HTTPException(status_code=404, detail=detail)


def instant_param(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise ValidationError(f"{name}: {exc}") from None


def choice_param(name: str, value: str | None, choices: Sequence[str]) -> str | None:
    if value is not None and value not in choices:
        raise ValidationError(f"{name}: must be one of {', '.join(choices)}, got {value!r}")
    return value


# -- JSON forms ----------------------------------------------------------------------------


def money(amount: Decimal | None) -> str | None:
    """An amount as a decimal string with two decimals ("1234.50"): never a float."""
    return None if amount is None else f"{amount:.2f}"


def instant(value: datetime | None) -> str | None:
    return None if value is None else format_instant(value)


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def workspace_currency(session: Session) -> str:
    return session.execute(select(Workspace.currency)).scalar_one_or_none() or "EUR"


def page_json(page: Page[Row], serialize: Callable[[list[Row]], list[dict[str, Any]]]) -> (
    dict[str, Any]
):
    return {"items": serialize(page.items), "next_cursor": page.next_cursor}


# -- OpenAPI fragments ---------------------------------------------------------------------


def example(description: str, value: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"example": value}}}


READ_ERRORS: dict[int | str, dict[str, Any]] = {
    401: example("No API key, or an unknown or revoked one",
                 {"detail": "no API key: send 'Authorization: Bearer <key>'; ..."}),
    422: example("A query parameter is invalid; the message names it",
                 {"detail": "limit: must be between 1 and 500, got 1000"}),
}  # fmt: skip
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: READ_ERRORS[401],
    403: example("The key may only read",
                 {"detail": "API key 1a2b3c4d has scope 'read'; this needs 'write'"}),
    422: example("Rejected: the body is kept in the quarantine (replay it once fixed)",
                 {"detail": "amount: must be a decimal string or number",
                  "quarantine_id": 42}),
}  # fmt: skip


def list_example(item: dict[str, Any]) -> dict[str, Any]:
    return {"items": [item], "next_cursor": "eyJhZnRlciI6MTJ9"}
