"""Fixtures shared by the tests of every package: the web app on a fresh workspace (SQLite,
or SQLite and PostgreSQL) and the JSON API with keys. Registered in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from smarketing.core.workspace import OpenWorkspace
from smarketing.web.app import create_app
from tests.support.api import Api, api_on
from tests.support.october import NOW, october_workspace


@pytest.fixture
def workspace(sqlite_url: str) -> Iterator[OpenWorkspace]:
    with october_workspace(sqlite_url) as workspace:
        yield workspace


@pytest.fixture
def client(workspace: OpenWorkspace) -> Iterator[TestClient]:
    with TestClient(create_app(workspace, clock=lambda: NOW)) as test_client:
        yield test_client


@pytest.fixture
def db_workspace(workspace_url: str) -> Iterator[OpenWorkspace]:
    """The same workspace on SQLite and on PostgreSQL."""
    with october_workspace(workspace_url) as workspace:
        yield workspace


@pytest.fixture
def db_client(db_workspace: OpenWorkspace) -> Iterator[TestClient]:
    with TestClient(create_app(db_workspace, clock=lambda: NOW)) as test_client:
        yield test_client


@pytest.fixture
def api(workspace_url: str) -> Iterator[Api]:
    """On SQLite and on PostgreSQL."""
    yield from api_on(workspace_url)


@pytest.fixture
def sqlite_api(sqlite_url: str) -> Iterator[Api]:
    """On SQLite only: for what does not depend on the database (authentication)."""
    yield from api_on(sqlite_url)
