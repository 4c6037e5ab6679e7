"""Shared fixtures: real databases migrated by Alembic, one rolled-back transaction per test.

Store tests take `session` and run on SQLite and on PostgreSQL. PostgreSQL comes from
SMARKETING_TEST_POSTGRES_URL; under CI=true it must be set and reachable, else the tests
fail instead of skipping.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from smarketing import wiring  # noqa: F401 - every quarantine replayer, as the app has them
from smarketing.core.database import make_engine, migrate

pytest_plugins = ["tests.support.fixtures"]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_URL = os.environ.get("SMARKETING_TEST_POSTGRES_URL", "")


def _worker() -> str:
    """Unique per test process, so parallel runs never share a database."""
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


def _missing_postgres(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"PostgreSQL tests must run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied by tests that need a workspace of their own."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()  # the last connection closing checkpoints the WAL into the file
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """URL of a fresh, migrated SQLite workspace file for this test alone."""
    path = tmp_path / "workspace.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def sqlite_engine(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("shared") / "shared.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    if not POSTGRES_URL:
        _missing_postgres("SMARKETING_TEST_POSTGRES_URL is not set")
    try:
        engine = make_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
    except sa.exc.OperationalError as exc:
        _missing_postgres(f"cannot reach {POSTGRES_URL}: {exc.orig}")
    return POSTGRES_URL


def drop_postgres_database(server_url: str, name: str) -> None:
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def create_postgres_database(server_url: str, name: str) -> str:
    """Drop and create database `name` on the server; return its URL."""
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_engine(postgres_server_url: str) -> Iterator[Engine]:
    name = f"smarketing_test_{_worker()}"
    engine = make_engine(create_postgres_database(postgres_server_url, name))
    migrate(engine)
    yield engine
    engine.dispose()
    drop_postgres_database(postgres_server_url, name)


@pytest.fixture(scope="session")
def postgres_scratch_database(postgres_server_url: str) -> Iterator[str]:
    """One database per test process holding a fresh schema per whole-command test."""
    name = f"smarketing_cli_{_worker()}"
    url = create_postgres_database(postgres_server_url, name)
    yield url
    drop_postgres_database(postgres_server_url, name)


_schema_counter = itertools.count()


@pytest.fixture
def postgres_url(postgres_scratch_database: str) -> Iterator[str]:
    """URL of a fresh, migrated PostgreSQL workspace (its own schema) for one test.

    Schemas are created and dropped in milliseconds, databases in seconds.
    """
    schema = f"t{next(_schema_counter)}"
    admin = make_engine(postgres_scratch_database, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(postgres_scratch_database).update_query_dict(
        {"options": f"-csearch_path={schema}"}
    ).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    name = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    return request.getfixturevalue(name)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test.

    Code under test may call commit(): it only releases a SAVEPOINT.
    """
    connection = engine.connect()
    transaction = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        transaction.rollback()
        connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def workspace_url(request: pytest.FixtureRequest) -> str:
    """A fresh migrated workspace URL on each database, for whole-command tests."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return request.getfixturevalue(name)
