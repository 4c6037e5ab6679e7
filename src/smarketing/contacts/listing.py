"""Lists of contacts for the pages: the most recently changed ones a user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from smarketing.lifecycle.domain import OWNING_TEAM, Stage
from smarketing.models import Company, Contact, User


@dataclass(frozen=True)
class RecentContact:
    email: str
    name: str
    company: str | None
    stage: Stage
    owner: str | None
    changed_at: datetime
    change: str  # "stage" (entered its current stage) or "touch" (latest marketing touch)

    @property
    def team(self) -> str:
        return OWNING_TEAM[self.stage].value


def recently_changed(
    session: Session, owner_id: int | None = None, limit: int = 10
) -> list[RecentContact]:
    """The contacts whose stage or latest touch changed last, newest first.

    A contact's last change is the later of entering its current stage and its latest
    marketing touch. `owner_id` limits the list to one rep's contacts.
    """
    touched_later = Contact.last_touch_at > Contact.stage_entered_at
    changed_at = case((touched_later, Contact.last_touch_at), else_=Contact.stage_entered_at)
    statement = (
        select(
            Contact.email, Contact.first_name, Contact.last_name, Contact.lifecycle_stage,
            Contact.stage_entered_at, Contact.last_touch_at,
            Company.name, Company.domain, User.name,
        )
        .outerjoin(Company, Company.id == Contact.company_id)
        .outerjoin(User, User.id == Contact.owner_id)
        .order_by(changed_at.desc(), Contact.id.desc())
        .limit(limit)
    )  # fmt: skip
    if owner_id is not None:
        statement = statement.where(Contact.owner_id == owner_id)
    rows = []
    for (email, first, last, stage, entered_at, touched_at,
         company_name, company_domain, owner) in session.execute(statement):  # fmt: skip
        touched = touched_at if touched_at is not None and touched_at > entered_at else None
        rows.append(RecentContact(
            email=email,
            name=" ".join(p for p in (first, last) if p) or email,
            company=company_name or company_domain,
            stage=Stage(stage),
            owner=owner,
            changed_at=touched or entered_at,
            change="stage" if touched is None else "touch",
        ))  # fmt: skip
    return rows
