"""Use cases for API keys: create, list, revoke (authentication is smarketing.auth). Never
commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.auth.keys import SCOPES, generate_key, prefix_of
from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.models import ApiKey


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
