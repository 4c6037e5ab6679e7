"""Queries of the SLA compliance report and of marketing pacing.

Every function returns plain rows for :mod:`smarketing.sla.report` and
:mod:`smarketing.sla.pacing`; ``start`` / ``end`` are UTC instants, ``[start, end)``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from smarketing.models import Contact, Decision, Persona, SlaClock, Team, User
from smarketing.sla.report import ClockRow, Rep


def _started_between(start: datetime, end: datetime) -> Select[Any]:
    return select(SlaClock.contact_id).where(SlaClock.started_at >= start,
                                             SlaClock.started_at < end)  # fmt: skip


def clocks_started(session: Session, start: datetime, end: datetime) -> list[ClockRow]:
    """Every SLA clock whose handoff started in ``[start, end)``, in start order."""
    statement = (
        select(SlaClock.contact_id, User.email, Team.key, SlaClock.kind, SlaClock.started_at,
               SlaClock.due_at, SlaClock.state, SlaClock.sla_id, SlaClock.in_pilot,
               SlaClock.met_at, SlaClock.closed_reason, SlaClock.elapsed_business_seconds)
        .join(User, User.id == SlaClock.owner_id)
        .outerjoin(Team, Team.id == SlaClock.team_id)
        .where(SlaClock.started_at >= start, SlaClock.started_at < end)
        .order_by(SlaClock.started_at, SlaClock.id)
    )  # fmt: skip
    return [
        ClockRow(contact_id=row[0], rep=row[1], team=row[2], kind=row[3], started_at=row[4],
                 due_at=row[5], state=row[6], sla_id=row[7], in_pilot=bool(row[8]),
                 met_at=row[9], closed_reason=row[10], elapsed_business_seconds=row[11])
        for row in session.execute(statement)
    ]  # fmt: skip


def users(session: Session) -> list[Rep]:
    """Every user with their role and current team key, by email."""
    statement = (
        select(User.id, User.email, User.role, Team.key)
        .outerjoin(Team, Team.id == User.team_id)
        .order_by(User.email)
    )
    return [Rep(id=i, email=e, role=r, team=t) for i, e, r, t in session.execute(statement)]


def contact_quality(
    session: Session, start: datetime, end: datetime
) -> dict[int, tuple[str | None, str | None]]:
    """First-touch channel and persona key of the contacts handed off in ``[start, end)``."""
    statement = (
        select(Contact.id, Contact.first_touch_channel, Persona.key)
        .outerjoin(Persona, Persona.id == Contact.persona_id)
        .where(Contact.id.in_(_started_between(start, end)))
    )
    return {cid: (channel, persona) for cid, channel, persona in session.execute(statement)}


def contact_decisions(
    session: Session, start: datetime, end: datetime
) -> dict[int, list[tuple[datetime, str]]]:
    """Decisions (at, accepted/rejected) on the contacts handed off in ``[start, end)``,
    in time order per contact."""
    statement = (
        select(Decision.contact_id, Decision.at, Decision.decision)
        .where(Decision.contact_id.in_(_started_between(start, end)))
        .order_by(Decision.contact_id, Decision.at, Decision.id)
    )
    found: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for contact_id, at, decision in session.execute(statement):
        found[contact_id].append((at, decision))
    return dict(found)
