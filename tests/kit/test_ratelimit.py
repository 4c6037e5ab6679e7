"""Rate limits: which keys and limits a request counts against (pure), the moving-window
limiter in memory and in Redis, and `POST /login`, `/track` and `/hooks/{source}` answering
429 with `Retry-After` once over their limit. Each app counts in its own memory, so no
test sees another's hits; the endpoints get small limits instead of hundreds of requests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from limits.storage import RedisStorage
from sqlalchemy import func, select

from smarketing.accounts.pages import BAD_LOGIN
from smarketing.core.database import transaction
from smarketing.core.settings import Settings
from smarketing.core.workspace import OpenWorkspace
from smarketing.hooks import service as hooks_service
from smarketing.hooks.domain import signed_headers
from smarketing.kit.ratelimit import (
    HOOK_PER_SOURCE,
    LOGIN_PER_ADDRESS,
    LOGIN_PER_EMAIL,
    TRACK_PER_ADDRESS,
    UNKNOWN_HOOK_PER_ADDRESS,
    Counted,
    RateLimiter,
    RateLimits,
    Refusal,
    Rule,
    seconds_until,
)
from smarketing.models import VisitorEvent, WebhookRequest
from smarketing.tracking import service as tracking_service
from smarketing.web.app import create_app
from tests.hooks import sample_bytes
from tests.support.web import PASSWORD, csrf_from, seeded_workspace
from tests.tracking.support import body, page_view

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REDIS_URI = "redis://127.0.0.1:6379/0"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
ANA, BOB = "ana@acme.example", "bob@acme.example"
ORIGIN = "https://www.acme.example"
OTHER_ADDRESS = ("10.0.0.2", 50000)
HOOK_SECRET = "forms-secret-0123456789"
RECORDS = [
    {"type": "workspace", "name": "Acme"},
    {"type": "campaign", "key": "spring-webinar", "name": "Spring webinar", "channel": "email"},
    {"type": "user", "email": ANA, "name": "Ana Ruiz", "role": "marketing"},
    {"type": "user", "email": BOB, "name": "Bob Stone", "role": "marketing"},
]  # fmt: skip


# ----------------------------------------------------------------------------- pure part


def keys(counted: list[Counted]) -> list[tuple[str, int, str]]:
    return [(one.rule.name, one.rule.amount, one.key) for one in counted]


def test_the_default_limits_are_the_documented_ones() -> None:
    limits = RateLimits()
    assert (LOGIN_PER_ADDRESS, LOGIN_PER_EMAIL, TRACK_PER_ADDRESS, HOOK_PER_SOURCE,
            UNKNOWN_HOOK_PER_ADDRESS) == (10, 5, 600, 600, 30)  # fmt: skip
    assert keys(limits.login("198.51.100.7", " Ana@Acme.Example ")) == [
        ("login-address", 10, "198.51.100.7"), ("login-email", 5, "ana@acme.example")]
    assert keys(limits.track("198.51.100.7")) == [("track-address", 600, "198.51.100.7")]
    assert keys(limits.hook("forms", "198.51.100.7", active=True)) == [
        ("hook-source", 600, "forms")]
    assert keys(limits.hook("nope", "198.51.100.7", active=False)) == [
        ("hook-unknown-address", 30, "198.51.100.7")]


def test_a_login_without_an_email_counts_per_address_only() -> None:
    assert keys(RateLimits().login("198.51.100.7", "  ")) == [
        ("login-address", 10, "198.51.100.7")]


def test_a_huge_email_is_cut_to_a_bounded_key() -> None:
    counted = RateLimits().login("198.51.100.7", "a" * 10_000 + "@acme.example")
    assert len(counted[1].key) == 320


@pytest.mark.parametrize(("reset_time", "now", "seconds"), [
    (1000.0, 940.0, 60), (1000.0, 988.2, 12), (1000.0, 999.9, 1), (1000.0, 1000.0, 1),
    (1000.0, 1003.0, 1),
])  # fmt: skip
def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one(
        reset_time: float, now: float, seconds: int) -> None:  # fmt: skip
    assert seconds_until(reset_time, now) == seconds


def test_a_refusal_names_its_limit_and_the_wait() -> None:
    refusal = Refusal(Rule("track-address", 600, "requests", "address", "/track"), 12)
    assert refusal.message == (
        "rate limit: 600 requests per minute per address for /track; retry in 12 s")
    assert refusal.headers == {"Retry-After": "12"}


# ----------------------------------------------------------------------------- limiter


def test_the_limiter_refuses_past_the_limit_and_counts_each_key_apart() -> None:
    limiter = RateLimiter(RateLimits(track_per_address=3))
    for _ in range(3):
        assert limiter.hit(limiter.limits.track("198.51.100.7")) is None
    refusal = limiter.hit(limiter.limits.track("198.51.100.7"))
    assert refusal is not None
    assert refusal.rule.name == "track-address"
    assert 1 <= refusal.retry_after <= 60
    assert limiter.hit(limiter.limits.track("198.51.100.8")) is None


def test_a_refusal_stops_at_the_first_limit_it_is_over() -> None:
    limiter = RateLimiter(RateLimits(login_per_address=1, login_per_email=5))
    assert limiter.hit(limiter.limits.login("198.51.100.7", ANA)) is None
    refusal = limiter.hit(limiter.limits.login("198.51.100.7", ANA))
    assert refusal is not None
    assert refusal.rule.name == "login-address"
    # The refused attempt was not counted against the email: 4 more may come elsewhere.
    for address in ("198.51.100.8", "198.51.100.9", "198.51.100.10", "198.51.100.11"):
        assert limiter.hit(limiter.limits.login(address, ANA)) is None
    refusal = limiter.hit(limiter.limits.login("198.51.100.12", ANA))
    assert refusal is not None
    assert refusal.rule.name == "login-email"


def test_each_limiter_in_memory_counts_alone() -> None:
    first, second = RateLimiter(RateLimits(track_per_address=1)), RateLimiter(
        RateLimits(track_per_address=1))
    assert first.hit(first.limits.track("198.51.100.7")) is None
    assert first.hit(first.limits.track("198.51.100.7")) is not None
    assert second.hit(second.limits.track("198.51.100.7")) is None


def test_the_storage_setting_is_read_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("SMARKETING_RATE_LIMIT_STORAGE", REDIS_URI)
    assert Settings().rate_limit_storage == REDIS_URI
    monkeypatch.delenv("SMARKETING_RATE_LIMIT_STORAGE")
    assert Settings(_env_file=None).rate_limit_storage is None  # type: ignore[call-arg]


@pytest.fixture
def redis_limiters() -> tuple[RateLimiter, RateLimiter]:
    """Two limiters on the local Redis, as two server processes would have."""
    first = RateLimiter(RateLimits(track_per_address=2), storage_uri=REDIS_URI)
    if not first.storage.check():
        if IN_CI:
            pytest.fail(f"the Redis rate limit test must run under CI: {REDIS_URI} is not "
                        "reachable", pytrace=False)  # fmt: skip
        pytest.skip(f"no Redis at {REDIS_URI}")
    return first, RateLimiter(RateLimits(track_per_address=2), storage_uri=REDIS_URI)


def test_limiters_on_redis_share_their_counts(
        redis_limiters: tuple[RateLimiter, RateLimiter]) -> None:  # fmt: skip
    first, second = redis_limiters
    assert isinstance(first.storage, RedisStorage)
    address = f"test-{uuid.uuid4()}"  # tests running in parallel never share a key
    counted = first.limits.track(address)
    try:
        assert first.hit(counted) is None
        assert second.hit(counted) is None
        refusal = first.hit(counted)
        assert refusal is not None
        assert 1 <= refusal.retry_after <= 60
        assert second.hit(counted) is not None
        assert second.hit(first.limits.track(f"{address}-other")) is None
    finally:
        first.clear([*counted, *first.limits.track(f"{address}-other")])


def test_the_app_counts_in_the_configured_storage(sqlite_url: str) -> None:
    with seeded_workspace(sqlite_url, RECORDS[:1], logins=[], now=NOW) as workspace:
        assert not isinstance(create_app(workspace).state.rate_limiter.storage, RedisStorage)
        workspace.settings = workspace.settings.model_copy(
            update={"rate_limit_storage": REDIS_URI})
        limiter = create_app(workspace).state.rate_limiter
        assert isinstance(limiter.storage, RedisStorage)
        assert limiter.limits == RateLimits()


# ----------------------------------------------------------------------------- endpoints


@pytest.fixture
def workspace(sqlite_url: str) -> Iterator[OpenWorkspace]:
    with seeded_workspace(sqlite_url, RECORDS, logins=[ANA, BOB], now=NOW) as workspace:
        with transaction(workspace.sessions) as session:
            tracking_service.add_domains(session, ["acme.example"], NOW)
            hooks_service.add_source(session, "forms", "generic", now=NOW, secret=HOOK_SECRET)
            hooks_service.add_source(session, "off", "generic", now=NOW, secret=HOOK_SECRET)
            hooks_service.disable_source(session, "off", NOW)
        yield workspace


def limited_app(workspace: OpenWorkspace, **limits: int) -> FastAPI:
    app = create_app(workspace, clock=lambda: NOW)
    app.state.rate_limiter = RateLimiter(RateLimits(**limits))
    return app


def assert_limited(response: Response, detail: str) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.json()["detail"] == (
        f"{detail}; retry in {response.headers['retry-after']} s")


def submit_login(client: TestClient, email: str, password: str = PASSWORD) -> Response:
    form = {"csrf_token": csrf_from(client.get("/login").text), "email": email,
            "password": password}  # fmt: skip
    return client.post("/login", data=form, follow_redirects=False)


def test_login_is_limited_per_email_address_from_any_address(
        workspace: OpenWorkspace) -> None:  # fmt: skip
    app = limited_app(workspace, login_per_email=2)
    with TestClient(app) as client, TestClient(app, client=OTHER_ADDRESS) as elsewhere:
        for _ in range(2):
            assert BAD_LOGIN in submit_login(client, ANA, "not-the-password").text
        refused = submit_login(client, ANA)  # even the right password
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert (f"Too many login attempts: at most 2 a minute per email address. Try again "
                f"in {refused.headers['retry-after']} seconds.") in refused.text
        assert 'value="ana@acme.example"' in refused.text  # the form comes back filled
        assert "location" not in refused.headers
        assert submit_login(elsewhere, ANA).status_code == 429
        assert submit_login(client, BOB).status_code == 303


def test_login_is_limited_per_client_address(workspace: OpenWorkspace) -> None:
    app = limited_app(workspace, login_per_address=3)
    with TestClient(app) as client, TestClient(app, client=OTHER_ADDRESS) as elsewhere:
        for email in ("nobody@acme.example", "x@acme.example", BOB):
            assert submit_login(client, email, "wrong").status_code == 200
        refused = submit_login(client, ANA)
        assert refused.status_code == 429
        assert "at most 3 a minute per address" in refused.text
        assert submit_login(elsewhere, ANA).status_code == 303


def test_a_successful_login_counts_too(workspace: OpenWorkspace) -> None:
    with TestClient(limited_app(workspace, login_per_email=1)) as client:
        assert submit_login(client, ANA).status_code == 303
        client.cookies.clear()
        assert submit_login(client, ANA).status_code == 429


def post_track(client: TestClient, number: str, origin: str = ORIGIN) -> Response:
    data = orjson.dumps(body(page_view(f"ev-0000000{number}", f"{ORIGIN}/pricing")))
    return client.post("/track", content=data,
                       headers={"Content-Type": "text/plain", "Origin": origin})  # fmt: skip


def stored_events(workspace: OpenWorkspace) -> int:
    with transaction(workspace.sessions, read_only=True) as session:
        return session.scalar(select(func.count()).select_from(VisitorEvent)) or 0


def test_track_is_limited_per_address_and_keeps_its_cors_headers(
        workspace: OpenWorkspace) -> None:  # fmt: skip
    app = limited_app(workspace, track_per_address=2)
    with TestClient(app) as client, TestClient(app, client=OTHER_ADDRESS) as elsewhere:
        assert [post_track(client, str(i)).status_code for i in range(2)] == [200, 200]
        refused = post_track(client, "2")
        assert_limited(refused, "rate limit: 2 requests per minute per address for /track")
        assert refused.headers["access-control-allow-origin"] == ORIGIN
        assert refused.headers["access-control-expose-headers"] == "Retry-After"
        assert refused.headers["vary"] == "Origin"
        assert stored_events(workspace) == 2
        assert post_track(elsewhere, "3").status_code == 200


def test_track_refused_for_an_origin_off_the_tracking_domains_gets_no_cors(
        workspace: OpenWorkspace) -> None:  # fmt: skip
    with TestClient(limited_app(workspace, track_per_address=1)) as client:
        assert post_track(client, "0", "https://evil.example").status_code == 403
        refused = post_track(client, "1", "https://evil.example")
        assert refused.status_code == 429
        assert "access-control-allow-origin" not in refused.headers


def post_hook(client: TestClient, source: str) -> Response:
    data = sample_bytes("generic_form.json")
    headers = {"Content-Type": "application/json",
               **signed_headers(HOOK_SECRET, data, int(NOW.timestamp()))}  # fmt: skip
    return client.post(f"/hooks/{source}", content=data, headers=headers)


def logged(workspace: OpenWorkspace, source: str) -> int:
    with transaction(workspace.sessions, read_only=True) as session:
        return session.scalar(select(func.count()).select_from(WebhookRequest)
                              .where(WebhookRequest.source == source)) or 0  # fmt: skip


def test_a_hook_source_is_limited_per_source(workspace: OpenWorkspace) -> None:
    app = limited_app(workspace, hook_per_source=2, unknown_hook_per_address=100)
    with TestClient(app) as client:
        assert [post_hook(client, "forms").status_code for _ in range(2)] == [200, 200]
        assert_limited(post_hook(client, "forms"),
                       "rate limit: 2 requests per minute per source for /hooks/{source}")
        assert logged(workspace, "forms") == 2
        assert post_hook(client, "nope").status_code == 404  # another source's count


def test_unknown_hook_sources_are_limited_per_address_and_not_logged_past_it(
        workspace: OpenWorkspace) -> None:  # fmt: skip
    app = limited_app(workspace, hook_per_source=100, unknown_hook_per_address=2)
    with TestClient(app) as client, TestClient(app, client=OTHER_ADDRESS) as elsewhere:
        assert [post_hook(client, key).status_code for key in ("nope", "off")] == [404, 404]
        assert_limited(post_hook(client, "other"), "rate limit: 2 requests per minute per "
                       "address for /hooks/{source} of an unknown source")  # fmt: skip
        assert logged(workspace, "other") == 0
        assert post_hook(elsewhere, "other").status_code == 404
        assert post_hook(client, "forms").status_code == 200  # active sources count apart
