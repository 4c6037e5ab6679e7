"""Pure notification rules: backoff, dedupe keys, message text, URL redaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smarketing.notify.domain import (
    BACKOFF,
    FAILED,
    MAX_ATTEMPTS,
    PENDING,
    after_failure,
    clip,
    format_message,
    redact_url,
    retry_delay,
    user_dedupe_key,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("failed", "delay"),
    [
        (1, timedelta(seconds=30)),
        (2, timedelta(minutes=2)),
        (3, timedelta(minutes=10)),
        (4, timedelta(minutes=30)),
        (5, timedelta(hours=2)),
        (6, None),
        (7, None),
    ],
)
def test_retry_delay_schedule(failed: int, delay: timedelta | None) -> None:
    assert retry_delay(failed) == delay


def test_retry_delay_needs_a_failure() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        retry_delay(0)


def test_six_attempts_then_failed() -> None:
    """Walk the schedule like the delivery job does: 6 attempts, 5 waits, then `failed`."""
    attempts, now, waits = 0, NOW, []
    while True:
        failure = after_failure(attempts, "boom", now)
        attempts = failure.attempts
        if failure.status == FAILED:
            break
        assert failure.status == PENDING
        assert failure.next_attempt_at is not None
        waits.append(failure.next_attempt_at - now)
        now = failure.next_attempt_at
    assert attempts == MAX_ATTEMPTS == 6
    assert tuple(waits) == BACKOFF
    assert failure.next_attempt_at is None


def test_after_failure_keeps_a_readable_error() -> None:
    assert after_failure(0, "  ", NOW).last_error == "unknown error"
    assert len(after_failure(0, "x" * 5000, NOW).last_error) == 1000


def test_user_dedupe_key() -> None:
    assert user_dedupe_key("sla-breach:12", 7) == "sla-breach:12:7"
    with pytest.raises(ValueError, match="empty"):
        user_dedupe_key(" ", 7)
    with pytest.raises(ValueError, match="limit is 200"):
        user_dedupe_key("k" * 199, 7)


def test_clip() -> None:
    assert clip("short", 10) == "short"
    assert clip("abcdefghijk", 5) == "abcd…"


@pytest.mark.parametrize(
    ("link", "base", "expected_body"),
    [
        (None, None, "The body."),
        ("/contacts/a@b.com", None, "The body.\n\n/contacts/a@b.com"),
        ("/contacts/a@b.com", "https://sm.example.com/",
         "The body.\n\nhttps://sm.example.com/contacts/a@b.com"),
        ("https://crm.example.com/x", "https://sm.example.com",
         "The body.\n\nhttps://crm.example.com/x"),
    ],
)  # fmt: skip
def test_format_message(link: str | None, base: str | None, expected_body: str) -> None:
    assert format_message(" Subject ", "The body.", link, base) == ("Subject", expected_body)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general",
         "slack://****/****/T...Q/#general"),
        ("https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
         "https://hooks.slack.com/services/****/****/T...Q"),
        ("slack://xoxb-1234-1234-4ddbc191d40ee098cbaae6f3523ada2d/#sales-alerts",
         "slack://x...d/#sales-alerts"),
        ("mailtos://alerts:app-password@smtp.example.com:587?from=alerts@example.com"
         "&to=sales-ops@example.com",
         "mailtos://alerts:****@smtp.example.com:587?from=alerts@example.com"
         "&to=sales-ops@example.com"),
        ("workflows://prod-12.westus.logic.azure.com:443/abc123def456/sig_ABCdef123",
         "workflows://prod-12.westus.logic.azure.com:443/a...6/s...3"),
        ("https://prod-12.westus.logic.azure.com:443/workflows/abc123def456/triggers/manual"
         "/paths/invoke?api-version=2016-06-01&sig=ABCdef123",
         "https://prod-12.westus.logic.azure.com:443/workflows/a...6/triggers/manual"
         "/paths/invoke?api-version=2016-06-01&sig=****"),
        ("json://127.0.0.1:9/", "json://127.0.0.1:9/"),
        ("jsons://user:pw@hooks.example.com/path?token=abc123",
         "jsons://user:****@hooks.example.com/path?token=****"),
        ("not a url", "****"),
    ],
)  # fmt: skip
def test_redact_url_golden(url: str, shown: str) -> None:
    assert redact_url(url) == shown


_secret = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=8,
    max_size=60,
).filter(lambda s: any(c.isdigit() for c in s))  # fmt: skip


@given(password=_secret, token=_secret, key=_secret)
def test_redact_url_never_shows_a_secret(password: str, token: str, key: str) -> None:
    for url in (
        f"mailtos://me:{password}@smtp.example.com?to=a@example.com",
        f"slack://{token}/{key}/{password}/#general",
        f"https://hooks.example.com/services/{token}?sig={key}&apikey={password}",
        f"discord://{token}/{key}",
    ):
        shown = redact_url(url)
        for secret in (password, token, key):
            if secret in url:
                assert secret not in shown, (url, shown)
