"""Campaigns and their costs through the API: ``/api/v1/campaigns`` (see docs/api.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from smarketing.campaigns import repository as repo
from smarketing.campaigns.service import (
    add_cost,
    campaigns_json,
    cost_payload,
    costs_json,
    upsert_campaign,
)
from smarketing.core.errors import ValidationError
from smarketing.kit.api import (
    PREFIX,
    READ_ERRORS,
    WRITE_ERRORS,
    Cursor,
    Limit,
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
from smarketing.models import Campaign
from smarketing.quarantine.http import rejected

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, tags=["campaigns"])

CAMPAIGN_EXAMPLE = {
    "id": 3, "key": "spring-webinar", "name": "Spring webinar", "channel": "event",
    "product_line": "kitchens", "cost": "1500.00", "currency": "EUR",
    "starts_on": "2026-03-01", "ends_on": "2026-03-31", "utm_source": "newsletter",
    "utm_medium": "email", "utm_campaign": "spring26",
}  # fmt: skip
CAMPAIGN_BODY = {
    "key": "spring-webinar", "name": "Spring webinar", "channel": "event",
    "product_line": "kitchens", "cost": "1500.00", "starts_on": "2026-03-01",
    "ends_on": "2026-03-31", "utm_campaign": "spring26",
}  # fmt: skip
COST_EXAMPLE = {"id": 7, "campaign": "spring-webinar", "on": "2026-03-05",
                "amount": "420.00", "currency": "EUR", "note": "LinkedIn ads, week 10"}  # fmt: skip
COST_BODY = {"on": "2026-03-05", "amount": "420.00", "note": "LinkedIn ads, week 10"}
NO_CAMPAIGN = example("No campaign with this key", {"detail": "campaign: no campaign 'x'"})

CampaignBody = Annotated[Any, Body(openapi_examples={"campaign": {
    "summary": "A campaign", "value": CAMPAIGN_BODY}})]  # fmt: skip
CostBody = Annotated[Any, Body(openapi_examples={"cost": {
    "summary": "A cost line", "value": COST_BODY}})]  # fmt: skip


def _campaign(session: DbSession, key: str) -> Campaign:
    campaign = repo.campaign_by_key(session, key)
    if campaign is None:
        raise not_found(f"campaign: no campaign {key!r}")
    return campaign


@router.post("/campaigns", summary="Create or replace a campaign (by key)", responses={
    201: example("Created", CAMPAIGN_EXAMPLE),
    200: example("Updated, or unchanged", CAMPAIGN_EXAMPLE),
    **WRITE_ERRORS,
})  # fmt: skip
def post_campaign(session: DbSession, now: Now, caller: WriteKey, body: CampaignBody = None) -> (
    JSONResponse
):
    """Upsert a campaign by `key`, with the fields of an interchange `campaign` record:
    `key`, `name`, `channel` (required); `product_line`, `cost`, `currency`, `starts_on`,
    `ends_on`, `utm_source`, `utm_medium`, `utm_campaign`. The body is the whole campaign:
    a field left out is cleared."""
    try:
        campaign, outcome = upsert_campaign(session, body)
    except ValidationError as exc:
        return rejected(session, kind="campaign", payload=body, reason=str(exc),
                        source=caller.actor, now=now)  # fmt: skip
    return upserted(campaigns_json(session, [campaign])[0], outcome)


@router.get("/campaigns", summary="List campaigns", responses={
    200: example("One page of campaigns, by id", list_example(CAMPAIGN_EXAMPLE)), **READ_ERRORS,
})  # fmt: skip
def list_campaigns(session: DbSession, caller: ReadKey, limit: Limit = DEFAULT_LIMIT,
                   cursor: Cursor = None) -> dict[str, Any]:  # fmt: skip
    """Campaigns in id order, `limit` (1-500, default 100) per page; pass a page's
    `next_cursor` as `cursor` to get the next one (null on the last page)."""
    try:
        page = page_request(limit, cursor)
    except ValidationError as exc:
        raise invalid(exc) from None
    rows = repo.campaigns_page(session, page)
    return page_json(page_of(rows, page, lambda c: c.id),
                     lambda items: campaigns_json(session, items))  # fmt: skip


@router.get("/campaigns/{campaign_key}", summary="Get a campaign", responses={
    200: example("The campaign", CAMPAIGN_EXAMPLE), 404: NO_CAMPAIGN, **READ_ERRORS,
})  # fmt: skip
def get_campaign(campaign_key: str, session: DbSession, caller: ReadKey) -> dict[str, Any]:
    """One campaign by its key."""
    return campaigns_json(session, [_campaign(session, campaign_key)])[0]


@router.post("/campaigns/{campaign_key}/costs", summary="Record a cost line of a campaign",
             responses={
    201: example("Recorded", COST_EXAMPLE),
    200: example("This exact line was already recorded: nothing changed", COST_EXAMPLE),
    **WRITE_ERRORS,
})  # fmt: skip
def post_cost(campaign_key: str, session: DbSession, now: Now, caller: WriteKey,
              body: CostBody = None) -> JSONResponse:  # fmt: skip
    """Record what the campaign cost on a day: `on` (date) and `amount` (required);
    `currency` (default the workspace's) and `note`. The whole line is its identity, so
    sending it again is a no-op (200); two different costs on one day need different
    notes or amounts. An unknown campaign is a 422 kept in the quarantine: replay it once
    the campaign exists."""
    try:
        cost, outcome = add_cost(session, campaign_key, body)
    except ValidationError as exc:
        return rejected(session, kind="cost", payload=cost_payload(campaign_key, body),
                        reason=str(exc), source=caller.actor, now=now)  # fmt: skip
    return upserted(costs_json(campaign_key, [cost])[0], outcome)


@router.get("/campaigns/{campaign_key}/costs", summary="List a campaign's cost lines",
            responses={
    200: example("One page of cost lines, by id", list_example(COST_EXAMPLE)),
    404: NO_CAMPAIGN, **READ_ERRORS,
})  # fmt: skip
def list_costs(campaign_key: str, session: DbSession, caller: ReadKey, limit: Limit = DEFAULT_LIMIT,
               cursor: Cursor = None) -> dict[str, Any]:  # fmt: skip
    """The campaign's cost lines in the order they were recorded, paginated like
    every list."""
    try:
        page = page_request(limit, cursor)
    except ValidationError as exc:
        raise invalid(exc) from None
    campaign = _campaign(session, campaign_key)
    rows = repo.costs_page(session, campaign.id, page)
    return page_json(page_of(rows, page, lambda c: c.id),
                     lambda items: costs_json(campaign.key, items))  # fmt: skip
