"""Ingestion: API keys, the quarantine of rejected input, merged contact ids, website
visitors and their anonymous events, webhook sources and their request log, and
workspace settings kept as JSON (tracking domains, channel rules)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smarketing.models.base import Base
from smarketing.models.types import UTCDateTime


class ApiKey(Base):
    """A per-workspace API key. Only the SHA-256 of the secret is stored; `prefix` is the
    public part shown in lists and used to find the row."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(8))  # read | write
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(320))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class QuarantineItem(Base):
    """One rejected input item, kept as received with the reason, until replayed."""

    __tablename__ = "quarantine"
    __table_args__ = (Index("ix_quarantine_status_received", "status", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))  # api, track, hook:<key>, ...
    kind: Mapped[str] = mapped_column(String(32))  # activity, contact, company, deal, ...
    payload: Mapped[str] = mapped_column(Text)  # the item exactly as received
    reason: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default="open")  # open|replayed|discarded
    attempts: Mapped[int] = mapped_column(default=1)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[str | None] = mapped_column(Text)


class MergedContact(Base):
    """A contact merged into a survivor: later events addressed to it go to the survivor."""

    __tablename__ = "merged_contacts"

    merged_contact_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    merged_email: Mapped[str] = mapped_column(String(320), unique=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    merged_by: Mapped[str] = mapped_column(String(320))


class Visitor(Base):
    """An anonymous website visitor, known by the id in its first-party cookie."""

    __tablename__ = "visitors"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    identified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_touch_channel: Mapped[str | None] = mapped_column(String(32))
    first_touch_campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    first_touch_referrer: Mapped[str | None] = mapped_column(Text)
    first_touch_url: Mapped[str | None] = mapped_column(Text)
    last_touch_channel: Mapped[str | None] = mapped_column(String(32))
    last_touch_campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    last_touch_referrer: Mapped[str | None] = mapped_column(Text)
    last_touch_url: Mapped[str | None] = mapped_column(Text)


class VisitorEvent(Base):
    """A tracked event of a visitor not yet identified; moved to `activities` (same id)
    when the visitor identifies."""

    __tablename__ = "visitor_events"
    __table_args__ = (Index("ix_visitor_events_visitor_at", "visitor_id", "at"),)

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    visitor_id: Mapped[str] = mapped_column(ForeignKey("visitors.id"))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str | None] = mapped_column(String(32))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    url: Mapped[str | None] = mapped_column(Text)
    referrer: Mapped[str | None] = mapped_column(Text)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class WebhookSource(Base):
    """A configured sender of `POST /hooks/{key}` with its shared HMAC secret. After a
    rotation the previous secret (stored like `secret`) is also accepted until
    `previous_secret_expires_at`."""

    __tablename__ = "webhook_sources"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    adapter: Mapped[str] = mapped_column(String(32))  # generic | hubspot | rdstation
    secret: Mapped[str] = mapped_column(String(200))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    previous_secret: Mapped[str | None] = mapped_column(String(200))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebhookRequest(Base):
    """The log of webhook requests: accepted ones and refused ones with the reason."""

    __tablename__ = "webhook_requests"
    __table_args__ = (Index("ix_webhook_requests_source_at", "source", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(16))  # accepted | refused | quarantined
    reason: Mapped[str | None] = mapped_column(Text)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    body_bytes: Mapped[int] = mapped_column(default=0)
    #: Refusals of the same source counted on this row instead of logged each on a row of
    #: their own, once the minute's cap of refusal rows is reached (docs/webhooks.md).
    repeats: Mapped[int] = mapped_column(default=0, server_default="0")


class WorkspaceSetting(Base):
    """A workspace-wide setting edited at run time (tracking domains, channel rules)."""

    __tablename__ = "workspace_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
