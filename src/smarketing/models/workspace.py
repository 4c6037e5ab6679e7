"""Workspace settings, calendars, teams, users, product lines and personas."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smarketing.models.base import Base
from smarketing.models.types import UTCDateTime


class Workspace(Base):
    """The single row of workspace-wide settings (name, timezone, currency, locale)."""

    __tablename__ = "workspace"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    locale: Mapped[str] = mapped_column(String(5), default="en")


class Calendar(Base):
    """A business calendar: weekly windows in a timezone plus holidays."""

    __tablename__ = "calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    hours: Mapped[dict[str, Any]] = mapped_column(JSON)
    holidays_country: Mapped[str | None] = mapped_column(String(8))
    holidays_subdivision: Mapped[str | None] = mapped_column(String(16))
    extra_holidays: Mapped[list[str]] = mapped_column(JSON, default=list)
    extra_workdays: Mapped[list[str]] = mapped_column(JSON, default=list)


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("calendars.id"))


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("calendars.id"))
    locale: Mapped[str | None] = mapped_column(String(5))
    weight: Mapped[int | None] = mapped_column(Integer)
    out_of_office: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    #: Notification kinds this person turned off (smarketing.notify.domain.MUTABLE_KINDS);
    #: NULL or empty: every kind.
    muted_notification_kinds: Mapped[list[str] | None] = mapped_column(JSON, default=list)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ProductLine(Base):
    __tablename__ = "product_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Persona(Base):
    __tablename__ = "personas"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    criteria: Mapped[Any | None] = mapped_column(JSON)
