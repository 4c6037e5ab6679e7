"""Login sessions kept on the server: the cookie holds a random token, this table the
SHA-256 of it, so a session can be ended (logout, a password change, an admin reset)
and expires after a time idle and a longest life (docs/security.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from smarketing.models.base import Base
from smarketing.models.types import UTCDateTime


class UserSession(Base):
    __tablename__ = "user_sessions"

    #: SHA-256 (hex) of the token in the session cookie; the token itself is not stored.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The last request seen, to a resolution of a minute (smarketing.kit.lastuse).
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Why it ended: logout, password_changed, password_reset.
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
