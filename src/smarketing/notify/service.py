"""Notification use cases: raise a notification, manage targets, read the inbox and the log.

Services never commit; the caller (a request, a job, a command) is the transaction.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import apprise
from sqlalchemy.orm import Session

from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.i18n import choose_locale, get_translations
from smarketing.i18n.terms import Phrase
from smarketing.models import Notification, NotificationTarget
from smarketing.notify import repository as repo
from smarketing.notify.domain import (
    LINK_MAX,
    SUBJECT_MAX,
    clip,
    is_muted,
    redact_url,
    user_dedupe_key,
)

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


@dataclass(frozen=True)
class TargetView:
    """A target as people see it: the owner and the URL with its secrets masked."""

    id: int
    owner: str
    url: str
    created_at: datetime


@dataclass(frozen=True)
class LogEntry:
    """One line of the delivery log."""

    delivery_id: int
    subject: str
    recipient: str
    target: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None


def notify(
    session: Session,
    *,
    user_ids: Iterable[int],
    kind: str,
    subject: str | Phrase,
    body: str | Phrase,
    link: str | None = None,
    dedupe_key: str,
    now: datetime,
) -> list[Notification]:
    """Raise one in-app notification per user and queue its deliveries to every target.

    The stored key is `f"{dedupe_key}:{user_id}"`; a user who already has it gets nothing
    new, even when two workers raise the same alert at the same moment. Each created
    notification gets a `pending` delivery for every target of the user and of the user's
    team; the delivery job sends them. Returns the notifications created by this call.

    A user who muted `kind` (`User.muted_notification_kinds`, set on the account page or
    with `smarketing users set --mute`) is skipped: no notification, no delivery. Only the
    kinds of `smarketing.notify.domain.MUTABLE_KINDS` can be muted; the SLA clock alerts
    (`sla_at_risk`, `sla_breach`) always come, whatever the column holds.

    `subject` and `body` are stored as given when they are plain strings. A `Phrase`
    (smarketing.i18n.terms: an N_-marked message, its parameters and which of them are
    product words) is written for each user in that user's language: their own locale,
    else the workspace's, else English (`recipient_locale`). The stored text, and so
    every delivery of it, is in that language.
    """
    ids = list(dict.fromkeys(user_ids))
    users = repo.users_by_id(session, ids)
    missing = [user_id for user_id in ids if user_id not in users]
    if missing:
        raise NotFoundError(f"no user with id {', '.join(map(str, missing))}")
    ids = [user_id for user_id in ids
           if not is_muted(kind, users[user_id].muted_notification_kinds)]  # fmt: skip
    keys = {user_id: user_dedupe_key(dedupe_key, user_id) for user_id in ids}
    session.flush()
    fallback = _workspace_locale(session) if _phrases(subject, body) else None
    created: list[Notification] = []
    for user_id in ids:
        locale = recipient_locale(users[user_id].locale, fallback)
        notification_id = repo.insert_notification_once(session, {
            "user_id": user_id, "kind": kind,
            "subject": clip(_written(subject, locale), SUBJECT_MAX),
            "body": _written(body, locale), "link": clip(link, LINK_MAX) if link else None,
            "dedupe_key": keys[user_id], "created_at": now,
        })  # fmt: skip
        if notification_id is None:
            continue
        targets = repo.target_ids_for(session, user_id, users[user_id].team_id)
        repo.add_deliveries(session, notification_id, targets, now)
        notification = session.get(Notification, notification_id)
        assert notification is not None  # noqa: S101 - inserted just above
        created.append(notification)
    return created


def recipient_locale(user_locale: str | None, workspace_locale: str | None) -> str:
    """The language a person's notifications are written in: their own locale, else the
    workspace's, else English (as the pages choose, without a browser)."""
    return choose_locale(
        user_locale=user_locale, accept_language=None, workspace_locale=workspace_locale
    )


def _phrases(*texts: str | Phrase) -> bool:
    return any(isinstance(text, Phrase) for text in texts)


def _workspace_locale(session: Session) -> str:
    return repo.workspace_locale(session)


def _written(text: str | Phrase, locale: str) -> str:
    return text.render(get_translations(locale)) if isinstance(text, Phrase) else text


def validate_target_url(url: str) -> str:
    """The URL stripped, if apprise can send to it; else a ValidationError naming the scheme."""
    text = url.strip()
    match = _SCHEME.match(text)
    if match is None:
        raise ValidationError(
            f"{redact_url(text)!r} is not a notification URL: write one apprise URL such as "
            "slack://TokenA/TokenB/TokenC/#channel or mailtos://user:password@example.com"
        )
    scheme = match.group(1).lower()
    if any(ch.isspace() for ch in text) or "," in text:
        raise ValidationError(f"give one {scheme}:// URL at a time (no spaces or commas)")
    with capture_apprise_log() as warnings:
        services = apprise.Apprise()
        accepted = services.add(text) and len(services) == 1
    if not accepted:
        reasons = "; ".join(dict.fromkeys(hide_url(w, text) for w in warnings))
        detail = f": {reasons}" if reasons else ""
        raise ValidationError(
            f"apprise cannot use this {scheme}:// URL (unknown scheme or missing or invalid "
            f"parts){detail}. See https://github.com/caronc/apprise/wiki for the {scheme}:// "
            "URL format"
        )
    return text


def add_target(
    session: Session,
    url: str,
    user_email: str | None = None,
    team_key: str | None = None,
    *,
    now: datetime,
) -> NotificationTarget:
    """Add an apprise URL that receives the alerts of one user or of one team."""
    if (user_email is None) == (team_key is None):
        raise ValidationError("a target belongs to exactly one of a user (email) or a team (key)")
    text = validate_target_url(url)
    user_id = team_id = None
    if user_email is not None:
        user = repo.user_by_email(session, user_email)
        if user is None:
            raise NotFoundError(f"no user with email {user_email!r}")
        user_id = user.id
    else:
        assert team_key is not None  # noqa: S101 - checked above
        team = repo.team_by_key(session, team_key)
        if team is None:
            raise NotFoundError(f"no team with key {team_key!r}")
        team_id = team.id
    return repo.add_target(session, url=text, user_id=user_id, team_id=team_id, now=now)


def list_targets(session: Session) -> list[TargetView]:
    """Every target with its owner; URLs are redacted for display."""
    return [
        TargetView(target.id, f"user {email}" if email else f"team {team_key}",
                   redact_url(target.url), target.created_at)
        for target, email, team_key in repo.targets_with_owner(session)
    ]  # fmt: skip


def remove_target(session: Session, target_id: int) -> int:
    """Remove a target and its delivery log entries; how many deliveries went with it."""
    removed = repo.delete_target(session, target_id)
    if removed is None:
        raise NotFoundError(f"no notification target with id {target_id}")
    return removed


def unread(session: Session, user_id: int, limit: int = 100) -> list[Notification]:
    """The user's unread in-app notifications, newest first."""
    return repo.unread(session, user_id, limit)


def mark_read(session: Session, notification_id: int, user_id: int, now: datetime) -> bool:
    """Mark one of the user's notifications read; False when it already was."""
    if repo.notification_owner(session, notification_id) != user_id:
        raise NotFoundError(f"no notification {notification_id} for this user")
    return repo.mark_read(session, notification_id, user_id, now)


def delivery_log(session: Session, limit: int = 50) -> list[LogEntry]:
    """The most recent deliveries first; target URLs are redacted."""
    if limit < 1:
        raise ValidationError(f"limit must be at least 1, got {limit}")
    return [
        LogEntry(row.id, row.subject, row.recipient, redact_url(row.url), row.status,
                 row.attempts, hide_url(row.last_error, row.url) if row.last_error else None,
                 row.created_at, row.next_attempt_at, row.delivered_at)
        for row in repo.delivery_log(session, limit)
    ]  # fmt: skip


def hide_url(text: str, url: str) -> str:
    """`text` with the raw URL (which may hold secrets) replaced by its redacted form."""
    return text.replace(url, redact_url(url)) if url else text


class _ThreadWarnings(logging.Handler):
    """Collects apprise's warnings and errors raised by the current thread only."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


@contextmanager
def capture_apprise_log() -> Iterator[list[str]]:
    """apprise reports why a URL or a send failed only in its log; capture those lines."""
    handler = _ThreadWarnings()
    logger = logging.getLogger("apprise")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
