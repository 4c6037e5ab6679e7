"""Campaigns and their cost lines written and read through the API.

A campaign is upserted by its key and a cost line is the interchange `cost` record, so
both behave exactly like a line of `smarketing import`: a campaign POST carries the
whole campaign (fields left out are cleared), and a cost line is its own identity
(campaign, day, amount, currency, note), so sending it again changes nothing. Rejected
writes are replayed from the quarantine by the replayers at the end. Never commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from smarketing.campaigns import repository as repo
from smarketing.contacts.repository import names
from smarketing.core.errors import ValidationError
from smarketing.kit.api import check_body, day, money
from smarketing.models import Campaign, CostEntry, ProductLine
from smarketing.quarantine.service import register_replayer
from smarketing.records import schema as r
from smarketing.records.messages import name_the_field
from smarketing.workspace.keys import Keys
from smarketing.workspace.repository import workspace_settings

CAMPAIGN_FIELDS = ("key", "name", "channel", "product_line", "cost", "currency", "starts_on",
                   "ends_on", "utm_source", "utm_medium", "utm_campaign")  # fmt: skip
COST_FIELDS = ("on", "amount", "currency", "note")


def upsert_campaign(session: Session, body: Any) -> tuple[Campaign, str]:
    """Create or replace the campaign `body` describes; (campaign, outcome)."""
    data = check_body(body, CAMPAIGN_FIELDS)
    record = _parsed("campaign", data, CAMPAIGN_FIELDS)
    assert isinstance(record, r.CampaignRecord)  # noqa: S101 - parsed as a campaign
    outcome = _named(lambda: save_campaign(session, Keys(session), record), "campaign",
                     CAMPAIGN_FIELDS)  # fmt: skip
    campaign = repo.campaign_by_key(session, record.key)
    assert campaign is not None  # noqa: S101 - just written
    session.refresh(campaign)
    return campaign, outcome


def add_cost(session: Session, campaign_key: str, body: Any) -> tuple[CostEntry, str]:
    """Record one cost line of a campaign; a line already recorded is `unchanged`."""
    data = check_body(body, COST_FIELDS)
    fields = ("campaign", *COST_FIELDS)
    record = _parsed("cost", {**data, "campaign": campaign_key}, fields)
    assert isinstance(record, r.CostRecord)  # noqa: S101 - parsed as a cost
    outcome = _named(lambda: save_cost(session, Keys(session), record), "cost", fields)
    campaign = repo.campaign_by_key(session, record.campaign)
    assert campaign is not None  # noqa: S101 - the importer found it
    currency = record.currency or workspace_settings(session).currency
    cost = repo.find_cost(session, campaign.id, record.on, record.amount, currency,
                          record.note or "")  # fmt: skip
    assert cost is not None  # noqa: S101 - just written or found
    return cost, outcome


def save_campaign(session: Session, keys: Keys, record: r.CampaignRecord) -> str:
    """Create or replace a campaign by its key: created, updated or unchanged."""
    values = {
        "key": record.key,
        "name": record.name,
        "channel": record.channel,
        "product_line_id": keys.product_lines.get(record.product_line),
        "cost": record.cost,
        "currency": record.currency,
        "starts_on": record.starts_on,
        "ends_on": record.ends_on,
        "utm_source": record.utm_source,
        "utm_medium": record.utm_medium,
        "utm_campaign": record.utm_campaign,
    }
    outcome = keys.campaigns.upsert(record.key, values)
    keys.forget_campaign_channel(keys.campaigns.get(record.key) or 0)
    return outcome


def save_cost(session: Session, keys: Keys, record: r.CostRecord) -> str:
    """Record one dated cost of a campaign; the whole line is its identity, so sending
    it again is `unchanged`."""
    campaign_id = keys.campaigns.get(record.campaign)
    assert campaign_id is not None  # noqa: S101 - the campaign is required by the record
    currency = record.currency or workspace_settings(session).currency
    if repo.find_cost(session, campaign_id, record.on, record.amount, currency,
                      record.note or "") is not None:  # fmt: skip
        return "unchanged"
    session.execute(insert(CostEntry).values(campaign_id=campaign_id, spent_on=record.on,
                                             amount=record.amount, currency=currency,
                                             note=record.note or ""))  # fmt: skip
    return "created"


def _parsed(kind: str, data: dict[str, Any], fields: tuple[str, ...]) -> r.Record:
    try:
        return r.parse_record({"type": kind, **data})
    except r.InvalidRecord as exc:
        raise ValidationError(name_the_field(str(exc), kind, fields)) from None


def _named(write: Any, kind: str, fields: tuple[str, ...]) -> str:
    """Run `write`; a refusal becomes a ValidationError that starts with the field."""
    try:
        outcome: str = write()
    except ValidationError as exc:
        raise ValidationError(name_the_field(f"{kind}: {exc}", kind, fields)) from None
    return outcome


def cost_payload(campaign_key: str, body: Any) -> Any:
    """What the quarantine keeps of a rejected cost: the interchange `cost` line (the
    campaign comes from the URL), or the body as received when it is not an object."""
    return {**body, "campaign": campaign_key} if isinstance(body, dict) else body


def campaigns_json(session: Session, campaigns: list[Campaign]) -> list[dict[str, Any]]:
    product_lines = names(session, ProductLine, {c.product_line_id for c in campaigns},
                          ProductLine.key)  # fmt: skip
    default_currency = workspace_settings(session).currency
    return [{
        "id": c.id,
        "key": c.key,
        "name": c.name,
        "channel": c.channel,
        "product_line": product_lines.get(c.product_line_id) if c.product_line_id else None,
        "cost": money(c.cost),
        "currency": c.currency or (default_currency if c.cost is not None else None),
        "starts_on": day(c.starts_on),
        "ends_on": day(c.ends_on),
        "utm_source": c.utm_source,
        "utm_medium": c.utm_medium,
        "utm_campaign": c.utm_campaign,
    } for c in campaigns]  # fmt: skip


def costs_json(campaign_key: str, costs: list[CostEntry]) -> list[dict[str, Any]]:
    return [{
        "id": cost.id, "campaign": campaign_key, "on": day(cost.spent_on),
        "amount": money(cost.amount), "currency": cost.currency, "note": cost.note or None,
    } for cost in costs]  # fmt: skip


@register_replayer("campaign")
def replay_campaign(session: Session, payload: Any, now: datetime, source: str) -> str:
    campaign, outcome = upsert_campaign(session, payload)
    return f"campaign {campaign.key} {outcome}"


@register_replayer("cost")
def replay_cost(session: Session, payload: Any, now: datetime, source: str) -> str:
    """A held cost is its interchange line: the campaign's key beside the cost fields."""
    if not isinstance(payload, dict):
        raise ValidationError("body: must be a JSON object")
    line = dict(payload)
    key = line.pop("campaign", None)
    if not isinstance(key, str) or not key.strip():
        raise ValidationError("campaign: required, the key of the campaign")
    cost, outcome = add_cost(session, key, line)
    return f"cost {cost.id} of campaign {key} {outcome}"
