"""Append-only histories: lifecycle stage changes and owner changes.

`source` says which record created the row (`contact` for the initial state written by
a contact record, `stage_change`/`assignment` for explicit records, `decision` for a
decision's lifecycle effect), so export can write each fact back exactly once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smarketing.models.base import Base
from smarketing.models.types import UTCDateTime


class LifecycleChange(Base):
    __tablename__ = "lifecycle_history"
    __table_args__ = (
        Index("ix_lifecycle_history_contact_at", "contact_id", "at"),
        Index("ix_lifecycle_history_to_at", "to_stage", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    transition: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))


class OwnerChange(Base):
    __tablename__ = "owner_history"
    __table_args__ = (Index("ix_owner_history_contact_at", "contact_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    from_owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    to_owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
