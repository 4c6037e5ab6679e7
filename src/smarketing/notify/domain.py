"""Pure notification rules: message text, URL redaction for display, the retry schedule.

No I/O, no session, no clock: callers pass `now` in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from smarketing.core.errors import ValidationError

# Waits after the 1st, 2nd, ... failed attempt; the attempt after the last wait is the
# final one, so a delivery is tried len(BACKOFF) + 1 times before it is `failed`.
BACKOFF: tuple[timedelta, ...] = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=2),
)
MAX_ATTEMPTS = len(BACKOFF) + 1

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
STATUSES = (PENDING, SENDING, SENT, FAILED)

#: Every kind of notification the product raises (the `kind` passed to `notify`).
LEAD_ACTIVITY = "lead_activity"  # a rep's lead acted (form, download, chat...): ingest
SLA_PACING = "sla_pacing"  # daily, to marketing and admins: a rep or team behind MQL pace
SLA_AT_RISK = "sla_at_risk"  # to the rep: an SLA clock of their lead is about to breach
SLA_BREACH = "sla_breach"  # to the rep and their sales managers: an SLA clock breached
KINDS = (LEAD_ACTIVITY, SLA_PACING, SLA_AT_RISK, SLA_BREACH)
#: The kinds a person may turn off for themselves (`User.muted_notification_kinds`).
#: The SLA clock alerts (at risk, breached) are how the SLA is enforced on reps and their
#: managers, so nobody may mute them; lead activity and the pacing digest are help, and
#: may be.
MUTABLE_KINDS = (LEAD_ACTIVITY, SLA_PACING)


def check_mutable(kinds: Iterable[str]) -> list[str]:
    """`kinds` without repeats, in the order of MUTABLE_KINDS; a ValidationError naming the
    first kind that may not be muted (an SLA alert) or is unknown."""
    wanted = list(dict.fromkeys(kind.strip() for kind in kinds))
    for kind in wanted:
        if kind in KINDS and kind not in MUTABLE_KINDS:
            raise ValidationError(
                f"{kind!r} notifications cannot be turned off: SLA clock alerts are how "
                "the SLA is enforced; mutable kinds are " + ", ".join(MUTABLE_KINDS)
            )
        if kind not in MUTABLE_KINDS:
            raise ValidationError(
                f"unknown notification kind {kind!r}; mutable kinds are "
                + ", ".join(MUTABLE_KINDS)
            )
    return [kind for kind in MUTABLE_KINDS if kind in wanted]


def is_muted(kind: str, muted_kinds: Iterable[str] | None) -> bool:
    """Whether a person who muted `muted_kinds` is spared a `kind` notification. Only
    MUTABLE_KINDS count: a muted SLA alert (written to the database by hand) still comes."""
    return kind in MUTABLE_KINDS and kind in (muted_kinds or ())


DEDUPE_KEY_MAX = 200
SUBJECT_MAX = 300
LINK_MAX = 500
ERROR_MAX = 1000
MASK = "****"

# Query parameters whose values are settings, not secrets; every other value is masked.
_PLAIN_QUERY_KEYS = frozenset({
    "to", "from", "cc", "bcc", "name", "format", "mode", "method", "smtp", "cto", "rto",
    "image", "footer", "timestamp", "blocks", "overflow", "retry", "wait", "optional",
    "api-version", "sp", "sv", "pa", "wrap", "template", "channel", "channels", "avatar",
    "tts", "batch", "fields", "priority", "verify", "reply",
})  # fmt: skip
_WORD = re.compile(r"^[a-z][a-z_-]{0,23}$")
_EMAIL = re.compile(r"^[^@/\s]+@[^@/\s]+\.[^@/\s]+$")
_HOSTNAME = re.compile(
    r"^(localhost|\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$"
)


@dataclass(frozen=True)
class Failure:
    """What a failed attempt does to a delivery."""

    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str


def retry_delay(failed_attempts: int) -> timedelta | None:
    """How long to wait after `failed_attempts` failures; None when it is time to give up."""
    if failed_attempts < 1:
        raise ValidationError(f"failed_attempts must be at least 1, got {failed_attempts}")
    if failed_attempts >= MAX_ATTEMPTS:
        return None
    return BACKOFF[failed_attempts - 1]


def after_failure(attempts_before: int, error: str, now: datetime) -> Failure:
    """The delivery's next state after one more failed attempt at `now`."""
    attempts = attempts_before + 1
    delay = retry_delay(attempts)
    message = clip(error.strip() or "unknown error", ERROR_MAX)
    if delay is None:
        return Failure(FAILED, attempts, None, message)
    return Failure(PENDING, attempts, now + delay, message)


def user_dedupe_key(dedupe_key: str, user_id: int) -> str:
    """The per-user key stored on a notification: raising it twice creates nothing new."""
    if not dedupe_key.strip():
        raise ValidationError("dedupe_key must not be empty")
    key = f"{dedupe_key}:{user_id}"
    if len(key) > DEDUPE_KEY_MAX:
        raise ValidationError(
            f"dedupe key {key[:40]!r}... is {len(key)} characters; the limit is {DEDUPE_KEY_MAX}"
        )
    return key


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending in an ellipsis when it was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def absolute_link(link: str | None, base_url: str | None) -> str | None:
    """A link people can open from a chat or a mail: relative links are joined to base_url."""
    if not link:
        return None
    if urlsplit(link).scheme or not base_url:
        return link
    return base_url.rstrip("/") + "/" + link.lstrip("/")


def format_message(
    subject: str, body: str, link: str | None, base_url: str | None = None
) -> tuple[str, str]:
    """The (title, body) sent to a channel: the body, then the link on its own line."""
    url = absolute_link(link, base_url)
    text = body.strip()
    if url:
        text = f"{text}\n\n{url}" if text else url
    return subject.strip(), text


def redact_url(url: str) -> str:
    """An apprise URL that is safe to show: passwords, tokens and keys are masked.

    Kept: the scheme, the user name, host names, plain words and e-mail addresses in the
    path, the fragment (a channel) and query values that are settings (`to`, `from`,
    `format`...). Masked: the password, token-like hosts and path parts, other query values.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return _mask(url)
    if not parts.scheme:
        return _mask(url)
    netloc = ""
    if parts.username is not None:
        netloc = quote(parts.username, safe="@.-_")
        if parts.password is not None:
            netloc += ":" + MASK
        netloc += "@"
    host = _raw_host(parts.netloc)
    if host:
        netloc += host if _HOSTNAME.match(host) else _mask(host)
    if port is not None:
        netloc += f":{port}"
    path = "/".join(_redact_segment(segment) for segment in parts.path.split("/"))
    query = urlencode(
        [(key, value if key.lower() in _PLAIN_QUERY_KEYS else MASK)
         for key, value in parse_qsl(parts.query, keep_blank_values=True)],
        safe="*@,:/",
    )  # fmt: skip
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))


def _raw_host(netloc: str) -> str:
    """The host as written (urlsplit lower-cases `hostname`, which garbles token hosts)."""
    host = netloc.rpartition("@")[2]
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.partition(":")[0]


def _redact_segment(segment: str) -> str:
    if not segment or _WORD.match(segment) or _EMAIL.match(segment):
        return segment
    return _mask(segment)


def _mask(secret: str) -> str:
    """Long secrets keep their first and last character so people can tell them apart."""
    if len(secret) >= 12:
        return f"{secret[0]}...{secret[-1]}"
    return MASK
