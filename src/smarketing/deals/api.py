"""Deals through the API: ``/api/v1/deals`` (see docs/api.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from smarketing.core.errors import ValidationError
from smarketing.deals import repository as repo
from smarketing.deals.service import DEAL_STATUSES, contact_reference, deals_json, upsert_deal
from smarketing.kit.api import (
    PREFIX,
    READ_ERRORS,
    WRITE_ERRORS,
    Cursor,
    Limit,
    choice_param,
    example,
    invalid,
    list_example,
    not_found,
    page_json,
    upserted,
)
from smarketing.kit.auth import ReadKey, WriteKey
from smarketing.kit.deps import DbSession, Now
from smarketing.kit.pagination import DEFAULT_LIMIT, page_of, page_request
from smarketing.models import Deal
from smarketing.quarantine.http import rejected

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, tags=["deals"])

DEAL_EXAMPLE = {
    "id": "crm-8812", "name": "Kitchen refit, Calle Mayor", "contact": "ana@studio.example",
    "contact_id": 12, "amount": "18400.00", "currency": "EUR", "status": "won",
    "created_at": "2026-04-02T09:00:00Z", "closed_at": "2026-05-20T16:30:00Z",
    "owner": "bruno@acme.example", "product_line": "kitchens", "lost_reason": None,
}  # fmt: skip
DEAL_BODY = {
    "id": "crm-8812", "contact": "ana@studio.example", "amount": "18400.00",
    "status": "won", "created_at": "2026-04-02T11:00:00+02:00",
    "closed_at": "2026-05-20T18:30:00+02:00", "name": "Kitchen refit, Calle Mayor",
    "owner": "bruno@acme.example", "product_line": "kitchens",
}  # fmt: skip

DealBody = Annotated[Any, Body(openapi_examples={"deal": {
    "summary": "A won deal", "value": DEAL_BODY}})]  # fmt: skip


@router.post("/deals", summary="Create or replace a deal (by id)", responses={
    201: example("Created", DEAL_EXAMPLE),
    200: example("Updated, or unchanged", DEAL_EXAMPLE),
    **WRITE_ERRORS,
})  # fmt: skip
def post_deal(session: DbSession, now: Now, caller: WriteKey, body: DealBody = None) -> (
    JSONResponse
):
    """Upsert a deal by `id`, with the fields of an interchange `deal` record: `id`,
    `contact` (email of a known contact), `amount`, `status` (open, won, lost),
    `created_at` (required); `name`, `currency`, `product_line`, `closed_at` (required
    when won or lost, absent when open), `owner`, `lost_reason`. The body is the whole
    deal: a field left out is cleared."""
    try:
        deal, outcome = upsert_deal(session, body, now)
    except ValidationError as exc:
        return rejected(session, kind="deal", payload=body, reason=str(exc),
                        source=caller.actor, now=now)  # fmt: skip
    return upserted(deals_json(session, [deal])[0], outcome)


@router.get("/deals", summary="List deals", responses={
    200: example("One page of deals, by id", list_example(DEAL_EXAMPLE)), **READ_ERRORS,
})  # fmt: skip
def list_deals(session: DbSession, caller: ReadKey, status: str | None = None,
               contact: str | None = None, limit: Limit = DEFAULT_LIMIT,
               cursor: Cursor = None) -> dict[str, Any]:  # fmt: skip
    """Deals in id order, optionally only those of one `status` (open, won, lost) and of
    one `contact` (email; a merged address finds the survivor's deals). `limit` (1-500,
    default 100) per page; pass a page's `next_cursor` as `cursor` for the next one."""
    try:
        page = page_request(limit, cursor, str)
        choice_param("status", status, DEAL_STATUSES)
    except ValidationError as exc:
        raise invalid(exc) from None
    email = contact_reference(session, contact) if contact is not None else None
    rows = repo.deals_page(session, page, status=status, contact_email=email)
    return page_json(page_of(rows, page, lambda d: d.id),
                     lambda items: deals_json(session, items))  # fmt: skip


@router.get("/deals/{deal_id:path}", summary="Get a deal", responses={
    200: example("The deal", DEAL_EXAMPLE),
    404: example("No deal with this id", {"detail": "deal: no deal 'crm-1'"}),
    **READ_ERRORS,
})  # fmt: skip
def get_deal(deal_id: str, session: DbSession, caller: ReadKey) -> dict[str, Any]:
    """One deal by its id (ids may hold any character; URL-encode them)."""
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise not_found(f"deal: no deal {deal_id!r}")
    return deals_json(session, [deal])[0]
