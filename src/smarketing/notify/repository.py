"""Every query of the notify domain."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from smarketing.models import (
    Notification,
    NotificationDelivery,
    NotificationTarget,
    Team,
    User,
)
from smarketing.notify.domain import PENDING, SENDING, SENT, Failure
from smarketing.workspace.repository import workspace_settings

Delivery = NotificationDelivery
Target = NotificationTarget


@dataclass(frozen=True)
class Payload:
    """What one delivery sends, read when it is claimed."""

    delivery_id: int
    attempts: int
    url: str
    subject: str
    body: str
    link: str | None


# --- people ---------------------------------------------------------------------------


def users_by_id(session: Session, user_ids: Iterable[int]) -> dict[int, User]:
    ids = list(user_ids)
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}


def workspace_locale(session: Session) -> str:
    return workspace_settings(session).locale


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email.strip().lower())).first()


def team_by_key(session: Session, key: str) -> Team | None:
    return session.scalars(select(Team).where(Team.key == key.strip())).first()


# --- notifications --------------------------------------------------------------------


def insert_notification_once(session: Session, values: dict[str, Any]) -> int | None:
    """Insert a notification unless its dedupe key exists; the new id, or None.

    `INSERT ... ON CONFLICT (dedupe_key) DO NOTHING` on both databases: a concurrent
    writer of the same key waits for the other transaction and then inserts nothing.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(Notification)
    elif dialect == "sqlite":
        statement = sqlite.insert(Notification)
    else:  # pragma: no cover - the product runs on SQLite and PostgreSQL only
        raise RuntimeError(f"unsupported database {dialect!r}")
    statement = (
        statement.values(**values)
        .on_conflict_do_nothing(index_elements=[Notification.dedupe_key])
        .returning(Notification.id)
    )
    return session.execute(statement).scalar_one_or_none()


def unread(session: Session, user_id: int, limit: int = 100) -> list[Notification]:
    return list(session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ))  # fmt: skip


def notification_owner(session: Session, notification_id: int) -> int | None:
    return session.execute(
        select(Notification.user_id).where(Notification.id == notification_id)
    ).scalar_one_or_none()


def mark_read(session: Session, notification_id: int, user_id: int, now: datetime) -> bool:
    """Set read_at once; True when this call marked it."""
    result = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.user_id == user_id,
               Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- targets --------------------------------------------------------------------------


def target_ids_for(session: Session, user_id: int, team_id: int | None) -> list[int]:
    """The targets of a user and of the user's team."""
    condition = Target.user_id == user_id
    if team_id is not None:
        condition = or_(condition, Target.team_id == team_id)
    return list(session.scalars(select(Target.id).where(condition).order_by(Target.id)))


def add_target(
    session: Session, *, url: str, user_id: int | None, team_id: int | None, now: datetime
) -> NotificationTarget:
    target = NotificationTarget(url=url, user_id=user_id, team_id=team_id, created_at=now)
    session.add(target)
    session.flush()
    return target


def targets_with_owner(session: Session) -> list[tuple[Target, str | None, str | None]]:
    """Every target with its owner: (target, user email or None, team key or None)."""
    rows = session.execute(
        select(Target, User.email, Team.key)
        .outerjoin(User, User.id == Target.user_id)
        .outerjoin(Team, Team.id == Target.team_id)
        .order_by(Target.id)
    )  # fmt: skip
    return [(row[0], row[1], row[2]) for row in rows]


def delete_target(session: Session, target_id: int) -> int | None:
    """Delete a target and its delivery log; the number of deliveries removed, None if absent."""
    if session.get(Target, target_id) is None:
        return None
    removed = session.execute(
        delete(Delivery).where(Delivery.target_id == target_id)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    session.execute(
        delete(Target).where(Target.id == target_id).execution_options(synchronize_session=False)
    )
    session.expunge_all()
    return int(removed or 0)


# --- deliveries -----------------------------------------------------------------------


def add_deliveries(
    session: Session, notification_id: int, target_ids: Iterable[int], now: datetime
) -> list[NotificationDelivery]:
    deliveries = [
        NotificationDelivery(notification_id=notification_id, target_id=target_id,
                             status=PENDING, attempts=0, next_attempt_at=now)
        for target_id in target_ids
    ]  # fmt: skip
    session.add_all(deliveries)
    session.flush()
    return deliveries


def claim_next_delivery(
    session: Session, now: datetime, lease_until: datetime
) -> tuple[int, int] | None:
    """Claim the most overdue delivery: (id, attempts so far), or None when nothing is due.

    One conditional UPDATE: a pending delivery, or a `sending` one whose lease ran out (its
    worker died), becomes `sending` with `next_attempt_at` = the end of the lease. On
    PostgreSQL the row is picked with FOR UPDATE SKIP LOCKED, so concurrent workers take
    different rows; on SQLite the statement runs under the database's single write lock.
    """
    due = aliased(Delivery)
    pick = (
        select(due.id)
        .where(due.status.in_((PENDING, SENDING)), due.next_attempt_at <= now)
        .order_by(due.next_attempt_at, due.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    row = session.execute(
        update(Delivery)
        .where(Delivery.id == pick, Delivery.status.in_((PENDING, SENDING)),
               Delivery.next_attempt_at <= now)
        .values(status=SENDING, next_attempt_at=lease_until)
        .returning(Delivery.id, Delivery.attempts)
        .execution_options(synchronize_session=False)
    ).first()  # fmt: skip
    return None if row is None else (row[0], row[1])


def payload(session: Session, delivery_id: int, attempts: int) -> Payload:
    row = session.execute(
        select(Target.url, Notification.subject, Notification.body, Notification.link)
        .select_from(Delivery)
        .join(Target, Target.id == Delivery.target_id)
        .join(Notification, Notification.id == Delivery.notification_id)
        .where(Delivery.id == delivery_id)
    ).one()  # fmt: skip
    return Payload(delivery_id, attempts, row.url, row.subject, row.body, row.link)


def record_sent(session: Session, delivery_id: int, attempts_before: int, now: datetime) -> bool:
    return _record(
        session, delivery_id, attempts_before,
        status=SENT, attempts=attempts_before + 1, delivered_at=now, next_attempt_at=None,
    )  # fmt: skip


def record_failure(
    session: Session, delivery_id: int, attempts_before: int, failure: Failure
) -> bool:
    return _record(session, delivery_id, attempts_before, status=failure.status,
                   attempts=failure.attempts, last_error=failure.last_error,
                   next_attempt_at=failure.next_attempt_at)  # fmt: skip


def _record(session: Session, delivery_id: int, attempts_before: int, **values: Any) -> bool:
    """Write an attempt's outcome, only if this worker still holds the claim."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == SENDING,
               Delivery.attempts == attempts_before)
        .values(**values)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    return bool(result.rowcount)  # type: ignore[attr-defined]


def delivery_log(session: Session, limit: int) -> list[Row[Any]]:
    """The most recent deliveries first, with their notification, recipient and target."""
    return list(session.execute(
        select(Delivery.id, Delivery.status, Delivery.attempts, Delivery.last_error,
               Delivery.next_attempt_at, Delivery.delivered_at, Notification.subject,
               Notification.created_at, User.email.label("recipient"), Target.url)
        .join(Notification, Notification.id == Delivery.notification_id)
        .join(User, User.id == Notification.user_id)
        .join(Target, Target.id == Delivery.target_id)
        .order_by(Delivery.id.desc())
        .limit(limit)
    ))  # fmt: skip
