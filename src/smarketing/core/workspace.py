"""Open the configured workspace database: the edge every command and the web app share."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from smarketing.core.database import make_engine, make_session_factory, migrate
from smarketing.core.settings import Settings, get_settings
from smarketing.models import Workspace


@dataclass
class OpenWorkspace:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]


def open_workspace(settings: Settings | None = None, *, apply_migrations: bool = True) -> (
    OpenWorkspace
):
    """Connect to the workspace database and bring its schema up to date."""
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    if apply_migrations:
        migrate(engine)
    return OpenWorkspace(settings, engine, make_session_factory(engine))


def ensure_workspace_row(session: Session, settings: Settings, name: str = "smarketing") -> None:
    """Create the workspace settings row from the environment when there is none yet."""
    if session.execute(select(Workspace.id)).first() is None:
        session.add(Workspace(id=1, name=name, timezone=settings.timezone,
                              currency=settings.currency, locale=settings.locale))  # fmt: skip


#: What a workspace without a settings row (or with an empty field) falls back to: the
#: same defaults as the settings its row is created from (`ensure_workspace_row`).
DEFAULT_TIMEZONE = "UTC"
DEFAULT_CURRENCY = "EUR"
DEFAULT_LOCALE = "en"


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
    """The workspace's timezone, currency and locale: the one place they are read, with
    one fallback order (the row's value, else DEFAULT_*)."""
    row = session.execute(_SETTINGS_ROW).first()
    if row is None:
        return WorkspaceSettings("smarketing", DEFAULT_TIMEZONE, DEFAULT_CURRENCY, DEFAULT_LOCALE)
    return WorkspaceSettings(row.name or "smarketing", row.timezone or DEFAULT_TIMEZONE,
                             row.currency or DEFAULT_CURRENCY, row.locale or DEFAULT_LOCALE)
