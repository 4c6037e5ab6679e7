"""Queries that gather one contact's story."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from smarketing.models import (
    Activity,
    Attempt,
    Campaign,
    Company,
    Contact,
    Deal,
    Decision,
    LifecycleChange,
    OwnerChange,
    Persona,
    User,
)


def find_contact(session: Session, email: str) -> Contact | None:
    return session.execute(
        select(Contact).where(Contact.email == email.strip().lower())
    ).scalar_one_or_none()


def names(session: Session, model: Any, ids: set[int | None], column: Any) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(model.id, column).where(model.id.in_(wanted))).all())


def company_label(session: Session, company_id: int | None) -> str | None:
    if company_id is None:
        return None
    company = session.get(Company, company_id)
    return (company.name or company.domain) if company else None


def persona_name(session: Session, persona_id: int | None) -> str | None:
    persona = session.get(Persona, persona_id) if persona_id else None
    return persona.name if persona else None


def stage_history(session: Session, contact_id: int) -> list[LifecycleChange]:
    return list(session.scalars(select(LifecycleChange).where(
        LifecycleChange.contact_id == contact_id).order_by(LifecycleChange.at, LifecycleChange.id)))


def owner_history(session: Session, contact_id: int) -> list[tuple[OwnerChange, str | None]]:
    to_user = aliased(User)
    return list(session.execute(
        select(OwnerChange, to_user.email)
        .outerjoin(to_user, to_user.id == OwnerChange.to_owner_id)
        .where(OwnerChange.contact_id == contact_id)
        .order_by(OwnerChange.at, OwnerChange.id)
    ).all())  # fmt: skip


def activities(session: Session, contact_id: int) -> list[tuple[Activity, str | None, str | None]]:
    """(activity, campaign name, channel): the activity's own channel, else its campaign's."""
    return list(session.execute(
        select(Activity, Campaign.name, func.coalesce(Activity.channel, Campaign.channel))
        .outerjoin(Campaign, Campaign.id == Activity.campaign_id)
        .where(Activity.contact_id == contact_id).order_by(Activity.at, Activity.id)
    ).all())  # fmt: skip


def attempts(session: Session, contact_id: int) -> list[tuple[Attempt, str]]:
    return list(session.execute(
        select(Attempt, User.email).join(User, User.id == Attempt.user_id)
        .where(Attempt.contact_id == contact_id).order_by(Attempt.at, Attempt.id)
    ).all())  # fmt: skip


def decisions(session: Session, contact_id: int) -> list[tuple[Decision, str]]:
    return list(session.execute(
        select(Decision, User.email).join(User, User.id == Decision.user_id)
        .where(Decision.contact_id == contact_id).order_by(Decision.at, Decision.id)
    ).all())  # fmt: skip


def deals(session: Session, contact_id: int) -> list[Deal]:
    return list(session.scalars(
        select(Deal).where(Deal.contact_id == contact_id).order_by(Deal.created_at, Deal.id)))
