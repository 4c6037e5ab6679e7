"""Is the workspace database sound? `smarketing check` prints this module's report, and
`smarketing serve` refuses to start on a damaged SQLite file (docs/operations.md).

SQLite: `PRAGMA quick_check` (every page and record readable and well-formed; O(size),
1.1 s for 164 MiB on a shared 2-core machine) or, with `full`, `integrity_check` (indexes
against their tables too) and `PRAGMA foreign_key_check`; then whether the schema is at
the newest migration. A file that is not a database, or is cut short, is reported, not a
traceback.

PostgreSQL, whose server keeps its own files sound: the connection, the migration, and
with `full`, when the `amcheck` extension is installed, `bt_index_check` of every index
of the workspace's tables.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from smarketing.core.database import alembic_config, make_engine

#: At most this many problems are listed (a badly damaged file has thousands).
MAX_PROBLEMS = 20
WHAT_TO_DO_SQLITE = (
    "Stop using this file: every write may damage it further. Restore your latest backup "
    "(a copy of the .db file, or `smarketing import` of a JSONL export into a new file). "
    "To rescue what is still readable, try `smarketing export > rescue.jsonl` on a copy, "
    "or sqlite3's `.recover` command (sqlite3 damaged.db .recover | sqlite3 rescued.db), "
    "then `smarketing check` the result."
)
WHAT_TO_DO_POSTGRES = (
    "Check that the server runs and SMARKETING_DATABASE_URL is right; for a damaged index "
    "run REINDEX on it; for damaged tables restore a backup (pg_dump/pg_restore)."
)


#: The exit code of `smarketing check` and `smarketing serve` on a damaged database.
DAMAGED = 4


@dataclass
class Report:
    """What a check found: `problems` make the database unfit to serve; `notes` do not."""

    database: str
    checks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    what_to_do: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def check_database(url: str, *, full: bool = False) -> Report:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _check_sqlite(url, parsed.database or "", full)
    return _check_server(url, full)


def _check_sqlite(url: str, path: str, full: bool) -> Report:
    report = Report(database=path or ":memory:", what_to_do=WHAT_TO_DO_SQLITE)
    if not path or path == ":memory:":
        report.notes.append("an in-memory database: nothing to check")
        return report
    if not Path(path).exists():
        report.notes.append("no database file yet: `smarketing init` (or serve) creates it")
        return report
    pragmas = ["integrity_check", "foreign_key_check"] if full else ["quick_check"]
    report.checks.extend(f"PRAGMA {pragma}" for pragma in pragmas)
    try:
        with _read_only(path) as connection:
            for pragma in pragmas:
                rows = connection.execute(f"PRAGMA {pragma}").fetchmany(MAX_PROBLEMS + 1)
                report.problems.extend(_sqlite_problems(pragma, rows))
    except sqlite3.DatabaseError as exc:
        report.problems.append(f"{exc} (the file is damaged, cut short or not a database)")
        return report
    if report.ok:
        _check_migration(url, report)
    return report


class _read_only:
    """A plain sqlite3 connection that writes nothing (no WAL switch, no migration)."""

    def __init__(self, path: str) -> None:
        self.connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *exc: object) -> None:
        self.connection.close()


def _sqlite_problems(pragma: str, rows: list[tuple[object, ...]]) -> list[str]:
    if pragma == "foreign_key_check":
        return [f"foreign key: row {rowid} of {table} names a missing row of {parent}"
                for table, rowid, parent, _ in rows[:MAX_PROBLEMS]]  # fmt: skip
    lines = [str(row[0]) for row in rows]
    if lines == ["ok"]:
        return []
    more = [f"... and more (run `PRAGMA {pragma}` in sqlite3 for all)"] if len(lines) > \
        MAX_PROBLEMS else []  # fmt: skip
    return [*lines[:MAX_PROBLEMS], *more]


def _check_migration(url: str, report: Report) -> None:
    report.checks.append("migration")
    engine = make_engine(url)
    try:
        heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        report.problems.append(f"cannot read the schema version: {exc.__class__.__name__}: "
                               f"{str(exc).splitlines()[0]}")  # fmt: skip
        return
    finally:
        engine.dispose()
    if current == heads:
        report.notes.append(f"schema at the newest migration ({', '.join(sorted(heads))})")
    elif not current:
        report.notes.append("no schema yet: `smarketing init` (or serve) creates it")
    elif current - heads and not _known(url, current):
        report.problems.append(
            f"schema at migration {', '.join(sorted(current))}, which this version of "
            "smarketing does not know: the database was made by a newer version")
    else:
        report.notes.append(f"schema at migration {', '.join(sorted(current))}; the newest is "
                            f"{', '.join(sorted(heads))}: serve applies it at start")


def _known(url: str, revisions: set[str]) -> bool:
    engine = make_engine(url)
    try:
        script = ScriptDirectory.from_config(alembic_config(engine))
        return all(script.get_revision(revision) is not None for revision in revisions)
    except Exception:  # noqa: BLE001 - an unknown revision raises
        return False
    finally:
        engine.dispose()


def _check_server(url: str, full: bool) -> Report:
    parsed = make_url(url)
    report = Report(database=parsed.render_as_string(hide_password=True),
                    what_to_do=WHAT_TO_DO_POSTGRES)  # fmt: skip
    report.checks.append("connection")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            if full:
                _amcheck(connection, report)
    except SQLAlchemyError as exc:
        report.problems.append(f"cannot use the database: {str(exc).splitlines()[0]}")
        return report
    finally:
        engine.dispose()
    _check_migration(url, report)
    return report


def _amcheck(connection: Connection, report: Report) -> None:
    installed = connection.execute(
        text("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'")).first()  # fmt: skip
    if installed is None:
        report.notes.append("amcheck is not installed: indexes not checked (CREATE EXTENSION "
                            "amcheck, as a superuser, to have them checked)")  # fmt: skip
        return
    report.checks.append("amcheck bt_index_check")
    indexes = connection.execute(text(
        "SELECT c.oid, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE a.amname = 'btree' AND n.nspname = current_schema()"
    )).all()  # fmt: skip
    for oid, name in indexes:
        try:
            with connection.begin_nested():
                connection.execute(text("SELECT bt_index_check(:oid)"), {"oid": oid})
        except SQLAlchemyError as exc:
            report.problems.append(f"index {name}: {str(exc).splitlines()[0]}")


def describe(report: Report) -> list[str]:
    """The report as lines for a terminal."""
    lines = [f"database: {report.database}"]
    if report.checks:
        lines.append(f"checked: {', '.join(report.checks)}")
    lines += [f"note: {note}" for note in report.notes]
    if report.ok:
        lines.append("ok")
        return lines
    lines += [f"problem: {problem}" for problem in report.problems]
    lines.append(f"what to do: {report.what_to_do}")
    return lines
