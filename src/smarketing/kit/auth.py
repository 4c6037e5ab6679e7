"""Who is calling the API: an API key (`ReadKey`, `WriteKey`) or the logged-in session
cookie (`ApiUser`, with `api_csrf` for POSTs; 401 JSON, never a redirect).

API keys:

A client sends its key as ``Authorization: Bearer smk_...`` (or ``X-API-Key``).
A key found valid is remembered by this process for `CACHE_SECONDS`, so a busy client
does not cost a database read per request. A revocation made in this process (the API
keys page) is effective at once (`forget`); one made elsewhere (`smarketing api-keys
revoke`, another server process) within CACHE_SECONDS, when this process's memory of
the key expires.
Authentication reads in its own read-only transaction before the endpoint touches the
database. The key's ``last_used_at`` (refreshed at most every LAST_USED_RESOLUTION) is
never written in a request's transaction: it is noted and written after the response,
in a short transaction of its own that may fail without failing the request
(smarketing.kit.lastuse).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import BackgroundTasks, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from smarketing.auth.keys import allows, hash_key
from smarketing.auth.service import KeyRefused, authenticate_key, needs_last_used_update
from smarketing.core.database import transaction
from smarketing.kit.deps import (
    CsrfError,
    DbSession,
    LoginRequired,
    current_user,
    get_now,
    get_workspace,
    require_csrf,
)
from smarketing.kit.lastuse import last_use
from smarketing.models import User

CACHE_SECONDS = 10.0
_CACHE_MAX = 1000
HOW_TO = ("send 'Authorization: Bearer <key>'; an admin creates keys with "
          "`smarketing api-keys create`")


@dataclass(frozen=True)
class ApiPrincipal:
    """Who is calling: the key, detached from any session."""

    key_id: int
    prefix: str
    name: str
    scope: str

    @property
    def actor(self) -> str:
        """How this caller is named in histories (lifecycle `actor`, quarantine, ...)."""
        return f"api-key:{self.prefix}"


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None


async def _principal(request: Request, scope: str, tasks: BackgroundTasks) -> ApiPrincipal:
    plaintext = presented_key(request)
    if plaintext is None:
        raise HTTPException(401, detail=f"no API key: {HOW_TO}",
                            headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    # A remembered key costs no thread hop; a lookup runs in the thread pool (sync DB).
    principal = _remembered(request, plaintext) or await run_in_threadpool(
        _look_up, request, plaintext, tasks)
    if not allows(principal.scope, scope):
        raise HTTPException(403, detail=f"API key {principal.prefix} has scope "
                                        f"{principal.scope!r}; this needs {scope!r}")  # fmt: skip
    return principal


def _cache(request: Request) -> dict[str, tuple[ApiPrincipal, float]]:
    state = request.app.state
    if getattr(state, "api_key_cache", None) is None:
        state.api_key_cache = {}
    cache: dict[str, tuple[ApiPrincipal, float]] = state.api_key_cache
    return cache


def forget(request: Request, prefix: str) -> None:
    """Forget a remembered key now (after a revocation in this process). Other server
    processes refuse it once their memory of it expires, within CACHE_SECONDS."""
    cache = _cache(request)
    for digest, (principal, _expires) in list(cache.items()):
        if principal.prefix == prefix:
            cache.pop(digest, None)


def _remembered(request: Request, plaintext: str) -> ApiPrincipal | None:
    entry = _cache(request).get(hash_key(plaintext))
    if entry is None or entry[1] < time.monotonic():
        return None
    return entry[0]


def _look_up(request: Request, plaintext: str, tasks: BackgroundTasks) -> ApiPrincipal:
    now = get_now(request)
    sessions = get_workspace(request).sessions
    try:
        with transaction(sessions, read_only=True) as session:
            key = authenticate_key(session, plaintext)
            principal = ApiPrincipal(key.id, key.prefix, key.name, key.scope)
            stale = needs_last_used_update(key, now)
    except KeyRefused as exc:
        raise HTTPException(401, detail=f"{exc}; {HOW_TO}",
                            headers={"WWW-Authenticate": "Bearer"}) from None  # fmt: skip
    if stale:  # the stored time is old: note it (again), write what is noted after the answer
        recorder = last_use(request)
        recorder.note("api_key", principal.key_id, now)
        tasks.add_task(recorder.flush, get_workspace(request).engine)
    cache = _cache(request)
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    cache[hash_key(plaintext)] = (principal, time.monotonic() + CACHE_SECONDS)
    return principal


async def read_key(request: Request, tasks: BackgroundTasks) -> ApiPrincipal:
    return await _principal(request, "read", tasks)


async def write_key(request: Request, tasks: BackgroundTasks) -> ApiPrincipal:
    return await _principal(request, "write", tasks)


async def admin_key(request: Request, tasks: BackgroundTasks) -> ApiPrincipal:
    return await _principal(request, "admin", tasks)


ReadKey = Annotated[ApiPrincipal, Depends(read_key)]
AdminKey = Annotated[ApiPrincipal, Depends(admin_key)]
WriteKey = Annotated[ApiPrincipal, Depends(write_key)]


NOT_LOGGED_IN = "not logged in: log in at /login; the API uses the session cookie"


def api_user(request: Request, session: DbSession, tasks: BackgroundTasks) -> User:
    """The logged-in user, or 401 JSON (the pages redirect to the login page instead)."""
    try:
        return current_user(request, session, tasks)
    except LoginRequired:
        raise HTTPException(status_code=401, detail=NOT_LOGGED_IN) from None


ApiUser = Annotated[User, Depends(api_user)]


async def api_csrf(request: Request) -> None:
    """A POST needs the session's CSRF token in X-CSRF-Token; else 403 JSON."""
    try:
        await require_csrf(request)
    except CsrfError:
        raise HTTPException(
            status_code=403,
            detail="X-CSRF-Token: missing or wrong; read csrf_token from GET /api/v1/me",
        ) from None
