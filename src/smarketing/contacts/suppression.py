"""The suppression list: email addresses that may not come back after a GDPR erasure
(docs/privacy.md). Every door that can create or change a contact asks `suppressed`
before it writes, and drops what it names without keeping it anywhere (not in the
quarantine either: that would keep the address).

An address is kept as HMAC-SHA256 of its normalized form (email-validator's, lower-cased,
the contacts' own) under a random 32-byte salt made for the workspace on its first
suppression and kept in `workspace_settings` (SALT_KEY). Why a salt of its own and not
the secret key: the list must survive a rotation of SMARKETING_SECRET_KEY, and the salt
moves with the database (a backup restores both). The hash is not a secret to whoever
holds the database file and guesses an address (they can test a guess, as the server
does): it keeps the list from showing the addresses, and from matching another
workspace's list or a table of precomputed hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from smarketing.models import SuppressedAddress, WorkspaceSetting

__all__ = ["address_hash", "normalized", "suppress", "suppressed", "unsuppress",
           "workspace_salt"]

SALT_KEY = "privacy.suppression_salt"
#: Why an address is on the list.
ERASURE, REQUEST = "erasure", "request"
#: Addresses hashed per look-up query (an IN list).
_CHUNK = 500


def normalized(email: str) -> str:
    """The form contacts are stored under: email-validator's normalization, lower-cased
    (a malformed address: trimmed and lower-cased, so it still gets a stable hash)."""
    text = email.strip()
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return text.lower()


def address_hash(salt: bytes, email: str) -> str:
    return hmac.new(salt, normalized(email).encode(), hashlib.sha256).hexdigest()


def workspace_salt(session: Session, *, create: bool = False, now: datetime | None = None) -> (
    bytes | None
):
    """The workspace's suppression salt; made (when `create`) on first use."""
    row = session.get(WorkspaceSetting, SALT_KEY)
    if row is not None and isinstance(row.value, str):
        return bytes.fromhex(row.value)
    if not create or now is None:
        return None
    salt = secrets.token_bytes(32)
    session.add(WorkspaceSetting(key=SALT_KEY, value=salt.hex(), updated_at=now))
    session.flush()
    return salt


def suppressed(session: Session, emails: Iterable[str]) -> set[str]:
    """Which of `emails` are on the list, as given (not normalized): `{"Ana@X.example"}`
    when "ana@x.example" was erased. One indexed query per 500 addresses; none when the
    workspace never suppressed an address."""
    wanted = [email for email in dict.fromkeys(emails) if isinstance(email, str)]
    salt = workspace_salt(session) if wanted else None
    if salt is None:
        return set()
    hashes = {email: address_hash(salt, email) for email in wanted}
    found: set[str] = set()
    values = list(set(hashes.values()))
    for start in range(0, len(values), _CHUNK):
        chunk = values[start:start + _CHUNK]
        query = select(SuppressedAddress.address_hash).where(
            SuppressedAddress.address_hash.in_(chunk))
        found.update(session.scalars(query))
    return {email for email, digest in hashes.items() if digest in found}


def suppress(session: Session, emails: Iterable[str], now: datetime,
             reason: str = ERASURE) -> int:  # fmt: skip
    """Put `emails` on the list; returns how many were not on it yet."""
    wanted = [email for email in dict.fromkeys(emails) if email.strip()]
    if not wanted:
        return 0
    salt = workspace_salt(session, create=True, now=now)
    assert salt is not None  # noqa: S101 - created above
    digests = {address_hash(salt, email) for email in wanted}
    known = set(session.scalars(select(SuppressedAddress.address_hash)
                                .where(SuppressedAddress.address_hash.in_(digests))))  # fmt: skip
    for digest in sorted(digests - known):
        session.add(SuppressedAddress(address_hash=digest, suppressed_at=now, reason=reason))
    session.flush()
    return len(digests - known)


def unsuppress(session: Session, emails: Iterable[str]) -> int:
    """Take `emails` off the list (the person asked to come back); how many were on it."""
    salt = workspace_salt(session)
    if salt is None:
        return 0
    digests = {address_hash(salt, email) for email in emails}
    result = session.execute(delete(SuppressedAddress)
                             .where(SuppressedAddress.address_hash.in_(digests)))  # fmt: skip
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
