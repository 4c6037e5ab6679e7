"""API key format and hashing (pure).

A key reads ``smk_<prefix>_<secret>``: the prefix (8 characters) is public, shown in
lists and used to find the key's row; the secret (32 bytes of randomness) is shown once.
Only the SHA-256 of the whole key is stored. A slow password hash (argon2) is not
needed: the key has 256 bits of entropy, so it cannot be guessed from its hash, and a
fast hash keeps the per-request cost of authentication negligible.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_MARK = "smk"
SCOPES = ("read", "write", "admin")
#: What each scope may do: a write key also reads; an admin key also exports and erases
#: personal data (smarketing.privacy).
_ALLOWED = {"read": {"read"}, "write": {"read", "write"}, "admin": {"read", "write", "admin"}}


class MalformedKey(ValueError):
    """The presented string is not shaped like an API key."""


@dataclass(frozen=True)
class NewKey:
    prefix: str
    plaintext: str
    secret_hash: str


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def generate_key() -> NewKey:
    prefix = secrets.token_hex(4)
    plaintext = f"{KEY_MARK}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(prefix=prefix, plaintext=plaintext, secret_hash=hash_key(plaintext))


def prefix_of(plaintext: str) -> str:
    """The public prefix of a presented key, or MalformedKey."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_MARK or len(parts[1]) != 8 or not parts[2]:
        raise MalformedKey("not an smarketing API key (expected smk_<prefix>_<secret>)")
    return parts[1]


def matches(plaintext: str, secret_hash: str) -> bool:
    """Constant-time comparison of a presented key with a stored hash."""
    return hmac.compare_digest(hash_key(plaintext), secret_hash)


def allows(key_scope: str, needed: str) -> bool:
    """A write key may also read; an admin key may do everything."""
    return needed in _ALLOWED.get(key_scope, set())
