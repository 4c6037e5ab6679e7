"""Key lookups and writes of the interchange importer.

Small tables (users, teams, campaigns, ...) are cached by key for the whole import;
contacts are looked up one by one, so memory stays bounded on large files.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, bindparam, insert, select, update
from sqlalchemy.orm import Session

from smarketing.models import (
    Calendar,
    Campaign,
    Company,
    Contact,
    MergedContact,
    Persona,
    ProductLine,
    Team,
    User,
)

_CONTACT_ID = select(Contact.id).where(Contact.email == bindparam("b_email"))
_SURVIVOR_ID = select(MergedContact.survivor_id).where(
    MergedContact.merged_email == bindparam("b_email")
)
_IS_SURVIVOR = select(MergedContact.merged_contact_id).where(
    MergedContact.survivor_id == bindparam("b_contact")
).limit(1)
_COMPANY_BY_DOMAIN = select(Company.id).where(Company.domain == bindparam("b_ref"))
_COMPANY_BY_NAME = (
    select(Company.id).where(Company.name == bindparam("b_ref")).order_by(Company.id).limit(1)
)
#: Bound on the company cache, so a file with millions of companies stays in memory bounds.
CACHE_LIMIT = 100_000


class Missing(LookupError):
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
            self._ids[key] = result.inserted_primary_key[0]
            return "created"
        return update_if_changed(self._session, self._model, self._model.id == existing_id, values)

    def forget(self) -> None:
        self._ids.clear()


def update_if_changed(
    session: Session, model: Any, where: ColumnElement[bool], values: dict[str, Any]
) -> str:
    row = session.execute(select(model).where(where)).scalar_one()
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if not changed:
        return "unchanged"
    session.execute(update(model).where(where).values(**changed))
    session.expire(row)
    return "updated"


def row_matches(session: Session, model: Any, row_id: int, values: dict[str, Any]) -> (
    bool
):
    """True when the row already holds exactly `values`."""
    row = session.execute(select(model).where(model.id == row_id)).scalar_one()
    return all(getattr(row, k) == v for k, v in values.items())


class Keys:
    """Every key space the importer resolves."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.calendars = KeyCache(session, Calendar, Calendar.key, "calendar")
        self.teams = KeyCache(session, Team, Team.key, "team")
        self.users = KeyCache(session, User, User.email, "user")
        self.product_lines = KeyCache(session, ProductLine, ProductLine.key, "product_line")
        self.personas = KeyCache(session, Persona, Persona.key, "persona")
        self.campaigns = KeyCache(session, Campaign, Campaign.key, "campaign")
        self._campaign_channels: dict[int, str] = {}
        self._companies: dict[str, int] = {}
        self._last_contact: tuple[str, int] | None = None

    def campaign_channel(self, campaign_id: int) -> str:
        if campaign_id not in self._campaign_channels:
            self._campaign_channels[campaign_id] = self.session.execute(
                select(Campaign.channel).where(Campaign.id == campaign_id)
            ).scalar_one()
        return self._campaign_channels[campaign_id]

    def forget_campaign_channel(self, campaign_id: int) -> None:
        self._campaign_channels.pop(campaign_id, None)

    def company(self, ref: str | None) -> int | None:
        """A company by domain, else by name (a company is never deleted, so ids cache)."""
        if ref is None:
            return None
        if ref in self._companies:
            return self._companies[ref]
        connection = self.session.connection()
        for statement in (_COMPANY_BY_DOMAIN, _COMPANY_BY_NAME):
            found = connection.execute(statement, {"b_ref": ref}).scalar_one_or_none()
            if found is not None:
                if len(self._companies) >= CACHE_LIMIT:
                    self._companies.clear()
                self._companies[ref] = found
                return found
        raise Missing(f"unknown company {ref!r}: define it on an earlier line")

    def contact_id(self, email: str) -> int:
        """The id of a known contact, or of the survivor it was merged into. The last one
        is remembered: a contact's story comes in consecutive lines."""
        if self._last_contact is not None and self._last_contact[0] == email:
            return self._last_contact[1]
        found = self.session.connection().execute(
            _CONTACT_ID, {"b_email": email}
        ).scalar_one_or_none()
        if found is None:
            found = self.survivor_id(email)
        if found is None:
            raise Missing(f"unknown contact {email!r}: define it on an earlier line")
        self._last_contact = (email, found)
        return found

    def survivor_id(self, email: str) -> int | None:
        """The contact a merged `email` now lives in; None when it was never merged.
        Asked only after the contacts table missed, so known emails cost nothing more."""
        found: int | None = self.session.connection().execute(
            _SURVIVOR_ID, {"b_email": email}
        ).scalar_one_or_none()
        return found

    def is_survivor(self, contact_id: int) -> bool:
        """True when another contact was merged into this one."""
        found = self.session.connection().execute(_IS_SURVIVOR, {"b_contact": contact_id})
        return found.first() is not None

    def actor(self, by: str | None) -> str:
        """`system`, or the email of a known user."""
        if by is None or by == "system":
            return "system"
        email = by.strip().lower()
        self.users.get(email)
        return email


Resolver = Callable[[str], int]
