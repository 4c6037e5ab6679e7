"""Sales follow-up: attempts on leads, recorded many at a time; the leads' SLA clocks
follow in the same call."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from smarketing.contacts import repository as contacts_repo
from smarketing.core.errors import ValidationError
from smarketing.core.rows import chunks
from smarketing.core.timeutil import format_instant, years_after
from smarketing.models import Attempt
from smarketing.records import schema as r
from smarketing.sla.refresh import refresh_clocks
from smarketing.workspace.keys import Keys, Missing


@dataclass(frozen=True)
class NewAttempt:
    id: str
    contact_id: int
    user_id: int
    kind: str
    at: datetime
    outcome: str | None = None
    note: str | None = None


def record_attempts(session: Session, attempts: Sequence[NewAttempt],
                    now: datetime) -> list[str | ValidationError]:  # fmt: skip
    """Store attempts by id, in order: created, unchanged (the same attempt again: same
    contact and time), or a ValidationError for another attempt under a known id. The
    leads' clocks are refreshed."""
    known = _known(session, {a.id for a in attempts})
    outcomes: list[str | ValidationError] = []
    rows: list[dict[str, Any]] = []
    for attempt in attempts:
        facts = known.get(attempt.id)
        if facts is None:
            known[attempt.id] = (attempt.contact_id, attempt.at)
            rows.append({"id": attempt.id, "contact_id": attempt.contact_id,
                         "user_id": attempt.user_id, "kind": attempt.kind, "at": attempt.at,
                         "outcome": attempt.outcome, "note": attempt.note})  # fmt: skip
            outcomes.append("created")
        elif facts == (attempt.contact_id, attempt.at):
            outcomes.append("unchanged")
        else:
            outcomes.append(ValidationError(f"attempt id {attempt.id!r} is already recorded "
                                            "with another contact or time"))  # fmt: skip
    if rows:
        session.connection().execute(insert(Attempt), rows)
        refresh_clocks(session, {int(row["contact_id"]) for row in rows}, now)
    return outcomes


def _known(session: Session, ids: set[str]) -> dict[str, tuple[int, datetime]]:
    found: dict[str, tuple[int, datetime]] = {}
    for chunk in chunks(sorted(ids)):
        rows = session.execute(select(Attempt.id, Attempt.contact_id, Attempt.at)
                               .where(Attempt.id.in_(chunk)))  # fmt: skip
        found.update((row[0], (row[1], row[2])) for row in rows)
    return found


def import_attempts(session: Session, keys: Keys, records: Sequence[r.AttemptRecord],
                    now: datetime) -> list[str | ValidationError]:  # fmt: skip
    """Interchange attempt records: their contact and rep resolved, then `record_attempts`."""
    contacts = contacts_repo.resolve_emails(session, {record.contact for record in records})
    outcomes: dict[int, str | ValidationError] = {}
    ready: list[tuple[int, NewAttempt]] = []
    for index, record in enumerate(records):
        try:
            if record.contact not in contacts:
                raise Missing(f"unknown contact {record.contact!r}: define it on an earlier line")
            user_id = keys.users.get(record.by)
            assert user_id is not None  # noqa: S101 - `by` is required by the record
            ready.append((index, NewAttempt(record.id, contacts[record.contact], user_id,
                                            record.kind, record.at, record.outcome,
                                            record.note)))  # fmt: skip
        except Missing as exc:
            outcomes[index] = exc
    for (index, _), outcome in zip(ready, record_attempts(session, [a for _, a in ready], now),
                                   strict=True):  # fmt: skip
        outcomes[index] = outcome
    return [outcomes[index] for index in range(len(records))]


def log_attempt(
    session: Session,
    *,
    contact: str,
    by: str,
    kind: str,
    at: datetime,
    now: datetime,
    outcome: str | None = None,
    note: str | None = None,
    attempt_id: str | None = None,
) -> str:
    """Record one attempt (validated as an interchange `attempt` line) and bring the
    lead's SLA clocks up to date; returns its id. ValidationError says what is wrong."""
    if at > now:
        raise ValidationError(f"at: {format_instant(at)} is in the future")
    data = {"type": "attempt", "id": attempt_id or f"att-{uuid.uuid4()}", "contact": contact,
            "by": by, "kind": kind, "at": format_instant(at), "outcome": outcome,
            "note": note}  # fmt: skip
    try:
        record = r.parse_record({k: v for k, v in data.items() if v is not None},
                                years_after(now, 1))
    except r.InvalidRecord as exc:
        raise ValidationError(str(exc)) from None
    assert isinstance(record, r.AttemptRecord)  # noqa: S101 - typed "attempt"
    result = import_attempts(session, Keys(session), [record], now)[0]
    if isinstance(result, ValidationError):
        raise ValidationError(f"attempt: {result}")
    return record.id
