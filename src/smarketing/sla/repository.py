"""Queries of the SLA engine: agreements, calendars, handoff facts and stored clocks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from smarketing.models import (
    Attempt,
    Calendar,
    Contact,
    Decision,
    LifecycleChange,
    OwnerChange,
    SlaAgreement,
    SlaClock,
    Team,
    User,
    Workspace,
)
from smarketing.sla.calendar import BusinessCalendar, calendar_from_json
from smarketing.sla.terms import SlaVersion, parse_marketing, parse_sales

#: Used when neither the SLA, the rep, the team nor the workspace names a calendar.
DEFAULT_HOURS = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def sla_versions(session: Session) -> list[SlaVersion]:
    calendars = dict(session.execute(select(Calendar.id, Calendar.key)).all())
    versions = []
    for row in session.scalars(select(SlaAgreement).order_by(SlaAgreement.id)):
        applies = row.applies_to or {}
        versions.append(SlaVersion(
            id=row.id, key=row.key, version=row.version, status=row.status,
            effective_from=row.effective_from, effective_to=row.effective_to,
            calendar_key=calendars.get(row.calendar_id) if row.calendar_id else None,
            marketing=parse_marketing(row.marketing), sales=parse_sales(row.sales),
            teams=frozenset(applies.get("teams", [])), users=frozenset(applies.get("users", [])),
        ))  # fmt: skip
    return versions


def calendar_of(row: Calendar) -> BusinessCalendar:
    data: dict[str, Any] = {"timezone": row.timezone, "hours": row.hours,
                            "extra_holidays": row.extra_holidays,
                            "extra_workdays": row.extra_workdays}  # fmt: skip
    if row.holidays_country:
        data["holidays"] = {"country": row.holidays_country,
                            "subdivision": row.holidays_subdivision}  # fmt: skip
    return calendar_from_json(data)


def calendars_by_key(session: Session) -> dict[str, BusinessCalendar]:
    return {row.key: calendar_of(row) for row in session.scalars(select(Calendar))}


def workspace_timezone(session: Session) -> str:
    return session.execute(select(Workspace.timezone)).scalar_one_or_none() or "UTC"


class People:
    """Users with their team and calendar keys, loaded once per pass."""

    def __init__(self, session: Session) -> None:
        teams = {t.id: t for t in session.scalars(select(Team))}
        calendars = dict(session.execute(select(Calendar.id, Calendar.key)).all())
        self.by_id: dict[int, User] = {u.id: u for u in session.scalars(select(User))}
        self.team_key: dict[int, str | None] = {}
        self.calendar_keys: dict[int, list[str]] = {}
        for user in self.by_id.values():
            team = teams.get(user.team_id) if user.team_id else None
            self.team_key[user.id] = team.key if team else None
            keys = [calendars[c] for c in (user.calendar_id, team.calendar_id if team else None)
                    if c is not None]  # fmt: skip
            self.calendar_keys[user.id] = keys


def contact_events(session: Session, contact_id: int) -> dict[str, list[Any]]:
    """Every fact of one contact the handoff rules read, in time order."""
    return {
        "stages": list(session.execute(
            select(LifecycleChange.at, LifecycleChange.to_stage, LifecycleChange.transition)
            .where(LifecycleChange.contact_id == contact_id)
            .order_by(LifecycleChange.at, LifecycleChange.id)).all()),
        "owners": list(session.execute(
            select(OwnerChange.at, OwnerChange.to_owner_id)
            .where(OwnerChange.contact_id == contact_id)
            .order_by(OwnerChange.at, OwnerChange.id)).all()),
        "attempts": list(session.execute(
            select(Attempt.at, Attempt.user_id, Attempt.outcome)
            .where(Attempt.contact_id == contact_id).order_by(Attempt.at, Attempt.id)).all()),
        "decisions": list(session.execute(
            select(Decision.at).where(Decision.contact_id == contact_id)
            .order_by(Decision.at, Decision.id)).all()),
    }  # fmt: skip


def stored_clocks(session: Session, contact_id: int) -> list[SlaClock]:
    return list(session.scalars(select(SlaClock).where(SlaClock.contact_id == contact_id)))


def insert_clock(session: Session, values: dict[str, Any]) -> None:
    session.execute(insert(SlaClock).values(**values))


def update_clock(session: Session, clock_id: int, values: dict[str, Any]) -> None:
    session.execute(update(SlaClock).where(SlaClock.id == clock_id).values(**values))


def delete_clocks(session: Session, ids: Iterable[int]) -> None:
    wanted = list(ids)
    if wanted:
        session.execute(delete(SlaClock).where(SlaClock.id.in_(wanted)))


def contact_owner(session: Session, contact_id: int) -> int | None:
    return session.execute(select(Contact.owner_id).where(Contact.id == contact_id)).scalar_one()


def due_clock_ids(session: Session, now: datetime, limit: int) -> list[int]:
    """Live clocks the sweeper must look at now; skips rows other workers hold (PostgreSQL)."""
    statement = (
        select(SlaClock.id)
        .where(SlaClock.next_check_at <= now)
        .order_by(SlaClock.next_check_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    return list(session.scalars(statement))


def owned_contact_ids(session: Session, after: int, limit: int) -> list[int]:
    """Ids of contacts with any owner change, in id order, for batched recomputation."""
    return list(session.scalars(
        select(OwnerChange.contact_id).where(OwnerChange.contact_id > after)
        .group_by(OwnerChange.contact_id).order_by(OwnerChange.contact_id).limit(limit)
    ))  # fmt: skip


def clock_rows(session: Session, contact_id: int) -> list[Any]:
    """A lead's clocks with their owner's email and name and their SLA's key and version."""
    return list(session.execute(
        select(SlaClock, User.email, User.name, SlaAgreement.key, SlaAgreement.version)
        .join(User, User.id == SlaClock.owner_id)
        .join(SlaAgreement, SlaAgreement.id == SlaClock.sla_id)
        .where(SlaClock.contact_id == contact_id)
    ).all())  # fmt: skip
