"""Helpers for API tests: an API key on a workspace and its Authorization header."""

from __future__ import annotations

from datetime import UTC, datetime

from smarketing.apikeys.service import create_key
from smarketing.core.database import transaction
from smarketing.core.workspace import OpenWorkspace


def make_api_key(workspace: OpenWorkspace, scope: str = "write", name: str = "tests") -> str:
    """A new key's plaintext (committed, so a TestClient of the workspace can use it)."""
    with transaction(workspace.sessions) as session:
        created = create_key(session, name, scope, "tests", datetime(2026, 1, 1, tzinfo=UTC))
        return created.plaintext


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
