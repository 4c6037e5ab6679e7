"""Helpers shared by the notify tests: a small team of people and a fake channel."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.core.database import make_engine, make_session_factory
from smarketing.models import NotificationDelivery, NotificationTarget, Team, User

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FAILING_URL = "json://127.0.0.1:9/"  # nothing listens on port 9: a real, fast failure


@dataclass(frozen=True)
class People:
    team_id: int
    rep_id: int
    manager_id: int
    loner_id: int


def add_people(session: Session) -> People:
    """A team `emea` with a rep and a manager, and a user without a team."""
    team = Team(key="emea", name="EMEA sales")
    session.add(team)
    session.flush()
    rep = User(email="rep@example.com", name="Rita Rep", role="sales_rep", team_id=team.id)
    manager = User(email="boss@example.com", name="Max Manager", role="sales_manager",
                   team_id=team.id)  # fmt: skip
    loner = User(email="solo@example.com", name="Sam Solo", role="marketer")
    session.add_all([rep, manager, loner])
    session.flush()
    return People(team.id, rep.id, manager.id, loner.id)


def add_target(
    session: Session, url: str, *, user_id: int | None = None, team_id: int | None = None
) -> int:
    target = NotificationTarget(url=url, user_id=user_id, team_id=team_id, created_at=T0)
    session.add(target)
    session.flush()
    return target.id


def deliveries(session: Session) -> list[NotificationDelivery]:
    """Every delivery as the database has it now (not as the identity map remembers it)."""
    session.expire_all()
    return list(session.scalars(select(NotificationDelivery).order_by(NotificationDelivery.id)))


@dataclass
class FakeSender:
    """A channel that records what it was sent; fails `failures` times per URL first."""

    failures: int = 0
    error: str = "channel said no"
    sent: list[tuple[str, str, str]] = field(default_factory=list)
    tried: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, url: str, title: str, body: str) -> None:
        with self._lock:
            self.tried[url] = self.tried.get(url, 0) + 1
            if self.tried[url] <= self.failures:
                raise RuntimeError(self.error)
            self.sent.append((url, title, body))


@contextmanager
def sessions_for(url: str) -> Iterator[Callable[[], Session]]:
    """A session factory on its own engine (its own connections), disposed afterwards."""
    engine = make_engine(url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()
