"""Helpers shared by the web tests: a seeded workspace and the login form's CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import quote

from smarketing.auth.service import set_passwords
from smarketing.core.database import transaction
from smarketing.core.settings import Settings
from smarketing.core.workspace import OpenWorkspace, open_workspace
from smarketing.interchange.service import import_records

PASSWORD = "s3cret-pass"


@contextmanager
def seeded_workspace(
    url: str, records: list[dict[str, Any]], logins: list[str], now: datetime
) -> Iterator[OpenWorkspace]:
    """A migrated workspace at `url` loaded with `records`; `logins` get PASSWORD."""
    workspace = open_workspace(Settings(database_url=url, secret_key="test-secret-key"))
    with transaction(workspace.sessions) as session:
        report = import_records(session, records, now=now)
        assert not report.rejections, report.rejections
        set_passwords(session, logins, PASSWORD)
    try:
        yield workspace
    finally:
        workspace.engine.dispose()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def contact_url(email: str) -> str:
    return "/contacts/" + quote(email)
