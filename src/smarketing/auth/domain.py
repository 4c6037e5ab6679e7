"""Pure rules of logins: which passwords people may set, and when a login session ends.

Passwords (docs/security.md): at least MIN_PASSWORD_CHARS characters, at most
MAX_PASSWORD_CHARS, and not easy to guess. "Easy to guess" is zxcvbn's judgement
(the Python port of Dropbox's estimator, a dependency): it knows the 30,000 most common
passwords of leaked password lists, English words, names, keyboard patterns, repeats,
sequences, dates and l33t spellings, and the person's own email and name given as
`personal`. A password it scores below MIN_GUESS_SCORE (fewer than about 10^8 guesses)
is refused, whatever its length: "passwordpassword" and "qwertyuiop123" are.

The rule applies to passwords people set (the account page, `smarketing users
password`, an admin's reset). The demo workspace's logins get the published password
`demo1234` from the demo builder, which sets hashes directly: a demo is not protected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from zxcvbn import zxcvbn

from smarketing.core.errors import TranslatableValidationError
from smarketing.i18n.catalogs import N_

MIN_PASSWORD_CHARS = 12
#: Longer passwords are refused before hashing: argon2 and zxcvbn do not need more, and
#: a megabyte-long "password" must not cost the server time.
MAX_PASSWORD_CHARS = 128
#: zxcvbn's score: 0 to 4; 3 is "safely unguessable: moderate protection from an offline
#: slow-hash scenario" (at least 10^8 guesses).
MIN_GUESS_SCORE = 3

TOO_SHORT = N_("The password needs at least %(min)s characters.")
TOO_LONG = N_("The password may have at most %(max)s characters.")
TOO_COMMON = N_("This password is too easy to guess: it is, or is close to, a common "
                "password, a word, a name, a keyboard pattern or your own email. A few "
                "unrelated words make a good one.")
NOT_CONFIRMED = N_("The two new passwords differ.")
WRONG_CURRENT = N_("The current password is wrong.")


def check_new_password(password: str, personal: tuple[str, ...] = ()) -> str:
    """`password` when people may set it; TranslatableValidationError saying why not."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise TranslatableValidationError(TOO_SHORT, min=MIN_PASSWORD_CHARS)
    if len(password) > MAX_PASSWORD_CHARS:
        raise TranslatableValidationError(TOO_LONG, max=MAX_PASSWORD_CHARS)
    words = [part for value in personal for part in _parts(value)]
    judged = zxcvbn(password, user_inputs=words, max_length=MAX_PASSWORD_CHARS)
    if int(judged["score"]) < MIN_GUESS_SCORE:
        raise TranslatableValidationError(TOO_COMMON)
    return password


def _parts(value: str) -> list[str]:
    """A person's email or name and its pieces ("ana.ruiz@acme.example": ana, ruiz, acme)."""
    text = value.strip().lower()
    pieces = [text]
    for separator in ("@", ".", " ", "-", "_", "+"):
        pieces = [bit for piece in pieces for bit in piece.split(separator)]
    return [text, *(piece for piece in pieces if len(piece) >= 3)]


# ----------------------------------------------------------------------------- sessions


@dataclass(frozen=True)
class SessionLimits:
    """How long a login lasts: `idle` without a request, `lifetime` at most in all."""

    idle: timedelta
    lifetime: timedelta


#: last_seen_at is written at most this often (smarketing.kit.lastuse).
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


def session_ended(created_at: datetime, last_seen_at: datetime, revoked_at: datetime | None,
                  now: datetime, limits: SessionLimits) -> str | None:  # fmt: skip
    """Why a session no longer logs its user in ("revoked", "idle", "expired"), or None."""
    if revoked_at is not None:
        return "revoked"
    if now - created_at >= limits.lifetime:
        return "expired"
    if now - last_seen_at >= limits.idle:
        return "idle"
    return None


def needs_last_seen_update(last_seen_at: datetime, now: datetime) -> bool:
    return now - last_seen_at >= LAST_SEEN_RESOLUTION
