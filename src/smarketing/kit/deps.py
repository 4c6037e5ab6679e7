"""Request dependencies: the workspace, one transaction per request, the logged-in user
and the CSRF guard for forms.

Logins are server-side sessions (table `user_sessions`, smarketing.auth.service): the
signed session cookie carries a random token whose SHA-256 names the row. A session
ends at logout, when its user's password changes or is reset, after
SMARKETING_SESSION_IDLE_MINUTES without a request and SMARKETING_SESSION_MAX_HOURS
after it started; a cookie kept from before any of these logs nobody in. Its last-seen
time is written at most once a minute, after the response and outside the request's
transaction (smarketing.kit.lastuse), so a page view stays a read.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import BackgroundTasks, Depends, Request
from sqlalchemy.orm import Session

from smarketing.auth.domain import SessionLimits
from smarketing.auth.service import LOGOUT, end_session, live_session, session_id, start_session
from smarketing.core.database import transaction
from smarketing.core.workspace import OpenWorkspace
from smarketing.kit.lastuse import last_use
from smarketing.models import User

#: The session cookie's key of the login token (smarketing.auth.service.start_session).
TOKEN_KEY = "login"  # noqa: S105 - a key of the cookie's data, not a secret
CSRF_KEY = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class LoginRequired(Exception):
    """No valid login on this request; the app redirects to the login page."""

    def __init__(self, next_path: str | None) -> None:
        super().__init__("login required")
        self.next_path = next_path


class CsrfError(Exception):
    """A POST without the session's CSRF token."""


def get_workspace(request: Request) -> OpenWorkspace:
    workspace: OpenWorkspace = request.app.state.workspace
    return workspace


def get_now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def db_session(request: Request) -> Iterator[Session]:
    """One request is one transaction: committed when the page function returns without
    an error, rolled back otherwise. Services never commit."""
    read_only = request.method in ("GET", "HEAD")
    with transaction(get_workspace(request).sessions, read_only=read_only) as session:
        yield session


#: Ends before the response is sent, so a failed commit turns into an error response.
DbSession = Annotated[Session, Depends(db_session, scope="function")]
Now = Annotated[datetime, Depends(get_now)]


def session_limits(request: Request) -> SessionLimits:
    settings = get_workspace(request).settings
    return SessionLimits(idle=timedelta(minutes=settings.session_idle_minutes),
                         lifetime=timedelta(hours=settings.session_max_hours))  # fmt: skip


def log_in(request: Request, session: Session, user: User) -> None:
    """Start a fresh session for `user` (a new session row, cookie and CSRF token)."""
    request.session.clear()
    request.session[TOKEN_KEY] = start_session(session, user, get_now(request))
    request.session[CSRF_KEY] = secrets.token_urlsafe(32)


def log_out(request: Request, session: Session | None = None, reason: str = LOGOUT) -> None:
    """End this browser's session: its row (when `session` is given) and its cookie."""
    token = request.session.get(TOKEN_KEY)
    if session is not None and isinstance(token, str):
        end_session(session, token, get_now(request), reason)
    request.session.clear()


def current_user(request: Request, session: DbSession, tasks: BackgroundTasks) -> User:
    """The logged-in user, or LoginRequired (the app turns it into a redirect)."""
    token = request.session.get(TOKEN_KEY)
    now = get_now(request)
    live = None
    if isinstance(token, str) and token:
        recorder = last_use(request)
        row_id = session_id(token)
        live = live_session(session, token, now, session_limits(request),
                            recorder.noted("session", row_id))  # fmt: skip
        if live is not None and live.stale:
            recorder.note("session", row_id, now)
            tasks.add_task(recorder.flush, get_workspace(request).engine)
    if live is None:
        if token is not None:
            request.session.clear()
        raise LoginRequired(_requested_path(request))
    request.state.user = live.user
    return live.user


CurrentUser = Annotated[User, Depends(current_user)]


def _requested_path(request: Request) -> str | None:
    if request.method != "GET":
        return None
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


def login_url(next_path: str | None) -> str:
    if not next_path or safe_next(next_path) == "/":
        return "/login"
    return "/login?" + urlencode({"next": safe_next(next_path)})


def safe_next(value: str | None) -> str:
    """`value` when it is a path on this site, else "/" (no open redirects)."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or any(ord(char) < 32 or ord(char) == 127 for char in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith(("/login", "/logout")):
        return "/"
    return value


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get(CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_KEY] = token
    return token


async def require_csrf(request: Request) -> None:
    """Check the token of a POST: the hidden form field, or the X-CSRF-Token header (htmx)."""
    expected = request.session.get(CSRF_KEY)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not (isinstance(expected, str) and expected and sent
            and hmac.compare_digest(expected.encode(), sent.encode())):  # fmt: skip
        raise CsrfError("missing or wrong CSRF token")
