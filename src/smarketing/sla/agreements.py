"""Use cases on SLA agreements: the starting template, listing, status changes."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.models import SlaAgreement, Team, User
from smarketing.sla.terms import (
    TEMPLATE_MARKETING,
    TEMPLATE_SALES,
    SlaTermsError,
    check_status_move,
)


def ensure_template(session: Session, today: date) -> bool:
    """Give a workspace without any SLA the sources' example as a draft to start from."""
    if session.execute(select(SlaAgreement.id).limit(1)).first() is not None:
        return False
    session.add(SlaAgreement(key="default", version=1, status="draft",
                             effective_from=today.replace(day=1), marketing=TEMPLATE_MARKETING,
                             sales=TEMPLATE_SALES))  # fmt: skip
    return True


def describe_all(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(SlaAgreement).order_by(SlaAgreement.key, SlaAgreement.version))
    return [{"key": r.key, "version": r.version, "status": r.status,
             "effective_from": r.effective_from.isoformat(),
             "effective_to": r.effective_to.isoformat() if r.effective_to else None,
             "applies_to": r.applies_to, "marketing": r.marketing, "sales": r.sales}
            for r in rows]  # fmt: skip


def set_status(
    session: Session,
    key: str,
    status: str,
    *,
    teams: list[str],
    users: list[str],
    today: date | None,
) -> SlaAgreement:
    latest = session.execute(
        select(SlaAgreement).where(SlaAgreement.key == key)
        .order_by(SlaAgreement.version.desc()).limit(1)
    ).scalar_one_or_none()  # fmt: skip
    if latest is None:
        raise NotFoundError(f"no SLA with key {key!r}")
    try:
        check_status_move(latest.status, status)
    except SlaTermsError as exc:
        raise ValidationError(str(exc)) from None
    if status == "pilot":
        _check_scope(session, teams, users)
        latest.applies_to = {"teams": sorted(teams), "users": sorted(u.lower() for u in users)}
    elif teams or users:
        raise ValidationError("--team and --user only apply to a pilot")
    elif status == "active":
        latest.applies_to = None
    if status == "retired" and today is not None:
        latest.effective_to = today
    latest.status = status
    session.flush()
    return latest


def _check_scope(session: Session, teams: list[str], users: list[str]) -> None:
    if not teams and not users:
        raise ValidationError("a pilot applies to chosen teams or reps: give --team or --user")
    known_teams = set(session.scalars(select(Team.key).where(Team.key.in_(teams))))
    known_users = set(session.scalars(select(User.email).where(User.email.in_(
        [u.lower() for u in users]))))  # fmt: skip
    missing = [t for t in teams if t not in known_teams] + [
        u for u in users if u.lower() not in known_users]
    if missing:
        raise ValidationError(f"unknown team or user: {', '.join(missing)}")
