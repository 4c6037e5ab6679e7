"""Companies, contacts, activities, attempts, decisions and deals."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smarketing.models.base import Base
from smarketing.models.types import MONEY, UTCDateTime


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str | None] = mapped_column(String(255), unique=True)
    name: Mapped[str | None] = mapped_column(String(255), index=True)
    country: Mapped[str | None] = mapped_column(String(2))
    industry: Mapped[str | None] = mapped_column(String(100))
    employees: Mapped[int | None] = mapped_column(Integer)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Contact(Base):
    """A person in the funnel. `lifecycle_stage` is written only by the lifecycle service."""

    __tablename__ = "contacts"
    # AUTOINCREMENT on SQLite: a deleted (merged) contact's id is never given to a new
    # contact, so `merged_contacts` can keep sending it to the survivor.
    __table_args__ = (
        Index("ix_contacts_owner_stage", "owner_id", "lifecycle_stage"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    job_title: Mapped[str | None] = mapped_column(String(200))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    country: Mapped[str | None] = mapped_column(String(2))
    persona_id: Mapped[int | None] = mapped_column(ForeignKey("personas.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    product_line_id: Mapped[int | None] = mapped_column(ForeignKey("product_lines.id"))
    lifecycle_stage: Mapped[str] = mapped_column(String(20), index=True)
    stage_entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    first_touch_channel: Mapped[str | None] = mapped_column(String(32))
    first_touch_campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    last_touch_channel: Mapped[str | None] = mapped_column(String(32))
    last_touch_campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    last_touch_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Activity(Base):
    """A marketing touchpoint. Its id is given by the source, so a replay is recognized."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_contact_at", "contact_id", "at"),)

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str | None] = mapped_column(String(32))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    url: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Attempt(Base):
    """A sales follow-up touch on a lead."""

    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_contact_at", "contact_id", "at"),)

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class Decision(Base):
    """A rep's accept or reject of a handed-off lead."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_contact_at", "contact_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    then: Mapped[str | None] = mapped_column(String(16))


class Deal(Base):
    __tablename__ = "deals"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(8), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    product_line_id: Mapped[int | None] = mapped_column(ForeignKey("product_lines.id"))
    lost_reason: Mapped[str | None] = mapped_column(Text)
