"""Key lookups of the workspace's small tables: calendars, teams, users, product lines,
personas and campaigns, cached by key for the length of an import or a request.

A record names these by key (a user by email); `KeyCache.get` turns a key into the row's
id, or raises `Missing` for a key that is neither earlier in the file nor in the
workspace.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from smarketing.core.errors import ValidationError
from smarketing.core.rows import update_if_changed
from smarketing.models import Calendar, Campaign, Persona, ProductLine, Team, User


class Missing(ValidationError, LookupError):
    """A record refers to a key that is neither earlier in the file nor in the workspace."""


class KeyCache:
    """Cached `key -> id` lookups for one small table."""

    def __init__(self, session: Session, model: Any, key_column: Any, label: str) -> None:
        self._session = session
        self._model = model
        self._key_column = key_column
        self._label = label
        self._ids: dict[str, int] = {}

    def find(self, key: str) -> int | None:
        if key not in self._ids:
            found = self._session.execute(
                select(self._model.id).where(self._key_column == key)
            ).scalar_one_or_none()
            if found is None:
                return None
            self._ids[key] = found
        return self._ids[key]

    def get(self, key: str | None) -> int | None:
        """Id of `key`; None for None; raises Missing for an unknown key."""
        if key is None:
            return None
        found = self.find(key)
        if found is None:
            raise Missing(f"unknown {self._label} {key!r}: define it on an earlier line")
        return found

    def upsert(self, key: str, values: dict[str, Any]) -> str:
        """Insert or update the row with `key`; returns created, updated or unchanged."""
        existing_id = self.find(key)
        if existing_id is None:
            result = self._session.execute(insert(self._model).values(**values))
            self._ids[key] = result.inserted_primary_key[0]  # type: ignore[attr-defined]
            return "created"
        return update_if_changed(self._session, self._model, self._model.id == existing_id, values)


class Keys:
    """Every small key space a record may name."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.calendars = KeyCache(session, Calendar, Calendar.key, "calendar")
        self.teams = KeyCache(session, Team, Team.key, "team")
        self.users = KeyCache(session, User, User.email, "user")
        self.product_lines = KeyCache(session, ProductLine, ProductLine.key, "product_line")
        self.personas = KeyCache(session, Persona, Persona.key, "persona")
        self.campaigns = KeyCache(session, Campaign, Campaign.key, "campaign")
        self._campaign_channels: dict[int, str] = {}

    def campaign_channel(self, campaign_id: int) -> str:
        if campaign_id not in self._campaign_channels:
            self._campaign_channels[campaign_id] = self.session.execute(
                select(Campaign.channel).where(Campaign.id == campaign_id)
            ).scalar_one()
        return self._campaign_channels[campaign_id]

    def forget_campaign_channel(self, campaign_id: int) -> None:
        self._campaign_channels.pop(campaign_id, None)

    def channel_of(self, channel: str | None, campaign_id: int | None) -> str | None:
        """A touch's channel: its own, else its campaign's (shared/spec/interchange.md)."""
        if channel is not None or campaign_id is None:
            return channel
        return self.campaign_channel(campaign_id)

    def actor(self, by: str | None) -> str:
        """`system`, or the email of a known user."""
        if by is None or by == "system":
            return "system"
        email = by.strip().lower()
        self.users.get(email)
        return email
