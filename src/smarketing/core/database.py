"""Database engine, sessions and the Alembic entry points.

SQLite runs in WAL mode with foreign keys on, and with the driver's own transaction
handling switched off so SAVEPOINTs work (the SQLAlchemy-documented recipe); every
transaction begins IMMEDIATE.

SQLite lets one writer in at a time, and a writer that finds the lock taken sleeps in
growing steps (up to 100 ms) before it tries again. `writer_turn` queues a process's
busiest writers (activity ingestion) on a Python lock instead, so the next one starts the
moment the last one commits.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.orm import Session, sessionmaker

#: Execution option marking a unit of work that only reads (see `transaction`).
READ_ONLY = "smarketing_read_only"
#: Checkpoint the WAL into the database every 64 MiB of it rather than every 4 MiB (the
#: default), and cut it back to that size afterwards. A thousand-activity batch dirties a
#: few thousand index pages, so the default checkpointed (and synced) after every batch;
#: now one checkpoint serves a dozen batches and writes each page once. Ingestion of
#: 1,000,000 activities ran 12% faster (docs/benchmarks.md).
WAL_TUNING = ("wal_autocheckpoint=16384", "journal_size_limit=67108864")
#: How long `writer_turn` waits, as long as SQLite's own busy timeout.
WRITER_TURN_TIMEOUT = 30.0
_WRITER_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    _WRITER_LOCKS[engine] = threading.Lock()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        for pragma in WAL_TUNING:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: a transaction that reads and then writes
        # cannot fail half-way with "database is locked" when another writer got in between
        # (busy_timeout waits for the lock instead). Read-only units of work (page views,
        # reports, export) begin DEFERRED and never wait for writers (WAL).
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session], *, read_only: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error (the edge's job).

    `read_only` lets SQLite begin without taking the write lock; it is a hint about
    locking, not an enforcement.
    """
    session = factory()
    if read_only:
        session.connection(execution_options={READ_ONLY: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


#: How long a `brief_transaction` waits for the write lock (SQLite) or a row lock
#: (PostgreSQL), in milliseconds.
BRIEF_WAIT_MS = 500
#: SQLite's busy timeout of every other unit of work, in milliseconds (see _on_connect).
BUSY_TIMEOUT_MS = 30000


@contextmanager
def brief_transaction(engine: Engine, *, wait_ms: int = BRIEF_WAIT_MS) -> Iterator[Session]:
    """A unit of work that gives up after `wait_ms` rather than queue behind other writers:
    for bookkeeping that may be skipped and done later (last-use times). Raises
    OperationalError when the database is busy; commits on success like `transaction`."""
    with engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        raw = connection.connection.dbapi_connection
        if sqlite and raw is not None:  # before BEGIN IMMEDIATE, which is what waits
            raw.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
        try:
            with connection.begin(), Session(bind=connection) as session:
                if not sqlite:
                    session.execute(text(f"SET LOCAL lock_timeout = {int(wait_ms)}"))
                yield session
                session.flush()
        finally:
            if sqlite and raw is not None:
                raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


class WriterTurnTimeout(RuntimeError):
    """Another writer of this process held the database for longer than the timeout."""


#: SQLite's messages for a fault that passes (the write lock, the file out of reach).
SQLITE_FAULTS = ("database is locked", "database table is locked", "database schema is locked",
                 "unable to open database file", "disk i/o error")


def is_transient_fault(exc: BaseException) -> bool:
    """Whether `exc` is a fault of the database that passes, not a fault of the data nor a
    bug: the web answers it 503 with Retry-After, and no producer may quarantine or reject
    input for it (catch DBAPIError as bad data only when this is False).

    PostgreSQL's OperationalError always is (connection lost or refused, lock or statement
    timeout, serialization failure, deadlock, server shutting down); SQLite's only for the
    messages of SQLITE_FAULTS ("no such table" is a bug). So are a full connection pool
    and WriterTurnTimeout."""
    if isinstance(exc, SATimeoutError | WriterTurnTimeout):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError):
        return False
    if type(exc.orig).__module__.startswith("sqlite3"):
        message = str(exc.orig).lower()
        return any(fault in message for fault in SQLITE_FAULTS)
    return True


@contextmanager
def writer_turn(factory: sessionmaker[Session]) -> Iterator[None]:
    """Wait for this process's other SQLite writers that use it, then hold the turn.

    Wrap a whole write transaction in it (``with writer_turn(f), transaction(f)``) and
    never nest it. A no-op on PostgreSQL, whose writers run side by side. A plain Lock,
    not an RLock: it may be released by another thread than the one that took it.
    """
    lock = _WRITER_LOCKS.get(factory.kw["bind"])
    if lock is None:
        yield
        return
    if not lock.acquire(timeout=WRITER_TURN_TIMEOUT):
        raise WriterTurnTimeout(f"another writer held the database for over "
                                f"{WRITER_TURN_TIMEOUT:.0f} s")  # fmt: skip
    try:
        yield
    finally:
        lock.release()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    url = engine.url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser syntax
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Apply every pending migration (run by `init` and at start)."""
    command.upgrade(alembic_config(engine), "head")


def is_up_to_date(engine: Engine) -> bool:
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return set(current) == set(script.get_heads())
