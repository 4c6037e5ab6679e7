"""Open the configured workspace database: the edge every command and the web app share."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from smarketing.core.database import make_engine, make_session_factory, migrate
from smarketing.core.settings import Settings, get_settings


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
