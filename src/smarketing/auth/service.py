"""Use cases: set a password, check a login, check an API key."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from smarketing.auth.keys import MalformedKey, matches, prefix_of
from smarketing.auth.passwords import hash_password, verify_password
from smarketing.core.errors import NotFoundError
from smarketing.models import ApiKey, User


def set_password(session: Session, email: str, password: str) -> None:
    result = session.execute(
        update(User).where(User.email == email.strip().lower())
        .values(password_hash=hash_password(password))
    )  # fmt: skip
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFoundError(f"no user with email {email!r}")


def set_passwords(session: Session, emails: list[str], password: str) -> None:
    """Give many users the same password with one hash (the demo workspace)."""
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
