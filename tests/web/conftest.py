"""Fixtures of the October 2026 SLA workspace (tests/web/test_sla_pages.py), shared by
the SLA pages' and the API's tests. test_pages.py defines its own `workspace` and clients,
which take precedence in that module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from smarketing.core.workspace import OpenWorkspace
from smarketing.web.app import create_app
from tests.web.test_sla_pages import NOW, october_workspace


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
