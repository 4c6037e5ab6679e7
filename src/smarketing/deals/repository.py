"""Every query of the deals API."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.kit.pagination import PageRequest
from smarketing.models import Contact, Deal


def deals_page(session: Session, page: PageRequest, *, status: str | None = None,
               contact_email: str | None = None) -> list[Deal]:  # fmt: skip
    """One page of deals in id order, optionally of one status and of one contact."""
    query = select(Deal).order_by(Deal.id).limit(page.fetch)
    if page.after is not None:
        query = query.where(Deal.id > page.after)
    if status is not None:
        query = query.where(Deal.status == status)
    if contact_email is not None:
        contact_id = select(Contact.id).where(Contact.email == contact_email).scalar_subquery()
        query = query.where(Deal.contact_id == contact_id)
    return list(session.scalars(query))
