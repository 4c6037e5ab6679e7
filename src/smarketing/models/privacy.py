"""Personal data requests (GDPR): the suppression list of erased addresses, kept as keyed
hashes, and the log of every export and erasure with counts, without personal data
(docs/privacy.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from smarketing.models.base import Base
from smarketing.models.types import UTCDateTime


class SuppressedAddress(Base):
    """An email address that may not come back: HMAC-SHA256 of the normalized address
    under the workspace's suppression salt (smarketing.contacts.suppression)."""

    __tablename__ = "suppressed_addresses"

    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    suppressed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(32))  # erasure | request


class PrivacyRequest(Base):
    """One export or erasure of a person's data: who, when, and how many rows per table;
    the person appears only as the hash of their address."""

    __tablename__ = "privacy_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(16))  # export | erase
    address_hash: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(320))
    #: Rows per table exported or erased: {"activities": 12, "contacts": 1, ...}.
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
