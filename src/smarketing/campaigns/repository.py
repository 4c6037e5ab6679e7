"""Every query of the campaigns API: campaigns by key and in pages, and their cost lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.kit.pagination import PageRequest
from smarketing.models import Campaign, CostEntry


def campaign_by_key(session: Session, key: str) -> Campaign | None:
    return session.execute(select(Campaign).where(Campaign.key == key)).scalar_one_or_none()


def campaigns_page(session: Session, page: PageRequest) -> list[Campaign]:
    query = select(Campaign).order_by(Campaign.id).limit(page.fetch)
    if page.after is not None:
        query = query.where(Campaign.id > page.after)
    return list(session.scalars(query))


def costs_page(session: Session, campaign_id: int, page: PageRequest) -> list[CostEntry]:
    query = (select(CostEntry).where(CostEntry.campaign_id == campaign_id)
             .order_by(CostEntry.id).limit(page.fetch))  # fmt: skip
    if page.after is not None:
        query = query.where(CostEntry.id > page.after)
    return list(session.scalars(query))


def find_cost(session: Session, campaign_id: int, on: date, amount: Decimal, currency: str,
              note: str) -> CostEntry | None:  # fmt: skip
    """The cost line with exactly these values (the whole line is its identity)."""
    return session.execute(select(CostEntry).where(
        CostEntry.campaign_id == campaign_id, CostEntry.spent_on == on,
        CostEntry.amount == amount, CostEntry.currency == currency, CostEntry.note == note,
    )).scalar_one_or_none()  # fmt: skip
