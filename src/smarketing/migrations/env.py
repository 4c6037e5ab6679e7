"""Alembic environment: migrations run on the engine the application hands over.

On SQLite, migrations run with foreign keys off. A batch migration rebuilds a table
(create a copy, drop the old one, rename the copy) and dropping a table that other
tables refer to fails while foreign keys are enforced; SQLite only switches them outside
a transaction, so it is done here, around the migrations, and switched back on before
the connection returns to the pool. A migration that rebuilds a table checks its foreign
keys (`PRAGMA foreign_key_check`) before it commits, as
https://www.sqlite.org/lang_altertable.html prescribes (see 0003_contacts_autoincrement).
"""

from alembic import context
from sqlalchemy import Connection, Engine

from smarketing.core.database import make_engine
from smarketing.models import Base

config = context.config
target_metadata = Base.metadata


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """Switch enforcement on the driver's connection, outside any transaction (the
    engine's "begin" hook would open one for a statement sent through SQLAlchemy)."""
    driver = connection.connection.driver_connection
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    if bool(driver.execute("PRAGMA foreign_keys").fetchone()[0]) != on:
        raise RuntimeError("PRAGMA foreign_keys did not change: a transaction is open")


def run_migrations() -> None:
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            if sqlite:
                connection.rollback()  # a failed migration's transaction, if any
                _sqlite_foreign_keys(connection, on=True)


run_migrations()
