"""Every query of contacts: finding them by email or id (merged ones reach their
survivor), writing them many at a time, their touches, and gathering one contact's story.

The write queries run many rows per statement (imports and batches write thousands);
the touch updates are constant SQL on the driver (ADR 4)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.orm import Session, aliased

from smarketing.contacts.domain import Touch
from smarketing.core.driver_sql import insert_rows, json_text, sqlite_instant
from smarketing.core.rows import chunks
from smarketing.models import (
    Activity,
    Attempt,
    Campaign,
    Company,
    Contact,
    Deal,
    Decision,
    LifecycleChange,
    MergedContact,
    OwnerChange,
    Persona,
    User,
)


def find_contact(session: Session, email: str) -> Contact | None:
    return session.execute(
        select(Contact).where(Contact.email == email.strip().lower())
    ).scalar_one_or_none()


def names(session: Session, model: Any, ids: set[int | None], column: Any) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(model.id, column).where(model.id.in_(wanted))).all())


def company_label(session: Session, company_id: int | None) -> str | None:
    if company_id is None:
        return None
    company = session.get(Company, company_id)
    return (company.name or company.domain) if company else None


def persona_name(session: Session, persona_id: int | None) -> str | None:
    persona = session.get(Persona, persona_id) if persona_id else None
    return persona.name if persona else None


def stage_history(session: Session, contact_id: int) -> list[LifecycleChange]:
    return list(session.scalars(select(LifecycleChange).where(
        LifecycleChange.contact_id == contact_id).order_by(LifecycleChange.at, LifecycleChange.id)))


def owner_history(session: Session, contact_id: int) -> list[tuple[OwnerChange, str | None]]:
    to_user = aliased(User)
    return list(session.execute(
        select(OwnerChange, to_user.email)
        .outerjoin(to_user, to_user.id == OwnerChange.to_owner_id)
        .where(OwnerChange.contact_id == contact_id)
        .order_by(OwnerChange.at, OwnerChange.id)
    ).all())  # fmt: skip


def activities(session: Session, contact_id: int) -> list[tuple[Activity, str | None, str | None]]:
    """(activity, campaign name, channel): the activity's own channel, else its campaign's."""
    return list(session.execute(
        select(Activity, Campaign.name, func.coalesce(Activity.channel, Campaign.channel))
        .outerjoin(Campaign, Campaign.id == Activity.campaign_id)
        .where(Activity.contact_id == contact_id).order_by(Activity.at, Activity.id)
    ).all())  # fmt: skip


def attempts(session: Session, contact_id: int) -> list[tuple[Attempt, str]]:
    return list(session.execute(
        select(Attempt, User.email).join(User, User.id == Attempt.user_id)
        .where(Attempt.contact_id == contact_id).order_by(Attempt.at, Attempt.id)
    ).all())  # fmt: skip


def decisions(session: Session, contact_id: int) -> list[tuple[Decision, str]]:
    return list(session.execute(
        select(Decision, User.email).join(User, User.id == Decision.user_id)
        .where(Decision.contact_id == contact_id).order_by(Decision.at, Decision.id)
    ).all())  # fmt: skip


def deals(session: Session, contact_id: int) -> list[Deal]:
    return list(session.scalars(
        select(Deal).where(Deal.contact_id == contact_id).order_by(Deal.created_at, Deal.id)))


# --------------------------------------------------------------------------- who is who


def resolve_emails(session: Session, emails: Collection[str]) -> dict[str, int]:
    """The contact each (normalized) address names: the live contact with that email,
    else the survivor it was merged into. Unknown addresses are left out. The one place
    merged contacts are resolved by email."""
    found = contact_ids_by_email(session.connection(), emails)
    missing = [email for email in emails if email not in found]
    found.update(survivors_by_email(session, missing))
    return found


# Statements built once, with expanding IN parameters: building and keying a statement
# per call costs more than running it on the hot paths (imports, batches).
_SURVIVORS_BY_EMAIL = select(MergedContact.merged_email, MergedContact.survivor_id).where(
    MergedContact.merged_email.in_(bindparam("b_values", expanding=True)))
_LIVE_IDS = select(Contact.id).where(Contact.id.in_(bindparam("b_values", expanding=True)))
_SURVIVORS_BY_ID = select(MergedContact.merged_contact_id, MergedContact.survivor_id).where(
    MergedContact.merged_contact_id.in_(bindparam("b_values", expanding=True)))
_SURVIVOR_EMAILS = (
    select(MergedContact.merged_email, Contact.email)
    .join(Contact, Contact.id == MergedContact.survivor_id)
    .where(MergedContact.merged_email.in_(bindparam("b_values", expanding=True))))
_IS_SURVIVOR = select(MergedContact.survivor_id).distinct().where(
    MergedContact.survivor_id.in_(bindparam("b_values", expanding=True)))
_ROWS_BY_EMAIL = select(Contact.__table__).where(
    Contact.email.in_(bindparam("b_values", expanding=True)))
_ROWS_BY_ID = select(Contact.__table__).where(Contact.id.in_(bindparam("b_values", expanding=True)))
_INITIAL_STAGES = select(LifecycleChange.contact_id, LifecycleChange.to_stage).where(
    LifecycleChange.contact_id.in_(bindparam("b_values", expanding=True)),
    LifecycleChange.source == "contact")
_INITIAL_OWNERS = select(OwnerChange.contact_id, OwnerChange.to_owner_id).where(
    OwnerChange.contact_id.in_(bindparam("b_values", expanding=True)),
    OwnerChange.source == "contact")


def _each_chunk(session: Session, statement: Any, values: Collection[Any]) -> Iterator[Any]:
    """The rows of `statement` for `values`, given to its IN list in chunks (through the
    session, so objects added to it and not yet flushed are seen)."""
    for chunk in chunks(values):
        yield from session.execute(statement, {"b_values": chunk})


def survivors_by_email(session: Session, emails: Collection[str]) -> dict[str, int]:
    """merged email -> the id of the contact it now lives in."""
    return {row[0]: row[1] for row in _each_chunk(session, _SURVIVORS_BY_EMAIL, emails)}


def resolve_ids(session: Session, ids: Collection[int]) -> dict[int, int]:
    """Contact id -> the id to file under: itself when live, its survivor when merged.
    Unknown ids are left out."""
    known = {row[0]: row[0] for row in _each_chunk(session, _LIVE_IDS, ids)}
    known.update((row[0], row[1]) for row in _each_chunk(session, _SURVIVORS_BY_ID, ids))
    return known


def resolve_email_addresses(session: Session, emails: Collection[str]) -> dict[str, str]:
    """Each address -> the address to file under: its own when live or unknown, its
    survivor's when it was merged."""
    resolved = {email: email for email in emails}
    live = contact_ids_by_email(session.connection(), emails)
    merged = [email for email in emails if email not in live]
    resolved.update((row[0], row[1]) for row in _each_chunk(session, _SURVIVOR_EMAILS, merged))
    return resolved


def survivor_email(session: Session, email: str) -> str:
    """`email`, or the address of the contact it was merged into."""
    survivor = session.execute(
        select(Contact.email).join(MergedContact, MergedContact.survivor_id == Contact.id)
        .where(MergedContact.merged_email == email)
    ).scalar_one_or_none()  # fmt: skip
    return survivor or email


def survivor_ids(session: Session, contact_ids: Collection[int]) -> set[int]:
    """The contacts among these that another contact was merged into."""
    return {row[0] for row in _each_chunk(session, _IS_SURVIVOR, contact_ids)}


# --------------------------------------------------------------------------- rows


def contact_rows(session: Session, emails: Collection[str]) -> dict[str, dict[str, Any]]:
    """The whole row of each live contact among `emails`."""
    return {row.email: dict(row._mapping) for row in _each_chunk(session, _ROWS_BY_EMAIL, emails)}


def rows_by_id(session: Session, ids: Collection[int]) -> dict[int, dict[str, Any]]:
    return {row.id: dict(row._mapping) for row in _each_chunk(session, _ROWS_BY_ID, ids)}


def initial_facts(session: Session, ids: Collection[int]) -> dict[int, tuple[str | None, Any]]:
    """contact id -> (the stage and the owner its contact record created it with); a
    missing part is None (a contact created by another path has no such row)."""
    stages = {row[0]: row[1] for row in _each_chunk(session, _INITIAL_STAGES, ids)}
    owners = {row[0]: row[1] for row in _each_chunk(session, _INITIAL_OWNERS, ids)}
    return {i: (stages.get(i), owners.get(i)) for i in ids}


_INSERTED = ("email", "first_name", "last_name", "phone", "job_title", "company_id", "country",
             "persona_id", "owner_id", "product_line_id", "lifecycle_stage", "stage_entered_at",
             "created_at", "first_touch_channel", "first_touch_campaign_id", "properties")


def insert_contacts(session: Session, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert new contacts (constant SQL on the driver: thousands at a time); email -> id."""
    found = insert_rows(session.connection(), "contacts", _INSERTED,
                        [tuple(row.get(column) for column in _INSERTED) for row in rows],
                        instants=("stage_entered_at", "created_at"), json_columns=("properties",),
                        returning="email, id")  # fmt: skip
    return {row[0]: row[1] for row in found}


_UPDATE_CONTACT = update(Contact).where(Contact.id == bindparam("b_contact"))


def update_contacts(session: Session, changes: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Set each contact's changed columns (one statement per set of columns)."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for contact_id, values in changes:
        by_columns.setdefault(tuple(sorted(values)), []).append({"b_contact": contact_id, **values})
    connection = session.connection()
    for params in by_columns.values():
        connection.execute(_UPDATE_CONTACT, params)
    forget_cached(session, [contact_id for contact_id, _ in changes])


def forget_cached(session: Session, ids: Iterable[int]) -> None:
    """Rows were changed with Core statements: drop any stale ORM copies."""
    for contact_id in ids:
        cached = session.identity_map.get(session.identity_key(Contact, contact_id))
        if cached is not None:
            session.expunge(cached)


# --------------------------------------------------------------------------- touches

#: SQLite: IN lists of 500; updates by executemany of one prepared statement.
SQLITE_CHUNK = 500
_SQLITE_EMAIL_IN = "SELECT email, id FROM contacts WHERE email IN ({})"
_SQLITE_LAST_TOUCH = (
    "UPDATE contacts SET last_touch_at = ?, last_touch_channel = ?, last_touch_campaign_id = ? "
    "WHERE id = ? AND (last_touch_at IS NULL OR last_touch_at <= ?)")
_SQLITE_FIRST_TOUCH = (
    "UPDATE contacts SET first_touch_channel = ?, first_touch_campaign_id = ? "
    "WHERE id = ? AND first_touch_channel IS NULL")

_PG_EMAIL_ANY = "SELECT email, id FROM contacts WHERE email = ANY(%s::varchar[])"
_PG_LOCK = "SELECT id FROM contacts WHERE id = ANY(%s::integer[]) ORDER BY id FOR NO KEY UPDATE"
_PG_LAST_TOUCH = (
    "UPDATE contacts AS c SET last_touch_at = t.at, last_touch_channel = t.channel, "
    "last_touch_campaign_id = t.campaign_id FROM json_to_recordset(%s::json) AS "
    "t(contact_id integer, at timestamptz, channel varchar, campaign_id integer) "
    "WHERE c.id = t.contact_id AND (c.last_touch_at IS NULL OR c.last_touch_at <= t.at)")
_PG_FIRST_TOUCH = (
    "UPDATE contacts AS c SET first_touch_channel = t.channel, "
    "first_touch_campaign_id = t.campaign_id FROM json_to_recordset(%s::json) AS "
    "t(contact_id integer, channel varchar, campaign_id integer) "
    "WHERE c.id = t.contact_id AND c.first_touch_channel IS NULL")



def contact_ids_by_email(connection: Connection, emails: Collection[str]) -> dict[str, int]:
    """The id of each contact among `emails` (exact, normalized addresses)."""
    if not emails:
        return {}
    if connection.dialect.name == "postgresql":
        return dict(connection.exec_driver_sql(_PG_EMAIL_ANY, (list(emails),)).all())
    found: dict[str, int] = {}
    values = list(emails)
    for start in range(0, len(values), SQLITE_CHUNK):
        chunk = tuple(values[start:start + SQLITE_CHUNK])
        found.update(connection.exec_driver_sql(_sqlite_email_sql(len(chunk)), chunk).all())
    return found


@lru_cache(maxsize=16)
def _sqlite_email_sql(count: int) -> str:
    return _SQLITE_EMAIL_IN.format(", ".join(["?"] * count))


def record_touches(connection: Connection, latest: dict[int, Touch],
                   earliest: dict[int, Touch]) -> None:
    """Apply the touch rule (contacts.domain.touched) to many contacts at once, given
    `touch_candidates`: the latest new touch moves the last touch forward, unless the
    stored one is later (checked in SQL, so concurrent writers cannot go backwards); the
    earliest new touch with a channel fills an empty first touch."""
    lock_contacts(connection, latest.keys())
    if latest:
        move_last_touch(connection, [(c, latest[c].at, latest[c].channel, latest[c].campaign_id)
                                     for c in sorted(latest)])  # fmt: skip
    if earliest:
        fill_first_touch(connection, [(c, earliest[c].channel, earliest[c].campaign_id)
                                      for c in sorted(earliest)])  # fmt: skip


def lock_contacts(connection: Connection, contact_ids: Collection[int]) -> None:
    """On PostgreSQL, lock the contacts about to be touched, in id order, so concurrent
    batches over the same contacts queue instead of deadlocking. NO KEY UPDATE, the lock
    the UPDATE itself takes: it does not conflict with the KEY SHARE locks that inserting
    the batch's activities took on the same contacts (FOR UPDATE would, and deadlocked).
    SQLite has one writer and needs none of this."""
    if connection.dialect.name == "postgresql" and contact_ids:
        connection.exec_driver_sql(_PG_LOCK, (sorted(contact_ids),))


def move_last_touch(connection: Connection, touches: Sequence[tuple[int, datetime, Any, Any]]) -> (
    None
):
    """Set (contact_id, at, channel, campaign_id) as each contact's last touch, unless it
    already has a later one (checked in SQL, so concurrent writers cannot go backwards)."""
    if connection.dialect.name == "postgresql":
        records = [{"contact_id": contact_id, "at": at, "channel": channel,
                    "campaign_id": campaign_id} for contact_id, at, channel, campaign_id in touches]
        connection.exec_driver_sql(_PG_LAST_TOUCH, (json_text(records),))
        return
    params = []
    for contact_id, at, channel, campaign_id in touches:
        stored_at = sqlite_instant(at)
        params.append((stored_at, channel, campaign_id, contact_id, stored_at))
    connection.exec_driver_sql(_SQLITE_LAST_TOUCH, params)


def fill_first_touch(connection: Connection, touches: Sequence[tuple[int, Any, Any]]) -> None:
    """Set (contact_id, channel, campaign_id) as the first touch of contacts with none."""
    if connection.dialect.name == "postgresql":
        records = [{"contact_id": contact_id, "channel": channel, "campaign_id": campaign_id}
                   for contact_id, channel, campaign_id in touches]
        connection.exec_driver_sql(_PG_FIRST_TOUCH, (json_text(records),))
        return
    params = [(channel, campaign, contact_id) for contact_id, channel, campaign in touches]
    connection.exec_driver_sql(_SQLITE_FIRST_TOUCH, params)
