"""What the JSON API routers share: the prefix, request bodies and query parameters,
JSON forms of money, dates and instants, and the OpenAPI fragments every endpoint
documents."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import HTTPException, Query
from fastapi.responses import JSONResponse

from smarketing.core.errors import ValidationError
from smarketing.core.timeutil import format_instant, parse_instant
from smarketing.kit.pagination import MAX_LIMIT, Page

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


def upserted(content: dict[str, Any], outcome: str) -> JSONResponse:
    """201 for a row just created, 200 for one updated or unchanged."""
    return JSONResponse(content, status_code=201 if outcome == "created" else 200)


# -- query parameters ----------------------------------------------------------------------

#: The page size and the cursor every list takes (see smarketing.kit.pagination).
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
