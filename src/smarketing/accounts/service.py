"""Use cases of a person's own settings. Services never commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.accounts.domain import change_muted, parse_locale
from smarketing.core.errors import NotFoundError
from smarketing.models import User
from smarketing.notify.domain import MUTABLE_KINDS, check_mutable

__all__ = ["set_preferences", "user_by_email"]

_KEEP = object()


def user_by_email(session: Session, email: str) -> User:
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise NotFoundError(f"no user with email {email!r}")
    return user


def set_preferences(
    session: Session,
    user: User,
    *,
    locale: str | None | object = _KEEP,
    muted: list[str] | None = None,
    mute: tuple[str, ...] | list[str] = (),
    unmute: tuple[str, ...] | list[str] = (),
) -> User:
    """Change `user`'s own language and muted notification kinds; what is not given stays.

    `locale` is a code, "auto" or None (follow the browser, then the workspace); `muted`
    replaces the muted kinds, `mute`/`unmute` change them. Everything is checked before
    anything is written: an unknown language or an unknown or unmutable kind (the SLA
    alerts) raises ValidationError.
    """
    new_locale = parse_locale(locale) if locale is not _KEEP else user.locale  # type: ignore[arg-type]
    if muted is not None:
        base = check_mutable(muted)
    else:  # what is stored, less any kind that may not be muted (written by hand)
        base = [kind for kind in user.muted_notification_kinds or [] if kind in MUTABLE_KINDS]
    check_mutable([*mute, *unmute])
    new_muted = check_mutable(change_muted(base, list(mute), list(unmute)))
    user.locale = new_locale
    user.muted_notification_kinds = new_muted
    session.flush()
    return user
