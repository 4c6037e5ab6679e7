"""Use cases: set, change and reset a password, check a login, start and end login
sessions, check an API key. Never commits."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from smarketing.auth.domain import (
    WRONG_CURRENT,
    SessionLimits,
    check_new_password,
    needs_last_seen_update,
    session_ended,
)
from smarketing.auth.keys import MalformedKey, matches, prefix_of
from smarketing.auth.passwords import hash_password, verify_password
from smarketing.core.errors import NotFoundError, TranslatableValidationError
from smarketing.core.timeutil import utcnow
from smarketing.models import ApiKey, User, UserSession

#: How `revoked_reason` names why sessions ended.
LOGOUT, PASSWORD_CHANGED, PASSWORD_RESET = "logout", "password_changed", "password_reset"
#: Words of a generated password (admin reset): 4 random words of 8 random characters
#: from a 57-letter alphabet, about 186 bits; shown once to the admin.
RESET_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _user(session: Session, email: str) -> User:
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise NotFoundError(f"no user with email {email!r}")
    return user


def set_password(session: Session, email: str, password: str, *,
                 now: datetime | None = None, reason: str = PASSWORD_CHANGED) -> User:  # fmt: skip
    """Give a user a password people chose (checked by the password rule) and end every
    session of theirs: a stolen session does not outlive a password change."""
    user = _user(session, email)
    check_new_password(password, (user.email, user.name or ""))
    user.password_hash = hash_password(password)
    revoke_sessions(session, user.id, now or utcnow(), reason)
    session.flush()
    return user


def change_password(session: Session, user: User, current: str, new: str,
                    now: datetime) -> None:  # fmt: skip
    """A person changes their own password: the current one must be right."""
    if not verify_password(user.password_hash, current):
        raise TranslatableValidationError(WRONG_CURRENT)
    set_password(session, user.email, new, now=now)


def reset_password(session: Session, email: str, now: datetime) -> str:
    """An admin's reset: a new random password (returned, to be given to the person once)
    and every session of the user ended."""
    generated = "-".join("".join(secrets.choice(RESET_ALPHABET) for _ in range(8))
                         for _ in range(4))  # fmt: skip
    set_password(session, email, generated, now=now, reason=PASSWORD_RESET)
    return generated


def set_passwords(session: Session, emails: list[str], password: str) -> None:
    """Give many users the same password with one hash, without the password rule: the
    demo workspace's published password (docs/security.md)."""
    hashed = hash_password(password)
    session.execute(update(User).where(User.email.in_(emails)).values(password_hash=hashed))


#: Checked when the email is unknown, so a login takes as long either way and its timing
#: does not tell which emails have accounts.
_DUMMY_HASH = hash_password("not a real password")


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.execute(
        select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()
    if user is None or not user.password_hash:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    return user


#: last_used_at is refreshed at most this often, so reads stay read-only.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class KeyRefused(Exception):
    """The presented key is malformed, unknown or revoked; the message says which."""


def authenticate_key(session: Session, plaintext: str) -> ApiKey:
    """The live key matching `plaintext`, or KeyRefused saying why."""
    try:
        prefix = prefix_of(plaintext)
    except MalformedKey as exc:
        raise KeyRefused(str(exc)) from None
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if key is None or not matches(plaintext, key.secret_hash):
        raise KeyRefused("unknown API key")
    if key.revoked_at is not None:
        raise KeyRefused(f"API key {prefix} was revoked")
    return key


def needs_last_used_update(key: ApiKey, now: datetime) -> bool:
    return key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION


# ----------------------------------------------------------------------------- sessions


def session_id(token: str) -> str:
    """The row id of a session token: its SHA-256 (the token has 256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, now: datetime) -> str:
    """A new login session for `user`; returns the token for the cookie (not stored)."""
    token = secrets.token_urlsafe(32)
    session.add(UserSession(id=session_id(token), user_id=user.id, created_at=now,
                            last_seen_at=now))  # fmt: skip
    session.flush()
    return token


@dataclass(frozen=True)
class LiveSession:
    """A session that logs its user in, and whether its last-seen time is due an update."""

    row_id: str
    user: User
    stale: bool


def live_session(session: Session, token: str, now: datetime, limits: SessionLimits,
                 last_seen: datetime | None = None) -> LiveSession | None:  # fmt: skip
    """The session of `token` when it still logs its user in, else None. `last_seen` is a
    later last-seen time known but not written yet (smarketing.kit.lastuse)."""
    row = session.get(UserSession, session_id(token))
    if row is None:
        return None
    seen = max(row.last_seen_at, last_seen) if last_seen is not None else row.last_seen_at
    if session_ended(row.created_at, seen, row.revoked_at, now, limits) is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.password_hash:
        return None
    return LiveSession(row.id, user, needs_last_seen_update(seen, now))


def end_session(session: Session, token: str, now: datetime, reason: str = LOGOUT) -> None:
    session.execute(update(UserSession)
                    .where(UserSession.id == session_id(token), UserSession.revoked_at.is_(None))
                    .values(revoked_at=now, revoked_reason=reason))  # fmt: skip


def revoke_sessions(session: Session, user_id: int, now: datetime, reason: str) -> int:
    """End every live session of a user; how many were live."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )  # fmt: skip
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
