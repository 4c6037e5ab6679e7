"""Fixtures of the API tests: the app on a seeded workspace, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.support import Api, api_on


@pytest.fixture
def api(workspace_url: str) -> Iterator[Api]:
    """On SQLite and on PostgreSQL."""
    yield from api_on(workspace_url)


@pytest.fixture
def sqlite_api(sqlite_url: str) -> Iterator[Api]:
    """On SQLite only: for what does not depend on the database (authentication)."""
    yield from api_on(sqlite_url)
