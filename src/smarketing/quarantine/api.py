"""The quarantine over the JSON API, under ``/api/v1/quarantine``, with API keys.

A read key may list and read items; replaying and discarding need a write key. A replay
that is still rejected answers 422 with the item (its new reason and attempt count),
and that attempt is recorded: the response is returned, not raised, so the request's
transaction commits.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from smarketing.core.errors import NotFoundError, SmarketingError
from smarketing.kit.auth import ReadKey, WriteKey
from smarketing.kit.deps import DbSession, Now
from smarketing.models import QuarantineItem
from smarketing.quarantine import service as quarantine

__all__ = ["router"]

MAX_PAGE = 500

router = APIRouter(prefix="/api/v1/quarantine", tags=["quarantine"])


class QuarantineItemOut(BaseModel):
    """One rejected input item as it was received, with why it was rejected."""

    id: int
    source: str = Field(description="Where it came from: api, track, hook:<key>, ...")
    kind: str = Field(description="What it is: activity, contact, ...")
    status: str = Field(description="open, replayed or discarded")
    reason: str = Field(description="Why it was rejected (the latest attempt's reason)")
    received_at: str
    attempts: int = Field(description="1 when received, one more per failed replay")
    payload: str = Field(description="The item exactly as received (usually JSON text)")
    resolved_at: str | None
    resolution: str | None = Field(description="The replay's result or the discard reason")


class QuarantinePage(BaseModel):
    items: list[QuarantineItemOut]
    next_cursor: int | None = Field(
        description="Pass as `after` for the next page; null on the last page")


class ReplayIn(BaseModel):
    """Optional body of a replay: the corrected item to use instead of the one held."""

    model_config = ConfigDict(extra="forbid")

    payload: Any = Field(default=None, description="The corrected item (any JSON); "
                                                   "omit it to replay the item as held")


class DiscardIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Annotated[str, Field(min_length=1, max_length=2000,
                                 description="Why the item is dropped (kept with it)")]


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or an unknown or revoked one"},
    404: {"description": "No such quarantined item"},
}


@router.get("", response_model=QuarantinePage, responses=ERRORS)
def list_quarantine(
    key: ReadKey,
    session: DbSession,
    status: Annotated[str, Query(description="open, replayed, discarded or all")] = "open",
    kind: Annotated[str | None, Query(description="Only this kind, e.g. activity")] = None,
    source: Annotated[str | None, Query(description="Only this source, e.g. api")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    after: Annotated[int, Query(ge=0, description="The `next_cursor` of the previous page")] = 0,
) -> dict[str, Any]:
    """Quarantined items, oldest first, a page at a time."""
    try:
        items = quarantine.list_items(session, None if status == "all" else status, kind,
                                      source, limit=limit + 1, after_id=after)  # fmt: skip
    except SmarketingError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    page = items[:limit]
    more = len(items) > limit
    return {"items": [quarantine.item_as_dict(item) for item in page],
            "next_cursor": page[-1].id if more else None}  # fmt: skip


@router.get("/{item_id}", response_model=QuarantineItemOut, responses=ERRORS)
def get_quarantined(item_id: int, key: ReadKey, session: DbSession) -> dict[str, Any]:
    """One quarantined item with its whole payload."""
    return quarantine.item_as_dict(_item(session, item_id))


@router.post(
    "/{item_id}/replay",
    response_model=QuarantineItemOut,
    responses={**ERRORS,
               409: {"description": "The item is no longer open"},
               422: {"description": "Still rejected: the item, with the new reason and one "
                                    "more attempt", "model": QuarantineItemOut}},
)  # fmt: skip
def replay_quarantined(
    item_id: int, key: WriteKey, session: DbSession, now: Now, body: ReplayIn | None = None
) -> JSONResponse:
    """Apply the item again, after a fix to the workspace or with a corrected `payload`.

    200 with the item marked `replayed` (its `resolution` says what was done), or 422
    with the item still `open`, its new `reason` and `attempts` counted.
    """
    _open_item(session, item_id)
    payload = body.payload if body is not None else None
    try:
        item = quarantine.replay(session, item_id, now, payload=payload)
    except SmarketingError as exc:  # e.g. no replayer for this kind: nothing recorded
        raise HTTPException(422, detail=str(exc)) from None
    status = 200 if item.status == "replayed" else 422
    return JSONResponse(quarantine.item_as_dict(item), status_code=status)


@router.post(
    "/{item_id}/discard",
    response_model=QuarantineItemOut,
    responses={**ERRORS, 409: {"description": "The item is no longer open"}},
)
def discard_quarantined(
    item_id: int, body: DiscardIn, key: WriteKey, session: DbSession, now: Now
) -> dict[str, Any]:
    """Drop the item for good; it stays listed as `discarded` with the reason and who."""
    _open_item(session, item_id)
    item = quarantine.discard(session, item_id, now, f"{body.reason} (by {key.actor})")
    return quarantine.item_as_dict(item)


def _item(session: Session, item_id: int) -> QuarantineItem:
    try:
        return quarantine.get_item(session, item_id)
    except NotFoundError as exc:
        raise HTTPException(404, detail=str(exc)) from None


def _open_item(session: Session, item_id: int) -> QuarantineItem:
    item = _item(session, item_id)
    if item.status != "open":
        raise HTTPException(409, detail=f"quarantined item {item_id} is {item.status}, "
                                        "not open")  # fmt: skip
    return item
