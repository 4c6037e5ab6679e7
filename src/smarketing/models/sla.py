"""SLA agreements (versioned), SLA clocks, and the notifications they raise."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smarketing.models.base import Base
from smarketing.models.types import UTCDateTime


class SlaAgreement(Base):
    """One version of an SLA. A key keeps every version; the highest is the current one."""

    __tablename__ = "sla_agreements"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("calendars.id"))
    marketing: Mapped[dict[str, Any]] = mapped_column(JSON)
    sales: Mapped[dict[str, Any]] = mapped_column(JSON)
    applies_to: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SlaClock(Base):
    """One SLA obligation on one lead for one owner: its due instant and state.

    `next_check_at` is when the sweeper must look again (at-risk or due instant); it is
    NULL once the clock is final, so the sweeper's index only holds live clocks.
    """

    __tablename__ = "sla_clocks"
    __table_args__ = (
        UniqueConstraint("contact_id", "kind", "started_at", "owner_id"),
        Index("ix_sla_clocks_next_check_at", "next_check_at"),
        Index("ix_sla_clocks_owner_started", "owner_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sla_id: Mapped[int] = mapped_column(ForeignKey("sla_agreements.id"))
    kind: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    at_risk_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16))
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_reason: Mapped[str | None] = mapped_column(String(32))
    elapsed_business_seconds: Mapped[int | None] = mapped_column(Integer)
    in_pilot: Mapped[bool] = mapped_column(Boolean, default=False)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    attempts_done: Mapped[int] = mapped_column(Integer, default=0)
    attempts_required: Mapped[int | None] = mapped_column(Integer)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    breach_handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    at_risk_handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotificationTarget(Base):
    """An apprise URL (Slack, Teams, email...) that receives a user's or a team's alerts."""

    __tablename__ = "notification_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Notification(Base):
    """An in-app message to one user; `dedupe_key` makes raising it twice impossible."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotificationDelivery(Base):
    """One attempt history of sending a notification to one target (the delivery log)."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (UniqueConstraint("notification_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("notification_targets.id"))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
