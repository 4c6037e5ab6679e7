"""Use cases for API keys: create, list, revoke, authenticate. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.apikeys.domain import SCOPES, MalformedKey, generate_key, matches, prefix_of
from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.models import ApiKey

#: last_used_at is refreshed at most this often, so reads stay read-only.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class KeyRefused(Exception):
    """The presented key is malformed, unknown or revoked; the message says which."""


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    plaintext: str


def create_key(session: Session, name: str, scope: str, created_by: str, now: datetime) -> (
    CreatedKey
):
    if scope not in SCOPES:
        raise ValidationError(f"scope: must be one of {', '.join(SCOPES)}, got {scope!r}")
    if not name.strip():
        raise ValidationError("name: required (say what the key is for)")
    new = generate_key()
    key = ApiKey(name=name.strip(), prefix=new.prefix, secret_hash=new.secret_hash,
                 scope=scope, created_at=now, created_by=created_by)  # fmt: skip
    session.add(key)
    session.flush()
    return CreatedKey(key=key, plaintext=new.plaintext)


def list_keys(session: Session, include_revoked: bool = False) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return list(session.scalars(query))


def revoke_key(session: Session, prefix: str, now: datetime) -> ApiKey:
    """Revoke by prefix (the whole key also works: its prefix is taken)."""
    if prefix.startswith("smk_"):
        prefix = prefix_of(prefix)
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if key is None:
        raise NotFoundError(f"no API key with prefix {prefix!r}")
    if key.revoked_at is None:
        key.revoked_at = now
    return key


def authenticate(session: Session, plaintext: str) -> ApiKey:
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
