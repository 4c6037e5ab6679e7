"""Request dependencies: the workspace, one transaction per request, the logged-in user
and the CSRF guard for forms."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from smarketing.core.database import transaction
from smarketing.core.workspace import OpenWorkspace
from smarketing.models import User

USER_KEY = "user_id"
AUTH_KEY = "auth"
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


def auth_fingerprint(request: Request, user: User) -> str:
    """Ties a login to the password it was made with: changing the password ends it."""
    key = get_workspace(request).settings.secret_key.encode()
    return hmac.new(key, (user.password_hash or "").encode(), hashlib.sha256).hexdigest()[:32]


def log_in(request: Request, user: User) -> None:
    """Start a fresh session for `user` (a new session and a new CSRF token)."""
    request.session.clear()
    request.session[USER_KEY] = user.id
    request.session[AUTH_KEY] = auth_fingerprint(request, user)
    request.session[CSRF_KEY] = secrets.token_urlsafe(32)


def log_out(request: Request) -> None:
    request.session.clear()


def current_user(request: Request, session: DbSession) -> User:
    """The logged-in user, or LoginRequired (the app turns it into a redirect)."""
    user_id = request.session.get(USER_KEY)
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not hmac.compare_digest(
        str(request.session.get(AUTH_KEY, "")), auth_fingerprint(request, user)
    ):
        if user_id is not None:
            log_out(request)
        raise LoginRequired(_requested_path(request))
    request.state.user = user
    return user


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
