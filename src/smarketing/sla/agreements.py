"""Use cases on SLA agreements: the starting template, listing, status changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.core.rows import row_matches, update_if_changed
from smarketing.models import OwnerChange, SlaAgreement, Team, User
from smarketing.sla.refresh import refresh_all_clocks
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


def save_agreement(session: Session, calendar_id: int | None, record: Any, now: datetime) -> str:
    """An interchange `sla` record: `version` names one; without it, a changed agreement
    becomes a new version unless the latest is still a draft (drafts are edited in
    place). Created, updated or unchanged; a change that may move existing handoffs to
    other terms refreshes every lead's clocks."""
    values = {
        "key": record.key,
        "status": record.status,
        "effective_from": record.effective_from,
        "effective_to": record.effective_to,
        "calendar_id": calendar_id,
        "marketing": record.marketing,
        "sales": record.sales,
        "applies_to": record.applies_to,
    }
    versions = session.execute(
        select(SlaAgreement.id, SlaAgreement.version, SlaAgreement.status)
        .where(SlaAgreement.key == record.key).order_by(SlaAgreement.version)
    ).all()  # fmt: skip
    target = _version_to_update(session, versions, record.version, values)
    if target is None:
        version = record.version or (versions[-1].version + 1 if versions else 1)
        session.execute(insert(SlaAgreement).values(version=version, **values))
        outcome = "created"
    else:
        outcome = update_if_changed(session, SlaAgreement, SlaAgreement.id == target, values)
    if outcome != "unchanged" and _any_handoff(session):
        refresh_all_clocks(session, now)
    return outcome


def _version_to_update(session: Session, versions: Sequence[Any], version: int | None,
                       values: dict[str, Any]) -> int | None:  # fmt: skip
    if version is not None:
        return next((v.id for v in versions if v.version == version), None)
    if not versions:
        return None
    latest = versions[-1]
    same = row_matches(session, SlaAgreement, latest.id, values)
    return int(latest.id) if same or latest.status == "draft" else None


def _any_handoff(session: Session) -> bool:
    return session.execute(select(OwnerChange.id).limit(1)).first() is not None


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
