"""Reads and writes of the workspace's settings row."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.core.settings import Settings, get_settings
from smarketing.models import Workspace


def ensure_workspace_row(session: Session, settings: Settings, name: str = "smarketing") -> None:
    """Create the workspace settings row from the environment when there is none yet."""
    if session.execute(select(Workspace.id)).first() is None:
        session.add(Workspace(id=1, name=name, timezone=settings.timezone,
                              currency=settings.currency, locale=settings.locale))  # fmt: skip


@dataclass(frozen=True)
class WorkspaceSettings:
    """The workspace's own settings, as stored in its row (`workspaces`, id 1)."""

    name: str
    timezone: str
    currency: str
    locale: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


_SETTINGS_ROW = select(Workspace.name, Workspace.timezone, Workspace.currency,
                       Workspace.locale).where(Workspace.id == 1)  # fmt: skip


def workspace_settings(session: Session) -> WorkspaceSettings:
    """The workspace's name, time zone, currency and locale: the one place they are read,
    with one fallback order: the workspace row's value, else the configured SMARKETING_*
    setting (which the row is created from, and whose defaults are UTC, EUR and en)."""
    configured = get_settings()
    row = session.execute(_SETTINGS_ROW).first()
    if row is None:
        return WorkspaceSettings("smarketing", configured.timezone, configured.currency,
                                 configured.locale)  # fmt: skip
    return WorkspaceSettings(row.name or "smarketing", row.timezone or configured.timezone,
                             row.currency or configured.currency,
                             row.locale or configured.locale)  # fmt: skip
