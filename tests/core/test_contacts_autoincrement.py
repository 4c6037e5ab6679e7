"""Contact ids are never reused, so a merged contact's id keeps leading to its survivor.

SQLite gives a deleted row's id to the next row unless the table has AUTOINCREMENT;
migration 0003 rebuilds contacts with it and seeds the sequence past every id given out,
merged-away ones included. PostgreSQL sequences never go back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateTable

from smarketing.contacts.merge import merge_contacts
from smarketing.core.database import (
    alembic_config,
    make_engine,
    make_session_factory,
    migrate,
    transaction,
)
from smarketing.interchange.service import import_records
from smarketing.models import Contact

NOW = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
STAMP = "2026-07-01 09:00:00.000000"


def add_contacts(engine: Engine, *emails: str) -> dict[str, int]:
    """Import one lead per email in its own transaction; their ids by email."""
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        report = import_records(session, [
            {"type": "contact", "email": email, "created_at": "2026-06-01T10:00:00Z",
             "lifecycle_stage": "lead"} for email in emails
        ], now=NOW)  # fmt: skip
        assert report.rejected == 0, report.rejections
        rows = session.execute(
            sa.select(Contact.email, Contact.id).where(Contact.email.in_(emails))
        ).all()
    return dict(rows)


def ids(engine: Engine, sql: str) -> list[tuple[int, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql(sql).all()]


def contacts_ddl(engine: Engine) -> list[str]:
    """The contacts table's definitions, one a line, in sorted order."""
    with engine.connect() as connection:
        sql = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'contacts'"
        ).scalar_one()
    return sorted(line.strip().rstrip(",") for line in sql.replace('"', "").splitlines())


def test_a_merged_contacts_id_is_not_given_to_a_new_contact(workspace_url: str) -> None:
    engine = make_engine(workspace_url)
    try:
        people = add_contacts(engine, "ana@example.org", "bea@example.org")
        survivor, duplicate = people["ana@example.org"], people["bea@example.org"]
        assert duplicate == max(people.values())
        with transaction(make_session_factory(engine)) as session:
            merge_contacts(session, "ana@example.org", "bea@example.org", NOW, "tester")

        new = add_contacts(engine, "carla@example.org")["carla@example.org"]

        assert new > duplicate
        assert ids(engine, "SELECT merged_contact_id, survivor_id FROM merged_contacts") == [
            (duplicate, survivor)
        ]
        assert ids(engine, "SELECT id FROM contacts ORDER BY id") == [(survivor,), (new,)]
    finally:
        engine.dispose()


def sqlite_at_0002(tmp_path: Path) -> Engine:
    """A SQLite workspace as it was before 0003: contacts 1 and 2 with an activity, and
    contact 3, the highest id, merged away into contact 2."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "0002")
    with engine.begin() as connection:
        for contact_id, email in ((1, "ana@example.org"), (2, "bea@example.org")):
            connection.exec_driver_sql(
                "INSERT INTO contacts (id, email, lifecycle_stage, stage_entered_at, "
                "created_at, properties) VALUES (?, ?, 'lead', ?, ?, '{}')",
                (contact_id, email, STAMP, STAMP),
            )
        connection.exec_driver_sql(
            "INSERT INTO activities (id, contact_id, kind, at, properties) "
            "VALUES ('act-1', 2, 'page_view', ?, '{}')",
            (STAMP,),
        )
        connection.exec_driver_sql(
            "INSERT INTO merged_contacts (merged_contact_id, merged_email, survivor_id, "
            "merged_at, merged_by) VALUES (3, 'carla@example.org', 2, ?, 'tester')",
            (STAMP,),
        )
    return engine


def test_before_0003_sqlite_reused_the_merged_id(tmp_path: Path) -> None:
    """The bug 0003 fixes, kept visible: without AUTOINCREMENT the merged id 3 comes back."""
    engine = sqlite_at_0002(tmp_path)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(
                "INSERT INTO contacts (email, lifecycle_stage, stage_entered_at, created_at, "
                "properties) VALUES ('dan@example.org', 'lead', ?, ?, '{}')",
                (STAMP, STAMP),
            )
            assert connection.exec_driver_sql("SELECT max(id) FROM contacts").scalar() == 3
            connection.rollback()
    finally:
        engine.dispose()


def test_migrating_seeds_the_sequence_past_merged_ids(tmp_path: Path) -> None:
    engine = sqlite_at_0002(tmp_path)
    try:
        migrate(engine)  # to head, through 0003

        assert ids(engine, "SELECT seq FROM sqlite_sequence WHERE name = 'contacts'") == [(3,)]
        new = add_contacts(engine, "dan@example.org")["dan@example.org"]
        assert new == 4
        # The rows, their references and the merge record came through the rebuild.
        assert ids(engine, "SELECT id FROM contacts ORDER BY id") == [(1,), (2,), (4,)]
        assert ids(engine, "SELECT contact_id FROM activities") == [(2,)]
        assert ids(engine, "SELECT merged_contact_id, survivor_id FROM merged_contacts") == [(3, 2)]
        assert ids(engine, "PRAGMA foreign_key_check") == []
    finally:
        engine.dispose()


def test_migrating_leaves_foreign_keys_enforced(tmp_path: Path) -> None:
    """env.py switches them off around the rebuild and back on for the pooled connection."""
    engine = sqlite_at_0002(tmp_path)
    try:
        migrate(engine)

        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            with pytest.raises(sa.exc.IntegrityError):
                connection.exec_driver_sql(
                    "INSERT INTO activities (id, contact_id, kind, at, properties) "
                    "VALUES ('act-2', 99, 'page_view', ?, '{}')",
                    (STAMP,),
                )
    finally:
        engine.dispose()


def test_migrated_table_matches_the_model(sqlite_url: str) -> None:
    """compare_metadata does not look at AUTOINCREMENT; the DDL does."""
    engine = make_engine(sqlite_url)
    try:
        model = str(CreateTable(Contact.__table__).compile(dialect=sqlite.dialect()))
        expected = sorted(
            line.strip().rstrip(",") for line in model.replace('"', "").strip().splitlines()
        )
        assert "id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT" in expected
        assert contacts_ddl(engine) == expected
    finally:
        engine.dispose()


def test_downgrade_gives_back_the_table_as_it_was(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'round.db'}")
    config = alembic_config(engine)
    try:
        command.upgrade(config, "0002")
        before = contacts_ddl(engine)
        command.upgrade(config, "0003")
        people = add_contacts(engine, "ana@example.org", "bea@example.org")

        command.downgrade(config, "0002")

        assert contacts_ddl(engine) == before
        assert ids(engine, "SELECT id FROM contacts ORDER BY id") == sorted(
            (contact_id,) for contact_id in people.values()
        )
        assert ids(engine, "PRAGMA foreign_keys") == [(1,)]
        command.upgrade(config, "0003")
        assert "id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT" in contacts_ddl(engine)
    finally:
        engine.dispose()


def test_the_migration_runs_on_postgresql(postgres_url: str) -> None:
    """Nothing to rebuild there, up or down; ids still never come back."""
    engine = make_engine(postgres_url)
    config = alembic_config(engine)
    try:
        people = add_contacts(engine, "ana@example.org", "bea@example.org")
        with transaction(make_session_factory(engine)) as session:
            merge_contacts(session, "ana@example.org", "bea@example.org", NOW, "tester")

        command.downgrade(config, "0002")
        command.upgrade(config, "head")

        new = add_contacts(engine, "carla@example.org")["carla@example.org"]
        assert new > people["bea@example.org"]
    finally:
        engine.dispose()
