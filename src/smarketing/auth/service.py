"""Use cases: set a password, check a login."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from smarketing.auth.passwords import hash_password, verify_password
from smarketing.core.errors import NotFoundError
from smarketing.models import User


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
