"""Rate limits of the entry points anyone can reach: `POST /login`, `POST /track` and
`POST /hooks/{source}`. See docs/rate-limits.md.

The pure part (`Rule`, `RateLimits`, `Refusal`) says which limits a request counts
against, under which key, and what a refusal says. `RateLimiter` counts the hits in a
moving window with the `limits` library: in this process's memory by default, or in the
storage that SMARKETING_RATE_LIMIT_STORAGE names (e.g. `redis://127.0.0.1:6379/0`), which
several server processes then share.

The client's address is `request.client.host`, as uvicorn sets it. Behind a proxy, uvicorn's
proxy headers setting decides: with `--proxy-headers` (on by default, and under `smarketing
serve`) it takes the address from `X-Forwarded-For` when the request comes from an address
in `--forwarded-allow-ips` (env FORWARDED_ALLOW_IPS, default 127.0.0.1 and ::1); otherwise
it is the proxy's own address, and every client behind the proxy shares one count.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from fastapi import Request
from fastapi.responses import JSONResponse
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

#: Login attempts (failed or successful) per minute from one client address.
LOGIN_PER_ADDRESS = 10
#: Login attempts (failed or successful) per minute for one email address, from anywhere.
LOGIN_PER_EMAIL = 5
#: Tracking requests per minute from one client address.
TRACK_PER_ADDRESS = 600
#: Signed webhook requests per minute to one active source.
HOOK_PER_SOURCE = 600
#: Unsigned or badly signed webhook requests per minute to one active source: counted
#: apart, so strangers cannot use up the limit of the signed sender.
UNSIGNED_HOOK_PER_SOURCE = 60
#: Webhook requests per minute from one client address to sources that are unknown or
#: disabled (each one would otherwise be written to the request log).
UNKNOWN_HOOK_PER_ADDRESS = 30
#: Longest email address kept as a key: a huge form field must not become a huge key.
MAX_EMAIL_KEY = 320
MEMORY_STORAGE = "memory://"


# ----------------------------------------------------------------------------- pure part


@dataclass(frozen=True)
class Rule:
    """At most `amount` `what` per minute per `per` to `endpoint`; `name` keeps the
    counts of different rules apart."""

    name: str
    amount: int
    what: str
    per: str
    endpoint: str

    def describe(self) -> str:
        return f"{self.amount} {self.what} per minute per {self.per} for {self.endpoint}"


@dataclass(frozen=True)
class Counted:
    """One hit to count: against `rule`, under `key` (an address, an email, a source)."""

    rule: Rule
    key: str


@dataclass(frozen=True)
class RateLimits:
    """The limits in force; tests build smaller ones."""

    login_per_address: int = LOGIN_PER_ADDRESS
    login_per_email: int = LOGIN_PER_EMAIL
    track_per_address: int = TRACK_PER_ADDRESS
    hook_per_source: int = HOOK_PER_SOURCE
    unsigned_hook_per_source: int = UNSIGNED_HOOK_PER_SOURCE
    unknown_hook_per_address: int = UNKNOWN_HOOK_PER_ADDRESS

    def login(self, address: str, email: str) -> list[Counted]:
        """A login attempt counts per address and, when it names one, per email address."""
        counted = [Counted(Rule("login-address", self.login_per_address, "login attempts",
                                "address", "/login"), address)]  # fmt: skip
        email_key = email.strip().lower()[:MAX_EMAIL_KEY]
        if email_key:
            counted.append(Counted(Rule("login-email", self.login_per_email, "login attempts",
                                        "email address", "/login"), email_key))  # fmt: skip
        return counted

    def track(self, address: str) -> list[Counted]:
        return [Counted(Rule("track-address", self.track_per_address, "requests", "address",
                             "/track"), address)]  # fmt: skip

    def hook(self, source: str, address: str, *, active: bool,
             signed: bool = True) -> list[Counted]:  # fmt: skip
        """A signed request to an active source counts per source; an unsigned or badly
        signed one per source too, but on a count of its own (strangers cannot use up the
        sender's); one to an unknown or disabled source counts per address (its key is
        the sender's choice, so it cannot be one)."""
        if active and signed:
            return [Counted(Rule("hook-source", self.hook_per_source, "requests", "source",
                                 "/hooks/{source}"), source)]  # fmt: skip
        if active:
            return [Counted(Rule("hook-unsigned", self.unsigned_hook_per_source,
                                 "unsigned or badly signed requests", "source",
                                 "/hooks/{source}"), source)]  # fmt: skip
        return [Counted(Rule("hook-unknown-address", self.unknown_hook_per_address,
                             "requests", "address", "/hooks/{source} of an unknown source"),
                        address)]  # fmt: skip


def seconds_until(reset_time: float, now: float) -> int:
    """Whole seconds from `now` until `reset_time` (epoch seconds), at least 1."""
    return max(1, math.ceil(reset_time - now))


@dataclass(frozen=True)
class Refusal:
    """A request over `rule`; the window frees a hit in `retry_after` seconds."""

    rule: Rule
    retry_after: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}

    @property
    def message(self) -> str:
        return f"rate limit: {self.rule.describe()}; retry in {self.retry_after} s"


# ----------------------------------------------------------------------------- counting


@cache
def _item(amount: int) -> RateLimitItem:
    return RateLimitItemPerMinute(amount)


class RateLimiter:
    """Counts hits against `limits` in a moving window, in `storage_uri` (a `limits`
    storage URI; default: this process's memory)."""

    def __init__(self, limits: RateLimits | None = None, storage_uri: str | None = None) -> None:
        self.limits = limits or RateLimits()
        self.storage = storage_from_string(storage_uri or MEMORY_STORAGE)
        self._window = MovingWindowRateLimiter(self.storage)

    def hit(self, counted: Iterable[Counted]) -> Refusal | None:
        """Count one hit against each rule in turn; the first one over its limit refuses
        (a refused hit is not counted, nor are the rules after it)."""
        for one in counted:
            item = _item(one.rule.amount)
            if not self._window.hit(item, one.rule.name, one.key):
                stats = self._window.get_window_stats(item, one.rule.name, one.key)
                return Refusal(one.rule, seconds_until(stats.reset_time, time.time()))
        return None

    def clear(self, counted: Iterable[Counted]) -> None:
        """Forget the hits counted under these keys."""
        for one in counted:
            self._window.clear(_item(one.rule.amount), one.rule.name, one.key)


# ----------------------------------------------------------------------------- web edge


def get_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


def client_address(request: Request) -> str:
    """The client's address as uvicorn saw it (see the module docstring on proxies)."""
    return request.client.host if request.client else "unknown"


def too_many_requests(refusal: Refusal, headers: dict[str, str] | None = None) -> JSONResponse:
    """The 429 answer of the JSON endpoints."""
    return JSONResponse({"detail": refusal.message}, status_code=429,
                        headers={**(headers or {}), **refusal.headers})  # fmt: skip
