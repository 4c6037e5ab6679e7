"""Use cases of personal data requests: export a person's data, erase it. Never commits.

`export_person` gives everything held about an address (see smarketing.privacy.repository
for what "held about" covers) as one JSON document. `erase_person` deletes all of it, puts
every address of the person on the suppression list, and records the erasure in the
privacy log with the number of rows per table and the hash of the address, nothing else.
Both are logged (`privacy_log`): who asked, when, and how many rows.

On SQLite the erasure runs with `PRAGMA secure_delete` on, so the deleted records are
overwritten with zeros in their pages; `after_erasure` (the edge calls it after the
commit) then checkpoints the write-ahead log and truncates it, so no copy of an old page
stays in the -wal file. A VACUUM (`smarketing gdpr erase --vacuum`) also rewrites every
page, so nothing stays in space freed before the erasure either (docs/privacy.md).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from smarketing.contacts.suppression import (
    ERASURE,
    address_hash,
    normalized,
    suppress,
    suppressed,
    workspace_salt,
)
from smarketing.core.errors import ValidationError
from smarketing.models import PrivacyRequest
from smarketing.privacy import repository
from smarketing.privacy.domain import erasure_counts, json_value

log = logging.getLogger("smarketing.privacy")
EXPORT, ERASE = "export", "erase"
FORMAT = "smarketing-personal-data/1"


def _address(email: str) -> str:
    if not isinstance(email, str) or "@" not in email or len(email) > 320:
        raise ValidationError("email: an email address is needed (at most 320 characters)")
    return normalized(email)


def _record(session: Session, action: str, address: str, actor: str, now: datetime,
            counts: dict[str, int]) -> None:  # fmt: skip
    salt = workspace_salt(session, create=True, now=now)
    assert salt is not None  # noqa: S101 - created above
    session.add(PrivacyRequest(action=action, address_hash=address_hash(salt, address),
                               at=now, actor=actor[:320], counts=counts))  # fmt: skip
    session.flush()


def export_person(session: Session, email: str, *, now: datetime, actor: str) -> (
    dict[str, Any]
):
    """Everything held about `email`, as JSON-ready data; the export is logged."""
    address = _address(email)
    contact_ids, addresses = repository.person(session, address)
    addresses = addresses or [address]
    found = repository.rows_of(session, contact_ids, addresses)
    rows = repository.read_rows(session, found)
    counts = erasure_counts({str(table): len(items) for table, items in rows.items()})
    _record(session, EXPORT, address, actor, now, counts)
    return {
        "format": FORMAT,
        "address": address,
        "addresses": addresses,
        "exported_at": now.isoformat(),
        "suppressed": bool(suppressed(session, [address])),
        "counts": counts,
        "tables": {str(table): [{str(column): json_value(value) for column, value in row.items()}
                                for row in items] for table, items in rows.items()},
    }  # fmt: skip


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed: rows per table, and how many addresses went on the list."""

    counts: dict[str, int]
    addresses: int
    suppressed: int


def erase_person(session: Session, email: str, *, now: datetime, actor: str) -> Erasure:
    """Delete every row of the person of `email`, suppress their addresses, log it."""
    address = _address(email)
    contact_ids, addresses = repository.person(session, address)
    addresses = addresses or [address]
    found = repository.rows_of(session, contact_ids, addresses)
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        session.connection().exec_driver_sql("PRAGMA secure_delete=ON")
    try:
        deleted = repository.delete_rows(session, found)
    finally:
        if sqlite:
            session.connection().exec_driver_sql("PRAGMA secure_delete=OFF")
    session.expire_all()  # rows went with Core statements: no stale ORM copies
    added = suppress(session, addresses, now, ERASURE)
    counts = erasure_counts(deleted)
    _record(session, ERASE, address, actor, now, counts)
    log.info("personal data erased by %s: %s", actor, counts)
    return Erasure(counts, len(addresses), added)


def after_erasure(engine: Engine, *, vacuum: bool = False) -> bool:
    """After the erasure's commit, on SQLite: rewrite the file (`vacuum`), then fold the
    write-ahead log into it and truncate it, so no old page keeps an erased value. False
    when the log could not be truncated now (a reader was still on an old snapshot, or
    the database was busy): it is at the next checkpoint, or run it again."""
    if engine.dialect.name != "sqlite":
        return True
    try:
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            assert raw is not None  # noqa: S101 - an open connection
            if vacuum:
                raw.execute("VACUUM")
            busy, _, _ = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except (SQLAlchemyError, sqlite3.Error) as exc:
        log.warning("after an erasure, the WAL was not truncated: %s", exc)
        return False
    return not busy
