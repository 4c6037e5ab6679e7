"""SLA agreements, stored as data until the SLA engine reads them."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from smarketing.models.base import Base


class SlaAgreement(Base):
    __tablename__ = "sla_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("calendars.id"))
    marketing: Mapped[dict[str, Any]] = mapped_column(JSON)
    sales: Mapped[dict[str, Any]] = mapped_column(JSON)
    applies_to: Mapped[dict[str, Any] | None] = mapped_column(JSON)
